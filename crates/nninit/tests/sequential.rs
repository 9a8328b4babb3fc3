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
