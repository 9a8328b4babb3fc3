//! The sequential family: NumPy's legacy generator against values NumPy
//! printed (numpy 2.x; the legacy stream is frozen by NumPy's policy, so they
//! hold for every version). The Python suite compares against NumPy itself.

use nninit::rng::{NumpyLegacy, Sequential};
use nninit::{Dist, Error, Init, Layout};

#[test]
fn numpy_randn_seed_1() {
    // np.random.seed(1); np.random.randn(5).tolist()
    let want = [
        1.6243453636632417,
        -0.6117564136500754,
        -0.5281717522634557,
        -1.0729686221561705,
        0.8654076293246785,
    ];
    let mut g = NumpyLegacy::new(1).unwrap();
    let mut got = [0f64; 5];
    g.sample(&Dist::normal(0.0, 1.0).unwrap(), &mut got)
        .unwrap();
    assert_eq!(got, want);
}

#[test]
fn numpy_uniform_normal_and_large_seed() {
    // np.random.seed(3); np.random.uniform(-2.5, 0.5, 3).tolist()
    let mut g = NumpyLegacy::new(3).unwrap();
    let mut u = [0f64; 3];
    g.sample(&Dist::uniform(-2.5, 0.5).unwrap(), &mut u)
        .unwrap();
    assert_eq!(
        u,
        [
            -0.8476062922762735,
            -0.3755565321456853,
            -1.6272857832611671
        ]
    );
    // np.random.seed(4294967295); np.random.normal(1.0, 3.0, 3).tolist()
    let mut g = NumpyLegacy::new(4_294_967_295).unwrap();
    let mut x = [0f64; 3];
    g.sample(&Dist::normal(1.0, 3.0).unwrap(), &mut x).unwrap();
    assert_eq!(
        x,
        [2.9452260226919584, 3.007970591901448, -2.241631168242348]
    );
}

#[test]
fn numpy_state_carries_across_calls_and_twists() {
    // np.random.seed(0); a = np.random.randn(2100): a[1247] and a[-1]
    // (past several 624-word twists; drawn here in three calls of 700, so the
    // polar method's cached value must carry over between calls)
    let mut g = NumpyLegacy::new(0).unwrap();
    let mut all = Vec::new();
    for _ in 0..3 {
        let mut part = vec![0f64; 700];
        g.sample(&Dist::normal(0.0, 1.0).unwrap(), &mut part)
            .unwrap();
        all.extend(part);
    }
    assert_eq!(all[1247], -0.3752224007606727);
    assert_eq!(all[2099], 1.5427963382930518);
}

#[test]
fn numpy_initialize_parameters_f32_is_the_double_rounded() {
    // np.random.seed(1); (np.random.randn(4, 5) * 0.01).astype(np.float32)[1, 2]
    let mut g = NumpyLegacy::new(1).unwrap();
    let mut w = vec![0f32; 20];
    Init::normal(0.0, 0.01)
        .unwrap()
        .fill_sequential(&[4, 5], Layout::Torch, &mut g, &mut w)
        .unwrap();
    assert_eq!(w[7] as f64, -0.007612069137394428);
}

#[test]
fn constants_and_eye_draw_nothing() {
    let mut g = NumpyLegacy::new(1).unwrap();
    let mut z = vec![1f64; 6];
    Init::zeros()
        .fill_sequential(&[2, 3], Layout::Torch, &mut g, &mut z)
        .unwrap();
    Init::eye()
        .fill_sequential(&[2, 3], Layout::Torch, &mut g, &mut z)
        .unwrap();
    assert_eq!(z, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    // the first normal after them is still the first value of the stream
    let mut x = [0f64; 1];
    g.sample(&Dist::normal(0.0, 1.0).unwrap(), &mut x).unwrap();
    assert_eq!(x[0], 1.6243453636632417);
}

#[test]
fn refusals_name_the_rng_and_leave_everything_untouched() {
    let mut g = NumpyLegacy::new(1).unwrap();
    let mut w = vec![7f32; 16];
    for init in [
        Init::orthogonal(1.0).unwrap(),
        Init::sparse(0.1, 0.01).unwrap(),
        Init::trunc_normal(0.0, 1.0, -2.0, 2.0).unwrap(),
    ] {
        let e = init
            .fill_sequential(&[4, 4], Layout::Torch, &mut g, &mut w)
            .unwrap_err();
        assert!(matches!(e, Error::Rng { rng: "numpy", .. }), "{e}");
        assert!(e.to_string().contains("use"), "no advice in: {e}");
    }
    assert!(w.iter().all(|&x| x == 7.0));
    let mut x = [0f64; 1];
    g.sample(&Dist::normal(0.0, 1.0).unwrap(), &mut x).unwrap();
    assert_eq!(x[0], 1.6243453636632417);
}

#[test]
fn numpy_seed_rule() {
    let e = NumpyLegacy::new(1 << 32).unwrap_err().to_string();
    assert!(
        e.contains("4294967296") && e.contains("[0, 2**32 - 1]"),
        "{e}"
    );
}

// PyTorch's CPU generator, against values torch 2.15 printed (x86-64, AVX-512
// CPU: torch's AVX2 kernels; the Python suite compares with torch itself,
// both kernel builds, every dtype and initializer).
mod torch {
    use nninit::rng::{Sequential, TorchCpu, TorchKernels};
    use nninit::Dist;

    fn avx2(seed: u64) -> TorchCpu {
        TorchCpu::with_kernels(seed, TorchKernels::Avx2)
    }

    #[test]
    fn rand_seed_0() {
        // torch.manual_seed(0); torch.rand(3).tolist()
        let mut x = [0f32; 3];
        avx2(0)
            .sample(&Dist::uniform(0.0, 1.0).unwrap(), &mut x)
            .unwrap();
        assert_eq!(
            x.map(f64::from),
            [0.49625658988952637, 0.7682217955589294, 0.08847743272781372]
        );
    }

    #[test]
    fn randn_blocks_and_small_tensors() {
        // torch.manual_seed(0); torch.randn(20): the 16-wide AVX2 Box-Muller and a tail
        let mut x = [0f32; 20];
        avx2(0)
            .sample(&Dist::normal(0.0, 1.0).unwrap(), &mut x)
            .unwrap();
        assert_eq!(x[0].to_bits() as i32, -1081074811);
        assert_eq!(x[19].to_bits() as i32, 1029446458);
        // torch.manual_seed(0); torch.randn(3, dtype=torch.float64): per-element Box-Muller
        let mut y = [0f64; 3];
        avx2(0)
            .sample(&Dist::normal(0.0, 1.0).unwrap(), &mut y)
            .unwrap();
        assert_eq!(
            y,
            [1.5409961082440433, -0.2934289057609464, -2.1787893820745574]
        );
    }

    #[test]
    fn trunc_normal_seed_1() {
        // torch.manual_seed(1); torch.nn.init.trunc_normal_(torch.empty(40), std=0.02)
        let mut x = [0f32; 40];
        let d = Dist::trunc_normal(0.0, 0.02, -2.0, 2.0).unwrap();
        avx2(1).sample(&d, &mut x).unwrap();
        assert_eq!(x[0].to_bits() as i32, -1124469727);
        assert_eq!(x[39].to_bits() as i32, -1131804807);
    }
}

// ---- np.random.default_rng (PCG64 + SeedSequence); values printed by NumPy 2.4.6.
// The 10^6-draw comparisons are in the Python package's tests (against NumPy itself).

#[test]
fn numpy_default_raw_bits_and_seeds() {
    use nninit::rng::NumpyDefault;
    // np.random.default_rng(2**64 + 1).bit_generator.random_raw(2)
    let mut g = NumpyDefault::new((1u128 << 64) + 1);
    assert_eq!(
        [g.next_u64(), g.next_u64()],
        [12770225960447442859, 4119967340712116816]
    );
    // np.random.default_rng([1, 2, 3]).bit_generator.random_raw(2)
    let mut g = NumpyDefault::from_seeds(&[1, 2, 3]);
    assert_eq!(
        [g.next_u64(), g.next_u64()],
        [12368030237656201616, 2047858591075935483]
    );
    // a one-element list is the integer
    assert_eq!(NumpyDefault::from_seeds(&[42]), NumpyDefault::new(42));
}

#[test]
fn numpy_default_random_normal_and_the_buffered_half() {
    use nninit::rng::NumpyDefault;
    // np.random.default_rng(42).random(3)
    let mut g = NumpyDefault::new(42);
    let r: Vec<f64> = (0..3).map(|_| g.random()).collect();
    assert_eq!(
        r,
        [0.7739560485559633, 0.4388784397520523, 0.8585979199113825]
    );
    // np.random.default_rng(0).standard_normal(3), and with dtype=np.float32
    let mut g = NumpyDefault::new(0);
    let n: Vec<f64> = (0..3).map(|_| g.standard_normal()).collect();
    assert_eq!(
        n,
        [0.1257302210933933, -0.1321048632913019, 0.6404226504432821]
    );
    let mut g = NumpyDefault::new(0);
    let n: Vec<f32> = (0..3).map(|_| g.standard_normal_f32()).collect();
    assert_eq!(n, [1.117622, -1.3871249, -0.4265716]);
    // g = default_rng(7): random(3, float32), random(1), random(1, float32): the
    // third f32 call takes the high half left by the second
    let mut g = NumpyDefault::new(7);
    let a: Vec<f32> = (0..3).map(|_| g.random_f32()).collect();
    assert_eq!(a, [0.9449049, 0.6250954, 0.6841799]);
    assert_eq!(g.random(), 0.7756856902451935);
    assert_eq!(g.random_f32(), 0.89721376);
    // default_rng(5): normal(1.5, 0.25), then uniform(-2, 3)
    let mut g = NumpyDefault::new(5);
    let mut x = [0f64; 1];
    g.sample(&Dist::normal(1.5, 0.25).unwrap(), &mut x).unwrap();
    assert_eq!(x[0], 1.2995171436866382);
    g.sample(&Dist::uniform(-2.0, 3.0).unwrap(), &mut x)
        .unwrap();
    assert_eq!(x[0], 2.039703948682469);
    // no truncated normal in NumPy's Generator: refused, state untouched
    let before = g.clone();
    let e = g
        .sample(&Dist::trunc_normal(0.0, 1.0, -2.0, 2.0).unwrap(), &mut x)
        .unwrap_err();
    assert!(e.to_string().contains("numpy-default"), "{e}");
    assert_eq!(g, before);
}
