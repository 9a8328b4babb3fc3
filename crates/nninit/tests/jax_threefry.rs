//! JAX's threefry2x32 PRNG (`nninit::rng::threefry`) against values jax 0.10.2
//! printed on CPU, in both `jax_threefry_partitionable` modes (True is JAX's
//! default), with `jax_enable_x64` off and on.

use nninit::rng::threefry::{
    self, fold_in, key, random_bits_u32, random_bits_u64, split, uniform_f32, uniform_f64,
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

/// `jax.random.normal(key(42), (2^20,))`, `truncated_normal(key(7), 1, 1.5,
/// (1001,))` and `variance_scaling(1.3, "fan_geo_avg", "truncated_normal", 0,
/// (1, 2))(key(1), (5, 4, 6))`: bit patterns printed by jax 0.10.2 on x86-64,
/// in each mode (the first entry of each pair: partitionable).
/// (partitionable, normal bits, truncated bits, variance_scaling bits)
type Pins = (bool, [u32; 5], [u32; 3], [u32; 2]);

#[test]
fn normal_truncated_and_variance_scaling_pins() {
    use nninit::jax_initializers::{JaxDistribution, JaxFanMode, JaxInitializer};
    let cases: [Pins; 2] = [
        (
            true,
            [0xbce7df15, 0x3eef2be8, 0x3e976661, 0xbeeda7c8, 0xbd6da783],
            [0x3fa671b4, 0x3fbdb9f4, 0x3fa7616a],
            [0xbd6c6178, 0x3b04a564],
        ),
        (
            false,
            [0x3e1485ee, 0xbd9eb9b9, 0xbf20a61e, 0xbfeb8db9, 0x3e812e2c],
            [0x3f9db324, 0x3fb6e8c0, 0x3f92f974],
            [0xbea54751, 0xbf429cc6],
        ),
    ];
    for (part, normal, trunc, vs) in cases {
        let mut n = vec![0f32; 1 << 20];
        threefry::normal_f32(threefry::key(42, false), part, &mut n).unwrap();
        let got: Vec<u32> = [0, 1, 2, 777_777, (1 << 20) - 1]
            .iter()
            .map(|&i| n[i].to_bits())
            .collect();
        assert_eq!(got, normal, "normal, partitionable={part}");
        let mut t = vec![0f32; 1001];
        threefry::truncated_normal_f32(threefry::key(7, false), part, 1.0, 1.5, &mut t).unwrap();
        let got: Vec<u32> = [0, 1, 1000].iter().map(|&i| t[i].to_bits()).collect();
        assert_eq!(got, trunc, "truncated, partitionable={part}");
        let init = JaxInitializer::VarianceScaling {
            scale: 1.3,
            mode: JaxFanMode::FanGeoAvg,
            distribution: JaxDistribution::TruncatedNormal,
            in_axis: vec![0],
            out_axis: vec![1, 2],
            batch_axis: vec![],
        };
        let mut v = vec![0f32; 120];
        init.fill(threefry::key(1, false), part, &[5, 4, 6], &mut v)
            .unwrap();
        assert_eq!(
            [v[0].to_bits(), v[119].to_bits()],
            vs,
            "variance_scaling, partitionable={part}"
        );
    }
}

/// The same values whatever the thread count (blocks are keyed by index).
#[test]
fn normal_is_thread_count_independent() {
    let mut one = vec![0f32; 100_003];
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| threefry::normal_f32(threefry::key(3, false), true, &mut one).unwrap());
    let mut four = vec![0f32; 100_003];
    rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .unwrap()
        .install(|| threefry::normal_f32(threefry::key(3, false), true, &mut four).unwrap());
    assert_eq!(one, four);
}

/// `jax.random.normal(key(42), (1001,), float64)` and
/// `truncated_normal(key(7), 1, 1.5, (1001,), float64)` with x64, printed by
/// jax 0.10.2 on x86-64 Linux (glibc: the f64 normal's `log` and the
/// truncated normal's `erf` are the C library's, so the pins hold there).
#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
#[test]
fn float64_pins() {
    let cases: [(bool, [u64; 3], [u64; 2]); 2] = [
        (
            true,
            [0xbfc7a4a26c962159, 0xc0015bccfaa7ba3a, 0x3fe99158e9431aee],
            [0x3ff65c528b66bf13, 0x3ff46786748f6f51],
        ),
        (
            false,
            [0xbfaac247a01e79a4, 0xbff86959c611a8fc, 0x3fd2fe5b8b181de5],
            [0x3ff27fb600e80402, 0x3ff0cd9c9c8c949f],
        ),
    ];
    for (part, normal, trunc) in cases {
        let mut n = vec![0f64; 1001];
        threefry::normal_f64(key(42, true), part, &mut n).unwrap();
        let got = [n[0].to_bits(), n[1].to_bits(), n[1000].to_bits()];
        assert_eq!(got, normal, "normal f64, partitionable={part}");
        let mut t = vec![0f64; 1001];
        threefry::truncated_normal_f64(key(7, true), part, 1.0, 1.5, &mut t).unwrap();
        assert_eq!(
            [t[0].to_bits(), t[1000].to_bits()],
            trunc,
            "truncated f64, partitionable={part}"
        );
    }
}
