//! Environment variables that hold secrets (named by `--client-secret-env`,
//! `--id-token-env` or a `${VAR}` in `--header`): read here, and kept out
//! of the environment of every child process this one starts (the browser
//! command, the daemon), which would otherwise inherit them.

use std::process::Command;
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::model::Secret;

static SECRET_VARS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn remember(var: &str) {
    let mut vars = SECRET_VARS.lock().unwrap_or_else(|p| p.into_inner());
    if !vars.iter().any(|v| v == var) {
        vars.push(var.to_string());
    }
}

/// Reads a secret from the environment variable `var`, which must be set
/// and not empty, and marks it as secret.
pub fn read(var: &str) -> Result<Secret> {
    remember(var);
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
        _ => Err(Error::Usage(format!(
            "${var} should hold the secret, but it is not set"
        ))),
    }
}

/// Reads `var` if it is set, marking it as secret (header values).
pub fn read_optional(var: &str) -> Option<String> {
    remember(var);
    std::env::var(var).ok()
}

/// Removes every secret variable read so far from `cmd`'s environment.
pub fn scrub(cmd: &mut Command) -> &mut Command {
    for var in SECRET_VARS.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        cmd.env_remove(var);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_variables_do_not_reach_children() {
        // SAFETY: the variable name is unique to this test.
        unsafe { std::env::set_var("MCP_AUTH_TEST_CHILD_SECRET", "s3cret") };
        assert_eq!(
            read("MCP_AUTH_TEST_CHILD_SECRET").unwrap().expose(),
            "s3cret"
        );
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "printf %s \"${MCP_AUTH_TEST_CHILD_SECRET:-gone}\""]);
        let out = scrub(&mut cmd).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "gone");
        assert!(read("MCP_AUTH_TEST_SURELY_UNSET").is_err());
    }
}
