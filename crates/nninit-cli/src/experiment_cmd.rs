//! `nninit experiment`: the README's main job. Runs the grid of
//! `nninit_lab::experiment`, prints a summary table, writes `results.json` and a
//! self-contained `index.html` (see `report.rs`).

use crate::report;
use crate::train_cmd::{default_lr, load_split};
use crate::{lib, other, Failure};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use nninit_lab::experiment::{self, Cell, ExperimentConfig};
use nninit_lab::train::OptimizerKind;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
#[command(
    after_help = "Examples:\n  nninit experiment\n  nninit experiment --quick --out /tmp/report"
)]
pub struct ExperimentArgs {
    /// Output directory for results.json and index.html.
    #[arg(long, default_value = "nninit-report")]
    pub out: PathBuf,
    /// digits (bundled), fashion-mnist (Debian's dataset-fashion-mnist), a .csv (last column = label) or an .npz (arrays x, y).
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// Hidden layers of the MLP.
    #[arg(long, default_value_t = 10)]
    pub depth: usize,
    /// Width of each hidden layer.
    #[arg(long, default_value_t = 64)]
    pub width: usize,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_usize, default_value_t = 30)]
    pub epochs: usize,
    /// Learning rate of the main optimizer (default: 0.03 for sgd).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// sgd (default), momentum or adam.
    #[arg(long, default_value = "sgd")]
    pub optimizer: String,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_usize, default_value_t = 32)]
    pub batch: usize,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_u64, default_value_t = 0)]
    pub seed: u64,
    /// A fast, smaller run (5 epochs, depth 6): for tests and a first look.
    #[arg(long, conflicts_with_all = ["depth", "epochs"])]
    pub quick: bool,
}

pub fn run(a: ExperimentArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let optimizer = OptimizerKind::parse(&a.optimizer).map_err(lib)?;
    let (depth, epochs) = if a.quick {
        (a.depth.min(6), a.epochs.min(5))
    } else {
        (a.depth, a.epochs)
    };
    if depth == 0 || depth > 1000 || a.width == 0 || a.width > 1 << 16 {
        return Err(lib(nninit::Error::BadShape {
            shape: format!("depth {depth}, width {}", a.width),
            reason: "--depth must be 1..=1000 and --width 1..=65536".into(),
        }));
    }
    let cfg = ExperimentConfig {
        depth,
        width: a.width,
        epochs,
        lr: a.lr.unwrap_or(default_lr(optimizer)),
        adam_lr: default_lr(OptimizerKind::Adam),
        batch: a.batch,
        seed: a.seed,
        optimizer,
        activations: vec![
            "sigmoid".into(),
            "tanh".into(),
            "relu".into(),
            "leaky_relu(0.01)".into(),
        ],
    };
    nninit_lab::train::TrainConfig {
        optimizer,
        lr: cfg.lr,
        epochs,
        batch: a.batch,
        seed: a.seed,
    }
    .validate()
    .map_err(|e| match e {
        // the same rules as `train`, reported under this command's name
        nninit::Error::BadParam {
            param,
            value,
            expected,
            ..
        } => lib(nninit::Error::BadParam {
            init: "experiment".into(),
            param,
            value,
            expected,
        }),
        e => lib(e),
    })?;
    std::fs::create_dir_all(&a.out).map_err(|e| {
        other(anyhow::anyhow!(
            "cannot create output directory `{}`: {e}",
            a.out.display()
        ))
    })?;
    let probe_write = a.out.join(".nninit-write-check");
    std::fs::write(&probe_write, b"").map_err(|e| {
        other(anyhow::anyhow!(
            "cannot write into `{}`: {e}",
            a.out.display()
        ))
    })?;
    let _ = std::fs::remove_file(&probe_write);
    let (tr, te) = load_split(&a.data, a.seed).map_err(lib)?;
    let total = cfg.activations.len() * 8
        + if optimizer == OptimizerKind::Adam {
            0
        } else {
            4
        };
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} runs  {elapsed}  {msg}")
            .expect("valid template"),
    );
    let cells = experiment::run(&cfg, &tr, &te, |c: &Cell| {
        bar.set_message(format!(
            "{} / {}: {:.1}%",
            c.init_label,
            c.activation,
            100.0 * c.history.test_accuracy
        ));
        bar.inc(1);
    })
    .map_err(lib)?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let results = serde_json::json!({
        "nninit_version": env!("CARGO_PKG_VERSION"),
        "data": tr.name,
        "train_samples": tr.y.len(),
        "test_samples": te.y.len(),
        "config": cfg,
        "seconds": elapsed,
        "cells": cells,
    });
    let text = serde_json::to_string_pretty(&results).map_err(|e| other(e.into()))?;
    crate::write_atomic(&a.out.join("results.json"), text.as_bytes())?;
    let html =
        report::render(&cfg, &cells, &tr.name, tr.y.len(), te.y.len(), elapsed).map_err(other)?;
    crate::write_atomic(&a.out.join("index.html"), html.as_bytes())?;
    // the results are on disk before anything is printed: a closed stdout
    // (`nninit experiment | true`) ends the printing, not the work
    print_summary(&cfg, &cells, &tr, &te);
    outln!(
        "wrote {} and {} ({elapsed:.1} s)",
        a.out.join("results.json").display(),
        a.out.join("index.html").display()
    );
    Ok(())
}

fn print_summary(
    cfg: &ExperimentConfig,
    cells: &[Cell],
    tr: &nninit_lab::data::Dataset,
    te: &nninit_lab::data::Dataset,
) {
    outln!(
        "{} ({} train / {} test), MLP {},{}x{},{}, {} lr {}, {} epochs of batch {}",
        tr.name,
        tr.y.len(),
        te.y.len(),
        tr.x.ncols(),
        cfg.width,
        cfg.depth,
        tr.classes,
        cfg.optimizer.name(),
        cfg.lr,
        cfg.epochs,
        cfg.batch
    );
    out!("{:<16}", "init \\ act");
    for act in &cfg.activations {
        out!(" {:<26}", act);
    }
    outln!();
    let labels: Vec<&str> = cells
        .iter()
        .filter(|c| c.optimizer == cfg.optimizer && c.init_label != experiment::ADAM_LABEL)
        .map(|c| c.init_label.as_str())
        .fold(Vec::new(), |mut v, l| {
            if !v.contains(&l) {
                v.push(l);
            }
            v
        });
    for label in labels {
        out!("{label:<16}");
        for act in &cfg.activations {
            let act = nninit::Activation::parse(act)
                .map(|a| a.name())
                .unwrap_or_default();
            match cells.iter().find(|c| {
                c.init_label == label && c.activation == act && c.optimizer == cfg.optimizer
            }) {
                Some(c) => out!(" {:<26}", cell_text(c)),
                None => out!(" {:<26}", "-"),
            }
        }
        outln!();
    }
    for c in cells
        .iter()
        .filter(|c| c.init_label == experiment::ADAM_LABEL)
    {
        outln!(
            "{} / {} with {}: {}",
            c.init_label,
            c.activation,
            c.optimizer.name(),
            cell_text(c)
        );
    }
}

/// `96.5% healthy` or `DIVERGED exploding`.
pub fn cell_text(c: &Cell) -> String {
    if c.history.diverged {
        format!("DIVERGED ({})", c.at_init.verdict)
    } else {
        format!(
            "{:5.1}% {}",
            100.0 * c.history.test_accuracy,
            c.at_init.verdict
        )
    }
}
