//! Temporary files in flight, so that an interrupted process can remove
//! them. Every writer creates its output as `.nninit-XXXXXX.tmp` beside the
//! final path and renames it into place when done; while it exists its path
//! is registered here. A signal handler (the CLI installs one for SIGINT,
//! SIGTERM and SIGHUP) calls [`remove_temporary_files`] before exiting, so
//! only SIGKILL (which no process can catch) can leave one behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A registered temporary path; dropping it unregisters the path.
#[derive(Debug)]
pub(crate) struct Registered(PathBuf);

/// Set (under the lock) by [`remove_temporary_files`]: no temporary file may
/// be created after it, since nobody would remove it.
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Create a temporary file or directory with `create` and register the path
/// `path_of` gives it, both under the registry's lock, so that an interrupt
/// handler ([`remove_temporary_files`]) sees every temporary path that exists:
/// a file created between its creation and its registration would otherwise
/// be missed. After the handler ran, creating is refused ("interrupted").
pub(crate) fn create_registered<T>(
    create: impl FnOnce() -> std::io::Result<T>,
    path_of: impl FnOnce(&T) -> PathBuf,
) -> std::io::Result<(T, Registered)> {
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    if STOPPING.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(std::io::Error::other(
            "interrupted: the process is stopping",
        ));
    }
    let made = create()?;
    let path = path_of(&made);
    live.push(path.clone());
    Ok((made, Registered(path)))
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = live.iter().position(|p| *p == self.0) {
            live.swap_remove(i);
        }
    }
}

/// Remove every temporary file (and staging directory, with what it holds)
/// still being written; the number removed. Safe to call from any thread at
/// any time (a file renamed into place in the meantime is complete and stays).
/// For a process that is about to exit: afterwards no new temporary file can
/// be created (a writer that tries gets an "interrupted" error), so none
/// appears after the cleanup.
pub fn remove_temporary_files() -> usize {
    let live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    live.iter()
        .filter(|p| match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => remove_dir_racing_writers(p),
            Ok(_) => std::fs::remove_file(p).is_ok(),
            Err(_) => false,
        })
        .count()
}

/// Remove a staging directory while the writers of other shards may still
/// be creating files in it (the process is about to exit, but its threads
/// run until then): `remove_dir_all` fails with "directory not empty" when
/// a file appears between its listing and its `rmdir`, so try again, a few
/// milliseconds apart, until the directory is gone (a writer's next file
/// then fails to be created).
fn remove_dir_racing_writers(p: &Path) -> bool {
    for _ in 0..100 {
        match std::fs::remove_dir_all(p) {
            Ok(()) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return true,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    false
}

/// How many temporary files are being written now.
pub fn temporary_files_in_flight() -> usize {
    LIVE.lock().unwrap_or_else(|p| p.into_inner()).len()
}
