//! Training on the bundled digits: determinism, divergence reporting, and
//! the seed document's claims as outcomes (fixed seeds; thresholds far from
//! the observed values so that they test the claim, not the noise).

use nninit::{Activation, Error, Init};
use nninit_lab::data::{digits, split, standardize};
use nninit_lab::nn::Mlp;
use nninit_lab::train::{train, OptimizerKind, TrainConfig};

fn data() -> (nninit_lab::data::Dataset, nninit_lab::data::Dataset) {
    let (mut tr, mut te) = split(&digits(), 0.25, 0);
    standardize(&mut tr, &mut te);
    (tr, te)
}

fn run(
    act: &str,
    init: &str,
    opt: OptimizerKind,
    lr: f64,
    epochs: usize,
    seed: u64,
) -> nninit_lab::train::History {
    let (tr, te) = data();
    let sizes = [64, 64, 64, 64, 64, 10];
    let mut net = Mlp::<f32>::new(
        &sizes,
        Activation::parse(act).unwrap(),
        &Init::parse(init).unwrap(),
        &Init::zeros(),
        seed,
    )
    .unwrap();
    let cfg = TrainConfig {
        optimizer: opt,
        lr,
        epochs,
        batch: 32,
        seed,
    };
    train(&mut net, &tr, &te, &cfg, |_| {}).unwrap()
}

#[test]
fn same_seed_same_losses() {
    let a = run("tanh", "xavier_normal", OptimizerKind::Sgd, 0.05, 3, 4);
    let b = run("tanh", "xavier_normal", OptimizerKind::Sgd, 0.05, 3, 4);
    let la: Vec<f64> = a.epochs.iter().map(|e| e.train_loss).collect();
    let lb: Vec<f64> = b.epochs.iter().map(|e| e.train_loss).collect();
    assert_eq!(la, lb);
    let c = run("tanh", "xavier_normal", OptimizerKind::Sgd, 0.05, 3, 5);
    assert_ne!(
        la,
        c.epochs.iter().map(|e| e.train_loss).collect::<Vec<_>>()
    );
}

#[test]
fn he_relu_learns_the_digits() {
    // observed about 0.95 after 10 epochs; chance is 0.1
    let h = run(
        "relu",
        "kaiming_normal(nonlinearity=relu)",
        OptimizerKind::Sgd,
        0.05,
        10,
        0,
    );
    assert!(!h.diverged);
    assert!(h.test_accuracy > 0.85, "{}", h.test_accuracy);
    assert_eq!(h.epochs.len(), 10);
    assert_eq!(h.epochs[0].grad_norms.len(), 5);
    for opt in [OptimizerKind::Momentum, OptimizerKind::Adam] {
        let lr = if opt == OptimizerKind::Adam {
            0.001
        } else {
            0.01
        };
        let h = run("relu", "kaiming_normal(nonlinearity=relu)", opt, lr, 10, 0);
        assert!(h.test_accuracy > 0.85, "{opt:?}: {}", h.test_accuracy);
    }
}

#[test]
fn zero_init_never_breaks_symmetry() {
    // every hidden unit stays identical: accuracy stays near chance (< 0.25)
    let h = run("tanh", "zeros", OptimizerKind::Sgd, 0.05, 10, 0);
    assert!(h.test_accuracy < 0.25, "{}", h.test_accuracy);
}

#[test]
fn large_init_diverges_and_says_where() {
    let h = run("relu", "normal(std=1)", OptimizerKind::Sgd, 0.1, 5, 0);
    assert!(h.diverged);
    let d = h.diverged_at.unwrap();
    assert!(d.epoch >= 1 && d.step >= 1);
    assert!(h.epochs.len() < 5);
}

#[test]
fn bad_config_is_an_error() {
    let (tr, te) = data();
    let mut net = Mlp::<f32>::new(
        &[64, 8, 10],
        Activation::Relu,
        &Init::parse("kaiming_normal").unwrap(),
        &Init::zeros(),
        0,
    )
    .unwrap();
    for (epochs, lr, batch) in [
        (0, 0.1, 32),
        (1, 0.0, 32),
        (1, -1.0, 32),
        (1, f64::NAN, 32),
        (1, 0.1, 0),
    ] {
        let cfg = TrainConfig {
            optimizer: OptimizerKind::Sgd,
            lr,
            epochs,
            batch,
            seed: 0,
        };
        assert!(
            matches!(
                train(&mut net, &tr, &te, &cfg, |_| {}),
                Err(Error::BadParam { .. })
            ),
            "{epochs} {lr} {batch}"
        );
    }
    let mut small = Mlp::<f32>::new(
        &[64, 8, 5],
        Activation::Relu,
        &Init::parse("kaiming_normal").unwrap(),
        &Init::zeros(),
        0,
    )
    .unwrap();
    let cfg = TrainConfig {
        optimizer: OptimizerKind::Sgd,
        lr: 0.1,
        epochs: 1,
        batch: 32,
        seed: 0,
    };
    let e = train(&mut small, &tr, &te, &cfg, |_| {}).unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
}

fn run_sizes(
    sizes: &[usize],
    act: &str,
    epochs: usize,
    batch: usize,
) -> nninit_lab::train::History {
    let (tr, te) = data();
    let mut net = Mlp::<f32>::new(
        sizes,
        Activation::parse(act).unwrap(),
        &Init::parse("kaiming_normal(nonlinearity=relu)").unwrap(),
        &Init::zeros(),
        0,
    )
    .unwrap();
    let cfg = TrainConfig {
        optimizer: OptimizerKind::Sgd,
        lr: 0.03,
        epochs,
        batch,
        seed: 0,
    };
    train(&mut net, &tr, &te, &cfg, |_| {}).unwrap()
}

fn bits(h: &nninit_lab::train::History) -> Vec<u64> {
    h.epochs
        .iter()
        .flat_map(|e| {
            [e.train_loss.to_bits(), e.test_accuracy.to_bits()]
                .into_iter()
                .chain(e.grad_norms.iter().map(|g| g.to_bits()))
        })
        .collect()
}

/// Layers wide enough that the products run on several threads (faer splits
/// the output, not the sum): the same losses, accuracies and gradient norms
/// bit for bit on one thread and on two.
#[test]
fn same_results_on_one_and_two_threads() {
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| run_sizes(&[64, 1024, 1024, 10], "tanh", 1, 256))
    };
    let (one, two) = (on(1), on(2));
    assert!(
        bits(&one) == bits(&two),
        "{:?}\n{:?}",
        one.epochs,
        two.epochs
    );
}

/// The issue-15 benchmark run (64,64x10,10, ReLU, He, SGD 0.03, batch 32),
/// pinned: an accidental change of the engine's arithmetic shows here. The
/// values are those of the engine before the workspace rewrite (the
/// `kaiming`/`relu` cell of `nninit experiment`'s results.json, v0.1.0).
#[test]
fn digits_losses_are_pinned() {
    let h = run_sizes(
        &[64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 10],
        "relu",
        2,
        32,
    );
    let losses: Vec<f64> = h.epochs.iter().map(|e| e.train_loss).collect();
    assert_eq!(losses, [1.85700334213317, 1.013990163495788]);
}
