//! The probe: one batch forward and backward through an MLP at
//! initialization, per-layer statistics, and a verdict: `symmetric`,
//! `vanishing`, `exploding` or `healthy`, with secondary findings
//! (`saturated`, `dead`) and a recommendation.
//!
//! # How the verdict is decided (thresholds and why)
//! Not from the first/last weight-gradient ratio alone: with N(0, 0.01^2)
//! weights and tanh every layer's weight gradient is about 1e-17, so that
//! ratio stays near 1 while nothing can learn. Instead, in this order:
//! 1. **exploding** if any forward or backward value overflowed to inf/NaN
//!    (the first layer where it happened is reported).
//! 2. **symmetric** if some layer with more than one unit has symmetry at
//!    least [`SYMMETRY_MAX`] (0.999): its rows, or its units' activations, are
//!    identical up to rounding, so every unit computes and learns the same thing.
//! 3. With `F` = std of the last hidden layer's activations / std of the
//!    first's (the forward signal across depth) and `B` = backward-signal norm
//!    at layer 1 / at the last layer (the backward signal across depth):
//!    **exploding** if `F` or `B` > [`GROWTH_MAX`] (100x), **vanishing** if
//!    `F` or `B` < 1/[`GROWTH_MAX`], or if every layer's weight gradient is
//!    below [`GRAD_REL_MIN`] (1e-7) of the weights' own norm (absolute scale:
//!    no learning rate makes such a step count). A factor of 100 across the
//!    net is where plain SGD with one learning rate can no longer serve the
//!    first and last layers at once; healthy inits (He for ReLU, Xavier or
//!    orthogonal for tanh, LeCun for SELU) stay within about 10x at depth 20.
//! 4. otherwise **healthy**.
//!
//! Secondary findings: **saturated** if some hidden layer has more than half
//! its activations saturated (|tanh| > 0.99, sigmoid outside [0.01, 0.99]);
//! **dead** if some ReLU-family layer has more than half its units never
//! active on the batch.

pub mod rules;
pub mod theory;

use crate::nn::loss::softmax_cross_entropy;
use crate::nn::lsuv::{lsuv, LsuvLayer};
use crate::nn::Mlp;
use ndarray::Array2;
use nninit::error::{Error, Result};
use nninit::rng::{Stream, Tag};
use nninit::Activation;
use nninit::Init;
use nninit::Layout;
use rayon::prelude::*;
use serde::Serialize;
use theory::TheoryLayer;

/// Rows (or units) this alike count as identical.
pub const SYMMETRY_MAX: f64 = 0.999;
/// Growth or decay of a signal across the whole net counted as exploding/vanishing.
pub const GROWTH_MAX: f64 = 100.0;
/// Weight gradients this small relative to the weights are "no gradient".
pub const GRAD_REL_MIN: f64 = 1e-7;
/// Fraction of saturated activations / dead units that is reported.
pub const FRACTION_FLAG: f64 = 0.5;

/// How the weights are initialized: a tensor initializer, or LSUV.
#[derive(Debug, Clone)]
pub enum WeightInit {
    Tensor(Init),
    /// LSUV with tolerance and maximum iterations (paper: 0.1, 10).
    Lsuv {
        tol: f64,
        max_iter: usize,
    },
}

impl WeightInit {
    /// `lsuv` or any init expression.
    pub fn parse(s: &str) -> Result<Self> {
        if s.trim().eq_ignore_ascii_case("lsuv") {
            Ok(WeightInit::Lsuv {
                tol: 0.1,
                max_iter: 10,
            })
        } else {
            Ok(WeightInit::Tensor(Init::parse(s)?))
        }
    }

    /// The expression.
    pub fn expr(&self) -> String {
        match self {
            WeightInit::Tensor(i) => i.to_string(),
            WeightInit::Lsuv { .. } => "lsuv".into(),
        }
    }
}

/// The network and batch to probe.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    pub sizes: Vec<usize>,
    pub activation: Activation,
    pub init: WeightInit,
    pub bias: Init,
    pub seed: u64,
    /// Which generator draws the weights: nninit's keyed streams, or NumPy's
    /// / PyTorch's global generator replayed (w1, b1, w2, ... in order).
    pub rng: nninit::rng::RngKind,
}

/// Per-layer statistics (JSON field names are a contract).
#[derive(Debug, Clone, Serialize)]
pub struct LayerStats {
    pub index: usize,
    pub fan_in: usize,
    pub fan_out: usize,
    /// mean and std of the layer's output (post-activation; logits for the last layer)
    pub act_mean: f64,
    pub act_std: f64,
    pub dead_frac: f64,
    pub saturated_frac: f64,
    /// ||dL/dz|| over the batch: the backward signal at this layer
    pub backward_norm: f64,
    /// ||dL/dW||
    pub grad_norm: f64,
    /// ||dL/dW|| / ||W|| (null when W = 0)
    pub grad_rel: Option<f64>,
    /// ||dL/dW|| / ||dL/dW_last|| (null when the last is 0)
    pub grad_ratio: Option<f64>,
    /// max of the row symmetry of W and the unit symmetry of the activations, in [0, 1]
    pub symmetry: f64,
    /// weights' Frobenius norm
    pub weight_norm: f64,
}

/// A finding of the probe. The first four are the primary verdict (exactly
/// one per report); `Saturated` and `Dead` are secondary findings listed after
/// it. Serialized (and displayed) as its snake_case name: `"vanishing"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// Units of some layer are identical: they compute and learn the same thing.
    Symmetric,
    /// The signal shrinks across the net (or no weight gets a usable gradient).
    Vanishing,
    /// The signal grows across the net, or overflowed to inf/NaN.
    Exploding,
    /// Neither: the signal stays within a factor of 100 across the net.
    Healthy,
    /// More than half of some hidden layer's activations are saturated.
    Saturated,
    /// More than half of some ReLU-family layer's units are never active.
    Dead,
}

impl Verdict {
    /// `"vanishing, saturated"`: the names joined as the CLI prints them.
    pub fn join(verdicts: &[Verdict]) -> String {
        verdicts
            .iter()
            .map(|v| v.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The snake_case name (`"vanishing"`), as in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Symmetric => "symmetric",
            Verdict::Vanishing => "vanishing",
            Verdict::Exploding => "exploding",
            Verdict::Healthy => "healthy",
            Verdict::Saturated => "saturated",
            Verdict::Dead => "dead",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The probe's answer.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeReport {
    pub verdict: Verdict,
    pub verdicts: Vec<Verdict>,
    pub recommendation: String,
    pub reason: String,
    pub init: String,
    pub activation: String,
    pub sizes: Vec<usize>,
    pub batch: usize,
    pub loss: f64,
    /// std ratio of last to first hidden activations (F) and backward-signal ratio first/last (B)
    pub forward_growth: f64,
    pub backward_growth: f64,
    /// the first layer (1-based) where a value overflowed, if any
    pub overflow_layer: Option<usize>,
    pub layers: Vec<LayerStats>,
    pub theory: Vec<TheoryLayer>,
    pub lsuv: Option<Vec<LsuvLayer>>,
}

/// Frobenius norm, summed in fixed 64K-element blocks (in parallel, then in
/// order), so the result does not depend on the thread count.
fn frob(a: &Array2<f32>) -> f64 {
    let std = a.as_standard_layout();
    let v = std.as_slice().expect("standard layout");
    let parts: Vec<f64> = v
        .par_chunks(1 << 16)
        .map(|c| c.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>())
        .collect();
    parts.iter().sum::<f64>().sqrt()
}

/// How alike the rows of `m` are: 1 - ||M - mean row|| / ||M|| (1 if M = 0).
pub fn row_symmetry(m: &Array2<f32>) -> f64 {
    if m.nrows() < 2 {
        return 0.0;
    }
    // mean row, accumulated row by row (column-wise walks are cache-hostile)
    let mut mean = vec![0f64; m.ncols()];
    for row in m.rows() {
        for (s, &v) in mean.iter_mut().zip(row) {
            *s += v as f64;
        }
    }
    mean.iter_mut().for_each(|s| *s /= m.nrows() as f64);
    let (mut total, mut dev) = (0.0, 0.0);
    for row in m.rows() {
        for (&a, &b) in row.iter().zip(mean.iter()) {
            total += (a as f64).powi(2);
            dev += (a as f64 - b).powi(2);
        }
    }
    symmetry_from(total, dev)
}

/// How alike the columns (units) of `a` `[batch, units]` are.
pub fn column_symmetry(a: &Array2<f32>) -> f64 {
    if a.ncols() < 2 {
        return 0.0;
    }
    let (mut total, mut dev) = (0.0, 0.0);
    for row in a.rows() {
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / row.len() as f64;
        for &v in row {
            total += (v as f64).powi(2);
            dev += (v as f64 - mean).powi(2);
        }
    }
    symmetry_from(total, dev)
}

fn symmetry_from(total2: f64, dev2: f64) -> f64 {
    if total2 == 0.0 {
        return 1.0;
    }
    if !total2.is_finite() {
        return 0.0;
    }
    (1.0 - (dev2 / total2).sqrt()).clamp(0.0, 1.0)
}

/// Standard-normal inputs `[batch, n0]` and uniform random labels, from the
/// seed's `probe.x` / `probe.y` streams.
pub fn gaussian_batch(
    batch: usize,
    n0: usize,
    classes: usize,
    seed: u64,
) -> (Array2<f32>, Vec<usize>) {
    let mut x = vec![0f32; batch * n0];
    nninit::Dist::normal(0.0, 1.0)
        .and_then(|d| d.fill(&Stream::new(seed, "probe.x"), 0, &mut x))
        .expect("N(0, 1) is valid and a Vec holds fewer than 2^62 elements");
    let ys = Stream::new(seed, "probe.y");
    let y = (0..batch)
        .map(|i| ys.block(Tag::Uniform, i as u64, 0)[0] as usize % classes)
        .collect();
    (Array2::from_shape_vec((batch, n0), x).expect("batch*n0"), y)
}

/// Whether probing an MLP of `sizes` on a batch of `rows` fits in the memory
/// available: the weights and their gradient buffer, and per layer the
/// batch's pre-activations, activations and backward signal, in f32. Checked
/// before anything of the job is allocated (the CLI calls it before drawing
/// the batch).
pub fn check_memory(sizes: &[usize], rows: usize) -> Result<()> {
    let params: u64 = sizes
        .windows(2)
        .map(|w| (w[0] as u64).saturating_mul(w[1] as u64))
        .fold(0u64, u64::saturating_add);
    let acts: u64 = sizes
        .iter()
        .map(|&s| s as u64)
        .fold(0u64, u64::saturating_add)
        .saturating_mul(rows as u64);
    let what = format!(
        "network of {} weight layers with {params} parameters, on a batch of {rows}",
        sizes.len() - 1
    );
    nninit_io::check_memory(
        &what,
        params
            .saturating_mul(8)
            .saturating_add(acts.saturating_mul(12)),
    )
}

/// Build the network (running LSUV on `x` if asked).
pub fn build(cfg: &ProbeConfig, x: &Array2<f32>) -> Result<(Mlp<f32>, Option<Vec<LsuvLayer>>)> {
    check_memory(&cfg.sizes, x.nrows())?;
    match &cfg.init {
        WeightInit::Tensor(init) => Ok((
            Mlp::with_rng(
                &cfg.sizes,
                cfg.activation,
                init,
                &cfg.bias,
                cfg.seed,
                cfg.rng,
            )?,
            None,
        )),
        WeightInit::Lsuv { tol, max_iter } => {
            let mut net = Mlp::with_rng(
                &cfg.sizes,
                cfg.activation,
                &Init::orthogonal(1.0)?,
                &cfg.bias,
                cfg.seed,
                cfg.rng,
            )?;
            let rep = lsuv(&mut net, x.view(), *tol, *max_iter);
            Ok((net, Some(rep)))
        }
    }
}

/// The mean-field prediction for `cfg` (LSUV is predicted as unit variance per layer).
pub fn theory_for(cfg: &ProbeConfig, input_m2: f64) -> Result<Vec<TheoryLayer>> {
    let n = cfg.sizes.len() - 1;
    let mut w2 = Vec::with_capacity(n);
    let mut b2 = Vec::with_capacity(n);
    for l in 0..n {
        let shape = [cfg.sizes[l + 1], cfg.sizes[l]];
        w2.push(match &cfg.init {
            WeightInit::Tensor(i) => i.second_moment(&shape, Layout::Torch)?,
            // LSUV scales each layer to unit output variance: approximated as He-like for the
            // activation's own second moment, i.e. sigma_w^2 chosen so q = 1 (see theory doc).
            WeightInit::Lsuv { .. } => f64::NAN,
        });
        b2.push(
            cfg.bias
                .second_moment(&[cfg.sizes[l + 1]], Layout::Torch)
                .unwrap_or(0.0),
        );
    }
    if w2.iter().any(|v| v.is_nan()) {
        // q_l = 1 for all l: sigma_w^2 = 1 / E[phi(z)^2] (1 / input second moment for layer 1)
        let gh = theory::gauss_hermite(theory::NODES);
        let m2 = gh
            .iter()
            .map(|&(z, w)| w * cfg.activation.f(z).powi(2))
            .sum::<f64>();
        for (l, v) in w2.iter_mut().enumerate() {
            let e = if l == 0 { input_m2 } else { m2 };
            *v = 1.0 / (e * cfg.sizes[l] as f64);
        }
    }
    Ok(theory::predict(
        &cfg.sizes,
        cfg.activation,
        &w2,
        &b2,
        input_m2,
    ))
}

/// Probe `cfg` on the batch `x` `[batch, n0]` with labels `y`.
pub fn probe(cfg: &ProbeConfig, x: &Array2<f32>, y: &[usize]) -> Result<ProbeReport> {
    let n0 = cfg.sizes[0];
    if x.ncols() != n0 {
        return Err(Error::BadShape {
            shape: format!("{:?}", cfg.sizes),
            reason: format!(
                "the data has {} features but the network's input size is {n0}",
                x.ncols()
            ),
        });
    }
    if x.nrows() == 0 {
        return Err(Error::BadShape {
            shape: "batch".into(),
            reason: "the batch is empty".into(),
        });
    }
    let classes = *cfg.sizes.last().expect("sizes");
    if let Some(&bad) = y.iter().find(|&&c| c >= classes) {
        return Err(Error::Data {
            origin: "labels".into(),
            line: 0,
            reason: format!(
                "label {bad} needs at least {} outputs, the network {:?} has {classes}",
                bad + 1,
                cfg.sizes
            ),
        });
    }
    let (net, lsuv_report) = build(cfg, x)?;
    let fwd = net.forward(x.view());
    let (loss, dout) = softmax_cross_entropy(fwd.output(), y);
    let nl = net.layers.len();
    // per layer: (||dL/dz||, ||dL/dW||, dL/dz non-finite), gathered as the backward pass goes
    let mut back = vec![(0.0, 0.0, false); nl];
    net.backward_each(&fwd, dout, |l, dz, dw, _| {
        back[l] = (frob(dz), frob(dw), dz.iter().any(|v| !v.is_finite()));
    });
    let act = cfg.activation;
    let last_grad = back[nl - 1].1;
    // layers are independent: their statistics are computed in parallel
    let stats: Vec<(LayerStats, bool)> = (0..nl)
        .into_par_iter()
        .map(|l| {
            let w = &net.layers[l].w;
            let z = &fwd.pre[l];
            // the forward pass kept phi(z_l) as the next layer's input
            let out = if l + 1 < nl { &fwd.inputs[l + 1] } else { z };
            let nonfinite = out.iter().any(|v| !v.is_finite()) || back[l].2;
            let n = out.len() as f64;
            let mean = out.iter().map(|&v| v as f64).sum::<f64>() / n;
            let std = (out.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
            let hidden = l + 1 < nl;
            // phi(z) > 0 exactly where z > 0 for the rectifiers, so the
            // fractions of the output are those of the pre-activation
            let (dead_frac, saturated_frac) = if hidden {
                unit_fractions(act, out.view())
            } else {
                (0.0, 0.0)
            };
            let weight_norm = frob(w);
            let grad_norm = back[l].1;
            let finite = |x: f64| x.is_finite().then_some(x);
            let symmetry = row_symmetry(w).max(if hidden { column_symmetry(out) } else { 0.0 });
            (
                LayerStats {
                    index: l + 1,
                    fan_in: w.ncols(),
                    fan_out: w.nrows(),
                    act_mean: mean,
                    act_std: std,
                    dead_frac,
                    saturated_frac,
                    backward_norm: back[l].0,
                    grad_norm,
                    grad_rel: if weight_norm > 0.0 {
                        finite(grad_norm / weight_norm)
                    } else {
                        None
                    },
                    grad_ratio: if last_grad > 0.0 {
                        finite(grad_norm / last_grad)
                    } else {
                        None
                    },
                    symmetry,
                    weight_norm,
                },
                nonfinite,
            )
        })
        .collect();
    let overflow_layer = stats.iter().position(|s| s.1).map(|l| l + 1);
    let layers = stats.into_iter().map(|s| s.0).collect();
    let input_m2 = x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len() as f64;
    let theory = theory_for(cfg, input_m2)?;
    Ok(decide(
        cfg,
        layers,
        theory,
        loss,
        overflow_layer,
        lsuv_report,
        x.nrows(),
    ))
}

#[allow(clippy::too_many_arguments)]
fn decide(
    cfg: &ProbeConfig,
    layers: Vec<LayerStats>,
    theory: Vec<TheoryLayer>,
    loss: f64,
    overflow_layer: Option<usize>,
    lsuv: Option<Vec<LsuvLayer>>,
    batch: usize,
) -> ProbeReport {
    let signals: Vec<rules::Signals> = layers
        .iter()
        .enumerate()
        .map(|(l, s)| rules::Signals {
            fan_out: s.fan_out,
            act_std: s.act_std,
            backward_norm: s.backward_norm,
            grad_rel: s.grad_rel,
            symmetry: s.symmetry,
            nonfinite: overflow_layer == Some(l + 1),
            dead_frac: s.dead_frac,
            saturated_frac: s.saturated_frac,
        })
        .collect();
    let j = rules::judge(&signals);
    let (primary, verdicts) = (j.verdict, j.verdicts);
    let (forward_growth, backward_growth) = (j.forward_growth, j.backward_growth);
    let act = cfg.activation;
    let init = cfg.init.expr();
    let (recommendation, reason) = if primary == Verdict::Healthy {
        (init.clone(), format!("keep `{init}`: the forward signal changes {forward_growth:.2}x and the backward signal {backward_growth:.2}x across the net"))
    } else {
        let what = match primary {
            Verdict::Symmetric => "every unit of a layer computes the same value and gets the same gradient, so they never differ: random weights break the symmetry".to_string(),
            Verdict::Exploding => match overflow_layer {
                Some(l) => format!("values overflowed to inf/NaN at layer {l}: the weights are too large for this depth"),
                None => format!("the signal grows {:.1e}x forward and {:.1e}x backward across the net: the weights are too large", forward_growth, backward_growth),
            },
            _ => format!("the signal shrinks to {:.1e}x forward and {:.1e}x backward across the net: the weights are too small (or the units saturate)", forward_growth, backward_growth),
        };
        (
            act.deep_recommended_init().short(),
            format!(
                "{what}. For {}, {}.",
                act.name(),
                act.recommendation_reason()
            ),
        )
    };
    ProbeReport {
        verdict: primary,
        verdicts,
        recommendation,
        reason,
        init,
        activation: act.name(),
        sizes: cfg.sizes.clone(),
        batch,
        loss,
        forward_growth,
        backward_growth,
        overflow_layer,
        layers,
        theory,
        lsuv,
    }
}

/// One point of a depth sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    pub depth: usize,
    pub first_grad_norm: f64,
    pub verdict: Verdict,
}

/// Probe `n0, width x d, classes` for each depth `d` in `depths`; reports the
/// first layer's gradient norm.
pub fn sweep_depth(
    n0: usize,
    width: usize,
    classes: usize,
    depths: std::ops::RangeInclusive<usize>,
    base: &ProbeConfig,
    x: &Array2<f32>,
    y: &[usize],
) -> Result<Vec<SweepPoint>> {
    let mut out = Vec::new();
    for d in depths {
        let mut sizes = vec![n0];
        sizes.extend(std::iter::repeat_n(width, d));
        sizes.push(classes);
        let cfg = ProbeConfig {
            rng: Default::default(),
            sizes,
            ..base.clone()
        };
        let r = probe(&cfg, x, y)?;
        out.push(SweepPoint {
            depth: d,
            first_grad_norm: r.layers[0].grad_norm,
            verdict: r.verdict,
        });
    }
    Ok(out)
}

/// `(dead_frac, saturated_frac)` of an activation's output `[batch, units]`:
/// the share of units a rectifier (`can_die`) never activates over the
/// batch, and the share of values where a saturating activation's slope is
/// near 0 (`is_saturated`). The one measurement behind `nninit probe` and the
/// Python `nninit.probe`.
pub fn unit_fractions(act: Activation, out: ndarray::ArrayView2<'_, f32>) -> (f64, f64) {
    let (cols, n) = (out.ncols(), out.len());
    let dead = if act.can_die() && cols > 0 {
        let mut alive = vec![false; cols];
        for row in out.rows() {
            for (a, &v) in alive.iter_mut().zip(row) {
                *a |= v > 0.0;
            }
        }
        alive.iter().filter(|&&a| !a).count() as f64 / cols as f64
    } else {
        0.0
    };
    let saturated = if act.can_saturate() && n > 0 {
        out.iter().filter(|&&v| act.is_saturated(v as f64)).count() as f64 / n as f64
    } else {
        0.0
    };
    (dead, saturated)
}
