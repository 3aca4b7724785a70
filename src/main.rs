//! The `rmig` binary: parses arguments, runs the library, maps errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = rmig::cli::Cli::parse();
    let stdout = std::io::stdout();
    match rmig::cli::run(cli, &mut stdout.lock()) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            rmig::cli::print_error(&error);
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
