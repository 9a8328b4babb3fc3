//! Fuzzing the dataset readers on stable Rust (see nninit-io's tests/fuzz.rs):
//! CSV text and `.npz` bytes, mutated, must give a dataset or an error that
//! says what is wrong, never a panic. Fixed seed and case count.

use nninit::{DType, Init, Layout};
use nninit_io::{save, TensorSpec};
use nninit_lab::data::{parse_csv, parse_npz};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 192,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x6e6e_696e_6974),
        ..ProptestConfig::default()
    }
}

fn mutate(input: &[u8], kind: u8, at: usize, byte: u8, extra: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    match kind % 4 {
        0 if !v.is_empty() => {
            let i = at % v.len();
            v[i] ^= byte | 1;
        }
        1 => v.truncate(at % (v.len() + 1)),
        2 => v.extend_from_slice(extra),
        _ => {
            // a hostile number where a digit was
            if let Some(i) = v
                .iter()
                .position(|b| b.is_ascii_digit())
                .map(|p| (p + at) % v.len())
            {
                let with: &[u8] = [
                    &b"-1"[..],
                    b"1e308",
                    b"NaN",
                    b"99999999999999999999",
                    b"0.5",
                ][byte as usize % 5];
                v.splice(i..i + 1, with.iter().copied());
            }
        }
    }
    v
}

fn valid_npz() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.npz");
    let ts = vec![
        TensorSpec::new(
            "x",
            vec![6, 3],
            DType::F32,
            Layout::Torch,
            Init::normal(0.0, 1.0).unwrap(),
        ),
        TensorSpec::new("y", vec![6], DType::F32, Layout::Torch, Init::ones()),
    ];
    save(&p, &ts, 0, &BTreeMap::new()).unwrap();
    std::fs::read(&p).unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn csv_reader(kind in any::<u8>(), at in any::<usize>(), byte in any::<u8>(), extra in proptest::collection::vec(any::<u8>(), 0..16)) {
        let good = b"f0,f1,label\n0.5,1.5,0\n-2,3e-3,1\n4,5,2\n";
        let bytes = mutate(good, kind, at, byte, &extra);
        if let Ok(t) = std::str::from_utf8(&bytes) {
            if let Err(e) = parse_csv(t, "fuzz.csv") {
                prop_assert!(e.to_string().contains("fuzz.csv"), "{e}");
            }
        }
    }

    #[test]
    fn npz_reader(kind in any::<u8>(), at in any::<usize>(), byte in any::<u8>(), extra in proptest::collection::vec(any::<u8>(), 0..16)) {
        let bytes = mutate(&valid_npz(), kind, at, byte, &extra);
        if let Err(e) = parse_npz(&bytes, "fuzz.npz") {
            prop_assert!(e.to_string().contains("fuzz.npz"), "{e}");
        }
    }
}
