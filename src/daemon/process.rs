//! The daemon process's own set-up, done by `mcp-auth daemon run` before
//! [`super::run`] starts the daemon's tasks.

/// The daemon's memory is a long-lived few MB; glibc gives each thread
/// that allocates (the blocking pool runs the store and refreshes) its own
/// arena, which kept about 6 MB more resident after a burst of 10,000
/// refreshes (`cargo bench --bench daemon -- idle`: 34.1 MB, 28.3 MB with
/// one arena). Its threads are few and rarely busy at once, so one arena
/// costs nothing measurable. Process-wide: call it only in the daemon's
/// own process, before its threads start.
pub fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning; called before
    // the daemon starts its threads.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
