//! Build script: three link-time settings for the `mcp-auth` binary on
//! Linux with glibc, each applied only when a probe shows that the
//! toolchain in use supports it. They change where code and data sit in
//! the file and which libraries load, never what the program does.
//!
//! Every process of this binary pays for its size before `main`: the
//! loader maps the file, writes the relocated pointers of its read-only
//! data, and the kernel faults code in 64 KB at a time wherever it runs.
//! The bridge under load and `mcp-auth token NAME` (`cargo bench`) are where
//! users feel that; the figures below are theirs, on the release binary
//! (x86_64, rustc's own LLD, glibc 2.36).
//!
//! 1. **Packed relative relocations (DT_RELR).** A position-independent
//!    Rust binary carries one relocation record per pointer in its
//!    read-only data (vtables, string tables, panic locations): about
//!    14,500 here, 343 KB of `.rela.dyn` that the loader reads at every
//!    start. Packed, they are 4 KB: 0.3–0.4 MB less resident memory in
//!    every process, 350 KB less file. It needs glibc ≥ 2.36 to run (the
//!    linker records a dependency on `GLIBC_ABI_DT_RELR`, so a binary
//!    copied to an older system says so at start instead of crashing).
//! 2. **Function order** (`src/link_order.txt`, recorded by
//!    `tests/benches/link_order.sh`). The functions that `token` and the
//!    bridge run are 1.4 MB of the 6.7 MB of code, spread over all of it,
//!    so the kernel's 64 KB fault-around made 5.2 MB of code resident in a
//!    bridge under load. Listed first, they sit together. A name the
//!    binary no longer has is skipped, so a stale list costs only memory;
//!    the bridge bench prints how much of it still matches.
//! 3. **The unwinder linked in.** Rust's standard library links the
//!    unwinder (used by panics, which the daemon relies on to contain a
//!    failed refresh) from the shared `libgcc_s.so.1`: one more library
//!    for the loader to find, map and relocate at every start. The static
//!    `libgcc_eh.a` is the same unwinder; a linker script named
//!    `libgcc_s.a`, found first on the library path, points `-lgcc_s` at it,
//!    as `-static-libgcc` does for C.
//!
//! Rather than guess from versions, each probe builds a tiny Rust program
//! with the same `rustc`, target, flags and linker as this build; the
//! unwinder's probe also runs it and checks that a panic is caught. When a
//! probe fails, the binary is linked without that setting.

use std::path::{Path, PathBuf};
use std::process::Command;

const RELR: &str = "-Wl,-z,pack-relative-relocs";
const ORDER_SOURCE: &str = "src/link_order.txt";

/// A variable cargo sets for build scripts; empty when it is not set.
fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

fn main() {
    println!("cargo:rerun-if-changed=src/build.rs");
    println!("cargo:rerun-if-changed={ORDER_SOURCE}");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    // glibc only: musl and the other systems have their own story.
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let probe = Probe {
        dir: out.join("probe"),
        native: var("HOST") == var("TARGET"),
    };
    if std::fs::create_dir_all(&probe.dir).is_err() {
        return;
    }

    if probe.links(&[RELR]) {
        println!("cargo:rustc-link-arg-bins={RELR}");
    }

    let order = out.join("symbol-order.txt");
    if write_order(Path::new(ORDER_SOURCE), &order) {
        let args = [
            format!("-Wl,--symbol-ordering-file={}", order.display()),
            // Names of an older build are expected; they are skipped.
            "-Wl,--no-warn-symbol-ordering".to_string(),
        ];
        if probe.links(&args.each_ref().map(String::as_str)) {
            for arg in args {
                println!("cargo:rustc-link-arg-bins={arg}");
            }
        }
    }

    // Only where the probe can run: a cross build keeps the shared unwinder.
    let unwind = out.join("unwind");
    if probe.native
        && std::fs::create_dir_all(&unwind).is_ok()
        && std::fs::write(unwind.join("libgcc_s.a"), "INPUT ( -lgcc_eh )\n").is_ok()
        && probe.catches_a_panic(&unwind)
    {
        // For every target of the package, tests included: the suite's
        // panics (every failing assertion; `process`'s test of a contained
        // task panic, which the daemon relies on) run on the unwinder that
        // ships.
        println!("cargo:rustc-link-search=native={}", unwind.display());
    }
}

/// `src/link_order.txt` without its comments, as the linker reads it.
fn write_order(source: &Path, dest: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(source) else {
        return false;
    };
    let names: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    !names.is_empty() && std::fs::write(dest, names.join("\n") + "\n").is_ok()
}

/// Builds tiny programs with the `rustc`, target, flags and linker of this
/// build.
struct Probe {
    dir: PathBuf,
    native: bool,
}

impl Probe {
    fn rustc(&self, name: &str, source: &str, link_args: &[&str]) -> Option<(PathBuf, Command)> {
        let src = self.dir.join(format!("{name}.rs"));
        let bin = self.dir.join(name);
        std::fs::write(&src, source).ok()?;
        let mut cmd = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()));
        // LC_ALL=C: GNU ld's "ignored" is translated in other locales.
        cmd.env("LC_ALL", "C")
            .args(["--edition", "2021", "--crate-type", "bin", "-O"])
            .args(["--target", &var("TARGET")]);
        // The flags of this build (RUSTFLAGS, `[build] rustflags`), which
        // may name a linker or a linker flavour.
        for flag in var("CARGO_ENCODED_RUSTFLAGS")
            .split('\x1f')
            .filter(|f| !f.is_empty())
        {
            cmd.arg(flag);
        }
        // `[target.<triple>] linker`, which cargo passes to rustc this way.
        if let Ok(linker) = std::env::var("RUSTC_LINKER") {
            cmd.arg("-C").arg(format!("linker={linker}"));
        }
        for arg in link_args {
            cmd.arg("-C").arg(format!("link-arg={arg}"));
        }
        cmd.arg("-o").arg(&bin).arg(&src);
        Some((bin, cmd))
    }

    /// Whether a program links with these linker arguments, and the linker
    /// did not say it ignored one (GNU ld before 2.38 only warns of `-z
    /// pack-relative-relocs`).
    fn links(&self, link_args: &[&str]) -> bool {
        let Some((_, mut cmd)) = self.rustc("links", "fn main() {}\n", link_args) else {
            return false;
        };
        let Ok(out) = cmd.output() else {
            return false;
        };
        let said = String::from_utf8_lossy(&out.stderr).to_ascii_lowercase();
        out.status.success() && !said.contains("ignored") && !said.contains("unknown")
    }

    /// Whether a program linked with `dir` first on the library path
    /// catches a panic and exits cleanly.
    fn catches_a_panic(&self, dir: &Path) -> bool {
        const SOURCE: &str = "fn main() {\n\
            std::panic::set_hook(Box::new(|_| {}));\n\
            let caught = std::thread::spawn(|| std::panic::catch_unwind(|| panic!(\"probe\")).is_err())\n\
                .join()\n\
                .unwrap_or(false);\n\
            std::process::exit(if caught { 0 } else { 1 });\n\
        }\n";
        let search = format!("native={}", dir.display());
        let Some((bin, mut cmd)) = self.rustc("unwind", SOURCE, &[]) else {
            return false;
        };
        cmd.arg("-L").arg(search);
        let linked = cmd.output().is_ok_and(|o| o.status.success());
        linked && Command::new(&bin).status().is_ok_and(|s| s.success())
    }
}
