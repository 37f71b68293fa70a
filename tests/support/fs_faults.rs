//! File system faults for tests: a read-only file, and a private mount
//! namespace in which a directory can become a read-only mount or a tiny,
//! full tmpfs.
//!
//! Tests often run as root, and root ignores permission bits, so a
//! read-only file is made with `chattr +i` (immutable: even root cannot
//! write it) when running as root, and with `chmod 0400` otherwise. Mounts
//! need a mount namespace: `unshare -m` as root, `unshare -rm` (an
//! unprivileged user namespace) otherwise; the mounts vanish with the
//! namespace, so nothing leaks onto the machine even if a test fails. The
//! commands that must see the mount run inside it, from a shell script.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::home::{BIN, Home, Run};

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() == 0 }
}

/// A file made read-only until dropped.
pub struct ReadOnly {
    path: PathBuf,
    how: &'static str,
}

impl ReadOnly {
    pub fn file(path: &Path) -> ReadOnly {
        let how = if is_root() {
            let out = Command::new("chattr").arg("+i").arg(path).output();
            match out {
                Ok(o) if o.status.success() => "chattr",
                other => panic!(
                    "running as root, a read-only file needs `chattr +i` (e2fsprogs) on a file \
                     system that supports it; it failed on {}: {other:?}",
                    path.display()
                ),
            }
        } else {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o400)).unwrap();
            "chmod"
        };
        ReadOnly {
            path: path.to_path_buf(),
            how,
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.how == "chattr" {
            let _ = Command::new("chattr").arg("-i").arg(&self.path).output();
        } else {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600));
        }
    }
}

/// The `unshare` arguments that give a private mount namespace here.
fn unshare_args() -> Vec<&'static str> {
    let candidates: &[&[&str]] = if is_root() {
        &[&["-m", "--propagation", "private"]]
    } else {
        &[&["-r", "-m", "--propagation", "private"]]
    };
    for args in candidates {
        let ok = Command::new("unshare")
            .args(*args)
            .arg("true")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return args.to_vec();
        }
    }
    panic!(
        "this test mounts a read-only bind mount or a tiny tmpfs in a private mount namespace: \
         run it as root, or where unprivileged user namespaces are allowed (`unshare -rm true` \
         must work)"
    );
}

/// Runs `script` (sh) in a private mount namespace with the binary as
/// `$BIN`, `$H` the home, and the home's environment. Inside, `run NAME
/// ARGS...` runs the binary and keeps its output for [`Outcomes::get`].
pub fn in_mount_namespace(home: &Home, script: &str) -> Outcomes {
    let out_dir = home.path().join("outcomes");
    std::fs::create_dir_all(&out_dir).unwrap();
    let full = format!(
        "set -u\nrun() {{ n=$1; shift; \"$BIN\" \"$@\" >\"$OUT/$n.out\" 2>\"$OUT/$n.err\"; \
         echo $? >\"$OUT/$n.code\"; }}\n{script}\n"
    );
    // The home's environment (its MCP_AUTH_* settings, none inherited).
    let mut cmd = Command::new("unshare");
    for (k, v) in home.cmd().get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let output = cmd
        .args(unshare_args())
        .args(["sh", "-c", &full])
        .env("BIN", BIN)
        .env("H", home.path())
        .env("OUT", &out_dir)
        .output()
        .unwrap();
    Outcomes {
        dir: out_dir,
        script: output,
    }
}

/// What the commands run inside a namespace did.
pub struct Outcomes {
    dir: PathBuf,
    pub script: Output,
}

impl Outcomes {
    /// The run named `name` (panics, showing the script's output, if it
    /// never ran).
    pub fn get(&self, name: &str) -> Run {
        let read = |ext: &str| std::fs::read(self.dir.join(format!("{name}.{ext}")));
        let code = read("code").unwrap_or_else(|_| {
            panic!(
                "{name} did not run; script stdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&self.script.stdout),
                String::from_utf8_lossy(&self.script.stderr)
            )
        });
        let code: i32 = String::from_utf8_lossy(&code).trim().parse().unwrap();
        Run(Output {
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: read("out").unwrap_or_default(),
            stderr: read("err").unwrap_or_default(),
        })
    }

    pub fn script_output(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.script.stdout),
            String::from_utf8_lossy(&self.script.stderr)
        )
    }
}
