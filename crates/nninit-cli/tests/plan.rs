//! `nninit plan`: the plan `nninit init` carries out, shown without writing;
//! `--rules` over an MLP, a spec or a Hugging Face config.

use assert_cmd::Command;

fn nninit() -> Command {
    Command::cargo_bin("nninit").unwrap()
}

#[test]
fn plan_shows_what_init_writes_and_rules_override_it() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("r.toml"),
        "[[rules]]\nmatch = \"b*\"\ninit = \"normal(std=0.1)\"\n",
    )
    .unwrap();
    let a = nninit()
        .current_dir(d.path())
        .args(["plan", "--layers", "4,3,2", "--rules", "r.toml", "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let e = v["entries"].as_array().unwrap();
    assert_eq!(e.len(), 4);
    assert_eq!(e[0]["name"], "w1");
    assert_eq!(
        e[0]["init"],
        "kaiming_normal(a=0, mode=fan_in, nonlinearity=relu)"
    );
    assert_eq!(e[0]["source"]["by"], "model");
    assert_eq!(e[1]["init"], "normal(mean=0, std=0.1)");
    assert_eq!(e[1]["source"]["glob"], "b*");
    assert!(
        std::fs::read_dir(d.path()).unwrap().count() == 1,
        "plan writes nothing"
    );
    // init with the same rules writes those initializers (recorded in the file)
    nninit()
        .current_dir(d.path())
        .args([
            "init",
            "--layers",
            "4,3,2",
            "--rules",
            "r.toml",
            "--out",
            "m.safetensors",
        ])
        .assert()
        .success();
    let a = nninit()
        .current_dir(d.path())
        .args(["inspect", "m.safetensors", "--json"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(text.contains("normal(mean=0, std=0.1)"), "{text}");
    // the table
    let a = nninit()
        .current_dir(d.path())
        .args(["plan", "--layers", "4,3,2"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    let head: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(head, ["name", "shape", "dtype", "init", "why"]);
    assert_eq!(out.lines().count(), 5);
}

#[test]
fn rules_combine_with_hf_config_and_a_rule_matching_nothing_is_refused() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("config.json"),
        r#"{"model_type":"gpt2","vocab_size":10,"n_positions":4,"n_embd":4,"n_layer":1,"n_head":1}"#,
    )
    .unwrap();
    std::fs::write(
        d.path().join("h.toml"),
        "[[rules]]\nmatch = \"*.ln_*.weight\"\ninit = \"constant(val=0.5)\"\n",
    )
    .unwrap();
    nninit()
        .current_dir(d.path())
        .args([
            "init",
            "--hf-config",
            "config.json",
            "--rules",
            "h.toml",
            "--out",
            "ck",
        ])
        .assert()
        .success();
    let bytes = std::fs::read(d.path().join("ck/model.safetensors")).unwrap();
    let (n, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let t = meta.info("transformer.h.0.ln_1.weight").unwrap();
    let (lo, hi) = t.data_offsets;
    let data = &bytes[8 + n + lo..8 + n + hi];
    let vals: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(vals, vec![0.5; 4]);
    // a typo in a glob: an error naming the rule, nothing written
    std::fs::write(
        d.path().join("bad.toml"),
        "[[rules]]\nmatch = \"*.ln_*.wieght\"\ninit = \"ones\"\n",
    )
    .unwrap();
    for args in [
        vec![
            "init",
            "--hf-config",
            "config.json",
            "--rules",
            "bad.toml",
            "--out",
            "ck2",
        ],
        vec![
            "init", "--layers", "4,3", "--rules", "bad.toml", "--out", "m.npz",
        ],
        vec!["plan", "--hf-config", "config.json", "--rules", "bad.toml"],
    ] {
        let a = nninit().current_dir(d.path()).args(&args).assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            err.contains("rule 0 (`*.ln_*.wieght`)") && err.contains("matches no"),
            "{err}"
        );
    }
    assert!(!d.path().join("ck2").exists() && !d.path().join("m.npz").exists());
}
