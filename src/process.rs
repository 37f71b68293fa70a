//! What every process of this binary sets up before anything else runs:
//! `main.rs` calls [`crate::start`], which calls [`before_main`] first.
//!
//! The binary is `#![no_main]`: the C library calls `main.rs`'s `main`
//! directly, without the standard library's runtime set-up. That set-up
//! finds the main thread's stack guard with `pthread_getattr_np`, which
//! glibc answers by reading and parsing `/proc/self/maps`: 0.05–0.1 ms of
//! every process, of the 1.4 ms a `mcp-auth token NAME` call with the
//! daemon up takes (`cargo bench --bench daemon`, whose target is twice the
//! spawn of `/bin/true`). The rest of what that set-up does is done here:
//! standard descriptors that exist, SIGPIPE ignored, and (in
//! `crate::start`) panics caught and stdout flushed. Given up: its message
//! on a stack overflow. A thread that overflows its stack still dies on the
//! guard page, by SIGSEGV, instead of printing "has overflowed its stack"
//! first; and the main thread is unnamed in panic messages.
//! `std::env::args` does not depend on that set-up (glibc hands the
//! arguments to the standard library as the program loads; other systems
//! keep them where it reads them).

/// Makes the process safe to run and sets its allocator, before any thread
/// starts.
pub fn before_main() {
    standard_descriptors();
    ignore_sigpipe();
    restrict_umask();
    one_malloc_arena();
}

/// Standard input, output and error exist: each one a parent closed is
/// opened on /dev/null. Otherwise the first file this process opens (the
/// database, the secrets file) would take descriptor 1, and a token
/// printed "to stdout" would be written into it.
fn standard_descriptors() {
    #[cfg(unix)]
    for fd in 0..3 {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        let closed = unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF);
        if closed {
            // open() takes the lowest free descriptor: this one, since
            // those below it are open by now.
            // SAFETY: the path is a NUL-terminated C string literal.
            let opened = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
            if opened != fd {
                // Nothing is safe to write to; stop before opening files.
                std::process::abort();
            }
        }
    }
}

/// A write to a closed pipe fails with EPIPE (`Error::BrokenPipe`, which
/// ends the command quietly) instead of killing the process, as under the
/// standard library's runtime. Children get the default back:
/// `std::process::Command` resets SIGPIPE in them.
fn ignore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to SIG_IGN installs no code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Files and directories this process creates are private to the user,
/// whatever creates them (SQLite's WAL and SHM files included).
fn restrict_umask() {
    #[cfg(unix)]
    // SAFETY: umask only swaps the process's file mode mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// One malloc arena for the whole process. glibc gives each thread that
/// allocates its own arena, and the threads here (the blocking pool that
/// runs the store, the bridge's stdin and stdout threads) allocate a little
/// each and are rarely busy at once: their arenas are resident memory that
/// no one else can reuse. Measured: the daemon idle after a burst of
/// 10,000 refreshes held 34.1 MB with an arena per thread and 28.3 MB with
/// one (`cargo bench --bench daemon`); a bridge under load, 0.4 MB less.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning, and no other
    // thread is running yet to allocate while it does.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(test)]
mod tests {
    /// The daemon relies on a panic in one refresh task being contained
    /// (tokio catches it at the task). This crate's tests are linked with
    /// the unwinder the binary ships with (src/build.rs), so this is that
    /// unwinder at work.
    #[test]
    fn a_panic_in_a_task_is_contained() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let joined = rt.block_on(async { tokio::spawn(async { panic!("contained") }).await });
        assert!(joined.unwrap_err().is_panic());
    }
}
