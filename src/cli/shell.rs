//! `glaneur completions SHELL` and `glaneur man`: shell completion scripts and the man
//! page, generated from the command-line definition (so they never go stale).

use std::io::Write;

use anyhow::Context;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use crate::ExitCode;

/// Arguments of `glaneur completions`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
EXAMPLES:
    glaneur completions bash > ~/.local/share/bash-completion/completions/glaneur
    glaneur completions zsh > ~/.zfunc/_glaneur      (with fpath+=~/.zfunc in ~/.zshrc)
    glaneur completions fish > ~/.config/fish/completions/glaneur.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `glaneur man`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
EXAMPLES:
    glaneur man | man -l -
    glaneur man > ~/.local/share/man/man1/glaneur.1")]
pub struct ManArgs {}

/// Prints the completion script of `args.shell` on stdout.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "glaneur", &mut script);
    std::io::stdout()
        .write_all(&script)
        .context("cannot write to standard output")?;
    Ok(ExitCode::Success)
}

/// Prints the man page (roff, section 1) on stdout: the command, then one section per
/// subcommand with its options.
pub fn man(_args: &ManArgs) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut page)
        .and_then(|()| man.render_name_section(&mut page))
        .and_then(|()| man.render_synopsis_section(&mut page))
        .and_then(|()| man.render_description_section(&mut page))
        .and_then(|()| man.render_options_section(&mut page))
        .and_then(|()| man.render_subcommands_section(&mut page))
        .context("cannot render the man page")?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("glaneur {}", sub.get_name());
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(&name));
        let mut part = Vec::new();
        sub_man
            .render_synopsis_section(&mut part)
            .and_then(|()| sub_man.render_description_section(&mut part))
            .and_then(|()| sub_man.render_options_section(&mut part))
            .context("cannot render the man page")?;
        if sub.get_after_long_help().is_some() || sub.get_after_help().is_some() {
            sub_man
                .render_extra_section(&mut part)
                .context("cannot render the man page")?;
        }
        // One section per command, its parts as subsections.
        page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        for line in String::from_utf8_lossy(&part).lines() {
            let line = match line.strip_prefix(".SH ") {
                Some(title) => format!(".SS {title}"),
                None => line.to_string(),
            };
            page.extend_from_slice(line.as_bytes());
            page.push(b'\n');
        }
    }
    man.render_version_section(&mut page)
        .context("cannot render the man page")?;
    std::io::stdout()
        .write_all(&page)
        .context("cannot write to standard output")?;
    Ok(ExitCode::Success)
}
