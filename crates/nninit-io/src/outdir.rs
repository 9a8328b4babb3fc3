//! Directory outputs (an HF checkpoint, one `.npy` per tensor) end up
//! holding exactly one run's files. A run claims the directory: it refuses a
//! non-empty directory that nninit did not write (no manifest) unless forced,
//! and holds an exclusive lock so that two runs into one directory take
//! turns instead of mixing their files. When the run is done it removes the
//! files of the previous run that it did not rewrite (only those: the
//! previous manifest lists them) and records its own in
//! `.nninit-manifest.json`.

use nninit::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The manifest of the files the last run wrote.
pub const MANIFEST: &str = ".nninit-manifest.json";

/// A directory claimed for one run.
#[derive(Debug)]
pub struct Claim {
    dir: PathBuf,
    old: Vec<String>,
    _lock: Option<std::fs::File>,
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

/// Claim `dir` (created if missing). `force` allows a non-empty directory
/// nninit did not write (its files are left alone). `shared`: the parts of
/// one run (`--part I/N`) write concurrently, so no lock is taken.
pub fn claim(dir: &Path, force: bool, shared: bool) -> Result<Claim> {
    std::fs::create_dir_all(dir).map_err(io("cannot create directory", dir))?;
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
    let old = match std::fs::read(&manifest) {
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
            let foreign: Vec<String> = std::fs::read_dir(dir)
                .map_err(io("cannot read", dir))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| !n.starts_with(".nninit-"))
                .collect();
            if !foreign.is_empty() && !force {
                return Err(Error::Io {
                    action: "will not write into",
                    path: dir.display().to_string(),
                    reason: std::io::Error::other(format!(
                        "it holds {} file(s) nninit did not write (e.g. `{}`; there is no {MANIFEST}): use an empty or new directory, or --force to write beside them",
                        foreign.len(),
                        foreign[0]
                    )),
                });
            }
            Vec::new()
        }
    };
    Ok(Claim {
        dir: dir.to_path_buf(),
        old,
        _lock: lock,
    })
}

impl Claim {
    /// The run wrote `files` (names inside the directory): remove the previous
    /// run's files it did not rewrite, and record `files` as the manifest.
    pub fn finish(self, files: &[String]) -> Result<()> {
        for f in &self.old {
            if !files.contains(f) {
                let p = self.dir.join(f);
                match std::fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io("cannot remove the stale", &p)(e)),
                }
            }
        }
        let text = serde_json::json!({ "files": files }).to_string();
        crate::write_atomic(&self.dir.join(MANIFEST), text.as_bytes())
    }
}
