//! `nninit train` and `nninit experiment` through the real binary, and the
//! report as a person sees it: rendered by headless Chromium.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn nninit() -> Command {
    Command::cargo_bin("nninit").unwrap()
}

#[test]
fn train_json_contract() {
    let a = nninit()
        .args([
            "train",
            "--data",
            "digits",
            "--layers",
            "64,32x2,10",
            "--activation",
            "relu",
            "--epochs",
            "3",
            "--json",
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert!(v["test_accuracy"].as_f64().unwrap() > 0.5);
    assert_eq!(v["diverged"], false);
    assert!(v["diverged_at"].is_null());
    let epochs = v["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 3);
    for k in ["train_loss", "test_accuracy", "grad_norms"] {
        assert!(epochs[0].get(k).is_some(), "{k}");
    }
    assert_eq!(epochs[0]["grad_norms"].as_array().unwrap().len(), 3);
}

#[test]
fn train_divergence_exits_0_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let a = nninit()
        .args([
            "train",
            "--layers",
            "64,64x6,10",
            "--init",
            "normal(std=1)",
            "--lr",
            "0.1",
            "--epochs",
            "3",
            "--json",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["diverged"], true);
    assert!(v["diverged_at"]["epoch"].as_u64().unwrap() >= 1);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("history.json")).unwrap()).unwrap();
    assert_eq!(saved["diverged"], true);
    // trained weights carry the names and shapes `init --naming seed` gives
    let bytes = std::fs::read(dir.path().join("model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("w1").unwrap().shape(), &[64, 64]);
    assert_eq!(st.tensor("b1").unwrap().shape(), &[64, 1]);
    assert_eq!(st.tensor("b7").unwrap().shape(), &[10, 1]);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn train_bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let ragged = write(dir.path(), "ragged.csv", "1,2,0\n3,4,1\n5,1\n");
    let text = write(dir.path(), "text.csv", "1,2,0\n3,x,1\n");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--data".into(), "mnist".into()], "unknown dataset"),
        (
            vec![
                "--data".into(),
                dir.path().join("missing.csv").display().to_string(),
            ],
            "cannot read",
        ),
        (
            vec![
                "--data".into(),
                ragged.display().to_string(),
                "--layers".into(),
                "2,4,2".into(),
            ],
            "line 3",
        ),
        (
            vec![
                "--data".into(),
                text.display().to_string(),
                "--layers".into(),
                "2,4,2".into(),
            ],
            "line 2",
        ),
        (vec!["--epochs".into(), "0".into()], "epochs"),
        (vec!["--lr".into(), "-1".into()], "lr"),
        (vec!["--lr".into(), "0".into()], "lr"),
        (vec!["--optimizer".into(), "rmsprop".into()], "optimizer"),
        (vec!["--layers".into(), "64,32,5".into()], "classes"),
    ];
    for (args, needle) in cases {
        let a = nninit().arg("train").args(&args).assert();
        let out = a.get_output();
        let err = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        // a missing file is an I/O failure (1); everything else is bad input (2)
        let expect = if needle == "cannot read" {
            Some(1)
        } else {
            Some(2)
        };
        assert_eq!(code, expect, "{args:?}: {err}");
        assert!(
            err.contains(needle) && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

fn chromium() -> Option<PathBuf> {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(c);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

#[test]
fn experiment_quick_writes_a_report_that_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let a = nninit()
        .args(["experiment", "--quick", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(
        stdout.contains("zeros") && stdout.contains("kaiming"),
        "{stdout}"
    );
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    let cells = results["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 4 * 8 + 4);
    let verdict = |label: &str, act: &str| {
        cells
            .iter()
            .find(|c| c["init_label"] == label && c["activation"] == act && c["optimizer"] == "sgd")
            .map(|c| c["at_init"]["verdict"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(verdict("zeros", "tanh"), "symmetric");
    assert_eq!(verdict("normal(0.01)", "sigmoid"), "vanishing");
    assert_eq!(verdict("kaiming", "relu"), "healthy");

    // the HTML's structure: self-contained, the grid, 8 charts, the explanations
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no network resources"
    );
    assert!(html.contains("<table class=\"grid\" id=\"grid\">"));
    assert_eq!(
        html.matches("<tr><th>").count(),
        1 + 8 + 1 + 2,
        "grid header + 8 initializer rows, comparison header + 2 rows"
    );
    assert_eq!(
        html.matches("<svg").count(),
        8,
        "4 loss charts + 4 gradient charts"
    );
    for word in [
        "Symmetry",
        "Vanishing gradients",
        "Exploding gradients",
        "Why the fixes work",
        "Adam",
    ] {
        assert!(html.contains(word), "explanation `{word}`");
    }

    // rendered as a person sees it
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var("NNINIT_REQUIRE_CHROMIUM").is_err(),
            "NNINIT_REQUIRE_CHROMIUM is set but no chromium is on PATH (.ci/run installs Debian's chromium)"
        );
        eprintln!(
            "SKIPPED the screenshot check: no chromium on PATH (install Debian's `chromium`)"
        );
        return;
    };
    let png = dir.path().join("shot.png");
    let profile = dir.path().join("profile");
    let status = std::process::Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2400")
        .arg(format!("file://{}", out.join("index.html").display()))
        .output()
        .expect("run chromium");
    assert!(
        png.exists(),
        "chromium wrote no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1280, 2400), "expected size");
    let ch = info.color_type.samples();
    let px = |x: u32, y: u32| {
        let i = ((y * info.width + x) as usize) * ch;
        (buf[i], buf[i + 1], buf[i + 2])
    };
    // not blank: the grid's coloured cells and the charts' coloured lines are drawn
    let mut non_white = 0usize;
    let mut green_cells = 0usize;
    let mut chart_blue = 0usize;
    for y in (0..info.height).step_by(2) {
        for x in (0..info.width).step_by(2) {
            let (r, g, b) = px(x, y);
            if (r, g, b) != (255, 255, 255) {
                non_white += 1;
            }
            if g > 200 && r < 120 && b < 150 {
                green_cells += 1; // a healthy run's cell
            }
            if (r, g, b) == (31, 119, 180) || (r, g, b) == (255, 127, 14) {
                chart_blue += 1; // the first two palette colours: chart lines and legends
            }
        }
    }
    let total = (info.width as usize / 2) * (info.height as usize / 2);
    assert!(
        non_white > total / 10,
        "page looks blank: {non_white} of {total} sampled pixels drawn"
    );
    assert!(
        green_cells > 1000,
        "the grid's healthy cells are not drawn ({green_cells})"
    );
    assert!(
        chart_blue > 50,
        "the charts' lines are not drawn ({chart_blue})"
    );
}

#[test]
fn experiment_unwritable_out_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "file", "x");
    let a = nninit()
        .args(["experiment", "--quick", "--out"])
        .arg(file.join("sub"))
        .assert()
        .code(1);
    assert!(
        String::from_utf8_lossy(&a.get_output().stderr).contains("cannot create output directory")
    );
    nninit()
        .args(["experiment", "--quick", "--epochs", "0", "--out"])
        .arg(dir.path().join("r"))
        .assert()
        .code(2);
    assert!(
        !dir.path().join("r").exists(),
        "nothing written on bad input"
    );
}

#[test]
fn fashion_mnist_when_installed() {
    let dir = std::env::var("NNINIT_FASHION_MNIST")
        .unwrap_or_else(|_| "/usr/share/datasets/fashion-mnist".into());
    let cmd = || {
        let mut c = nninit();
        c.args([
            "probe",
            "--data",
            "fashion-mnist",
            "--layers",
            "784,64x4,10",
            "--batch",
            "64",
            "--json",
        ]);
        c
    };
    if !Path::new(&dir).join("train-images-idx3-ubyte.gz").exists() {
        // absent: a clear message and exit 2
        let a = cmd().assert().code(2);
        assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("dataset-fashion-mnist"));
        eprintln!("Fashion-MNIST not installed: checked the message only");
        return;
    }
    let a = cmd().assert().success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["layers"][0]["fan_in"], 784);
    assert_eq!(v["verdict"], "healthy");
}

#[test]
fn the_report_describes_its_own_run() {
    // --quick is 6 layers: the text must say so, and quote the verdicts it found
    let dir = tempfile::tempdir().unwrap();
    nninit()
        .args(["experiment", "--quick", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(
        !html.contains("ten layers"),
        "the report still says ten layers"
    );
    assert!(html.contains("after 6 layers") && html.contains("so 6 layers grow it"));
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("results.json")).unwrap()).unwrap();
    let cell = results["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["init_label"] == "normal(1)" && c["activation"] == "tanh")
        .unwrap();
    let verdicts: Vec<&str> = cell["at_init"]["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        html.contains(&format!("tanh <em>{}</em>", verdicts.join(", "))),
        "{verdicts:?}"
    );
}
