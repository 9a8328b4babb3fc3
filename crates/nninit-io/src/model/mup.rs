//! muP (maximal update parametrization) and CompleteP / depth-muP, in the
//! multiplier-free form that needs no change to a model's forward pass:
//! per parameter, the initializer (a plan's, rescaled) and the optimizer's
//! learning rate, weight decay and eps.
//!
//! Sources: microsoft/mup (`mup/infshape.py`, `shape.py`, `layer.py`,
//! `optim.py`); Tensor Programs V (Yang et al. 2022), Table 3 (the
//! multiplier-free muP for Adam); CompleteP (Dey et al. 2025) as its
//! reference code sets it (EleutherAI nanoGPT-mup, branch `completep`,
//! `model.py`, `configure_optimizers`).
//!
//! A dimension is *infinite* where the model's size differs from the base
//! model's (microsoft/mup's `InfDim`); its width multiplier m is
//! size / base size. A weight's dims are `[fan_out, fan_in, ...]` (torch's
//! layout). With w = the parameter's `width_mult` (its last infinite dim's
//! multiplier: fan_in's for a hidden weight):
//!
//! | parameter | infinite dims | init | Adam lr | SGD lr |
//! |---|---|---|---|---|
//! | hidden weight | fan_out, fan_in | variance base / m_in (torch's 1/fan_in init as it is) | lr / w, wd x w | lr / (m_in / m_out), wd x (m_in / m_out) |
//! | readout (output) weight (not an embedding) | fan_in | variance base / m_in^2 (torch's / sqrt(m_in)), or zero | lr / m_in | lr / m_in |
//! | input weight, bias, norm | one | the base's variance (a torch bias at its base fan_in) | lr | lr x w, wd / w |
//! | anything else | none | the scheme's |
//!
//! "Variance base" is the variance the plan's initializer gives the same
//! parameter at its base shape: a scheme with a fixed std (megatron's
//! sigma) gets its hidden weights scaled by 1/sqrt(m_in), as Megatron's own
//! `use_mup` does; torch's default, already 1/fan_in, is left as it is. lr | lr |
//!
//! Every row but the readout's equals microsoft/mup's `MuAdam`/`MuSGD` on
//! the same model with a `MuReadout` head, after `set_base_shapes`
//! (`rescale_params=True`: biases x sqrt(fanin_mult), the readout x sqrt(m)
//! with a 1/m forward factor, which for Adam with the base lr is the
//! multiplier-free init / sqrt(m) with lr / m).
//!
//! CompleteP (`depth_alpha` = alpha: 1 CompleteP, 0.5 depth-muP), with
//! m_N the width multiplier and m_L = blocks / base blocks: hidden weights
//! lr x m_N^-1 m_L^(alpha-1), weight decay x m_N; norms and biases inside
//! blocks lr x m_L^(alpha-1) with no weight decay; embeddings and the final
//! norm the base lr (no weight decay for the norm); every group's eps x
//! m_N^-1 m_L^-alpha. The residual branches must be multiplied by
//! m_L^-alpha in the forward pass (x + m_L^-alpha F(x)): reported, not done.

use super::plan::{Entry, Plan, Source};
use super::role::layer_of;
use nninit::error::{Error, Result};
use nninit::{Init, Layout};
use serde::Serialize;
use std::collections::HashMap;

/// The optimizer the learning rates are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimizer {
    /// Adam (entrywise-normalized updates, L2 weight decay in the gradient).
    Adam,
    /// AdamW (decoupled weight decay).
    AdamW,
    /// SGD.
    Sgd,
}

impl Optimizer {
    /// `adam`, `adamw` or `sgd`.
    pub fn parse(s: &str) -> Result<Optimizer> {
        match s.to_ascii_lowercase().as_str() {
            "adam" => Ok(Optimizer::Adam),
            "adamw" => Ok(Optimizer::AdamW),
            "sgd" => Ok(Optimizer::Sgd),
            _ => Err(Error::unknown_name(
                "optimizer",
                s,
                &["adam", "adamw", "sgd"],
            )),
        }
    }
}

/// Where the base widths come from.
#[derive(Debug, Clone)]
pub enum Base {
    /// The base model's shape of each parameter, by name.
    Shapes(Vec<(String, Vec<usize>)>),
    /// Base width of each model width (a dim of size `k` is infinite with
    /// base `v`); sizes not listed are finite.
    Widths(Vec<(usize, usize)>),
}

/// The options of [`mup`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Adam(W) or SGD.
    pub optimizer: Optimizer,
    /// The base learning rate (tuned on the base model).
    pub lr: f64,
    /// The base weight decay.
    pub weight_decay: f64,
    /// The optimizer's base eps (Adam's 1e-8).
    pub eps: f64,
    /// CompleteP's alpha (None: width only).
    pub depth_alpha: Option<f64>,
    /// Zero the readout instead of scaling it.
    pub readout_zero: bool,
}

/// What muP makes of one parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Qualified name.
    pub name: String,
    /// `hidden`, `readout`, `input`, `vector` (bias, norm) or `fixed`.
    pub kind: &'static str,
    /// microsoft/mup's `width_mult()` (1 for a finite parameter).
    pub width_mult: f64,
    /// Absolute learning rate.
    pub lr: f64,
    /// Absolute weight decay.
    pub weight_decay: f64,
    /// Absolute eps (CompleteP only).
    pub eps: Option<f64>,
}

/// The result of [`mup`]: the rescaled plan, a row per parameter (in the
/// plan's order), and CompleteP's factors.
#[derive(Debug, Clone)]
pub struct Mup {
    /// The plan with muP's initializers.
    pub plan: Plan,
    /// Learning rates and the rest, per parameter.
    pub rows: Vec<Row>,
    /// m_N: the largest width multiplier of any parameter.
    pub width_mult: f64,
    /// m_L: blocks / base blocks (1 without blocks).
    pub depth_mult: f64,
    /// The residual-branch multiplier m_L^-alpha the forward pass must apply
    /// (CompleteP only).
    pub residual_multiplier: Option<f64>,
}

fn bad(what: &'static str, value: String, expected: String) -> Error {
    Error::BadOption {
        option: what,
        value,
        expected,
    }
}

/// A name with its block index replaced by `*` (`layers.3.mlp.weight` ->
/// `layers.*.mlp.weight`); the name itself outside blocks.
fn without_layer(name: &str) -> String {
    match layer_of(name) {
        None => name.to_string(),
        Some(i) => {
            let parts: Vec<&str> = name.split('.').collect();
            let idx = i.to_string();
            let mut done = false;
            parts
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    if !done && k > 0 && *p == idx && layer_of(&parts[k - 1..].join(".")) == Some(i)
                    {
                        done = true;
                        "*"
                    } else {
                        p
                    }
                })
                .collect::<Vec<_>>()
                .join(".")
        }
    }
}

/// Infinite dims of a parameter: per dim, Some(multiplier) or None.
fn inf_dims(
    name: &str,
    shape: &[usize],
    base: &Base,
    shapes: &HashMap<String, Vec<usize>>,
) -> Result<Vec<Option<f64>>> {
    let base_shape: Vec<Option<usize>> = match base {
        Base::Shapes(_) => {
            // a deeper model than its base (depth transfer): a block's
            // parameter has the base shape of the same parameter of any base
            // block
            let found = shapes
                .get(name)
                .or_else(|| shapes.get(&without_layer(name)));
            let Some(b) = found else {
                return Err(bad(
                    "base",
                    name.to_string(),
                    "a parameter of the base model of the same name (the base must be the same architecture at its base width)".into(),
                ));
            };
            if b.len() != shape.len() {
                return Err(bad(
                    "base",
                    format!("{name} {b:?}"),
                    format!("a shape of the same rank as the model's {shape:?}"),
                ));
            }
            b.iter().map(|&x| Some(x)).collect()
        }
        Base::Widths(w) => shape
            .iter()
            .map(|d| w.iter().find(|(k, _)| k == d).map(|(_, v)| *v).or(Some(*d)))
            .collect(),
    };
    shape
        .iter()
        .zip(&base_shape)
        .map(|(&d, &b)| {
            let b = b.unwrap_or(d);
            if b == 0 {
                return Err(bad("base", format!("{name}: base size 0"), "sizes >= 1".into()));
            }
            if b > d {
                return Err(bad(
                    "base",
                    format!("{name}: base size {b} > the model's {d}"),
                    "a base model no wider than the model (base widths are the small ones the hyperparameters were tuned at)".into(),
                ));
            }
            Ok((b != d).then(|| d as f64 / b as f64))
        })
        .collect()
}

/// muP (and with `depth_alpha`, CompleteP) over `plan`: its initializers
/// rescaled where muP differs (the readout, biases) and each parameter's
/// optimizer settings. `base` gives the base widths; the model's and the
/// base's blocks (`layers.N`) give m_L.
pub fn mup(plan: &Plan, base: &Base, opts: &Options) -> Result<Mup> {
    if !(opts.lr.is_finite() && opts.lr > 0.0) {
        return Err(bad("lr", opts.lr.to_string(), "a finite number > 0".into()));
    }
    if !(opts.weight_decay.is_finite() && opts.weight_decay >= 0.0) {
        return Err(bad(
            "weight_decay",
            opts.weight_decay.to_string(),
            "a finite number >= 0".into(),
        ));
    }
    if !(opts.eps.is_finite() && opts.eps >= 0.0) {
        return Err(bad(
            "eps",
            opts.eps.to_string(),
            "a finite number >= 0".into(),
        ));
    }
    if let Some(a) = opts.depth_alpha {
        if !(0.0..=1.0).contains(&a) {
            return Err(bad(
                "depth_alpha",
                a.to_string(),
                "a number in [0, 1] (1 = CompleteP, 0.5 = depth-muP)".into(),
            ));
        }
    }
    // the base's shapes by name and by name without its block index
    let mut base_shapes: HashMap<String, Vec<usize>> = HashMap::new();
    if let Base::Shapes(shapes) = base {
        for (n, s) in shapes {
            base_shapes.insert(n.clone(), s.clone());
            base_shapes
                .entry(without_layer(n))
                .or_insert_with(|| s.clone());
        }
    }
    let infs: Vec<Vec<Option<f64>>> = plan
        .entries
        .iter()
        .map(|e| inf_dims(&e.name, &e.shape, base, &base_shapes))
        .collect::<Result<_>>()?;
    let index: HashMap<&str, usize> = plan
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.name.as_str(), i))
        .collect();
    if let Base::Shapes(shapes) = base {
        let model_keys: std::collections::HashSet<String> = plan
            .entries
            .iter()
            .flat_map(|e| [e.name.clone(), without_layer(&e.name)])
            .collect();
        if let Some((n, _)) = shapes
            .iter()
            .find(|(n, _)| !model_keys.contains(n) && !model_keys.contains(&without_layer(n)))
        {
            return Err(bad(
                "base",
                n.clone(),
                "a parameter the model has too (the base must be the same architecture)".into(),
            ));
        }
    }
    let width_mult = infs
        .iter()
        .flatten()
        .flatten()
        .fold(1.0_f64, |a, &b| a.max(b));
    let blocks = |names: &mut dyn Iterator<Item = &str>| {
        names.filter_map(layer_of).max().map_or(0, |l| l + 1)
    };
    let depth = blocks(&mut plan.entries.iter().map(|e| e.name.as_str()));
    let base_depth = match base {
        Base::Shapes(s) => blocks(&mut s.iter().map(|(n, _)| n.as_str())),
        Base::Widths(_) => depth,
    };
    let depth_mult = if depth > 0 && base_depth > 0 {
        depth as f64 / base_depth as f64
    } else {
        1.0
    };
    let alpha = opts.depth_alpha;
    let eps = alpha.map(|a| opts.eps / width_mult / depth_mult.powf(a));
    let mut entries: Vec<Entry> = Vec::with_capacity(plan.entries.len());
    let mut rows = Vec::with_capacity(plan.entries.len());
    for (e, inf) in plan.entries.iter().zip(&infs) {
        let ninf = inf.iter().filter(|d| d.is_some()).count();
        if ninf > 2 {
            return Err(Error::Unsupported(format!(
                "muP: `{}` {:?} has {ninf} dimensions that grow with width; microsoft/mup defines at most 2",
                e.name, e.shape
            )));
        }
        // microsoft/mup's width_mult: the last infinite dim's
        let w = inf.iter().rev().flatten().next().copied().unwrap_or(1.0);
        let matrix = e.shape.len() >= 2;
        let (m_out, m_in) = if matrix {
            (inf[0].unwrap_or(1.0), inf[1].unwrap_or(1.0))
        } else {
            (1.0, 1.0)
        };
        // an embedding table [num, dim] is an input weight (microsoft/mup:
        // vector-like), although its dim sits where a Linear's fan_in does
        let embedding = e.role.is_some_and(|r| r.is_embedding())
            || matches!(e.module.as_str(), "Embedding" | "EmbeddingBag");
        let kind = if ninf == 2 {
            "hidden"
        } else if matrix && !embedding && inf[1].is_some() && inf[0].is_none() {
            "readout"
        } else if ninf == 1 && matrix {
            "input"
        } else if ninf == 1 {
            "vector"
        } else {
            "fixed"
        };
        let mut entry = e.clone();
        let recorded = matches!(entry.source, Source::Recorded { .. });
        let rescale = |entry: &mut Entry, c: f64, why: &str| -> Result<()> {
            if recorded {
                return Err(Error::Unsupported(format!(
                    "muP rescales `{}` ({why}), which its module's own code initializes ({}); give it a rule or use a scheme that covers it",
                    entry.name, entry.why
                )));
            }
            entry.init = entry.init.scaled(c, &entry.shape, Layout::Torch)?;
            entry.why = format!("{} x {c:.6} ({why})", entry.why);
            Ok(())
        };
        // the init's variance here over its variance at the base shape (1
        // for a fixed std, 1/m_in for a 1/fan_in init such as torch's)
        let base_shape: Vec<usize> = e
            .shape
            .iter()
            .zip(inf)
            .map(|(&d, m)| m.map_or(d, |m| (d as f64 / m).round() as usize))
            .collect();
        let here = e.init.second_moment(&e.shape, Layout::Torch)?;
        let there = e.init.second_moment(&base_shape, Layout::Torch)?;
        let ratio = if here > 0.0 && there > 0.0 {
            here / there
        } else {
            1.0
        };
        // muP's variance relative to the base model's: hidden 1/m_in,
        // readout 1/m_in^2, everything else the base's own
        let target = match kind {
            "hidden" => 1.0 / m_in,
            "readout" => 1.0 / (m_in * m_in),
            _ => 1.0,
        };
        let mut c = (target / ratio).sqrt();
        // torch's default bias U(+-1/sqrt(fan_in)) names its fan_in: drawn at
        // the base fan_in, as set_base_shapes' rescale_linear_bias
        if e.shape.len() == 1 && e.name.ends_with("bias") && e.why.starts_with("torch default") {
            let weight = format!("{}weight", e.name.strip_suffix("bias").unwrap_or(""));
            if let Some(&wi) = index.get(weight.as_str()) {
                c = infs[wi].get(1).copied().flatten().unwrap_or(1.0).sqrt();
            }
        }
        if kind == "readout" && opts.readout_zero {
            entry.init = Init::zeros();
            entry.why = "muP readout: zeros".into();
        } else if here > 0.0 && (c - 1.0).abs() > 1e-12 {
            let why = match kind {
                "hidden" => "muP hidden: variance / m_in",
                "readout" => "muP readout: variance / m_in^2",
                _ => "muP: the base model's variance",
            };
            rescale(&mut entry, c, why)?;
        }
        let (mut lr, mut wd) = match (opts.optimizer, kind) {
            // MuReadout's W = m W_eff with out = W x / m, rewritten for W_eff:
            // SGD and AdamW's decoupled decay need wd x m to decay W_eff as
            // MuSGD/MuAdamW decay W; Adam's L2 term (inside the normalized
            // update: g_W + wd W = (g_eff + wd m^2 W_eff) / m) wd x m^2
            (Optimizer::Adam, "readout") => (opts.lr / m_in, opts.weight_decay * m_in * m_in),
            (_, "readout") => (opts.lr / m_in, opts.weight_decay * m_in),
            (Optimizer::Adam | Optimizer::AdamW, "hidden") => (opts.lr / w, opts.weight_decay * w),
            (Optimizer::Sgd, "hidden") => {
                let r = m_in / m_out;
                (opts.lr / r, opts.weight_decay * r)
            }
            (Optimizer::Sgd, "input" | "vector") => (opts.lr * w, opts.weight_decay / w),
            _ => (opts.lr, opts.weight_decay),
        };
        if let Some(a) = alpha {
            let in_block = layer_of(&e.name).is_some();
            match kind {
                "hidden" => lr *= depth_mult.powf(a - 1.0),
                "vector" | "fixed" if e.shape.len() == 1 => {
                    wd = 0.0;
                    if in_block {
                        lr *= depth_mult.powf(a - 1.0);
                    }
                }
                _ => {}
            }
        }
        rows.push(Row {
            name: e.name.clone(),
            kind,
            width_mult: w,
            lr,
            weight_decay: wd,
            eps,
        });
        entries.push(entry);
    }
    Ok(Mup {
        plan: Plan {
            scheme: plan.scheme,
            entries,
        },
        rows,
        width_mult,
        depth_mult,
        residual_multiplier: alpha.map(|a| depth_mult.powf(-a)),
    })
}
