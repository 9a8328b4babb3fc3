//! Interrupted runs leave nothing behind: real child processes stopped with
//! SIGINT or SIGTERM mid-run, for every writing command. Exit 130 / 143, one
//! line saying so, no `.nninit-*.tmp` left, an earlier file under the final
//! name untouched.
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temporaries(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in walk(dir) {
        let name = e.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with(".nninit-") && name.ends_with(".tmp") {
            out.push(e.display().to_string());
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                v.extend(walk(&p));
            }
            v.push(p);
        }
    }
    v
}

/// Start `args` in `dir`, wait until `ready` (or at most `wait`), send `sig`,
/// and return (exit code, stderr).
fn interrupt(
    dir: &Path,
    args: &[&str],
    sig: i32,
    ready: impl Fn() -> bool,
    wait: Duration,
) -> (i32, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_nninit"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !ready() && start.elapsed() < wait {
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: sending a signal to our own child process, which exists until waited on
    unsafe {
        libc::kill(child.id() as i32, sig);
    }
    let out = child.wait_with_output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out.stderr).to_string())
}

#[test]
fn sample_and_init_mid_write() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    for f in ["x.npy", "m.npz"] {
        std::fs::write(d.join(f), b"earlier").unwrap();
    }
    for (args, sig, code) in [
        (
            vec!["sample", "normal", "--shape=20000,20000", "--out", "x.npy"],
            libc::SIGINT,
            130,
        ),
        (
            vec!["init", "--layers", "8192,8192,8192,8192", "--out", "m.npz"],
            libc::SIGTERM,
            143,
        ),
        (
            vec![
                "init",
                "--layers",
                "8192,8192,8192,8192",
                "--out",
                "k.safetensors",
            ],
            libc::SIGINT,
            130,
        ),
    ] {
        let (got, err) = interrupt(
            &d,
            &args,
            sig,
            || !temporaries(&d).is_empty(),
            Duration::from_secs(20),
        );
        assert_eq!(got, code, "{args:?}: {err}");
        assert!(err.contains("interrupted"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(temporaries(&d).is_empty(), "{:?}", temporaries(&d));
        for f in ["x.npy", "m.npz"] {
            assert_eq!(std::fs::read(d.join(f)).unwrap(), b"earlier", "{f}");
        }
        assert!(!d.join("k.safetensors").exists());
    }
}

#[test]
fn train_and_experiment_mid_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    for (args, sig, code) in [
        (
            vec!["train", "--epochs", "200", "--out", "run"],
            libc::SIGINT,
            130,
        ),
        (vec!["experiment", "--out", "report"], libc::SIGTERM, 143),
    ] {
        let (got, err) = interrupt(&d, &args, sig, || false, Duration::from_millis(400));
        assert_eq!(got, code, "{args:?}: {err}");
        assert!(err.contains("interrupted"), "{err}");
        assert!(temporaries(&d).is_empty(), "{:?}", temporaries(&d));
        for f in [
            "run/model.safetensors",
            "run/history.json",
            "report/results.json",
            "report/index.html",
        ] {
            assert!(!d.join(f).exists(), "{f} written by an interrupted run");
        }
    }
}

/// Every file of `dir` (not recursive) with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Rewriting a sharded checkpoint is all or nothing: interrupted after some
/// of the new shards are complete (in the staging directory), the directory
/// still holds exactly the previous run's files, byte for byte, and no
/// staging directory is left beside it.
#[test]
fn checkpoint_rewrite_interrupted_keeps_the_previous_run_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let cfg = d.join("config.json");
    // ~1.1 GB of f32 in 100 MB shards: several shards complete before the signal
    std::fs::write(&cfg, r#"{"model_type": "llama", "vocab_size": 32000, "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 4, "num_attention_heads": 32, "num_key_value_heads": 4}"#).unwrap();
    let init = |seed: &str, shard: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_nninit"))
            .args(["init", "--hf-config", "config.json", "--seed", seed])
            .args(["--max-shard-size", shard, "--out", "ckpt"])
            .current_dir(&d)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    init("1", "100MB");
    let before = snapshot(&d.join("ckpt"));
    assert!(before.len() > 4, "{} files", before.len());
    let staged_shards = || {
        std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmpdir"))
            .map(|e| {
                std::fs::read_dir(e.path())
                    .map(|r| {
                        r.flatten()
                            .filter(|f| f.file_name().to_string_lossy().ends_with(".safetensors"))
                            .count()
                    })
                    .unwrap_or(0)
            })
            .sum::<usize>()
    };
    let (code, err) = interrupt(
        &d,
        &[
            "init",
            "--hf-config",
            "config.json",
            "--seed",
            "2",
            "--max-shard-size",
            "100MB",
            "--out",
            "ckpt",
        ],
        libc::SIGINT,
        || staged_shards() >= 2,
        Duration::from_secs(60),
    );
    assert_eq!(code, 130, "{err}");
    assert!(
        snapshot(&d.join("ckpt")) == before,
        "the previous checkpoint changed"
    );
    let left: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".nninit-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // and run to the end, the new run replaces the old one whole
    init("2", "300MB");
    let after = snapshot(&d.join("ckpt"));
    let names: Vec<&str> = after.iter().map(|(n, _)| n.as_str()).collect();
    let shards: Vec<&&str> = names
        .iter()
        .filter(|n| n.ends_with(".safetensors"))
        .collect();
    let of = format!("-of-{:05}.safetensors", shards.len());
    assert!(
        shards.iter().all(|n| n.ends_with(&of)),
        "a stale shard: {names:?}"
    );
    assert!(
        before.len() != after.len(),
        "the test needs a different shard count"
    );
    assert_eq!(names.len(), shards.len() + 3, "{names:?}");
}

/// On tmpfs the checkpoint is written from every core through memory
/// windows of the file (userfaultfd): an interrupt there leaves nothing
/// either.
#[test]
fn init_on_tmpfs_mid_write() {
    let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("note: no /dev/shm here");
        return;
    };
    let d = dir.path().to_path_buf();
    std::fs::write(d.join("k.safetensors"), b"earlier").unwrap();
    let args = [
        "init",
        "--layers",
        "8192,8192,8192,8192,8192",
        "--out",
        "k.safetensors",
    ];
    // stopped once the file is sized (the parallel writer's first step)
    // and its pages are being filled
    let sized = || {
        temporaries(&d)
            .iter()
            .any(|f| std::fs::metadata(f).is_ok_and(|m| m.len() > 0))
    };
    let (got, err) = interrupt(&d, &args, libc::SIGINT, sized, Duration::from_secs(20));
    assert_eq!(got, 130, "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(temporaries(&d).is_empty(), "{:?}", temporaries(&d));
    assert_eq!(std::fs::read(d.join("k.safetensors")).unwrap(), b"earlier");
}
