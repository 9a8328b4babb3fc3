//! Directory outputs (an HF checkpoint, one `.npy` per tensor) end up
//! holding exactly one run's files, all or nothing.
//!
//! A run claims the directory: it refuses a non-empty directory that nninit
//! did not write (no manifest) unless forced, and holds an exclusive lock so
//! that two runs into one directory take turns. It then writes everything
//! into a fresh staging directory beside it (`.nninit-XXXXXX.tmpdir`), with
//! the manifest `.nninit-manifest.json` listing the files, and swaps the two
//! directories in one atomic `renameat2(RENAME_EXCHANGE)` (Linux): a reader
//! sees the whole previous run or the whole new one, never a mix, and an
//! interrupt before the swap leaves the previous run untouched (the staging
//! directory is removed). The previous run's files are then deleted; a file
//! that is not in its manifest (put there by the user) is moved into the new
//! directory, never deleted.
//!
//! Where a swap cannot be used, files are replaced one by one in place and
//! the previous run's files this run did not rewrite are removed at the end
//! (only names the previous manifest lists): with `--force` beside files
//! nninit did not write, for the concurrent parts of one `--part I/N` run,
//! for a directory that is a mount point or holds the working directory, and
//! off Linux.

use nninit::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The manifest of the files the last run wrote.
pub const MANIFEST: &str = ".nninit-manifest.json";

/// A directory claimed for one run.
#[derive(Debug)]
pub struct Claim {
    dir: PathBuf,
    old: Vec<String>,
    stage: Option<Stage>,
    _lock: Option<std::fs::File>,
}

/// The staging directory a run writes into, registered for removal on an
/// interrupt until it is swapped in.
#[derive(Debug)]
struct Stage {
    path: PathBuf,
    _registered: crate::interrupt::Registered,
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |reason| Error::Io {
        action,
        path: path.display().to_string(),
        reason,
    }
}

/// A plain file name inside the directory (a manifest is read from disk: no
/// `..`, no separators).
fn plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\'])
}

/// The names in `dir`.
fn names(dir: &Path) -> Result<Vec<String>> {
    Ok(std::fs::read_dir(dir)
        .map_err(io("cannot read", dir))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect())
}

/// Whether `name` is nninit's own (the manifest, a temporary file).
fn ours(name: &str, old: &[String]) -> bool {
    name == MANIFEST || name.starts_with(".nninit-") || old.iter().any(|o| o == name)
}

/// Claim `dir` (created if missing). `force` allows a non-empty directory
/// nninit did not write (its files are left alone); `may_stay` names the
/// files nninit did not write that may stay without `force` (a checkpoint
/// allows a model directory's tokenizer and README files). `shared`: the
/// parts of one run (`--part I/N`) write concurrently, so no lock is taken
/// and files are replaced in place.
pub fn claim(
    dir: &Path,
    force: bool,
    shared: bool,
    may_stay: &dyn Fn(&str) -> bool,
) -> Result<Claim> {
    std::fs::create_dir_all(dir).map_err(io("cannot create directory", dir))?;
    // a symlink to a directory stays a symlink: the run works on (and swaps)
    // the directory it points to
    let dir = &std::fs::canonicalize(dir).map_err(io("cannot resolve", dir))?;
    // the lock is taken on the directory itself (flock on its descriptor):
    // no lock file among the outputs
    let lock = if shared {
        None
    } else {
        let f = std::fs::File::open(dir).map_err(io("cannot open", dir))?;
        f.lock().map_err(io("cannot lock", dir))?;
        Some(f)
    };
    let manifest = dir.join(MANIFEST);
    let present = names(dir)?;
    let old: Vec<String> = match std::fs::read(&manifest) {
        Ok(bytes) => {
            let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Error::Data {
                origin: manifest.display().to_string(),
                line: 0,
                reason: format!(
                    "not a manifest nninit wrote ({e}); remove it or use another directory"
                ),
            })?;
            v["files"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str())
                        .filter(|f| plain(f))
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        }
        Err(_) => {
            let mut foreign: Vec<&String> = present
                .iter()
                .filter(|n| !n.starts_with(".nninit-") && !may_stay(n))
                .collect();
            foreign.sort();
            if !foreign.is_empty() && !force {
                let shown: Vec<String> = foreign.iter().take(5).map(|n| format!("`{n}`")).collect();
                return Err(Error::Io {
                    action: "will not write into",
                    path: dir.display().to_string(),
                    reason: std::io::Error::other(format!(
                        "it holds {} file(s) nninit did not write ({}{}; there is no {MANIFEST}): use an empty or new directory, or --force to write beside them",
                        foreign.len(),
                        shown.join(", "),
                        if foreign.len() > 5 { ", ..." } else { "" }
                    )),
                });
            }
            Vec::new()
        }
    };
    let beside_foreign = present.iter().any(|n| !ours(n, &old));
    // swapping the working directory (or one above it) away would leave
    // this process, and the shell that started it, in a deleted directory
    let holds_cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .is_ok_and(|cwd| cwd.starts_with(dir));
    let stage = if shared || beside_foreign || holds_cwd {
        None
    } else {
        stage_beside(dir)?
    };
    Ok(Claim {
        dir: dir.to_path_buf(),
        old,
        stage,
        _lock: lock,
    })
}

/// A staging directory beside `dir` on the same file system, with `dir`'s
/// permissions; `None` where no atomic swap is possible (off Linux, or
/// `dir` is a mount point).
fn stage_beside(dir: &Path) -> Result<Option<Stage>> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let meta = std::fs::metadata(dir).map_err(io("cannot read", dir))?;
        let parent_meta = std::fs::metadata(&parent).map_err(io("cannot read", &parent))?;
        if meta.dev() != parent_meta.dev() {
            return Ok(None);
        }
        let (path, registered) = crate::interrupt::create_registered(
            || {
                tempfile::Builder::new()
                    .prefix(".nninit-")
                    .suffix(".tmpdir")
                    .tempdir_in(&parent)
                    .map(|d| d.keep())
            },
            |p| p.clone(),
        )
        .map_err(io("cannot create a staging directory in", &parent))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(io("cannot set permissions of", &path))?;
        Ok(Some(Stage {
            path,
            _registered: registered,
        }))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        Ok(None)
    }
}

impl Claim {
    /// Where the run writes its files: the staging directory, or the
    /// directory itself where files are replaced in place.
    pub fn target(&self) -> &Path {
        self.stage.as_ref().map_or(&self.dir, |s| &s.path)
    }

    /// The files the previous run wrote (its manifest), empty for a new directory.
    pub fn previous(&self) -> &[String] {
        &self.old
    }

    /// Whether the run's files will be swapped in at once by [`Claim::finish`].
    pub fn atomic(&self) -> bool {
        self.stage.is_some()
    }

    /// The run wrote `files` (names inside [`Claim::target`]): record them
    /// as the manifest and put them in place, the previous run's files gone.
    pub fn finish(mut self, files: &[String]) -> Result<()> {
        let text = serde_json::json!({ "files": files }).to_string();
        let Some(stage) = self.stage.take() else {
            self.remove_stale(&self.dir, files)?;
            return crate::write_atomic(&self.dir.join(MANIFEST), text.as_bytes());
        };
        crate::write_atomic(&stage.path.join(MANIFEST), text.as_bytes())?;
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{renameat_with, RenameFlags, CWD};
            if renameat_with(CWD, &stage.path, CWD, &self.dir, RenameFlags::EXCHANGE).is_ok() {
                // the staging path now holds the previous run's directory
                let previous = &stage.path;
                let (old, theirs): (Vec<String>, Vec<String>) = names(previous)
                    .unwrap_or_default()
                    .into_iter()
                    .partition(|name| ours(name, &self.old));
                for name in theirs {
                    // not nninit's: the user's, kept in the directory
                    if !self.dir.join(&name).exists() {
                        let _ = std::fs::rename(previous.join(&name), self.dir.join(&name));
                    }
                }
                // freeing a file's pages takes one core (0.5-0.65 s for 4.4 GB
                // on tmpfs): the old shards go side by side
                use rayon::prelude::*;
                old.par_iter().for_each(|name| {
                    let _ = std::fs::remove_file(previous.join(name));
                });
                return std::fs::remove_dir(previous).map_err(io(
                    "cannot remove the previous run's directory (now empty of nninit's files)",
                    previous,
                ));
            }
        }
        // no exchange on this file system: move the files one by one
        for name in files.iter().map(String::as_str).chain([MANIFEST]) {
            let from = stage.path.join(name);
            let to = self.dir.join(name);
            std::fs::rename(&from, &to).map_err(io("cannot move into place", &to))?;
        }
        self.remove_stale(&self.dir, files)?;
        std::fs::remove_dir(&stage.path).map_err(io("cannot remove", &stage.path))
    }

    /// Remove the previous run's files in `dir` that `files` does not list.
    fn remove_stale(&self, dir: &Path, files: &[String]) -> Result<()> {
        for f in &self.old {
            if !files.contains(f) {
                let p = dir.join(f);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io("cannot remove the stale", &p)(e)),
                }
            }
        }
        Ok(())
    }
}

impl Drop for Stage {
    /// A run that fails before its swap leaves no staging directory.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
