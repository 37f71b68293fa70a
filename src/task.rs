//! Running blocking work from async code. Storage (SQLite, the keyring, the
//! secrets file) blocks; the async threads must not, or a bridge stalls
//! every request behind one disk write.

use crate::error::{Error, Result};

/// Runs blocking work (SQLite, the keyring) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Other(format!("storage task failed: {e}")))?
}
