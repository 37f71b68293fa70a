//! The `mcp-auth` binary. Its `main` is the C library's entry point, not
//! the standard library's runtime: `mcp_auth::process` says why, and what
//! of that runtime is done instead.
#![no_main]

/// Called by the C library; the arguments are read through
/// `std::env::args_os`, which glibc has already filled.
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    mcp_auth::start()
}
