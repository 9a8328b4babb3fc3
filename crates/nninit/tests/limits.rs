//! Values and shapes at the edges: fans that would overflow 64 bits, values
//! that do not fit the target dtype, tensors with no elements.

use half::f16;
use nninit::{fans, DType, Error, Init, Layout, Stream};

#[test]
fn fans_that_overflow_are_an_error_naming_the_shape() {
    for shape in [
        vec![3usize, 1 << 32, 1 << 32],
        vec![1 << 62, 1 << 62, 4],
        vec![2, 2, 1 << 32, 1 << 32],
    ] {
        let e = fans(&shape, Layout::Torch).unwrap_err();
        assert!(matches!(e, Error::BadShape { .. }), "{e}");
        assert!(e.to_string().contains(&format!("{shape:?}")), "{e}");
        assert!(e.to_string().contains("overflow"), "{e}");
    }
    let e = fans(&[1 << 32, 1 << 32, 5], Layout::Keras).unwrap_err();
    assert!(e.to_string().contains("overflow"), "{e}");
    // and through an initializer that needs fans
    let e = Init::parse("xavier_uniform")
        .unwrap()
        .check_shape(&[0, 1 << 32, 1 << 32], Layout::Torch, DType::F32)
        .unwrap_err();
    assert!(e.to_string().contains("overflow"), "{e}");
    // the largest fans that fit are fine
    let f = fans(&[1 << 31, 1 << 31, 1 << 31], Layout::Torch).unwrap();
    assert_eq!(f.fan_in, 1 << 62);
}

#[test]
fn a_constant_that_does_not_fit_the_dtype_is_refused() {
    let s = Stream::new(0, "t");
    let mut w = vec![0f32; 4];
    let e = Init::constant(1e300)
        .unwrap()
        .fill(&[4], Layout::Torch, &s, &mut w)
        .unwrap_err();
    assert!(matches!(e, Error::Overflow { .. }), "{e}");
    assert!(
        e.to_string().contains("1e300") && e.to_string().contains("f32"),
        "{e}"
    );
    assert!(w.iter().all(|&x| x == 0.0), "nothing written");
    // fits f64
    let mut w = vec![0f64; 4];
    Init::constant(1e300)
        .unwrap()
        .fill(&[4], Layout::Torch, &s, &mut w)
        .unwrap();
    assert_eq!(w[0], 1e300);
    // 70000 does not fit f16 (65504 is its largest value), 60000 does
    let mut h = vec![f16::ZERO; 4];
    assert!(Init::constant(70000.0)
        .unwrap()
        .fill(&[4], Layout::Torch, &s, &mut h)
        .is_err());
    Init::constant(60000.0)
        .unwrap()
        .fill(&[4], Layout::Torch, &s, &mut h)
        .unwrap();
    assert!(h.iter().all(|x| x.to_f64() == 60000.0));
}

#[test]
fn sampled_values_must_fit_the_dtype_by_one_rule() {
    let s = Stream::new(0, "t");
    // mean + 5.77 std must fit: 1e5 std reaches 5.77e5 > 65504 in f16
    let mut h = vec![f16::ZERO; 1 << 16];
    let e = Init::normal(0.0, 1e5)
        .unwrap()
        .fill(&[1 << 16], Layout::Torch, &s, &mut h)
        .unwrap_err();
    assert!(matches!(e, Error::Overflow { .. }), "{e}");
    assert!(e.to_string().contains("f16"), "{e}");
    // 65504 / 5.77 = 11352: std 11000 fits, and no element is infinite
    Init::normal(0.0, 11000.0)
        .unwrap()
        .fill(&[1 << 16], Layout::Torch, &s, &mut h)
        .unwrap();
    assert!(h.iter().all(|x| x.is_finite()));
    // uniform bounds beyond f16
    assert!(Init::uniform(-1e5, 1e5)
        .unwrap()
        .check_shape(&[4], Layout::Torch, DType::F16)
        .is_err());
    // a fan-scaled init with a huge gain, and the framework streams alike
    let big = Init::parse("xavier_normal(gain=1e6)").unwrap();
    assert!(big.check_shape(&[4, 4], Layout::Torch, DType::F16).is_err());
    assert!(big.check_shape(&[4, 4], Layout::Torch, DType::F32).is_ok());
    let mut g = nninit::rng::TorchCpu::new(0);
    let mut h = vec![f16::ZERO; 16];
    assert!(big
        .fill_sequential(&[4, 4], Layout::Torch, &mut g, &mut h)
        .is_err());
    // structured inits: the gain is their largest entry
    assert!(Init::identity(1e5)
        .unwrap()
        .check_shape(&[3, 3], Layout::Torch, DType::F16)
        .is_err());
    assert!(Init::orthogonal(1e39)
        .unwrap()
        .check_shape(&[3, 3], Layout::Torch, DType::F32)
        .is_err());
}

#[test]
fn a_tensor_without_elements_is_a_no_op() {
    // torch's kaiming_normal_ on a (5, 0) tensor warns and does nothing;
    // fan_in = 0 gives std = inf, but nothing is written
    let s = Stream::new(0, "t");
    let mut w: Vec<f32> = vec![];
    for e in [
        "kaiming_normal",
        "kaiming_uniform",
        "xavier_normal",
        "torch_default",
    ] {
        Init::parse(e)
            .unwrap()
            .fill(&[5, 0], Layout::Torch, &s, &mut w)
            .unwrap();
    }
}

#[test]
fn short_form_keeps_only_what_differs_from_the_defaults() {
    for (full, short) in [
        (
            "kaiming_normal(nonlinearity=relu)",
            "kaiming_normal(nonlinearity=relu)",
        ),
        ("kaiming_normal", "kaiming_normal"),
        ("normal(std=0.02)", "normal(std=0.02)"),
        ("normal(mean=0, std=1)", "normal"),
        ("xavier_normal(gain=8)", "xavier_normal(gain=8)"),
        ("lecun_normal", "lecun_normal"),
        ("constant(val=0.5)", "constant(val=0.5)"),
        (
            "kaiming_uniform(a=0.2, mode=fan_out)",
            "kaiming_uniform(a=0.2, mode=fan_out)",
        ),
    ] {
        let i = Init::parse(full).unwrap();
        assert_eq!(i.short(), short, "{full}");
        assert_eq!(Init::parse(&i.short()).unwrap(), i, "{full}");
    }
    // the recommendations are typed, their short forms what the CLI prints
    let relu = nninit::Activation::parse("relu")
        .unwrap()
        .recommended_init();
    assert_eq!(relu.short(), "kaiming_normal(nonlinearity=relu)");
    let sig = nninit::Activation::parse("sigmoid").unwrap();
    assert_eq!(sig.deep_recommended_init().short(), "xavier_normal(gain=8)");
}
