//! All human-facing output: stdout lines and JSON for scripts; messages,
//! spinners and prompts on stderr. Nothing else in the crate prints.
//!
//! A closed stdout (`mcp-auth tokens list | head`) surfaces as
//! [`Error::BrokenPipe`], which ends the program quietly with status 0.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default)]
pub struct Printer {
    /// When set, nothing but the requested data goes to stdout and no
    /// spinner is drawn.
    quiet: bool,
}

impl Printer {
    pub fn new() -> Printer {
        Printer::default()
    }

    pub fn quiet(mut self, quiet: bool) -> Printer {
        self.quiet = quiet;
        self
    }

    pub fn stdout_is_terminal() -> bool {
        std::io::stdout().is_terminal()
    }

    /// True when a person can answer a question: stdin and stderr are both
    /// terminals and this is not a CI run.
    pub fn interactive() -> bool {
        std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
    }

    /// One line of data on stdout.
    pub fn line(&self, text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")
            .and_then(|_| out.flush())
            .map_err(|e| Error::io("cannot write to stdout", e))
    }

    /// Pretty JSON on stdout.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| Error::Other(format!("cannot encode JSON: {e}")))?;
        self.line(&text)
    }

    /// A table on stdout; its width follows the terminal.
    pub fn table(&self, header: &[&str], rows: Vec<Vec<String>>) -> Result<()> {
        let mut table = Table::new();
        let tty = Printer::stdout_is_terminal();
        table
            .load_style(if tty {
                presets::UTF8_HORIZONTAL_ONLY
            } else {
                presets::ASCII_HORIZONTAL_ONLY
            })
            .set_content_arrangement(if tty {
                ContentArrangement::Dynamic
            } else {
                ContentArrangement::Disabled
            })
            .set_header(header.iter().copied());
        for row in rows {
            table.add_row(row);
        }
        self.line(&table.to_string())
    }

    /// A key/value listing on stdout (`tokens show`).
    pub fn fields(&self, fields: &[(&str, String)]) -> Result<()> {
        let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let text = fields
            .iter()
            .map(|(k, v)| format!("{k:>width$}  {v}"))
            .collect::<Vec<_>>()
            .join("\n");
        self.line(&text)
    }

    /// A message for the person, on stderr.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A failure of one item among several, on stderr even when quiet.
    pub fn problem(&self, text: &str) {
        eprintln!("failed: {text}");
    }

    /// A warning, on stderr even when quiet.
    pub fn warn(&self, text: &str) {
        eprintln!("warning: {text}");
    }

    /// A spinner on stderr while something slow happens; hidden when stderr
    /// is not a terminal (the message is printed once instead).
    pub fn spinner(&self, message: &str) -> Spinner {
        if self.quiet {
            return Spinner(None);
        }
        if !std::io::stderr().is_terminal() {
            eprintln!("{message}");
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(message.to_string());
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner(Some(bar))
    }

    /// Asks a yes/no question on the terminal; `default` is the answer to an
    /// empty line. Fails when no person can answer.
    pub fn confirm(&self, question: &str, default: bool) -> Result<bool> {
        if !Printer::interactive() {
            return Err(Error::Usage(format!(
                "{question}: no terminal to ask on; pass --yes to proceed"
            )));
        }
        let hint = if default { "[Y/n]" } else { "[y/N]" };
        eprint!("{question} {hint} ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .read_line(&mut answer)
            .map_err(|e| Error::io("cannot read the answer", e))?;
        Ok(match answer.trim().to_ascii_lowercase().as_str() {
            "" => default,
            "y" | "yes" => true,
            _ => false,
        })
    }
}

pub struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    pub fn set_message(&self, message: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message.to_string());
        }
    }

    pub fn finish(self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
