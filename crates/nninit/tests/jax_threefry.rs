//! JAX's threefry2x32 PRNG (`nninit::rng::threefry`) against values jax 0.10.2
//! printed on CPU, in both `jax_threefry_partitionable` modes (True is JAX's
//! default), with `jax_enable_x64` off and on.

use nninit::rng::threefry::{
    fold_in, key, random_bits_u32, random_bits_u64, split, uniform_f32, uniform_f64,
};

#[test]
fn keys_and_fold_in() {
    assert_eq!(key(42, false), [0, 42]);
    assert_eq!(key((1 << 32) + 5, false), [0, 5]);
    assert_eq!(key(-1, false), [0, u32::MAX]);
    assert_eq!(key((1 << 32) + 5, true), [1, 5]);
    assert_eq!(key(-1, true), [u32::MAX, u32::MAX]);
    // jax.random.fold_in(jax.random.key(42), 7): the same in both modes
    assert_eq!(fold_in(key(42, false), 7), [2547012911, 1371500959]);
}

#[test]
fn partitionable_split_bits_uniform() {
    let k = key(42, false);
    assert_eq!(
        split(k, 3, true),
        [
            [1832780943, 270669613],
            [64467757, 2916123636],
            [2465931498, 255383827]
        ]
    );
    let mut b = [0u32; 6];
    random_bits_u32(k, true, &mut b).unwrap();
    assert_eq!(
        b,
        [2098992034, 2919706841, 2646866425, 2409546199, 1935504149, 2516274904]
    );
    // uniform(key(42), (5,), float32, -2, 3): bit patterns
    let mut u = [0f32; 5];
    uniform_f32(k, true, -2.0, 3.0, &mut u).unwrap();
    let want = [
        0x3ee318b4u32,
        0x3fb311f8,
        0x3f8a69ec,
        0x3f4e19c0,
        0x3e81a674,
    ];
    assert_eq!(u.map(f32::to_bits), want);
}

#[test]
fn original_split_bits_uniform() {
    let k = key(42, false);
    assert_eq!(
        split(k, 3, false),
        [
            [3134548294, 3733159049],
            [3746501087, 894150801],
            [801545058, 2363201431]
        ]
    );
    // an odd count: the padding counter
    let mut b = [0u32; 5];
    random_bits_u32(k, false, &mut b).unwrap();
    assert_eq!(b, [3134548294, 3733159049, 843694964, 894150801, 801545058]);
    let mut b = [0u32; 6];
    random_bits_u32(k, false, &mut b).unwrap();
    assert_eq!(
        b,
        [3134548294, 3733159049, 3746501087, 894150801, 801545058, 2363201431]
    );
    let mut u = [0f32; 5];
    uniform_f32(k, false, -2.0, 3.0, &mut u).unwrap();
    let want = [
        0x3fd31584u32,
        0x4016245b,
        0xbf82479b,
        0xbf7585b8,
        0xbf888f7f,
    ];
    assert_eq!(u.map(f32::to_bits), want);
}

#[test]
fn x64_bits_and_uniform() {
    let k = key(7, true);
    let mut b = [0u64; 3];
    random_bits_u64(k, true, &mut b).unwrap();
    assert_eq!(
        b,
        [
            15571024786774969728,
            837714335556982463,
            4150233810675416579
        ]
    );
    random_bits_u64(k, false, &mut b).unwrap();
    assert_eq!(
        b,
        [
            1187704779931702788,
            3702121834773752190,
            8185182656453653932
        ]
    );
    let mut u = [0f64; 3];
    uniform_f64(k, true, 0.5, 2.0, &mut u).unwrap();
    assert_eq!(
        u,
        [1.7661604176235293, 0.5681188776899847, 0.8374769385392807]
    );
    uniform_f64(k, false, 0.5, 2.0, &mut u).unwrap();
    assert_eq!(
        u,
        [0.5965784077005026, 0.8010386402050791, 1.165579461373829]
    );
}
