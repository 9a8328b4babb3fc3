//! The probe's claims (issue: deep = 64,256x20,10), each with three seeds,
//! and the engine's gradients against finite differences.

use ndarray::Array2;
use nninit::{Activation, Init};
use nninit_lab::nn::loss::{mse, softmax_cross_entropy};
use nninit_lab::nn::{parse_layers, Mlp};
use nninit_lab::probe::{gaussian_batch, probe, ProbeConfig, Verdict, WeightInit};

fn verdict(init: &str, act: &str, seed: u64) -> (Verdict, Vec<Verdict>) {
    let cfg = ProbeConfig {
        rng: Default::default(),
        sizes: parse_layers("64,256x20,10").unwrap(),
        activation: Activation::parse(act).unwrap(),
        init: WeightInit::parse(init).unwrap(),
        bias: Init::zeros(),
        seed,
    };
    let (x, y) = gaussian_batch(128, 64, 10, seed);
    let r = probe(&cfg, &x, &y).unwrap();
    (r.verdict, r.verdicts)
}

fn claim(init: &str, act: &str, expect: Verdict) {
    for seed in [0, 1, 2] {
        let (v, all) = verdict(init, act, seed);
        assert_eq!(v, expect, "{init} with {act}, seed {seed}: {all:?}");
    }
}

#[test]
fn constant_weights_are_symmetric() {
    for act in ["tanh", "relu", "sigmoid"] {
        claim("zeros", act, Verdict::Symmetric);
        claim("constant(val=0.05)", act, Verdict::Symmetric);
    }
}

#[test]
fn small_weights_vanish_with_sigmoid_and_tanh() {
    for act in ["sigmoid", "tanh"] {
        claim("normal(std=0.01)", act, Verdict::Vanishing);
        claim("uniform(a=-0.01, b=0.01)", act, Verdict::Vanishing);
    }
}

#[test]
fn unit_normal_weights_explode_with_relu() {
    claim("normal(std=1)", "relu", Verdict::Exploding);
}

#[test]
fn fan_scaled_inits_are_healthy() {
    claim(
        "kaiming_normal(nonlinearity=relu)",
        "relu",
        Verdict::Healthy,
    );
    claim(
        "kaiming_uniform(nonlinearity=relu)",
        "relu",
        Verdict::Healthy,
    );
    claim(
        "kaiming_normal(a=0.2, nonlinearity=leaky_relu)",
        "leaky_relu(0.2)",
        Verdict::Healthy,
    );
    claim("xavier_normal", "tanh", Verdict::Healthy);
    claim("xavier_uniform", "tanh", Verdict::Healthy);
    claim("orthogonal", "tanh", Verdict::Healthy);
    claim("lecun_normal", "selu", Verdict::Healthy);
    claim("lsuv", "tanh", Verdict::Healthy);
}

#[test]
fn overflow_is_exploding_with_its_layer_not_a_crash() {
    let cfg = ProbeConfig {
        rng: Default::default(),
        sizes: parse_layers("64,256x30,10").unwrap(),
        activation: Activation::Relu,
        init: WeightInit::parse("normal(std=3)").unwrap(),
        bias: Init::zeros(),
        seed: 0,
    };
    let (x, y) = gaussian_batch(32, 64, 10, 0);
    let r = probe(&cfg, &x, &y).unwrap();
    assert_eq!(r.verdict, Verdict::Exploding);
    assert!(r.overflow_layer.is_some());
    serde_json::to_string(&r).expect("the report serializes even with overflow");
}

#[test]
fn theory_tracks_measurement_for_he_relu() {
    // Finite width makes each net's signal drift from the mean-field value
    // (log q_l has std about sqrt(5 l / width)); averaging over 16 seeds
    // brings that to about 3% at layer 6 of width 512, so 10% is > 3 sd.
    let sizes = parse_layers("64,512x6,10").unwrap();
    let mut measured = [0.0; 6];
    let mut predicted = [0.0; 6];
    for seed in 0..16 {
        let cfg = ProbeConfig {
            rng: Default::default(),
            sizes: sizes.clone(),
            activation: Activation::Relu,
            init: WeightInit::parse("kaiming_normal(nonlinearity=relu)").unwrap(),
            bias: Init::zeros(),
            seed,
        };
        let (x, y) = gaussian_batch(64, 64, 10, seed);
        let r = probe(&cfg, &x, &y).unwrap();
        for l in 0..6 {
            measured[l] += r.layers[l].act_std / 16.0;
            predicted[l] += r.theory[l].act_std / 16.0;
        }
    }
    for l in 0..6 {
        assert!(
            (measured[l] / predicted[l] - 1.0).abs() < 0.1,
            "layer {}: {} vs {}",
            l + 1,
            measured[l],
            predicted[l]
        );
    }
}

// ---- gradients against finite differences (f64) ----------------------------

fn loss_of(net: &Mlp<f64>, x: &Array2<f64>, y: &[usize]) -> f64 {
    softmax_cross_entropy(&net.predict(x.view()), y).0
}

#[test]
fn backward_matches_finite_differences() {
    let (xf, y) = gaussian_batch(7, 5, 3, 11);
    let x = xf.mapv(|v| v as f64);
    for act in [
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu(0.1)",
        "elu",
        "selu",
        "gelu",
        "silu",
        "linear",
    ] {
        let mut net = Mlp::<f64>::new(
            &[5, 6, 4, 3],
            Activation::parse(act).unwrap(),
            &Init::parse("normal(std=0.7)").unwrap(),
            &Init::parse("normal(std=0.1)").unwrap(),
            5,
        )
        .unwrap();
        let fwd = net.forward(x.view());
        let (_, d) = softmax_cross_entropy(fwd.output(), &y);
        let g = net.backward(&fwd, d);
        let h = 1e-6;
        for l in 0..3 {
            for (i, j) in [(0, 0), (1, 2), (2, 3)] {
                let (i, j) = (i % net.layers[l].w.nrows(), j % net.layers[l].w.ncols());
                let w0 = net.layers[l].w[[i, j]];
                net.layers[l].w[[i, j]] = w0 + h;
                let lp = loss_of(&net, &x, &y);
                net.layers[l].w[[i, j]] = w0 - h;
                let lm = loss_of(&net, &x, &y);
                net.layers[l].w[[i, j]] = w0;
                let fd = (lp - lm) / (2.0 * h);
                assert!(
                    (fd - g.dw[l][[i, j]]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{act} layer {l} w[{i},{j}]: fd {fd} vs {}",
                    g.dw[l][[i, j]]
                );
            }
            let b0 = net.layers[l].b[1];
            net.layers[l].b[1] = b0 + h;
            let lp = loss_of(&net, &x, &y);
            net.layers[l].b[1] = b0 - h;
            let lm = loss_of(&net, &x, &y);
            net.layers[l].b[1] = b0;
            let fd = (lp - lm) / (2.0 * h);
            assert!(
                (fd - g.db[l][1]).abs() < 1e-6 * (1.0 + fd.abs()),
                "{act} layer {l} b: fd {fd} vs {}",
                g.db[l][1]
            );
        }
    }
}

#[test]
fn mse_gradient() {
    let y = Array2::from_shape_vec((2, 2), vec![1.0f64, 2.0, 3.0, 4.0]).unwrap();
    let t = Array2::from_shape_vec((2, 2), vec![0.0f64, 2.0, 3.0, 6.0]).unwrap();
    let (l, g) = mse(&y, &t);
    assert_eq!(l, (1.0 + 4.0) / 4.0);
    assert_eq!(g[[0, 0]], 0.5);
    assert_eq!(g[[1, 1]], -1.0);
}

#[test]
fn the_recommendation_fixes_what_the_probe_found() {
    // every failing case of the claims above, probed again with the init the
    // probe recommended, is healthy (depth 20, seeds 0 and 1)
    for (init, act) in [
        ("zeros", "tanh"),
        ("normal(std=0.01)", "sigmoid"),
        ("normal(std=0.01)", "tanh"),
        ("uniform(a=-0.01, b=0.01)", "relu"),
        ("normal(std=1)", "relu"),
        ("normal(std=1)", "leaky_relu(0.2)"),
        ("normal(std=0.01)", "selu"),
    ] {
        for seed in [0, 1] {
            let sizes = parse_layers("64,256x20,10").unwrap();
            let (x, y) = gaussian_batch(128, 64, 10, seed);
            let cfg = |i: &str| ProbeConfig {
                rng: Default::default(),
                sizes: sizes.clone(),
                activation: Activation::parse(act).unwrap(),
                init: WeightInit::parse(i).unwrap(),
                bias: Init::zeros(),
                seed,
            };
            let bad = probe(&cfg(init), &x, &y).unwrap();
            assert_ne!(bad.verdict, Verdict::Healthy, "{init} / {act}");
            let fixed = probe(&cfg(&bad.recommendation), &x, &y).unwrap();
            assert_eq!(
                fixed.verdict,
                Verdict::Healthy,
                "{init} / {act}: recommended {} gave {:?}",
                bad.recommendation,
                fixed.verdicts
            );
        }
    }
}

#[test]
fn framework_rng_draws_the_weights_in_layer_order() {
    use nninit::rng::{NumpyLegacy, RngKind, Sequential};
    let init = Init::normal(0.0, 0.01).unwrap();
    let net = Mlp::<f64>::with_rng(
        &[5, 4, 3],
        Activation::Relu,
        &init,
        &Init::zeros(),
        1,
        RngKind::Numpy,
    )
    .unwrap();
    // np.random.seed(1): W1 = randn(4, 5) * 0.01, b1 zeros, W2 = randn(3, 4) * 0.01
    let mut g = NumpyLegacy::new(1).unwrap();
    let mut want = vec![0f64; 20 + 12];
    g.sample(&nninit::Dist::normal(0.0, 0.01).unwrap(), &mut want)
        .unwrap();
    assert_eq!(want[0], 1.6243453636632417 * 0.01);
    assert_eq!(net.layers[0].w.as_slice().unwrap(), &want[..20]);
    assert_eq!(net.layers[1].w.as_slice().unwrap(), &want[20..]);
    assert!(net.layers[0].b.iter().all(|&b| b == 0.0));
    // the default stays nninit's keyed streams
    let a = Mlp::<f64>::with_rng(
        &[5, 4, 3],
        Activation::Relu,
        &init,
        &Init::zeros(),
        1,
        RngKind::Nninit,
    )
    .unwrap();
    let b = Mlp::<f64>::new(&[5, 4, 3], Activation::Relu, &init, &Init::zeros(), 1).unwrap();
    assert_eq!(a.layers[0].w, b.layers[0].w);
}

#[test]
fn gelu_and_silu_gains_are_the_unit_second_moment_gains() {
    // nninit's extension of calculate_gain: 1 / sqrt(E[phi(z)^2]), z ~ N(0, 1),
    // re-derived here with the probe's own 96-node Gauss-Hermite rule; the same
    // rule gives ReLU sqrt(2) (He), the check that the definition is right
    use nninit_lab::probe::theory::gauss_hermite;
    let nodes = gauss_hermite(96);
    let gain = |act: &str| {
        let a = Activation::parse(act).unwrap();
        let m2: f64 = nodes.iter().map(|&(x, w)| w * a.f(x).powi(2)).sum();
        1.0 / m2.sqrt()
    };
    for (act, want) in [
        ("gelu", nninit::calculate_gain("gelu", None).unwrap()),
        ("silu", nninit::calculate_gain("silu", None).unwrap()),
    ] {
        assert!(
            (gain(act) - want).abs() < 1e-9,
            "{act}: {} vs {want}",
            gain(act)
        );
    }
    assert!((gain("relu") - 2f64.sqrt()).abs() < 1e-3);
}
