//! `nninit train`: one run on real data, with a progress bar on a terminal.

use crate::{lib, other, Failure};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use nninit::Activation;
use nninit::Init;
use nninit_lab::data::{self, Dataset};
use nninit_lab::nn::parse_layers;
use nninit_lab::probe::{self, ProbeConfig, WeightInit};
use nninit_lab::train::{train, OptimizerKind, TrainConfig};
use std::path::PathBuf;

#[derive(Args)]
#[command(
    after_help = "Examples:\n  nninit train --layers 64,64x10,10 --activation relu --init \"kaiming_normal(nonlinearity=relu)\"\n  nninit train --data my.csv --layers 20,128x4,3 --optimizer adam --epochs 50 --out run/"
)]
pub struct TrainArgs {
    /// Random generator of the weights: nninit (keyed streams), numpy (np.random.seed(SEED), drawn
    /// w1, b1, w2, ...), numpy-default (np.random.default_rng(SEED), same order), torch
    /// (torch.manual_seed(SEED), same order, torch's kernels) or jax (tensor i from
    /// jax.random.fold_in(jax.random.key(SEED), i), same order).
    #[arg(long, default_value = "nninit")]
    pub rng: String,
    /// digits (bundled), fashion-mnist (Debian's dataset-fashion-mnist), a .csv (last column = label) or an .npz (x, y).
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// Layer sizes, e.g. 64,128x4,10.
    #[arg(long, default_value = "64,128x4,10")]
    pub layers: String,
    /// sigmoid, tanh, relu, leaky_relu[(slope)], elu[(alpha)], selu, gelu, silu, linear.
    #[arg(long, default_value = "relu")]
    pub activation: String,
    /// Weight init expression or `lsuv` (default: the one suited to the activation).
    #[arg(long)]
    pub init: Option<String>,
    #[arg(long, default_value = "zeros")]
    pub bias: String,
    /// sgd, momentum or adam.
    #[arg(long, default_value = "sgd")]
    pub optimizer: String,
    /// Learning rate (default 0.03 for sgd, 0.01 for momentum, 0.001 for adam; stable at depth 10).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_usize, default_value_t = 30)]
    pub epochs: usize,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_usize, default_value_t = 32)]
    pub batch: usize,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_u64, default_value_t = 0)]
    pub seed: u64,
    /// Print the history as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write history.json and the trained weights (model.safetensors, names w1, b1, ...) into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The dataset's train and test sets (see `nninit_lab::data::load_split`).
pub fn load_split(spec: &str, seed: u64) -> Result<(Dataset, Dataset), nninit::Error> {
    data::load_split(spec, seed)
}

pub fn default_lr(opt: OptimizerKind) -> f64 {
    match opt {
        OptimizerKind::Sgd => 0.03,
        OptimizerKind::Momentum => 0.01,
        OptimizerKind::Adam => 0.001,
    }
}

/// The progress bar: the count is of finished epochs and the message quotes
/// the epoch it comes from, so the label never reads as the epoch still running.
const PROGRESS: &str = "{bar:30} {pos}/{len} epochs done  {msg}";

fn progress_message(e: &nninit_lab::train::EpochRecord) -> String {
    format!(
        "epoch {}: loss {:.4}, test acc {:.3}",
        e.epoch, e.train_loss, e.test_accuracy
    )
}

pub fn run(a: TrainArgs) -> Result<(), Failure> {
    // validate every flag before any work or output
    let sizes = parse_layers(&a.layers).map_err(lib)?;
    let activation = Activation::parse(&a.activation).map_err(lib)?;
    let init = match a.init.as_deref() {
        Some(e) => WeightInit::parse(e),
        None => Ok(WeightInit::Tensor(activation.recommended_init())),
    }
    .map_err(lib)?;
    let bias = Init::parse(&a.bias).map_err(lib)?;
    let optimizer = OptimizerKind::parse(&a.optimizer).map_err(lib)?;
    let cfg = TrainConfig {
        optimizer,
        lr: a.lr.unwrap_or(default_lr(optimizer)),
        epochs: a.epochs,
        batch: a.batch,
        seed: a.seed,
    };
    cfg.validate().map_err(lib)?;
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| {
            other(anyhow::anyhow!(
                "cannot create output directory `{}`: {e}",
                dir.display()
            ))
        })?;
    }
    let (tr, te) = load_split(&a.data, a.seed).map_err(lib)?;
    if tr.x.ncols() != sizes[0] || tr.classes > *sizes.last().unwrap() {
        return Err(lib(nninit::Error::BadShape {
            shape: a.layers.clone(),
            reason: format!(
                "{} has {} features and {} classes: the layers must start with {} and end with at least {}",
                tr.name,
                tr.x.ncols(),
                tr.classes,
                tr.x.ncols(),
                tr.classes
            ),
        }));
    }
    let pcfg = ProbeConfig {
        rng: nninit::rng::RngKind::parse(&a.rng).map_err(lib)?,
        sizes: sizes.clone(),
        activation,
        init,
        bias,
        seed: a.seed,
    };
    let probe_batch = data::sample_rows(&tr, 128, a.seed);
    let (mut net, _) = probe::build(&pcfg, &probe_batch.x).map_err(lib)?;
    let bar = ProgressBar::new(cfg.epochs as u64);
    bar.set_style(ProgressStyle::with_template(PROGRESS).expect("valid template"));
    let hist = train(&mut net, &tr, &te, &cfg, |e| {
        bar.set_message(progress_message(e));
        bar.inc(1);
    })
    .map_err(lib)?;
    bar.finish_and_clear();
    let json = serde_json::json!({
        "data": tr.name,
        "layers": sizes,
        "activation": activation.name(),
        "init": pcfg.init.expr(),
        "optimizer": optimizer.name(),
        "lr": cfg.lr,
        "batch": cfg.batch,
        "seed": cfg.seed,
        "test_accuracy": hist.test_accuracy,
        "initial_test_accuracy": hist.initial_test_accuracy,
        "epochs": hist.epochs,
        "diverged": hist.diverged,
        "diverged_at": hist.diverged_at,
    });
    if let Some(dir) = &a.out {
        let text = serde_json::to_string_pretty(&json).map_err(|e| other(e.into()))?;
        crate::write_atomic(&dir.join("history.json"), text.as_bytes())?;
        let names: Vec<(String, String)> = (1..=net.layers.len())
            .map(|l| (format!("w{l}"), format!("b{l}")))
            .collect();
        // the shapes `nninit init --naming seed` gives the same names:
        // w{l} (n_l, n_{l-1}) and b{l} (n_l, 1), as the seed document's
        // initialize_parameters
        let shapes: Vec<([usize; 2], [usize; 2])> = net
            .layers
            .iter()
            .map(|l| ([l.w.nrows(), l.w.ncols()], [l.b.len(), 1]))
            .collect();
        let mut arrays: Vec<(&str, &[usize], &[f32])> = Vec::new();
        for ((l, (wn, bn)), (ws, bs)) in net.layers.iter().zip(&names).zip(&shapes) {
            arrays.push((wn, ws, l.w.as_slice().expect("standard layout")));
            arrays.push((bn, bs, l.b.as_slice().expect("contiguous")));
        }
        let mut meta = std::collections::BTreeMap::new();
        meta.insert("format".to_string(), "pt".to_string());
        meta.insert(
            "nninit_version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        );
        meta.insert("seed".to_string(), a.seed.to_string());
        meta.insert(
            "trained".to_string(),
            format!(
                "{} epochs of {} (lr {}) on {}, seed {}, from {}",
                hist.epochs.len(),
                optimizer.name(),
                cfg.lr,
                tr.name,
                a.seed,
                pcfg.init.expr()
            ),
        );
        nninit_io::save_f32_safetensors(&dir.join("model.safetensors"), &arrays, &meta)
            .map_err(lib)?;
    }
    if a.json {
        outln!("{json}");
    } else {
        outln!(
            "{} {} on {} ({} train / {} test), {} lr {}, {} epochs of batch {}",
            activation.name(),
            pcfg.init.expr(),
            tr.name,
            tr.y.len(),
            te.y.len(),
            optimizer.name(),
            cfg.lr,
            cfg.epochs,
            cfg.batch
        );
        for e in &hist.epochs {
            if e.epoch == 1 || e.epoch % 5 == 0 || e.epoch == hist.epochs.len() {
                outln!(
                    "epoch {:>4}  train loss {:.4}  test accuracy {:.3}",
                    e.epoch,
                    e.train_loss,
                    e.test_accuracy
                );
            }
        }
        match &hist.diverged_at {
            Some(d) => outln!(
                "DIVERGED at epoch {} step {}{}: {}",
                d.epoch,
                d.step,
                d.layer.map_or(String::new(), |l| format!(" (layer {l})")),
                d.what
            ),
            None => outln!(
                "test accuracy {:.3} (at initialization {:.3})",
                hist.test_accuracy,
                hist.initial_test_accuracy
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After epoch 3 of 30 the bar reads "3/30 epochs done  epoch 3: ...":
    /// the count and the figures are of the same, finished epoch.
    #[test]
    fn progress_names_the_finished_epoch() {
        let bar = ProgressBar::hidden();
        bar.set_length(30);
        bar.set_style(ProgressStyle::with_template(PROGRESS).unwrap());
        let e = nninit_lab::train::EpochRecord {
            epoch: 3,
            train_loss: 0.5,
            test_accuracy: 0.9,
            grad_norms: vec![],
        };
        bar.set_message(progress_message(&e));
        bar.set_position(3);
        assert_eq!(bar.message(), "epoch 3: loss 0.5000, test acc 0.900");
        assert_eq!(bar.position(), 3);
        assert!(PROGRESS.contains("{pos}/{len} epochs done"));
    }
}
