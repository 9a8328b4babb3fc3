//! Exact semantics against the frameworks' own definitions: PyTorch's
//! `torch/nn/init.py` (`_calculate_fan_in_and_fan_out`, `calculate_gain`,
//! the `*_` functions), Keras' `keras/src/initializers/random_initializers.py`
//! and JAX's `jax/_src/nn/initializers.py` (`variance_scaling`, the presets):
//! fans, gains, bounds, structure of the deterministic initializers,
//! orthogonality, and one test per error. The literal values below were
//! computed by those libraries.

#![allow(clippy::approx_constant)] // the frameworks' literal values, on purpose

mod common;
use common::sample;
use half::bf16;
use nninit::{calculate_gain, fans, Error, Init, Layout, Stream};

#[test]
fn fans_torch_and_keras() {
    let f = fans(&[64, 3, 7, 7], Layout::Torch).unwrap();
    assert_eq!((f.fan_in, f.fan_out), (147, 3136));
    let f = fans(&[7, 7, 3, 64], Layout::Keras).unwrap();
    assert_eq!((f.fan_in, f.fan_out), (147, 3136));
    let f = fans(&[256, 784], Layout::Torch).unwrap();
    assert_eq!((f.fan_in, f.fan_out), (784, 256));
    let f = fans(&[784, 256], Layout::Keras).unwrap();
    assert_eq!((f.fan_in, f.fan_out), (784, 256));
    assert!(matches!(
        fans(&[5], Layout::Torch),
        Err(Error::BadShape { .. })
    ));
    assert!(matches!(
        fans(&[], Layout::Keras),
        Err(Error::BadShape { .. })
    ));
}

#[test]
fn gains_match_calculate_gain() {
    for nl in [
        "linear",
        "identity",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    ] {
        assert_eq!(calculate_gain(nl, None).unwrap(), 1.0);
    }
    assert_eq!(calculate_gain("tanh", None).unwrap(), 5.0 / 3.0);
    assert_eq!(calculate_gain("relu", None).unwrap(), 1.4142135623730951);
    assert_eq!(
        calculate_gain("leaky_relu", None).unwrap(),
        1.4141428569978354
    );
    assert_eq!(
        calculate_gain("leaky_relu", Some(0.0)).unwrap(),
        1.4142135623730951
    );
    assert_eq!(
        calculate_gain("leaky_relu", Some(10.0)).unwrap(),
        0.14071950894605836
    );
    assert_eq!(calculate_gain("selu", None).unwrap(), 0.75);
    // nninit's extension (PyTorch has none): the unit-second-moment gain
    assert_eq!(calculate_gain("gelu", None).unwrap(), 1.5335304411955362);
    assert_eq!(calculate_gain("silu", None).unwrap(), 1.676532470331092);
    assert!(matches!(
        calculate_gain("swish", None),
        Err(Error::UnknownName { .. })
    ));
    assert!(matches!(
        calculate_gain("leaky_relu", Some(f64::NAN)),
        Err(Error::BadParam { .. })
    ));
}

fn max_abs(v: &[f32]) -> f32 {
    v.iter().fold(0f32, |m, x| m.max(x.abs()))
}

#[test]
fn bounds_follow_torch_formulas() {
    // xavier_uniform on [20, 30]: b = sqrt(6/50); kaiming_uniform(fan_in=30): b = sqrt(2)*sqrt(3/30)
    let v = sample::<f32>("xavier_uniform", &[20, 30], 1, "w");
    assert!(max_abs(&v) <= (6.0f32 / 50.0).sqrt());
    assert!(max_abs(&v) > 0.9 * (6.0f32 / 50.0).sqrt());
    let v = sample::<f32>("kaiming_uniform(mode=fan_out)", &[20, 30], 1, "w");
    assert!(max_abs(&v) <= 2f32.sqrt() * (3.0f32 / 20.0).sqrt());
    let v = sample::<f32>("torch_default", &[20, 30], 1, "w");
    assert!(max_abs(&v) <= 1.0 / 30f32.sqrt() * 1.000001);
    let v = sample::<f32>("torch_default_bias(fan_in=30)", &[20], 1, "b");
    assert!(max_abs(&v) <= 1.0 / 30f32.sqrt());
    let v = sample::<f32>("torch_default_bias(fan_in=0)", &[4], 1, "b");
    assert_eq!(v, vec![0.0; 4]);
}

#[test]
fn constants_eye_identity() {
    assert_eq!(sample::<f32>("zeros", &[2, 3], 0, "t"), vec![0.0; 6]);
    assert_eq!(sample::<f32>("ones", &[], 0, "t"), vec![1.0]);
    assert_eq!(
        sample::<f64>("constant(val=-0.25)", &[3], 0, "t"),
        vec![-0.25; 3]
    );
    assert_eq!(
        sample::<f32>("eye", &[2, 3], 0, "t"),
        vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    );
    assert_eq!(
        sample::<f32>("identity(gain=2)", &[3, 2], 0, "t"),
        vec![2.0, 0.0, 0.0, 2.0, 0.0, 0.0]
    );
}

#[test]
fn dirac_matches_torch() {
    // torch.nn.init.dirac_(torch.empty(4, 2, 3), groups=2): out/groups = 2, min(2, 2) = 2
    let v = sample::<f32>("dirac(groups=2)", &[4, 2, 3], 0, "t");
    let mut expect = vec![0f32; 24];
    for g in 0..2 {
        for d in 0..2 {
            expect[((g * 2 + d) * 2 + d) * 3 + 1] = 1.0;
        }
    }
    assert_eq!(v, expect);
    // 4-D, groups 1, more out than in: w[d, d, 1, 1] = 1 for d < 3
    let v = sample::<f32>("dirac", &[5, 3, 3, 3], 0, "t");
    let ones: Vec<usize> = v
        .iter()
        .enumerate()
        .filter(|(_, &x)| x == 1.0)
        .map(|(i, _)| i)
        .collect();
    let expect: Vec<usize> = (0..3).map(|d| ((d * 3 + d) * 3 + 1) * 3 + 1).collect();
    assert_eq!(ones, expect);
}

fn gram_error<T: Copy + Into<f64>>(w: &[T], rows: usize, cols: usize, gain: f64) -> f64 {
    // max |W W^T - gain^2 I| (rows <= cols) or |W^T W - gain^2 I|, in f64
    let (a, b, by_rows) = if rows <= cols {
        (rows, cols, true)
    } else {
        (cols, rows, false)
    };
    let at = |i: usize, k: usize| {
        if by_rows {
            w[i * cols + k].into()
        } else {
            w[k * cols + i].into()
        }
    };
    let mut worst: f64 = 0.0;
    for i in 0..a {
        for j in 0..a {
            let dot: f64 = (0..b).map(|k| at(i, k) * at(j, k)).sum();
            let target = if i == j { gain * gain } else { 0.0 };
            worst = worst.max((dot - target).abs());
        }
    }
    worst
}

#[test]
fn orthogonal_rows_or_columns_are_orthonormal() {
    // 300 and 260 span three blocks of reflections, the last one partial
    for (rows, cols) in [
        (64, 64),
        (50, 130),
        (130, 50),
        (1, 7),
        (7, 1),
        (200, 200),
        (300, 260),
        (260, 300),
        (128, 128),
        (129, 129),
        (256, 257),
        (1000, 3),
        (3, 1000),
    ] {
        let w = sample::<f32>("orthogonal", &[rows, cols], 3, "w");
        let e = gram_error(&w, rows, cols, 1.0);
        assert!(
            e < 1e-6 * (rows.max(cols) as f64).sqrt().max(1.0) * 2.0,
            "{rows}x{cols}: {e}"
        );
    }
    let w = sample::<f32>("orthogonal(gain=2)", &[30, 40], 3, "w");
    assert!(gram_error(&w, 30, 40, 2.0) < 1e-5);
    let w = sample::<f32>("orthogonal(gain=2)", &[40, 30], 3, "w");
    assert!(gram_error(&w, 40, 30, 2.0) < 1e-5);
    let w = sample::<f64>("orthogonal(gain=0.5)", &[300, 300], 3, "w");
    assert!(gram_error(&w, 300, 300, 0.5) < 1e-12);
    // 4-D: rows = 8, cols = 3*3*3 = 27
    let w = sample::<f32>("orthogonal", &[8, 3, 3, 3], 3, "w");
    assert!(gram_error(&w, 8, 27, 1.0) < 1e-6);
}

#[test]
fn orthogonal_keras_layout_flattens_all_but_last() {
    let init = Init::parse("orthogonal").unwrap();
    let mut w = vec![0f32; 3 * 3 * 4 * 5];
    init.fill(&[3, 3, 4, 5], Layout::Keras, &Stream::new(0, "k"), &mut w)
        .unwrap();
    // rows = 36, cols = 5: orthonormal columns
    assert!(gram_error(&w, 36, 5, 1.0) < 1e-6);
}

#[test]
fn delta_orthogonal_centre_tap() {
    let init = Init::parse("delta_orthogonal(scale=1)").unwrap();
    let mut w = vec![0f32; 3 * 3 * 4 * 6];
    init.fill(&[3, 3, 4, 6], Layout::Keras, &Stream::new(0, "k"), &mut w)
        .unwrap();
    let centre = 4; // (3-1)/2 = 1 in both dims -> tap 1*3+1
    let m = &w[centre * 24..centre * 24 + 24];
    assert!(gram_error(m, 4, 6, 1.0) < 1e-6);
    let outside: f32 = w
        .iter()
        .enumerate()
        .filter(|(i, _)| i / 24 != centre)
        .map(|(_, x)| x.abs())
        .sum();
    assert_eq!(outside, 0.0);
    let err = init
        .fill(&[3, 3, 6, 4], Layout::Keras, &Stream::new(0, "k"), &mut w)
        .unwrap_err();
    assert!(
        err.to_string().contains("out channels >= in channels"),
        "{err}"
    );
}

#[test]
fn trunc_normal_in_bf16_never_leaves_the_bounds_and_does_not_pile_up() {
    // PyTorch <= 2.11 put values outside [a, b] in bf16 and piled them at the
    // bounds. N = 200_000: the bf16 bucket rounding to exactly 2 is
    // [2 - 2^-8, 2], mass about 0.0039 * 0.054 / 0.954 = 2.2e-4 -> 44 expected;
    // a pile-up from clamping would be thousands. Threshold 3x + 20.
    let v = sample::<bf16>("trunc_normal", &[200_000], 4, "t");
    let xs: Vec<f64> = v.iter().map(|x| x.to_f64()).collect();
    assert!(xs.iter().all(|&x| (-2.0..=2.0).contains(&x)));
    let at_bounds = xs.iter().filter(|&&x| x.abs() == 2.0).count();
    assert!(
        at_bounds < 3 * 88 + 20,
        "{at_bounds} values exactly at the bounds"
    );
    // small std with bounds that are not bf16 values: a = -0.0101, b = 0.0101
    let v = sample::<bf16>(
        "trunc_normal(std=0.01, a=-0.0101, b=0.0101)",
        &[100_000],
        4,
        "t",
    );
    assert!(v.iter().all(|x| (-0.0101..=0.0101).contains(&x.to_f64())));
}

#[test]
fn zero_element_and_scalar_tensors() {
    assert!(sample::<f32>("orthogonal", &[0, 5], 0, "t").is_empty());
    assert!(sample::<f32>("kaiming_normal", &[0, 5], 0, "t").is_empty());
    assert_eq!(sample::<f32>("normal", &[], 0, "t").len(), 1);
}

#[test]
fn seed_recipes_are_expressible() {
    // np.random.randn(n, m) * 0.01
    let v = sample::<f32>("normal(std=0.01)", &[100, 100], 1, "w1");
    let (_, s) = common::mean_std(&v.iter().map(|&x| x as f64).collect::<Vec<_>>());
    assert!((s - 0.01).abs() < 0.0005);
    // uniform in [-epsilon, epsilon]
    let v = sample::<f32>("uniform(a=-0.12, b=0.12)", &[100, 100], 1, "w1");
    assert!(max_abs(&v) <= 0.12);
    // He for ReLU: std sqrt(2 / size[l-1])
    let v = sample::<f32>("kaiming_normal(nonlinearity=relu)", &[100, 400], 1, "w1");
    let (_, s) = common::mean_std(&v.iter().map(|&x| x as f64).collect::<Vec<_>>());
    assert!((s / (2.0f64 / 400.0).sqrt() - 1.0).abs() < 0.02);
}

#[test]
fn canonical_expression_round_trips() {
    for e in [
        "uniform(a=-0.1, b=0.1)",
        "normal(mean=0, std=0.01)",
        "trunc_normal(mean=0, std=1, a=-2, b=2)",
        "kaiming_normal(a=0, mode=fan_out, nonlinearity=relu)",
        "variance_scaling(scale=2, mode=fan_geo_avg, distribution=uniform)",
        "he_normal",
        "sparse(sparsity=0.5, std=0.01)",
        "dirac(groups=2)",
    ] {
        let i = Init::parse(e).unwrap();
        assert_eq!(Init::parse(&i.to_string()).unwrap(), i, "{e}");
    }
    assert_eq!(
        Init::parse(" Kaiming_Normal( mode = 'FAN_OUT' ) ")
            .unwrap()
            .to_string(),
        "kaiming_normal(a=0, mode=fan_out, nonlinearity=leaky_relu)"
    );
}

// ---- one test per error ---------------------------------------------------

fn perr(e: &str) -> Error {
    Init::parse(e).unwrap_err()
}

#[test]
fn error_syntax() {
    for bad in [
        "",
        "normal(",
        "normal(std)",
        "normal(std=)",
        "normal(std=0.1",
        "normal(std=0.1))",
        "normal std",
        "normal(std=1e)",
    ] {
        assert!(
            matches!(perr(bad), Error::Syntax { .. }),
            "{bad}: {}",
            perr(bad)
        );
    }
}

#[test]
fn error_unknown_initializer_suggests() {
    let e = perr("kaiming_normall");
    assert!(
        matches!(&e, Error::UnknownName { suggestion: Some(s), .. } if s == "kaiming_normal"),
        "{e}"
    );
    assert!(
        e.to_string().contains("xavier_uniform"),
        "lists allowed: {e}"
    );
}

#[test]
fn error_unknown_param_suggests() {
    let e = perr("xavier_uniform(gian=2)");
    assert!(
        matches!(&e, Error::UnknownParam { suggestion: Some(s), .. } if s == "gain"),
        "{e}"
    );
}

#[test]
fn error_duplicate_param() {
    assert!(matches!(
        perr("normal(std=1, std=2)"),
        Error::DuplicateParam { .. }
    ));
}

#[test]
fn error_bad_values() {
    for bad in [
        "normal(std=-1)",
        "normal(std=nan)",
        "normal(mean=inf)",
        "uniform(a=1, b=0)",
        "trunc_normal(a=2, b=-2)",
        "normal(std=relu)",
        "kaiming_normal(a=relu)",
        "dirac(groups=0)",
        "dirac(groups=1.5)",
        "sparse(sparsity=1.5)",
        "sparse",
        "constant",
        "variance_scaling(scale=0)",
    ] {
        assert!(
            matches!(perr(bad), Error::BadParam { .. }),
            "{bad}: {}",
            perr(bad)
        );
    }
}

#[test]
fn error_unknown_mode_nonlinearity_distribution() {
    let e = perr("kaiming_normal(mode=fan_avg)");
    assert!(matches!(e, Error::UnknownName { what: "mode", .. }), "{e}");
    // a typo lists what kaiming takes (fan_in, fan_out), not every fan mode
    let e = perr("kaiming_normal(mode=fan_inn)").to_string();
    assert!(
        e.contains("fan_in") && e.contains("did you mean") && !e.contains("fan_avg"),
        "{e}"
    );
    let e = perr("kaiming_normal(nonlinearity=rleu)");
    assert!(
        matches!(&e, Error::UnknownName { what: "nonlinearity", suggestion: Some(s), .. } if s == "relu"),
        "{e}"
    );
    let e = perr("variance_scaling(distribution=gauss)");
    assert!(
        matches!(
            e,
            Error::UnknownName {
                what: "distribution",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn error_shape() {
    let init = Init::parse("kaiming_normal").unwrap();
    let mut v = vec![0f32; 5];
    let e = init
        .fill(&[5], Layout::Torch, &Stream::new(0, "b"), &mut v)
        .unwrap_err();
    assert!(
        matches!(e, Error::Shape { .. }) && e.to_string().contains("rank >= 2"),
        "{e}"
    );
    let e = Init::eye()
        .fill(&[5], Layout::Torch, &Stream::new(0, "b"), &mut v)
        .unwrap_err();
    assert!(matches!(e, Error::Shape { .. }));
    let mut v = vec![0f32; 3 * 2 * 3];
    let e = Init::dirac(2)
        .unwrap()
        .fill(&[3, 2, 3], Layout::Torch, &Stream::new(0, "b"), &mut v)
        .unwrap_err();
    assert!(e.to_string().contains("divisible by groups"), "{e}");
}

#[test]
fn error_bad_buffer_length() {
    let mut v = vec![0f32; 5];
    let e = Init::zeros()
        .fill(&[2, 3], Layout::Torch, &Stream::new(0, "b"), &mut v)
        .unwrap_err();
    assert!(matches!(e, Error::BadShape { .. }));
}

#[test]
fn error_range_not_shardable_or_out_of_bounds() {
    let mut v = vec![0f32; 4];
    let e = Init::orthogonal(1.0)
        .unwrap()
        .fill_range(&[4, 4], Layout::Torch, &Stream::new(0, "w"), 0, &mut v)
        .unwrap_err();
    assert!(matches!(e, Error::Range { .. }));
    let e = Init::zeros()
        .fill_range(&[4, 4], Layout::Torch, &Stream::new(0, "w"), 14, &mut v)
        .unwrap_err();
    assert!(matches!(e, Error::Range { .. }));
}

#[test]
fn error_interval_without_a_dtype_value() {
    let init = Init::parse("trunc_normal(a=1.001, b=1.002)").unwrap();
    let mut v = vec![bf16::ZERO; 4];
    let e = init
        .fill(&[4], Layout::Torch, &Stream::new(0, "t"), &mut v)
        .unwrap_err();
    assert!(e.to_string().contains("bf16"), "{e}");
}

#[test]
fn error_lsuv_is_not_a_tensor_initializer() {
    assert!(matches!(perr("lsuv"), Error::Unsupported(_)));
}
