//! What every command runs on, built once per process: the one
//! [`Credentials`] every command reaches storage through.

use crate::config::Config;
use crate::credentials::{Credentials, FallbackPrompt};
use crate::error::Result;
use crate::output::Printer;
use crate::paths::Paths;
use std::path::PathBuf;

/// What every command runs on: paths, settings, the printer, and storage
/// opened on first use (so `providers list` never touches the database, and
/// `token` answered by the daemon never opens it either).
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub out: Printer,
    credentials: Credentials,
}

impl Context {
    /// `prompts`: whether opening the store may ask, at a terminal, about
    /// the file store. Never for the bridge, whose stdin carries JSON-RPC.
    pub fn new(paths: Paths, config: Config, prompts: bool) -> Context {
        let credentials = if prompts {
            let config_file = paths.config_file();
            Credentials::open_lazily(&paths, &config, move || {
                fallback_prompt(config_file.clone())
            })
        } else {
            Credentials::open_lazily(&paths, &config, || None)
        };
        Context {
            paths,
            config,
            out: Printer::new(),
            credentials,
        }
    }

    /// The process's one [`Credentials`] (clones share it): it asks the
    /// daemon first and opens the store only when this process has to do
    /// the work itself.
    pub fn credentials(&self) -> Result<Credentials> {
        Ok(self.credentials.clone())
    }
}

/// At a terminal, offers the file store once when the keyring is
/// unreachable; a yes is remembered in config.toml (written here, not by
/// the store, before the store switches).
fn fallback_prompt(config_file: PathBuf) -> Option<FallbackPrompt> {
    if !Printer::interactive() {
        return None;
    }
    Some(Box::new(move |reason: &str| {
        let printer = Printer::new();
        printer.warn(&format!("the OS keyring cannot be used: {reason}"));
        let yes = printer
            .confirm(
                "Keep secrets in a plaintext file (mode 0600) instead, and remember this choice?",
                false,
            )
            .unwrap_or(false);
        if yes {
            crate::config::persist_setting(&config_file, "secret_store", "file")?;
        }
        Ok(yes)
    }))
}
