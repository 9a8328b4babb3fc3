//! `PhiloxRng` (feature `rand_core`): the word sequence is plain Philox4x32-10
//! with counter (block, stream), pinned by Random123's known answers, and it
//! works as a `rand` generator.
#![cfg(feature = "rand_core")]

use nninit::rng::{philox4x32_10, Tag};
use nninit::{PhiloxRng, Stream};
use rand::seq::SliceRandom;
use rand::RngExt;
use rand_core::{Rng, SeedableRng};

fn words(rng: &mut PhiloxRng, n: usize) -> Vec<u32> {
    (0..n).map(|_| rng.next_u32()).collect()
}

#[test]
fn known_answers_from_seed_and_position() {
    // Random123 kat_vectors, philox4x32_10: counter = (block lo, block hi,
    // stream lo, stream hi), key from seed bytes 0..8
    let mut rng = PhiloxRng::from_seed([0; 16]);
    assert_eq!(
        words(&mut rng, 4),
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    );
    let mut rng = PhiloxRng::from_seed([0xff; 16]);
    rng.set_word_pos(4 * u64::MAX as u128);
    assert_eq!(
        words(&mut rng, 4),
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    );
    let mut rng = PhiloxRng::new([0xa4093822, 0x299f31d0], 0x03707344_13198a2e);
    rng.set_word_pos(4 * 0x85a308d3_243f6a88u128);
    assert_eq!(
        words(&mut rng, 4),
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
    );
}

#[test]
fn sequence_is_the_philox_blocks_in_order() {
    let key = [7, 9];
    let mut rng = PhiloxRng::new(key, 5);
    let got = words(&mut rng, 4 * 37);
    let want: Vec<u32> = (0..37u32)
        .flat_map(|b| philox4x32_10([b, 0, 5, 0], key))
        .collect();
    assert_eq!(got, want);
    assert_eq!(rng.word_pos(), 4 * 37);
}

#[test]
fn jumping_equals_stepping() {
    let seq = words(&mut PhiloxRng::seed_from_u64(3), 200);
    for pos in [0usize, 1, 3, 4, 15, 16, 17, 63, 64, 65, 150] {
        let mut rng = PhiloxRng::seed_from_u64(3);
        rng.set_word_pos(pos as u128);
        assert_eq!(rng.word_pos(), pos as u128);
        assert_eq!(words(&mut rng, 20), seq[pos..pos + 20], "pos {pos}");
    }
    // word_pos counts across refills and u64 draws
    let mut rng = PhiloxRng::seed_from_u64(3);
    for _ in 0..9 {
        rng.next_u64();
    }
    assert_eq!(rng.word_pos(), 18);
    assert_eq!(rng.next_u32(), seq[18]);
}

#[test]
fn u64_and_bytes_are_words_little_endian() {
    let seq = words(&mut PhiloxRng::seed_from_u64(11), 40);
    let mut rng = PhiloxRng::seed_from_u64(11);
    let u64s: Vec<u64> = (0..20).map(|_| rng.next_u64()).collect();
    for (i, x) in u64s.iter().enumerate() {
        assert_eq!(*x, seq[2 * i] as u64 | (seq[2 * i + 1] as u64) << 32);
    }
    let mut rng = PhiloxRng::seed_from_u64(11);
    let mut bytes = [0u8; 160];
    rng.fill_bytes(&mut bytes);
    for (i, w) in seq.iter().enumerate() {
        assert_eq!(bytes[4 * i..4 * i + 4], w.to_le_bytes());
    }
}

#[test]
fn stream_rng_is_keyed_by_tensor_and_apart_from_its_values() {
    let s = Stream::new(42, "layers.0.weight");
    let mut a = s.rng();
    let first = words(&mut a, 4);
    assert_eq!(first, s.block(Tag::Raw, 0, 0));
    assert_eq!(
        words(&mut Stream::new(42, "layers.0.weight").rng(), 4),
        first
    );
    assert_ne!(
        words(&mut Stream::new(42, "layers.1.weight").rng(), 4),
        first
    );
    assert_ne!(
        words(&mut Stream::new(43, "layers.0.weight").rng(), 4),
        first
    );
    for tag in [Tag::Uniform, Tag::Normal, Tag::TruncNormal, Tag::Sparse] {
        assert_ne!(s.block(tag, 0, 0).to_vec(), first, "{tag:?}");
    }
}

#[test]
fn works_as_a_rand_generator() {
    // 100k uniform f64 from rand's StandardUniform: mean 0.5 +- 5 sd (sd = 0.29 / sqrt(n))
    let mut rng = Stream::new(0, "rand").rng();
    let n = 100_000;
    let mean = (0..n).map(|_| rng.random::<f64>()).sum::<f64>() / n as f64;
    assert!(
        (mean - 0.5).abs() < 5.0 * 0.2887 / (n as f64).sqrt(),
        "{mean}"
    );
    // a shuffle is a permutation, and the same seed gives the same one
    let shuffled = |seed| {
        let mut v: Vec<u32> = (0..1000).collect();
        v.shuffle(&mut PhiloxRng::seed_from_u64(seed));
        v
    };
    let (a, b) = (shuffled(1), shuffled(1));
    assert_eq!(a, b);
    assert_ne!(a, (0..1000).collect::<Vec<_>>());
    let mut sorted = a.clone();
    sorted.sort();
    assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
    assert_ne!(a, shuffled(2));
}
