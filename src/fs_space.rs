//! The file system under our files: how much room it has and whether it
//! can be written, and how sizes read in messages. The store asks before a
//! write it cannot take back (see `Store::check_can_store`) and to explain a
//! vague SQLite I/O failure; the MCP transports size their limits with
//! [`human_bytes`].

use std::path::Path;

/// What the file system holding `dir` says about itself: bytes free to this
/// user and whether it is mounted read-only. `None` where the platform
/// cannot say (callers then assume there is room).
pub fn fs_state(dir: &Path) -> Option<FsState> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
        // SAFETY: statvfs only writes into the struct we hand it, and `c` is
        // a valid NUL-terminated path for the duration of the call.
        let st = unsafe {
            let mut st: libc::statvfs = std::mem::zeroed();
            if libc::statvfs(c.as_ptr(), &mut st) != 0 {
                return None;
            }
            st
        };
        #[allow(clippy::unnecessary_cast)] // the field types differ by platform
        Some(FsState {
            free_bytes: (st.f_bavail as u64).saturating_mul(st.f_frsize as u64),
            read_only: st.f_flag & libc::ST_RDONLY != 0,
        })
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsState {
    pub free_bytes: u64,
    pub read_only: bool,
}

/// Sizes in messages: whole KiB below a MiB, else MiB with one decimal.
pub fn human_bytes(n: u64) -> String {
    if n < 1024 * 1024 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}
