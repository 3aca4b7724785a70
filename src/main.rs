//! The `rmig` binary: parses arguments, runs the library, maps errors to exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match rmig::cli::parse_args() {
        Ok(cli) => cli,
        Err(Ok(())) => return ExitCode::SUCCESS,
        Err(Err(error)) => {
            rmig::cli::print_error(&error);
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    let stdout = std::io::stdout();
    // Standard error is not held locked for the run: other threads write there too (the
    // panic message of a `--url-file` worker).
    match rmig::cli::run(cli, &mut stdout.lock(), &mut std::io::stderr()) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            rmig::cli::print_error(&error);
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
