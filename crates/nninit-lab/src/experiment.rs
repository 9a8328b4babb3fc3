//! The experiment behind `nninit experiment`: the seed document's story as a
//! grid of initializers x activations on one deep MLP, each probed at
//! initialization and then trained. Returns plain data; the CLI renders it.

use crate::data::Dataset;
use crate::nn::Mlp;
use crate::probe::{probe, ProbeConfig, WeightInit};
use crate::train::{train, History, OptimizerKind, TrainConfig};
use nninit::error::Result;
use nninit::Activation;
use nninit::Init;
use rayon::prelude::*;
use serde::Serialize;

/// The grid's settings.
#[derive(Debug, Clone, Serialize)]
pub struct ExperimentConfig {
    pub depth: usize,
    pub width: usize,
    pub epochs: usize,
    pub lr: f64,
    /// learning rate of the Adam comparison cells
    pub adam_lr: f64,
    pub batch: usize,
    pub seed: u64,
    pub optimizer: OptimizerKind,
    pub activations: Vec<String>,
}

/// The initializers of the grid for an activation: (label, expression).
/// `kaiming` uses the activation's own PyTorch gain (and leaky ReLU's slope).
pub fn initializers(act: &Activation) -> Vec<(&'static str, String)> {
    let kaiming = match act {
        Activation::Relu => "kaiming_normal(nonlinearity=relu)".to_string(),
        Activation::LeakyRelu { slope, .. } => {
            format!("kaiming_normal(a={slope}, nonlinearity=leaky_relu)")
        }
        Activation::Tanh => "kaiming_normal(nonlinearity=tanh)".into(),
        Activation::Sigmoid => "kaiming_normal(nonlinearity=sigmoid)".into(),
        _ => "kaiming_normal(nonlinearity=relu)".into(),
    };
    vec![
        ("zeros", "zeros".into()),
        ("normal(0.01)", "normal(std=0.01)".into()),
        ("uniform(±0.01)", "uniform(a=-0.01, b=0.01)".into()),
        ("normal(1)", "normal(std=1)".into()),
        ("xavier", "xavier_normal".into()),
        ("kaiming", kaiming),
        ("orthogonal", "orthogonal".into()),
        ("lsuv", "lsuv".into()),
    ]
}

/// What the probe said at initialization.
#[derive(Debug, Clone, Serialize)]
pub struct InitSummary {
    pub verdict: crate::probe::Verdict,
    pub verdicts: Vec<crate::probe::Verdict>,
    pub forward_growth: f64,
    pub backward_growth: f64,
    /// ||dL/dW|| per layer at initialization (on one training batch)
    pub grad_norms: Vec<f64>,
}

/// One cell of the grid.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub init_label: String,
    pub init: String,
    pub activation: String,
    pub optimizer: OptimizerKind,
    pub at_init: InitSummary,
    pub history: History,
}

/// Run one (initializer, activation, optimizer) cell.
pub fn run_cell(
    cfg: &ExperimentConfig,
    label: &str,
    expr: &str,
    act: Activation,
    optimizer: OptimizerKind,
    train_set: &Dataset,
    test_set: &Dataset,
) -> Result<Cell> {
    let mut sizes = vec![train_set.x.ncols()];
    sizes.extend(std::iter::repeat_n(cfg.width, cfg.depth));
    sizes.push(train_set.classes);
    let pcfg = ProbeConfig {
        rng: Default::default(),
        sizes: sizes.clone(),
        activation: act,
        init: WeightInit::parse(expr)?,
        bias: Init::zeros(),
        seed: cfg.seed,
    };
    let batch = crate::data::sample_rows(train_set, 128, cfg.seed);
    let report = probe(&pcfg, &batch.x, &batch.y)?;
    let (mut net, _): (Mlp<f32>, _) = crate::probe::build(&pcfg, &batch.x)?;
    let lr = if optimizer == OptimizerKind::Adam {
        cfg.adam_lr
    } else {
        cfg.lr
    };
    let tcfg = TrainConfig {
        optimizer,
        lr,
        epochs: cfg.epochs,
        batch: cfg.batch,
        seed: cfg.seed,
    };
    let history = train(&mut net, train_set, test_set, &tcfg, |_| {})?;
    Ok(Cell {
        init_label: label.to_string(),
        init: expr.to_string(),
        activation: act.name(),
        optimizer,
        at_init: InitSummary {
            verdict: report.verdict,
            verdicts: report.verdicts.clone(),
            forward_growth: report.forward_growth,
            backward_growth: report.backward_growth,
            grad_norms: report.layers.iter().map(|l| l.grad_norm).collect(),
        },
        history,
    })
}

/// Label of the SGD-vs-Adam comparison cells.
pub const ADAM_LABEL: &str = "normal(0.05)";

/// The grid: every activation x every initializer, plus `normal(0.05)` with
/// tanh and relu under both the main optimizer and Adam (to show what Adam's
/// normalisation hides). Cells run in
/// parallel; each is deterministic, so the result does not depend on scheduling.
/// `on_cell` is called as cells finish (from worker threads).
pub fn run(
    cfg: &ExperimentConfig,
    train_set: &Dataset,
    test_set: &Dataset,
    on_cell: impl Fn(&Cell) + Sync,
) -> Result<Vec<Cell>> {
    let acts: Vec<Activation> = cfg
        .activations
        .iter()
        .map(|a| Activation::parse(a))
        .collect::<Result<_>>()?;
    let mut jobs: Vec<(String, String, Activation, OptimizerKind)> = Vec::new();
    for act in &acts {
        for (label, expr) in initializers(act) {
            jobs.push((label.to_string(), expr, *act, cfg.optimizer));
        }
    }
    // Adam's normalisation against plain SGD on an initialization that is
    // still vanishing (normal(0.05): about 0.4x per layer on 64 inputs)
    if cfg.optimizer != OptimizerKind::Adam {
        for act in &acts {
            if matches!(act, Activation::Tanh | Activation::Relu) {
                for opt in [cfg.optimizer, OptimizerKind::Adam] {
                    jobs.push((ADAM_LABEL.into(), "normal(std=0.05)".into(), *act, opt));
                }
            }
        }
    }
    jobs.par_iter()
        .map(|(label, expr, act, opt)| {
            let c = run_cell(cfg, label, expr, *act, *opt, train_set, test_set)?;
            on_cell(&c);
            Ok(c)
        })
        .collect()
}
