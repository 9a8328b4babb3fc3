//! `--scheme` (an LLM stack's scheme, by parameter role) and `--role` on
//! `nninit plan` and `nninit init --hf-config`: the plan's rows carry
//! `name`, `role`, `layer` and `init`; bad schemes, roles and per-module
//! schemes are refused with the bad value named and nothing written.

use assert_cmd::Command;

fn nninit() -> Command {
    Command::cargo_bin("nninit").unwrap()
}

const LLAMA: &str = r#"{"model_type": "llama", "vocab_size": 1000, "hidden_size": 128, "intermediate_size": 256,
 "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": false,
 "torch_dtype": "float32"}"#;

fn plan_json(dir: &std::path::Path, scheme: &str) -> serde_json::Value {
    let a = nninit()
        .current_dir(dir)
        .args([
            "plan",
            "--hf-config",
            "c.json",
            "--scheme",
            scheme,
            "--json",
        ])
        .assert()
        .success();
    serde_json::from_slice(&a.get_output().stdout).unwrap()
}

#[test]
fn plan_rows_carry_role_layer_and_the_schemes_init() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("c.json"), LLAMA).unwrap();
    let v = plan_json(d.path(), "torchtitan");
    assert_eq!(v["scheme"], "torchtitan");
    let rows = v["entries"].as_array().unwrap();
    let row = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap().clone();
    let o = row("model.layers.3.self_attn.o_proj.weight");
    assert_eq!(
        (o["role"].as_str(), o["layer"].as_u64()),
        (Some("attn_out"), Some(3))
    );
    // 0.02 / sqrt(2 (3 + 1))
    assert_eq!(
        o["init"],
        format!(
            "trunc_normal(mean=0, std={:?}, a=-2, b=2)",
            0.02 / 8f64.sqrt()
        )
    );
    let head = row("lm_head.weight");
    assert_eq!(head["role"], "lm_head");
    assert!(head["layer"].is_null());
    let s = 128f64.powf(-0.5);
    assert_eq!(
        head["init"],
        format!(
            "trunc_normal(mean=0, std={s:?}, a={:?}, b={:?})",
            -3.0 * s,
            3.0 * s
        )
    );
    assert_eq!(row("model.norm.weight")["init"], "ones");
    // megatron: attention out and MLP down sigma / sqrt(2L), L = 4
    let v = plan_json(d.path(), "megatron(sigma=0.01)");
    let rows = v["entries"].as_array().unwrap();
    let down = rows
        .iter()
        .find(|r| r["name"] == "model.layers.0.mlp.down_proj.weight")
        .unwrap();
    assert_eq!(
        down["init"],
        format!("normal(mean=0, std={:?})", 0.01 / 8f64.sqrt())
    );
}

#[test]
fn init_writes_the_schemes_values() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("c.json"), LLAMA).unwrap();
    nninit()
        .current_dir(d.path())
        .args([
            "init",
            "--hf-config",
            "c.json",
            "--scheme",
            "nanogpt",
            "--seed",
            "3",
            "--out",
            "ck",
        ])
        .assert()
        .success();
    // the q_proj tensor equals `nninit sample` of the scheme's expression and name
    nninit()
        .current_dir(d.path())
        .args([
            "sample",
            "normal(std=0.02)",
            "--shape",
            "128,128",
            "--seed",
            "3",
            "--name",
            "model.layers.1.self_attn.q_proj.weight",
            "--out",
            "q.npy",
        ])
        .assert()
        .success();
    let a = nninit()
        .current_dir(d.path())
        .args(["inspect", "ck/model.safetensors", "--json"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    // nanoGPT's c_proj rule on the attention output: 0.02 / sqrt(2 L), L = 4
    assert!(
        text.contains(&format!(
            "\"init.model.layers.2.self_attn.o_proj.weight\":\"normal(mean=0, std={:?})\"",
            0.02 / 8f64.sqrt()
        )),
        "{text}"
    );
    let st = std::fs::read(d.path().join("ck/model.safetensors")).unwrap();
    let npy = std::fs::read(d.path().join("q.npy")).unwrap();
    let q = &npy[npy.len() - 128 * 128 * 4..];
    assert!(
        st.windows(q.len()).any(|w| w == q),
        "the checkpoint's q_proj is not the sampled tensor"
    );
}

#[test]
fn bad_schemes_and_roles_are_named() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("c.json"), LLAMA).unwrap();
    for (args, says) in [
        (vec!["--scheme", "megatrom"], "megatron"),
        (vec!["--scheme", "olmo(method=mitchell)"], "llama_depth"),
        (vec!["--scheme", "torch"], "module class"),
        (vec!["--scheme", "megatron", "--role", "x"], "GLOB=ROLE"),
        (
            vec!["--scheme", "megatron", "--role", "*.q_proj.*=query"],
            "query",
        ),
        (
            vec!["--scheme", "megatron", "--role", "nothing.*=q"],
            "matches no parameter",
        ),
    ] {
        let mut cmd = nninit();
        cmd.current_dir(d.path())
            .args(["init", "--hf-config", "c.json", "--out", "ck"])
            .args(&args);
        let a = cmd.assert().failure();
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!d.path().join("ck").exists(), "{args:?} wrote output");
    }
}

#[test]
fn a_spec_file_under_a_scheme() {
    let d = tempfile::tempdir().unwrap();
    let mut spec = String::from("seed = 1\n");
    for (name, shape) in [
        ("tok_embeddings.weight", "[100, 16]"),
        ("layers.0.attention.wq.weight", "[16, 16]"),
        ("layers.1.attention.wo.weight", "[16, 16]"),
        ("output.weight", "[100, 16]"),
    ] {
        spec += &format!("[[tensors]]\nname = \"{name}\"\nshape = {shape}\ninit = \"zeros\"\n");
    }
    std::fs::write(d.path().join("s.toml"), spec).unwrap();
    let a = nninit()
        .current_dir(d.path())
        .args([
            "plan",
            "--spec",
            "s.toml",
            "--scheme",
            "torchtitan",
            "--json",
        ])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let rows = v["entries"].as_array().unwrap();
    let roles: Vec<&str> = rows.iter().map(|r| r["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["embedding", "q", "attn_out", "lm_head"]);
    // block 1: 0.02 / sqrt(2 * 2)
    assert_eq!(rows[2]["init"], "trunc_normal(mean=0, std=0.01, a=-2, b=2)");
    assert_eq!(rows[2]["layer"], 1);
    // the scheme needs the whole model: --layers has no roles
    nninit()
        .args(["plan", "--layers", "4,3", "--scheme", "megatron"])
        .assert()
        .failure();
}
