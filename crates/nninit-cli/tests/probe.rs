//! `nninit probe` through the real binary: the JSON contract, the plot, and bad input.

use assert_cmd::Command;

fn nninit() -> Command {
    Command::cargo_bin("nninit").unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    let a = nninit().args(args).arg("--json").assert().success();
    serde_json::from_slice(&a.get_output().stdout).unwrap()
}

#[test]
fn json_has_the_contract_fields() {
    let v = json(&[
        "probe",
        "--layers",
        "64,128x6,10",
        "--activation",
        "tanh",
        "--init",
        "normal(std=0.01)",
    ]);
    assert_eq!(v["verdict"], "vanishing");
    assert!(v["verdicts"]
        .as_array()
        .unwrap()
        .contains(&"vanishing".into()));
    assert!(v["recommendation"].as_str().unwrap().contains("xavier"));
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 7);
    for key in [
        "index",
        "fan_in",
        "fan_out",
        "act_mean",
        "act_std",
        "dead_frac",
        "saturated_frac",
        "backward_norm",
        "grad_norm",
        "grad_rel",
        "grad_ratio",
        "symmetry",
    ] {
        assert!(layers[0].get(key).is_some(), "missing {key}");
    }
    assert_eq!(layers[0]["fan_in"], 64);
    assert_eq!(v["theory"].as_array().unwrap().len(), 7);
}

#[test]
fn default_init_follows_the_activation_and_digits_work() {
    let v = json(&[
        "probe",
        "--layers",
        "64,128x4,10",
        "--activation",
        "relu",
        "--data",
        "digits",
        "--batch",
        "64",
    ]);
    assert_eq!(v["verdict"], "healthy");
    assert!(v["init"].as_str().unwrap().starts_with("kaiming_normal"));
    let v = json(&[
        "probe",
        "--layers",
        "64,128x4,10",
        "--activation",
        "tanh",
        "--init",
        "lsuv",
    ]);
    assert_eq!(v["lsuv"].as_array().unwrap().len(), 5);
}

#[test]
fn zeros_are_symmetric_and_overflow_is_reported() {
    assert_eq!(
        json(&["probe", "--layers", "16,32x3,4", "--init", "zeros"])["verdict"],
        "symmetric"
    );
    let v = json(&[
        "probe",
        "--layers",
        "64,256x30,10",
        "--init",
        "normal(std=3)",
        "--batch",
        "16",
    ]);
    assert_eq!(v["verdict"], "exploding");
    assert!(v["overflow_layer"].as_u64().is_some());
}

#[test]
fn plot_theory_and_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("p.svg");
    nninit()
        .args(["probe", "--layers", "64,64x5,10", "--plot"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg") && text.contains("<polyline"),
        "an SVG with lines"
    );
    let t = json(&[
        "probe",
        "--layers",
        "64,4096x1000,10",
        "--theory-only",
        "--activation",
        "tanh",
        "--init",
        "xavier_normal",
    ]);
    assert_eq!(t["theory"].as_array().unwrap().len(), 1001);
    let s = json(&[
        "probe",
        "--layers",
        "64,64,10",
        "--sweep-depth",
        "1..6",
        "--activation",
        "sigmoid",
        "--init",
        "normal(std=0.01)",
    ]);
    let pts = s["sweep"].as_array().unwrap();
    assert_eq!(pts.len(), 6);
    // the first layer's gradient dies with depth for small sigmoid weights
    assert!(
        pts[5]["first_grad_norm"].as_f64().unwrap()
            < 1e-3 * pts[0]["first_grad_norm"].as_f64().unwrap()
    );
}

#[test]
fn bad_input_exits_2() {
    for args in [
        vec!["probe", "--layers", "64,64,10", "--activation", "rleu"],
        vec!["probe", "--layers", "5"],
        vec!["probe", "--layers", "64,0,10"],
        vec!["probe", "--layers", "64,64,10", "--batch", "0"],
        vec!["probe", "--layers", "64,64,10", "--init", "dirac"],
        vec!["probe", "--layers", "32,64,10", "--data", "digits"],
        vec!["probe", "--layers", "64,64,10", "--data", "mnist"],
        vec!["probe", "--layers", "64,64,10", "--sweep-depth", "5..2"],
        vec!["probe", "--layers", "64,1000000x100,10"],
    ] {
        let a = nninit().args(&args).assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            err.starts_with("error:") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

/// A network that cannot fit is refused before anything of it is made: with
/// the address space limited to 1 GiB, `--layers 16777216,16777216` (2^48
/// weights) exits 2 naming its size, instead of drawing an 8 GB input batch
/// first (which under this limit aborts the process).
#[cfg(unix)]
#[test]
fn a_network_too_large_is_refused_before_its_batch_is_drawn() {
    let bin = assert_cmd::cargo::cargo_bin("nninit");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 1048576; exec '{}' probe --layers 16777216,16777216",
            bin.display()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("281474976710656 parameters") && err.contains("PB"),
        "{err}"
    );
}
