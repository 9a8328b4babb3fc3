//! `nninit init` and `nninit inspect` through the real binary.

use assert_cmd::Command;
use std::path::Path;

fn nninit() -> Command {
    Command::cargo_bin("nninit").unwrap()
}

fn load(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

fn tensor(bytes: &[u8], name: &str) -> Vec<u8> {
    let st = safetensors::SafeTensors::deserialize(bytes).unwrap();
    st.tensor(name).unwrap().data().to_vec()
}

#[test]
fn layers_seed_naming_provenance_and_stability() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.safetensors");
    let out = nninit()
        .args([
            "init",
            "--layers",
            "784,256,256,10",
            "--activation",
            "tanh",
            "--seed",
            "5",
            "--out",
        ])
        .arg(&a)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        stdout.contains("xavier_normal") && stdout.contains("tanh"),
        "says which init and why: {stdout}"
    );
    let bytes = load(&a);
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("w1").unwrap().shape(), &[256, 784]);
    assert_eq!(st.tensor("b1").unwrap().shape(), &[256, 1]);
    assert_eq!(st.tensor("w3").unwrap().shape(), &[10, 256]);
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = meta.metadata().clone().unwrap();
    assert_eq!(meta["seed"], "5");
    assert!(meta["init.w1"].starts_with("xavier_normal"));
    assert!(meta["init_reason"].contains("tanh"));
    // same seed, same bytes; one more layer leaves w1 unchanged; the thread
    // count never changes a byte
    let run = |layers: &str, file: &str, threads: Option<&str>| {
        let out = dir.path().join(file);
        let mut cmd = nninit();
        if let Some(t) = threads {
            cmd.env("RAYON_NUM_THREADS", t);
        }
        cmd.args([
            "init",
            "--layers",
            layers,
            "--activation",
            "tanh",
            "--seed",
            "5",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
        load(&out)
    };
    assert_eq!(bytes, run("784,256,256,10", "b.safetensors", None));
    assert_eq!(
        tensor(&bytes, "w1"),
        tensor(&run("784,256,256,10,10", "c.safetensors", None), "w1")
    );
    assert_eq!(bytes, run("784,256,256,10", "d.safetensors", Some("1")));
}

#[test]
fn torch_naming_npz_and_npy_dir() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("m.npz");
    nninit()
        .args(["init", "--layers", "8,4,2", "--naming", "torch", "--out"])
        .arg(&z)
        .assert()
        .success();
    let bytes = load(&z);
    assert_eq!(&bytes[..2], b"PK", "a zip archive");
    for name in [
        "layers.0.weight.npy",
        "layers.0.bias.npy",
        "layers.1.weight.npy",
        "layers.1.bias.npy",
    ] {
        assert!(
            bytes.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name}"
        );
    }
    let d = dir.path().join("npys");
    nninit()
        .args(["init", "--layers", "8,4,2", "--out"])
        .arg(&d)
        .assert()
        .success();
    let mut files: Vec<String> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    // the tensors, and the manifest of the files this run wrote
    assert_eq!(
        files,
        [
            ".nninit-manifest.json",
            "b1.npy",
            "b2.npy",
            "w1.npy",
            "w2.npy"
        ]
    );
}

#[test]
fn spec_files_toml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("m.toml");
    std::fs::write(
        &spec,
        "seed = 2\n[[tensors]]\nname = \"conv.weight\"\nshape = [16, 3, 3, 3]\ninit = \"kaiming_normal(mode=fan_out, nonlinearity=relu)\"\n[[tensors]]\nname = \"conv.bias\"\nshape = [16]\n[[rules]]\nmatch = \"*.bias\"\ninit = \"zeros\"\n",
    )
    .unwrap();
    let out = dir.path().join("m.safetensors");
    nninit()
        .args(["init", "--spec"])
        .arg(&spec)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let a = nninit()
        .args(["inspect", "--json"])
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["metadata"]["seed"], "2");
    let t = &v["tensors"];
    assert_eq!(t[0]["name"], "conv.bias");
    assert_eq!(t[0]["init"], "zeros");
    assert!((t[1]["std"].as_f64().unwrap() - (2.0f64 / 144.0).sqrt()).abs() < 0.02);
    // a bad init in the spec names the tensor and the line
    std::fs::write(
        &spec,
        "[[tensors]]\nname = \"w\"\nshape = [4, 4]\ninit = \"kaiming_normall\"\n",
    )
    .unwrap();
    let a = nninit()
        .args(["init", "--spec"])
        .arg(&spec)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("`w`") && err.contains("line 2") && err.contains("kaiming_normal"),
        "{err}"
    );
}

#[test]
fn hf_configs_write_the_expected_names_and_shards() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    std::fs::write(&cfg, r#"{"model_type": "gpt2", "vocab_size": 100, "n_positions": 16, "n_embd": 8, "n_layer": 2, "n_head": 2}"#).unwrap();
    let out = dir.path().join("gpt2");
    nninit()
        .args(["init", "--hf-config"])
        .arg(&cfg)
        .args(["--max-shard-size", "3000B", "--out"])
        .arg(&out)
        .assert()
        .success();
    let index: serde_json::Value =
        serde_json::from_slice(&load(&out.join("model.safetensors.index.json"))).unwrap();
    let map = index["weight_map"].as_object().unwrap();
    assert_eq!(map.len(), 2 + 12 * 2 + 2);
    assert!(
        map.contains_key("transformer.h.1.mlp.c_proj.weight")
            && !map.contains_key("lm_head.weight")
    );
    assert!(out.join("config.json").exists());
    let first = map["transformer.wte.weight"].as_str().unwrap();
    assert!(first.starts_with("model-00001-of-"), "{first}");
    // the residual projections are scaled by 1/sqrt(2 n_layer)
    let mut std = std::collections::HashMap::new();
    for f in std::fs::read_dir(&out).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "safetensors") {
            let a = nninit()
                .args(["inspect", "--json"])
                .arg(&p)
                .assert()
                .success();
            let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
            for t in v["tensors"].as_array().unwrap() {
                std.insert(
                    t["name"].as_str().unwrap().to_string(),
                    t["init"].as_str().unwrap().to_string(),
                );
            }
        }
    }
    assert_eq!(
        std["transformer.h.0.attn.c_proj.weight"],
        "normal(mean=0, std=0.01)"
    );
    assert_eq!(std["transformer.h.0.ln_1.weight"], "ones");
    // llama with a padding row
    std::fs::write(&cfg, r#"{"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "pad_token_id": 3}"#).unwrap();
    let out = dir.path().join("llama");
    nninit()
        .args(["init", "--hf-config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let bytes = load(&out.join("model.safetensors"));
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(
        st.tensor("model.layers.0.self_attn.k_proj.weight")
            .unwrap()
            .shape(),
        &[4, 8]
    );
    assert!(st.tensor("lm_head.weight").is_ok());
    let emb = st
        .tensor("model.embed_tokens.weight")
        .unwrap()
        .data()
        .to_vec();
    assert!(
        emb[3 * 8 * 4..4 * 8 * 4].iter().all(|&b| b == 0),
        "padding row zeroed"
    );
    assert!(emb[..8 * 4].iter().any(|&b| b != 0));
}

/// Shards are written side by side (one writer per core): every tensor's
/// bytes are those of the same checkpoint written as one file.
#[test]
fn sharded_checkpoints_hold_the_bytes_of_the_single_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    std::fs::write(&cfg, r#"{"model_type": "gpt2", "vocab_size": 300, "n_positions": 16, "n_embd": 16, "n_layer": 3, "n_head": 2}"#).unwrap();
    let write = |shard: &str, out: &str| {
        nninit()
            .args(["init", "--hf-config"])
            .arg(&cfg)
            .args(["--seed", "3", "--max-shard-size", shard, "--out"])
            .arg(dir.path().join(out))
            .assert()
            .success();
    };
    write("5GB", "one");
    write("4000B", "many");
    let one = load(&dir.path().join("one/model.safetensors"));
    let one = safetensors::SafeTensors::deserialize(&one).unwrap();
    let index: serde_json::Value =
        serde_json::from_slice(&load(&dir.path().join("many/model.safetensors.index.json")))
            .unwrap();
    let map = index["weight_map"].as_object().unwrap();
    let shards: std::collections::BTreeSet<&str> =
        map.values().map(|v| v.as_str().unwrap()).collect();
    assert!(shards.len() >= 4, "{} shards", shards.len());
    let mut seen = 0;
    for shard in shards {
        let bytes = load(&dir.path().join("many").join(shard));
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        for (name, view) in st.tensors() {
            assert_eq!(
                map[&name].as_str().unwrap(),
                shard,
                "{name} in the wrong shard"
            );
            assert_eq!(view.data(), one.tensor(&name).unwrap().data(), "{name}");
            seen += 1;
        }
    }
    assert_eq!(seen, one.len());
}

#[test]
fn inspect_warns_about_symmetry_and_rejects_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("z.safetensors");
    nninit()
        .args([
            "init",
            "--layers",
            "8,4,2",
            "--init",
            "constant(val=0.1)",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let a = nninit().arg("inspect").arg(&out).assert().success();
    let text = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(
        text.contains("warning: `w1`") && text.contains("symmetry"),
        "{text}"
    );
    assert!(
        !text.contains("warning: `b1`"),
        "a zero bias column is not a symmetry problem: {text}"
    );
    let bytes = load(&out);
    let cut = dir.path().join("cut.safetensors");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let a = nninit().arg("inspect").arg(&cut).assert().code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("truncated"));
}

#[test]
fn init_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.safetensors");
    let cfg = dir.path().join("c.json");
    std::fs::write(&cfg, r#"{"model_type": "bert"}"#).unwrap();
    let bad_json = dir.path().join("b.json");
    std::fs::write(&bad_json, "{\"model_type\": \"llama\",\n").unwrap();
    for (args, needle, code) in [
        (vec!["--layers", "5"], "at least two sizes", 2),
        (vec!["--layers", "5,0,3"], "between 1", 2),
        (vec!["--layers", "5,x,3"], "not a layer width", 2),
        (
            vec!["--layers", "16777216,16777216,16777216"],
            "elements",
            2,
        ),
        // a full disk is the environment's failure: exit 1, as I/O
        (vec!["--layers", "1000000,1000000"], "disk space", 1),
        (
            vec!["--layers", "5,3", "--init", "nope"],
            "unknown initializer",
            2,
        ),
        (vec!["--layers", "5,3", "--naming", "keras"], "naming", 2),
    ] {
        let a = nninit()
            .arg("init")
            .args(&args)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(code);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(
            err.contains(needle) && !err.contains("panicked"),
            "{args:?}: {err}"
        );
        assert!(!out.exists());
    }
    let a = nninit()
        .args(["init", "--hf-config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("llama, mistral, gpt2"));
    let a = nninit()
        .args(["init", "--hf-config"])
        .arg(&bad_json)
        .arg("--out")
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("invalid JSON"));
    // bf16 to .npz is refused (NumPy has no bf16)
    nninit()
        .args(["init", "--layers", "5,3", "--dtype", "bf16", "--out"])
        .arg(dir.path().join("m.npz"))
        .assert()
        .code(2);
    assert!(!dir.path().join("m.npz").exists());
    // an unwritable place
    nninit()
        .args(["init", "--layers", "5,3", "--out"])
        .arg(dir.path().join("no/such/dir/m.safetensors"))
        .assert()
        .code(1);
}

/// A safetensors file with the given header JSON and `data` bytes.
fn raw_safetensors(path: &Path, header: &str, data: usize) {
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.extend(std::iter::repeat_n(0u8, data));
    std::fs::write(path, b).unwrap();
}

#[test]
fn inspect_refuses_tensors_that_do_not_tile_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.safetensors");
    for (header, data, needle) in [
        (
            r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#,
            24,
            "tensor `b` (data bytes 8..24) overlaps",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}"#,
            20,
            "a gap of 4 bytes before tensor `b`",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
            12,
            "4 bytes after the last tensor",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[18446744073709551615,18446744073709551615]}}"#,
            8,
            "0 bytes for 2 elements",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}}"#,
            8,
            "truncated",
        ),
    ] {
        raw_safetensors(&p, header, data);
        let a = nninit().arg("inspect").arg(&p).assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(needle), "{header}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn inspect_reads_npy_headers_as_literals() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.npy");
    // Fortran order written without spaces must not be taken for C order
    let dict = "{'descr':'<f4','fortran_order':True,'shape':(2,2)}\n";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    b.extend_from_slice(dict.as_bytes());
    b.extend(std::iter::repeat_n(0u8, 16));
    std::fs::write(&p, b).unwrap();
    let a = nninit().arg("inspect").arg(&p).assert().code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("Fortran"), "{err}");
}

/// Every file of a directory, by name.
fn files_of(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                load(&p),
            )
        })
        .collect()
}

#[test]
fn parts_together_write_the_bytes_of_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.json");
    std::fs::write(&cfg, r#"{"model_type": "gpt2", "vocab_size": 100, "n_positions": 16, "n_embd": 8, "n_layer": 2, "n_head": 2}"#).unwrap();
    let run = |out: &Path, part: Option<&str>| {
        let mut c = nninit();
        c.args(["init", "--hf-config"])
            .arg(&cfg)
            .args(["--seed", "3", "--max-shard-size", "3000B", "--out"])
            .arg(out);
        if let Some(p) = part {
            c.args(["--part", p]);
        }
        c.assert().success();
    };
    let whole = dir.path().join("whole");
    run(&whole, None);
    let want = files_of(&whole);
    assert!(want.len() > 4, "several shards expected: {:?}", want.keys());
    for n in [1usize, 2, 3] {
        let out = dir.path().join(format!("parts{n}"));
        let mut owned = Vec::new();
        for i in 1..=n {
            run(&out, Some(&format!("{i}/{n}")));
            owned.push(files_of(&out).len());
        }
        assert_eq!(files_of(&out), want, "{n} parts");
        if n > 1 {
            assert!(
                owned[0] < want.len(),
                "part 1 of {n} wrote everything: {owned:?}"
            );
        }
    }
    for bad in ["0/2", "3/2", "1/0", "x", "1/2/3"] {
        let a = nninit()
            .args(["init", "--hf-config"])
            .arg(&cfg)
            .args(["--part", bad, "--out"])
            .arg(dir.path().join("bad"))
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(bad) && err.contains("I/N"), "{bad}: {err}");
    }
    let a = nninit()
        .args(["init", "--layers", "4,3", "--part", "1/2", "--out"])
        .arg(dir.path().join("x.safetensors"))
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("--hf-config"));
}

#[test]
fn inspect_reads_npz_and_checkpoint_directories() {
    let dir = tempfile::tempdir().unwrap();
    let npz = dir.path().join("m.npz");
    nninit()
        .args([
            "init",
            "--layers",
            "8,4,2",
            "--init",
            "constant(val=0.1)",
            "--out",
        ])
        .arg(&npz)
        .assert()
        .success();
    let a = nninit()
        .args(["inspect", "--json"])
        .arg(&npz)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let names: Vec<&str> = v["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b1", "b2", "w1", "w2"]);
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("`w1`")));
    // a sharded checkpoint: every tensor once, from the shard the index names
    let cfg = dir.path().join("config.json");
    std::fs::write(&cfg, r#"{"model_type": "gpt2", "vocab_size": 100, "n_positions": 16, "n_embd": 8, "n_layer": 2, "n_head": 2}"#).unwrap();
    let ck = dir.path().join("ck");
    nninit()
        .args(["init", "--hf-config"])
        .arg(&cfg)
        .args(["--max-shard-size", "3000B", "--out"])
        .arg(&ck)
        .assert()
        .success();
    let a = nninit()
        .args(["inspect", "--json"])
        .arg(&ck)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["format"], "safetensors-index");
    assert_eq!(v["tensors"].as_array().unwrap().len(), 2 + 12 * 2 + 2);
    // an index that names a tensor no shard holds is refused, naming it
    let idx = ck.join("model.safetensors.index.json");
    let mut index: serde_json::Value = serde_json::from_slice(&load(&idx)).unwrap();
    let shard = index["weight_map"]["transformer.wte.weight"].clone();
    index["weight_map"]["ghost.weight"] = shard;
    std::fs::write(&idx, serde_json::to_vec(&index).unwrap()).unwrap();
    let a = nninit().arg("inspect").arg(&ck).assert().code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("ghost.weight"));
}

#[cfg(unix)]
#[test]
fn outputs_and_sizes_are_checked_before_any_work() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // a FIFO, a symlink and a device are refused, not replaced
    assert!(std::process::Command::new("mkfifo")
        .arg(d.join("p.npy"))
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink("/etc/hostname", d.join("l.npy")).unwrap();
    for (out, what) in [
        (d.join("p.npy"), "a FIFO"),
        (d.join("l.npy"), "a symbolic link"),
        ("/dev/null".into(), "a device"),
    ] {
        let a = nninit()
            .args(["sample", "normal", "--shape=30000,30000", "--out"])
            .arg(&out)
            .timeout(std::time::Duration::from_secs(20))
            .assert()
            .code(1);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(what) && err.contains("regular files"), "{err}");
    }
    assert!(std::fs::symlink_metadata(d.join("l.npy"))
        .unwrap()
        .file_type()
        .is_symlink());
    // the umask is honoured (0644 under 022, 0600 under 077)
    let bin = assert_cmd::cargo::cargo_bin("nninit");
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 077 && exec '{}' sample normal --shape=4 --out '{}'",
            bin.display(),
            d.join("u.npy").display()
        ))
        .status()
        .unwrap();
    assert!(st.success());
    assert_eq!(
        std::fs::metadata(d.join("u.npy"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // --hf-config writes a directory: a file name is refused, nothing created
    let cfg = d.join("c.json");
    std::fs::write(&cfg, r#"{"model_type": "gpt2", "vocab_size": 10, "n_positions": 4, "n_embd": 4, "n_layer": 1, "n_head": 1}"#).unwrap();
    let a = nninit()
        .args(["init", "--hf-config"])
        .arg(&cfg)
        .arg("--out")
        .arg(d.join("m.safetensors"))
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("writes a directory"));
    assert!(!d.join("m.safetensors").exists());
    // sizes that overflow or cannot fit are errors, not panics or aborts
    let a = nninit()
        .args(["init", "--layers", "1,1x18446744073709551615", "--out"])
        .arg(d.join("x.npz"))
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("repeat count"));
    let a = nninit()
        .args(["probe", "--layers", "16777216,2", "--batch", "1048576"])
        .assert()
        .code(2);
    // refused by the whole job's estimate, before the batch is drawn
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("on a batch of 1048576"));
}

#[test]
fn hf_configs_that_cannot_be_written_are_refused_before_anything_exists() {
    let dir = tempfile::tempdir().unwrap();
    for (extra, needle) in [
        (r#", "initializer_range": 1e308"#, "std=1e308"),
        (r#", "torch_dtype": "int8""#, "torch_dtype"),
        (r#", "n_layer": 4294967295"#, "at most 10000 layers"),
    ] {
        let cfg = dir.path().join("c.json");
        std::fs::write(&cfg, format!(r#"{{"model_type": "gpt2", "vocab_size": 10, "n_positions": 4, "n_embd": 4, "n_head": 1{extra}}}"#)).unwrap();
        let out = dir.path().join("ck");
        let a = nninit()
            .args(["init", "--hf-config"])
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(needle), "{extra}: {err}");
        assert!(!out.exists(), "{extra}: the directory was created");
    }
}

#[test]
fn a_hundred_thousand_tensors_parse_write_and_inspect() {
    // linear in the number of tensors: the spec parser once scanned the
    // whole text per tensor, inspect cleared 4 MiB per tensor, the writer
    // started a thread per tensor (100k took minutes, 6 s, 5.7 s)
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("s.toml");
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!(
            "[[tensors]]\nname = \"t{i}\"\nshape = [2]\ninit = \"zeros\"\n"
        ));
    }
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("m.safetensors");
    nninit()
        .args(["init", "--spec"])
        .arg(&spec)
        .arg("--out")
        .arg(&out)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let a = nninit()
        .args(["inspect", "--json"])
        .arg(&out)
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["tensors"].as_array().unwrap().len(), 100_000);
}

#[test]
fn whole_job_checked_before_the_first_byte() {
    let dir = tempfile::tempdir().unwrap();
    // a 405B-parameter config: its disk space is checked for the whole checkpoint, not per shard
    let cfg = dir.path().join("c.json");
    std::fs::write(&cfg, r#"{"model_type": "llama", "vocab_size": 32000, "hidden_size": 16384, "intermediate_size": 53248, "num_hidden_layers": 126, "num_attention_heads": 128}"#).unwrap();
    let out = dir.path().join("ck");
    let a = nninit()
        .args(["init", "--hf-config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("disk space"));
    assert!(!out.exists());
    // a safetensors header no reader would accept (over 100 MB) is refused before writing
    let spec = dir.path().join("s.toml");
    std::fs::write(
        &spec,
        format!(
            "[[tensors]]\nname = \"{}\"\nshape = [1]\ninit = \"zeros\"\n",
            "x".repeat(60_000_000)
        ),
    )
    .unwrap();
    let st = dir.path().join("m.safetensors");
    let a = nninit()
        .args(["init", "--spec"])
        .arg(&spec)
        .arg("--out")
        .arg(&st)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("header would be"));
    assert!(!st.exists());
}

/// The `seed` every safetensors file of `dir` records.
/// `.nninit-*` entries (temporaries, staging directories) left in `dir`.
fn staging_left(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".nninit-"))
        .collect()
}

fn seeds_in(dir: &Path) -> Vec<String> {
    let mut seeds = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "safetensors") {
            let a = nninit()
                .args(["inspect", "--json"])
                .arg(&p)
                .assert()
                .success();
            let v: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
            seeds.push(v["metadata"]["seed"].as_str().unwrap().to_string());
        }
    }
    seeds
}

#[test]
fn directory_outputs_hold_exactly_one_runs_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cfg = d.join("c.json");
    std::fs::write(&cfg, r#"{"model_type": "gpt2", "vocab_size": 100, "n_positions": 16, "n_embd": 8, "n_layer": 2, "n_head": 2}"#).unwrap();
    let out = d.join("ck");
    let init = |seed: &str, shard: &str| {
        nninit()
            .args(["init", "--hf-config"])
            .arg(&cfg)
            .args(["--seed", seed, "--max-shard-size", shard, "--out"])
            .arg(&out)
            .assert()
            .success();
    };
    let names = |p: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| !n.starts_with('.'))
            .collect();
        v.sort();
        v
    };
    // one file, then shards, then one file again: no stale file survives either way
    init("1", "5GB");
    assert_eq!(names(&out), ["config.json", "model.safetensors"]);
    init("2", "3000B");
    assert!(!out.join("model.safetensors").exists());
    assert!(out.join("model.safetensors.index.json").exists());
    init("3", "5GB");
    assert_eq!(names(&out), ["config.json", "model.safetensors"]);
    // fewer layers into a .npy directory: the old w3/b3 go
    let nd = d.join("nd");
    for layers in ["10,8,8,2", "10,8,2"] {
        nninit()
            .args(["init", "--layers", layers, "--out"])
            .arg(&nd)
            .assert()
            .success();
    }
    assert_eq!(names(&nd), ["b1.npy", "b2.npy", "w1.npy", "w2.npy"]);
    // a checkpoint directory holding weights nninit did not write is
    // refused, naming them, unless --force (which keeps the user's files);
    // a model directory's other files (notes, tokenizer, README) may stay
    let foreign = d.join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), b"mine").unwrap();
    std::fs::write(foreign.join("pytorch_model.bin"), b"weights").unwrap();
    let a = nninit()
        .args(["init", "--hf-config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&foreign)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("--force") && err.contains("`pytorch_model.bin`"),
        "{err}"
    );
    assert!(!err.contains("notes.txt"), "{err}");
    // a .npy directory is nninit's alone: any foreign file is refused
    let npy_foreign = d.join("npy_foreign");
    std::fs::create_dir(&npy_foreign).unwrap();
    std::fs::write(npy_foreign.join("notes.txt"), b"mine").unwrap();
    nninit()
        .args(["init", "--layers", "4,2", "--out"])
        .arg(&npy_foreign)
        .assert()
        .code(1);
    nninit()
        .args(["init", "--hf-config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&foreign)
        .arg("--force")
        .assert()
        .success();
    assert_eq!(std::fs::read(foreign.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(
        std::fs::read(foreign.join("pytorch_model.bin")).unwrap(),
        b"weights"
    );
    // a rerun (the swapped-in case) keeps the directory's permissions, and
    // leaves no staging directory beside it
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o750)).unwrap();
        init("4", "3000B");
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750, "{mode:o}");
        assert!(staging_left(d).is_empty(), "{:?}", staging_left(d));
        // an output directory reached through a symlink: the link stays a
        // link to the directory, which holds the new run
        let real = d.join("real-ck");
        std::fs::create_dir(&real).unwrap();
        let link = d.join("link-ck");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        for seed in ["1", "2"] {
            nninit()
                .args(["init", "--hf-config"])
                .arg(&cfg)
                .args(["--seed", seed, "--out"])
                .arg(&link)
                .assert()
                .success();
        }
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(names(&real), ["config.json", "model.safetensors"]);
        assert!(staging_left(d).is_empty(), "{:?}", staging_left(d));
        // run from inside the output directory: it is not swapped away from
        // under the working directory (written in place instead)
        use std::os::unix::fs::MetadataExt;
        let inside = d.join("inside");
        std::fs::create_dir_all(&inside).unwrap();
        let inode = std::fs::metadata(&inside).unwrap().ino();
        for seed in ["1", "2"] {
            nninit()
                .current_dir(&inside)
                .args(["init", "--layers", "4,3,2", "--seed", seed, "--out", "."])
                .assert()
                .success();
        }
        assert_eq!(
            std::fs::metadata(&inside).unwrap().ino(),
            inode,
            "the working directory was swapped away"
        );
        assert_eq!(names(&inside), ["b1.npy", "b2.npy", "w1.npy", "w2.npy"]);
        // a file the user put into nninit's directory survives reruns
        std::fs::write(out.join("README.md"), b"my notes").unwrap();
        init("5", "5GB");
        assert_eq!(
            names(&out),
            ["README.md", "config.json", "model.safetensors"]
        );
        assert_eq!(std::fs::read(out.join("README.md")).unwrap(), b"my notes");
    }
    // two runs at once into one directory: they take turns, never mix
    for trial in 0..3 {
        let kids: Vec<_> = ["11", "12"]
            .iter()
            .map(|seed| {
                std::process::Command::new(assert_cmd::cargo::cargo_bin("nninit"))
                    .args(["init", "--hf-config"])
                    .arg(&cfg)
                    .args(["--seed", seed, "--max-shard-size", "3000B", "--out"])
                    .arg(&out)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut k in kids {
            assert!(k.wait().unwrap().success());
        }
        let seeds = seeds_in(&out);
        assert!(
            seeds.len() > 1 && seeds.iter().all(|s| *s == seeds[0]),
            "trial {trial}: mixed {seeds:?}"
        );
    }
}

/// Run `nninit args` in `dir` with writes limited to `limit` bytes per file
/// (RLIMIT_FSIZE, SIGXFSZ ignored: a write past it fails with EFBIG);
/// returns (exit code, stderr), or panics if it has not ended in 60 s.
#[cfg(unix)]
fn run_with_file_limit(dir: &Path, args: &[&str], limit: u64) -> (i32, String) {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nninit"));
    cmd.args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    // SAFETY: setrlimit and signal are async-signal-safe; run in the child
    // between fork and exec
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit as libc::rlim_t,
                rlim_max: limit as libc::rlim_t,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &lim);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().ok();
            panic!("`nninit {}` hung after a failed write", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A write that fails halfway through a tensor (the file system full, a
/// file size limit) is reported and leaves nothing: it used to hang, the
/// generator thread waiting forever for a buffer back. On disk (streaming
/// writer) and, where there is one, on tmpfs (parallel writer).
#[cfg(unix)]
#[test]
fn a_write_that_fails_midway_is_reported_not_hung() {
    let disk = tempfile::tempdir().unwrap();
    let shm = tempfile::tempdir_in("/dev/shm").ok();
    let mut dirs = vec![disk.path()];
    dirs.extend(shm.as_ref().map(|d| d.path()));
    for d in dirs {
        for (out, args) in [
            (
                "k.safetensors",
                ["init", "--layers", "8192,8192,8192", "--out"],
            ),
            ("k.npz", ["init", "--layers", "8192,8192,8192", "--out"]),
            ("k.npy", ["sample", "normal", "--shape=8192,8192", "--out"]),
        ] {
            let mut args = args.to_vec();
            args.push(out);
            let (code, err) = run_with_file_limit(d, &args, 50_000_000);
            assert_eq!(code, 1, "{}/{out}: {err}", d.display());
            assert!(
                err.contains("cannot write") && err.contains("too large"),
                "{}/{out}: {err}",
                d.display()
            );
            let left: Vec<_> = std::fs::read_dir(d).unwrap().flatten().collect();
            assert!(left.is_empty(), "{}: {left:?}", d.display());
        }
    }
}

/// On tmpfs the checkpoint is written from every core (userfaultfd); the
/// bytes are those of the streaming writer (NNINIT_WRITE=stream), for a
/// one-file checkpoint in bf16 (80 MB) and f32 (96 MB: both above the
/// 64 MB the parallel writer starts at) and a whole-tensor initializer
/// (which falls back to streaming) alike.
#[test]
fn tmpfs_checkpoints_hold_the_streaming_writers_bytes() {
    let Ok(dir) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("note: no /dev/shm here; nothing to compare");
        return;
    };
    for layers in [
        vec!["--layers", "4000,5001,3999", "--dtype", "bf16"],
        vec!["--layers", "5000,4001,1001"],
        vec!["--layers", "3000,3001,7", "--init", "orthogonal"],
    ] {
        let mut files = Vec::new();
        for mode in ["stream", "parallel"] {
            let f = dir.path().join(format!("{mode}.safetensors"));
            nninit()
                .env("NNINIT_WRITE", mode)
                .args(["init", "--seed", "3"])
                .args(&layers)
                .arg("--out")
                .arg(&f)
                .assert()
                .success();
            files.push(load(&f));
        }
        assert!(files[0] == files[1], "{layers:?}: the writers differ");
    }
}
