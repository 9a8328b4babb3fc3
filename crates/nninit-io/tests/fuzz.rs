//! Fuzzing on stable Rust: proptest mutates valid inputs (bytes flipped,
//! truncated, extended; numbers in headers and configs replaced by huge,
//! negative, fractional and NaN ones) and feeds them to every reader and
//! parser of this crate. Each must return a value or an error naming what is
//! wrong, never panic. Fixed seed and case counts, so the suite is
//! deterministic; a failing input found once is added to `regressions()`.

use nninit::{DType, Init, Layout};
use nninit_io::inspect::inspect;
use nninit_io::model::{hf, spec};
use nninit_io::{save, TensorSpec};
use proptest::prelude::*;
use std::collections::BTreeMap;

const SEED: u64 = 0x6e6e_696e_6974;
const CASES: u32 = 192;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(SEED),
        ..ProptestConfig::default()
    }
}

/// What a mutation does to a valid input.
#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        byte: u8,
    },
    Truncate {
        keep: usize,
    },
    Extend {
        bytes: Vec<u8>,
    },
    /// Replace the k-th number of the text part with a hostile one.
    Number {
        k: usize,
        with: &'static str,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        any::<usize>().prop_map(|keep| Mutation::Truncate { keep }),
        proptest::collection::vec(any::<u8>(), 1..64).prop_map(|bytes| Mutation::Extend { bytes }),
        (
            any::<usize>(),
            prop_oneof![
                Just("18446744073709551615"),
                Just("18446744073709551616"),
                Just("9223372036854775807"),
                Just("4294967296"),
                Just("-1"),
                Just("-0"),
                Just("0"),
                Just("1e308"),
                Just("2.5"),
                Just("NaN"),
                Just("\"x\""),
                Just("null"),
            ]
        )
            .prop_map(|(k, with)| Mutation::Number { k, with }),
    ]
}

fn apply(input: &[u8], m: &Mutation) -> Vec<u8> {
    let mut v = input.to_vec();
    match m {
        Mutation::Flip { at, byte } => {
            if !v.is_empty() {
                let i = at % v.len();
                v[i] ^= byte | 1;
            }
        }
        Mutation::Truncate { keep } => v.truncate(keep % (v.len() + 1)),
        Mutation::Extend { bytes } => v.extend_from_slice(bytes),
        Mutation::Number { k, with } => {
            // numbers: maximal runs of digits (in the header/text part)
            let runs: Vec<(usize, usize)> = {
                let mut r = Vec::new();
                let mut i = 0;
                while i < v.len() {
                    if v[i].is_ascii_digit() {
                        let s = i;
                        while i < v.len() && v[i].is_ascii_digit() {
                            i += 1;
                        }
                        r.push((s, i));
                    } else {
                        i += 1;
                    }
                }
                r
            };
            if !runs.is_empty() {
                let (s, e) = runs[k % runs.len()];
                v.splice(s..e, with.bytes());
            }
        }
    }
    v
}

fn tensors() -> Vec<TensorSpec> {
    vec![
        TensorSpec::new(
            "w",
            vec![3, 4],
            DType::F32,
            Layout::Torch,
            Init::normal(0.0, 1.0).unwrap(),
        ),
        TensorSpec::new("b", vec![3], DType::F16, Layout::Torch, Init::zeros()),
    ]
}

/// The bytes of a valid file written by nninit itself.
fn valid(name: &str, ts: &[TensorSpec]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    save(&p, ts, 0, &BTreeMap::new()).unwrap();
    std::fs::read(&p).unwrap()
}

/// Write `bytes` as `name` and inspect it: Ok or an error with a message.
fn inspect_bytes(name: &str, bytes: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    match inspect(&p) {
        Ok(_) => Ok(()),
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.is_empty());
            Err(msg)
        }
    }
}

/// Inputs that once failed (none yet); each is checked on every run.
fn regressions() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        // overlapping tensors and offsets at u64::MAX (issue 12's examples)
        ("o.safetensors", {
            let h = br#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#;
            let mut v = (h.len() as u64).to_le_bytes().to_vec();
            v.extend_from_slice(h);
            v.extend(std::iter::repeat_n(0u8, 24));
            v
        }),
        ("h.safetensors", u64::MAX.to_le_bytes().to_vec()),
        ("n.npy", b"\x93NUMPY\x03\x00\xff\xff\xff\xff{".to_vec()),
    ]
}

#[test]
fn regression_inputs_are_refused_cleanly() {
    for (name, bytes) in regressions() {
        assert!(inspect_bytes(name, &bytes).is_err(), "{name}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn safetensors_reader(m in mutation()) {
        let good = valid("x.safetensors", &tensors());
        let _ = inspect_bytes("x.safetensors", &apply(&good, &m));
    }

    #[test]
    fn npy_reader(m in mutation()) {
        let good = valid("x.npy", &tensors()[..1]);
        let _ = inspect_bytes("x.npy", &apply(&good, &m));
    }

    #[test]
    fn npz_reader(m in mutation()) {
        let good = valid("x.npz", &tensors());
        let _ = inspect_bytes("x.npz", &apply(&good, &m));
    }

    #[test]
    fn spec_parser(m in mutation(), json in any::<bool>()) {
        let (text, file) = if json {
            (r#"{"seed": 3, "dtype": "f32", "tensors": [{"name": "w", "shape": [4, 5], "init": "kaiming_normal(a=0.1)"}, {"name": "b", "shape": [4]}], "rules": [{"match": "*b", "init": "zeros"}]}"#, "s.json")
        } else {
            ("seed = 3\n[[tensors]]\nname = \"w\"\nshape = [4, 5]\ninit = \"normal(std=0.02)\"\n[[tensors]]\nname = \"b\"\nshape = [4]\n[[rules]]\nmatch = \"*b\"\ninit = \"zeros\"\n", "s.toml")
        };
        let bytes = apply(text.as_bytes(), &m);
        if let Ok(t) = std::str::from_utf8(&bytes) {
            if let Err(e) = spec::parse_spec(t, file) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn hf_config_reader(m in mutation(), gpt in any::<bool>()) {
        let text = if gpt {
            r#"{"model_type": "gpt2", "vocab_size": 100, "n_positions": 16, "n_embd": 8, "n_layer": 2, "n_head": 2, "initializer_range": 0.02}"#
        } else {
            r#"{"model_type": "llama", "vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "pad_token_id": 3}"#
        };
        let bytes = apply(text.as_bytes(), &m);
        if let Ok(cfg) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            match hf::tensors(&cfg, DType::F32) {
                Ok(ts) => {
                    // listing never explodes: bounded by MAX_LAYERS
                    prop_assert!(ts.len() <= 16 * hf::MAX_LAYERS + 16);
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn expression_parser(m in mutation(), s in "[a-z_(),=.0-9 -]{0,40}") {
        let _ = Init::parse(&s);
        let good = b"kaiming_uniform(a=0.1, mode=fan_out, nonlinearity=leaky_relu)";
        if let Ok(t) = std::str::from_utf8(&apply(good, &m)) {
            if let Err(e) = Init::parse(t) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
