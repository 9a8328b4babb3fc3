//! `nninit probe`: flags, data, and rendering of the library's probe report.

use crate::plot::{line_chart, Series};
use crate::{lib, other, Failure};
use clap::Args;
use ndarray::Array2;
use nninit::Activation;
use nninit::Init;
use nninit_lab::data;
use nninit_lab::nn::parse_layers;
use nninit_lab::probe::{self, gaussian_batch, ProbeConfig, ProbeReport, Verdict, WeightInit};
use std::path::PathBuf;

#[derive(Args)]
#[command(
    after_help = "Examples:\n  nninit probe --layers 64,256x20,10 --activation tanh --init \"normal(std=0.01)\"\n  nninit probe --layers 64,256x20,10 --activation relu --init kaiming_normal --plot probe.svg\n  nninit probe --layers 64,256x50,10 --activation sigmoid --theory-only"
)]
pub struct ProbeArgs {
    /// Random generator of the weights: nninit (keyed streams), numpy (np.random.seed(SEED), drawn
    /// w1, b1, w2, ...), numpy-default (np.random.default_rng(SEED), same order), torch
    /// (torch.manual_seed(SEED), same order, torch's kernels) or jax (tensor i from
    /// jax.random.fold_in(jax.random.key(SEED), i), same order).
    #[arg(long, default_value = "nninit")]
    pub rng: String,
    /// Layer sizes, e.g. 64,256x20,10 (input, hidden..., output).
    #[arg(long)]
    pub layers: String,
    /// sigmoid, tanh, relu, leaky_relu[(slope)], elu, selu, gelu, silu, linear.
    #[arg(long, default_value = "relu")]
    pub activation: String,
    /// Weight init expression or `lsuv` (default: the one suited to the activation).
    #[arg(long)]
    pub init: Option<String>,
    /// Bias init expression.
    #[arg(long, default_value = "zeros")]
    pub bias: String,
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_u64, default_value_t = 0)]
    pub seed: u64,
    /// Batch size.
    #[arg(long, allow_hyphen_values = true, value_parser = crate::whole_usize, default_value_t = 128)]
    pub batch: usize,
    /// gaussian (standard-normal inputs), digits (bundled), fashion-mnist (Debian's dataset-fashion-mnist), a .csv (last column = label) or an .npz (arrays x, y).
    #[arg(long, default_value = "gaussian")]
    pub data: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write an SVG of activation std and gradient norm against depth.
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Only the mean-field prediction (no network is built: instant at any size).
    #[arg(long, conflicts_with_all = ["plot", "sweep_depth"])]
    pub theory_only: bool,
    /// Probe depths A..B of the hidden width and report the first layer's gradient norm.
    #[arg(long)]
    pub sweep_depth: Option<String>,
}

/// Validate the flags into a probe configuration (no I/O).
pub fn parse(a: &ProbeArgs) -> Result<ProbeConfig, nninit::Error> {
    let sizes = parse_layers(&a.layers)?;
    let activation = Activation::parse(&a.activation)?;
    let init = match &a.init {
        Some(e) => WeightInit::parse(e)?,
        None => WeightInit::Tensor(activation.recommended_init()),
    };
    let bias = Init::parse(&a.bias)?;
    if a.batch == 0 || a.batch > 1 << 20 {
        return Err(nninit::Error::BadShape {
            shape: a.batch.to_string(),
            reason: "--batch must be between 1 and 1048576".into(),
        });
    }
    // check the inits apply to every layer before doing any work
    for l in 1..sizes.len() {
        if let WeightInit::Tensor(i) = &init {
            i.check_shape(
                &[sizes[l], sizes[l - 1]],
                nninit::Layout::Torch,
                nninit::DType::F32,
            )?;
        }
        bias.check_shape(&[sizes[l]], nninit::Layout::Torch, nninit::DType::F32)?;
    }
    Ok(ProbeConfig {
        rng: nninit::rng::RngKind::parse(&a.rng)?,
        sizes,
        activation,
        init,
        bias,
        seed: a.seed,
    })
}

/// The batch: gaussian, digits or a CSV file.
pub fn batch(a: &ProbeArgs, cfg: &ProbeConfig) -> Result<(Array2<f32>, Vec<usize>), nninit::Error> {
    let n0 = cfg.sizes[0];
    let classes = *cfg.sizes.last().expect("sizes");
    if a.data.eq_ignore_ascii_case("gaussian") {
        // the whole job (network, activations) and the batch itself are
        // checked before the batch is drawn
        if !a.theory_only {
            nninit_lab::probe::check_memory(&cfg.sizes, a.batch)?;
        }
        let need = (a.batch as u64)
            .checked_mul(n0 as u64)
            .and_then(|n| n.checked_mul(4))
            .unwrap_or(u64::MAX);
        nninit_io::check_memory(&format!("an input batch of {} x {n0}", a.batch), need)?;
        return Ok(gaussian_batch(a.batch, n0, classes, cfg.seed));
    }
    let (train, _) = data::load_split(&a.data, cfg.seed)?;
    let d = &train;
    let b = data::sample_rows(&train, a.batch, cfg.seed);
    if b.x.ncols() != n0 || d.classes > classes {
        return Err(nninit::Error::BadShape {
            shape: a.layers.clone(),
            reason: format!(
                "{} has {} features and {} classes: the layers must start with {} and end with at least {} (e.g. --layers {},256x20,{})",
                d.name,
                b.x.ncols(),
                d.classes,
                b.x.ncols(),
                d.classes,
                b.x.ncols(),
                d.classes
            ),
        });
    }
    Ok((b.x, b.y))
}

fn fmt(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if !x.is_finite() {
        format!("{x}")
    } else if x.abs() >= 1e4 || x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else {
        format!("{x:.4}")
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), fmt)
}

pub fn print_table(r: &ProbeReport) {
    outln!(
        "{} on {:?} ({} weight layers), init {}, batch {}",
        r.activation,
        r.sizes,
        r.layers.len(),
        r.init,
        r.batch
    );
    outln!(
        "{:>5} {:>6} {:>6} {:>10} {:>10} {:>10} {:>6} {:>6} {:>10} {:>10} {:>10} {:>10} {:>6}",
        "layer",
        "fan_in",
        "fan_out",
        "act_mean",
        "act_std",
        "pred_std",
        "dead",
        "satur",
        "backward",
        "grad_norm",
        "grad_rel",
        "grad_ratio",
        "sym"
    );
    for (l, t) in r.layers.iter().zip(&r.theory) {
        outln!(
            "{:>5} {:>6} {:>6} {:>10} {:>10} {:>10} {:>6.2} {:>6.2} {:>10} {:>10} {:>10} {:>10} {:>6.3}",
            l.index,
            l.fan_in,
            l.fan_out,
            fmt(l.act_mean),
            fmt(l.act_std),
            fmt(t.act_std),
            l.dead_frac,
            l.saturated_frac,
            fmt(l.backward_norm),
            fmt(l.grad_norm),
            opt(l.grad_rel),
            opt(l.grad_ratio),
            l.symmetry
        );
    }
    if let Some(ls) = &r.lsuv {
        let it: Vec<String> = ls.iter().map(|l| l.iterations.to_string()).collect();
        outln!("LSUV iterations per layer: {}", it.join(" "));
    }
    outln!(
        "forward signal x{} across the net, backward signal x{}; loss {}",
        fmt(r.forward_growth),
        fmt(r.backward_growth),
        fmt(r.loss)
    );
    outln!("verdict: {}", Verdict::join(&r.verdicts));
    outln!("{}", r.reason);
    if r.verdict != Verdict::Healthy {
        outln!("recommendation: --init \"{}\"", r.recommendation);
    }
}

pub fn plot_svg(r: &ProbeReport) -> anyhow::Result<String> {
    let act: Vec<(f64, f64)> = r
        .layers
        .iter()
        .map(|l| (l.index as f64, l.act_std))
        .collect();
    let pred: Vec<(f64, f64)> = r
        .theory
        .iter()
        .map(|t| (t.index as f64, t.act_std))
        .collect();
    let grad: Vec<(f64, f64)> = r
        .layers
        .iter()
        .map(|l| (l.index as f64, l.grad_norm))
        .collect();
    let back: Vec<(f64, f64)> = r
        .layers
        .iter()
        .map(|l| (l.index as f64, l.backward_norm))
        .collect();
    line_chart(
        &format!(
            "{} / {}: {}",
            r.init,
            r.activation,
            Verdict::join(&r.verdicts)
        ),
        "layer",
        "value (log scale)",
        &[
            Series {
                label: "activation std".into(),
                points: act,
            },
            Series {
                label: "predicted std (mean field)".into(),
                points: pred,
            },
            Series {
                label: "weight gradient norm".into(),
                points: grad,
            },
            Series {
                label: "backward signal norm".into(),
                points: back,
            },
        ],
        true,
        760,
        420,
    )
}

/// `A..B` -> range.
fn parse_range(s: &str) -> Result<std::ops::RangeInclusive<usize>, nninit::Error> {
    let bad = || nninit::Error::BadShape {
        shape: s.to_string(),
        reason: "--sweep-depth takes A..B with 1 <= A <= B <= 1000, e.g. 1..50".into(),
    };
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let (a, b): (usize, usize) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim()
            .trim_start_matches('=')
            .parse()
            .map_err(|_| bad())?,
    );
    if a == 0 || a > b || b > 1000 {
        return Err(bad());
    }
    Ok(a..=b)
}

pub fn run(a: ProbeArgs) -> Result<(), Failure> {
    if let Some(p) = &a.plot {
        if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
            return Err(crate::input(anyhow::anyhow!(
                "--plot writes an SVG image: name it .svg (got `{}`)",
                p.display()
            )));
        }
    }
    let cfg = parse(&a).map_err(lib)?;
    if a.theory_only {
        let t = probe::theory_for(&cfg, 1.0).map_err(lib)?;
        if a.json {
            outln!("{}", serde_json::json!({ "theory": t }));
        } else {
            outln!(
                "{:>5} {:>10} {:>12} {:>10} {:>8} {:>12}",
                "layer",
                "sigma_w2",
                "q",
                "act_std",
                "chi",
                "backward_rel"
            );
            for l in &t {
                outln!(
                    "{:>5} {:>10} {:>12} {:>10} {:>8.4} {:>12}",
                    l.index,
                    fmt(l.sigma_w2),
                    fmt(l.q),
                    fmt(l.act_std),
                    l.chi,
                    fmt(l.backward_rel)
                );
            }
        }
        return Ok(());
    }
    let (x, y) = batch(&a, &cfg).map_err(lib)?;
    if let Some(range) = &a.sweep_depth {
        let range = parse_range(range).map_err(lib)?;
        if cfg.sizes.len() < 3 {
            return Err(lib(nninit::Error::BadShape {
                shape: a.layers.clone(),
                reason: "--sweep-depth needs a hidden layer to repeat, e.g. 64,256,10".into(),
            }));
        }
        let pts = probe::sweep_depth(
            cfg.sizes[0],
            cfg.sizes[1],
            *cfg.sizes.last().unwrap(),
            range,
            &cfg,
            &x,
            &y,
        )
        .map_err(lib)?;
        if a.json {
            outln!("{}", serde_json::json!({ "sweep": pts }));
        } else {
            outln!("{:>6} {:>14} verdict", "depth", "grad_norm[1]");
            for p in &pts {
                outln!(
                    "{:>6} {:>14} {}",
                    p.depth,
                    fmt(p.first_grad_norm),
                    p.verdict
                );
            }
        }
        if let Some(path) = &a.plot {
            let svg = line_chart(
                "first layer's gradient norm against depth",
                "hidden layers",
                "||dL/dW1|| (log scale)",
                &[Series {
                    label: cfg.init.expr(),
                    points: pts
                        .iter()
                        .map(|p| (p.depth as f64, p.first_grad_norm))
                        .collect(),
                }],
                true,
                760,
                420,
            )
            .map_err(other)?;
            crate::write_atomic(path, svg.as_bytes())?;
        }
        return Ok(());
    }
    let r = probe::probe(&cfg, &x, &y).map_err(lib)?;
    if a.json {
        outln!(
            "{}",
            serde_json::to_string(&r).map_err(|e| other(e.into()))?
        );
    } else {
        print_table(&r);
    }
    if let Some(path) = &a.plot {
        let svg = plot_svg(&r).map_err(other)?;
        crate::write_atomic(path, svg.as_bytes())?;
    }
    Ok(())
}
