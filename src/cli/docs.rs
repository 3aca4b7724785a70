//! `rmig completions <shell>` and `rmig man`, generated from the clap definition, so they
//! never drift from the real flags.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::error::Error;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write rmig.1 and one page per command (rmig-upgrade.1, ...) into DIR instead of
    /// printing rmig.1.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub(super) fn completions(args: CompletionsArgs, out: &mut dyn Write) -> Result<(), Error> {
    clap_complete::generate(args.shell, &mut super::command(), "rmig", out);
    Ok(())
}

pub(super) fn man(args: ManArgs, out: &mut dyn Write) -> Result<(), Error> {
    let command = super::command();
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|source| Error::Write {
                path: dir.clone(),
                source,
            })?;
            clap_mangen::generate_to(command, &dir).map_err(|source| Error::Write {
                path: dir.clone(),
                source,
            })?;
            writeln!(out, "Wrote man pages to {}", dir.display())?;
        }
        None => clap_mangen::Man::new(command).render(out)?,
    }
    Ok(())
}
