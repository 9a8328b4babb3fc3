//! The probe's rules, in one place: from per-layer signals to a verdict, the
//! layer where it first goes wrong, and what to initialize instead. Used by
//! `nninit probe` (MLPs nninit builds) and by the Python package's
//! `nninit.probe(model, inputs)` (any PyTorch module), so both say the same
//! thing for the same numbers.

use super::{Verdict, FRACTION_FLAG, GRAD_REL_MIN, GROWTH_MAX, SYMMETRY_MAX};
use nninit::{Activation, Init};
use serde::Serialize;

/// What the rules read of one layer (a module with parameters), in forward
/// execution order.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    /// Units (rows of the weight; 0 or 1 when symmetry cannot apply).
    pub fan_out: usize,
    /// std of the layer's output over the batch.
    pub act_std: f64,
    /// ||dL/d output||.
    pub backward_norm: f64,
    /// ||dL/dW|| / ||W||, when the weight is not zero.
    pub grad_rel: Option<f64>,
    /// How alike the weight's rows (or the output's units) are, in [0, 1].
    pub symmetry: f64,
    /// An output or gradient value was inf or NaN.
    pub nonfinite: bool,
    /// Fraction of units a following rectifier never activates.
    pub dead_frac: f64,
    /// Fraction of a following saturating activation's outputs that are saturated.
    pub saturated_frac: f64,
}

/// The rules' answer.
#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    /// The primary verdict (symmetric, vanishing, exploding or healthy).
    pub verdict: Verdict,
    /// The primary verdict, then `saturated` / `dead` findings.
    pub verdicts: Vec<Verdict>,
    /// std of the last hidden layer's output over the first's.
    pub forward_growth: f64,
    /// Backward signal at the first layer over the last.
    pub backward_growth: f64,
    /// The first layer (0-based, in the order given) where it goes wrong.
    pub first_bad: Option<usize>,
    /// One sentence on why.
    pub reason: String,
}

pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        if a == 0.0 {
            1.0
        } else {
            f64::INFINITY
        }
    } else {
        a / b
    }
}

/// Where the backward growth is measured to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backward {
    /// First layer over the output layer, gradient norms: `nninit probe`'s
    /// MLPs, whose layers all have the same batch and similar widths.
    ToOutput,
    /// First layer over the last hidden layer, per-element (RMS) gradients:
    /// for any model, whose head (a pooled classifier, a vocabulary
    /// projection) has an output of another size than its body's layers.
    Body,
}

/// The verdict for layers in forward order; the last is the output layer
/// (its own activation does not count as hidden). [`Backward::ToOutput`].
pub fn judge(layers: &[Signals]) -> Judgement {
    judge_with(layers, Backward::ToOutput)
}

/// [`judge`], measuring the backward growth as `backward` says.
pub fn judge_with(layers: &[Signals], backward: Backward) -> Judgement {
    let nl = layers.len();
    if nl == 0 {
        return Judgement {
            verdict: Verdict::Healthy,
            verdicts: vec![Verdict::Healthy],
            forward_growth: 1.0,
            backward_growth: 1.0,
            first_bad: None,
            reason: "no layer with parameters".into(),
        };
    }
    let hidden = &layers[..nl.saturating_sub(1).max(1)];
    let forward_growth = if hidden.len() >= 2 {
        ratio(hidden[hidden.len() - 1].act_std, hidden[0].act_std)
    } else {
        1.0
    };
    let end = match backward {
        Backward::ToOutput => nl - 1,
        Backward::Body => hidden.len() - 1,
    };
    let backward_growth = ratio(layers[0].backward_norm, layers[end].backward_norm);
    let overflow = layers.iter().position(|l| l.nonfinite);
    let symmetric = layers
        .iter()
        .position(|l| l.fan_out > 1 && l.symmetry >= SYMMETRY_MAX);
    let no_grad = layers
        .iter()
        .all(|l| l.grad_rel.is_none_or(|g| g < GRAD_REL_MIN));
    let exploding = forward_growth > GROWTH_MAX
        || backward_growth > GROWTH_MAX
        || !forward_growth.is_finite()
        || !backward_growth.is_finite();
    let vanishing =
        forward_growth < 1.0 / GROWTH_MAX || backward_growth < 1.0 / GROWTH_MAX || no_grad;
    let first = hidden[0].act_std;
    let last_back = layers[end].backward_norm;
    let (verdict, first_bad, reason) = if let Some(l) = overflow {
        (
            Verdict::Exploding,
            Some(l),
            "values overflowed to inf/NaN: the weights are too large for this depth".to_string(),
        )
    } else if let Some(l) = symmetric {
        (
            Verdict::Symmetric,
            Some(l),
            "every unit of a layer computes the same value and gets the same gradient, so they never differ: random weights break the symmetry".to_string(),
        )
    } else if exploding {
        let l = layers.iter().position(|s| {
            ratio(s.act_std, first) > GROWTH_MAX || ratio(s.backward_norm, last_back) > GROWTH_MAX
        });
        (
            Verdict::Exploding,
            l,
            format!("the signal grows {forward_growth:.1e}x forward and {backward_growth:.1e}x backward across the net: the weights are too large"),
        )
    } else if vanishing {
        let l = layers.iter().position(|s| {
            ratio(s.act_std, first) < 1.0 / GROWTH_MAX
                || ratio(s.backward_norm, last_back) < 1.0 / GROWTH_MAX
        });
        (
            Verdict::Vanishing,
            l,
            format!("the signal shrinks to {forward_growth:.1e}x forward and {backward_growth:.1e}x backward across the net: the weights are too small (or the units saturate)"),
        )
    } else {
        (
            Verdict::Healthy,
            None,
            format!("the forward signal changes {forward_growth:.2}x and the backward signal {backward_growth:.2}x across the net"),
        )
    };
    let mut verdicts = vec![verdict];
    let sat = hidden.iter().position(|l| l.saturated_frac > FRACTION_FLAG);
    let dead = hidden.iter().position(|l| l.dead_frac > FRACTION_FLAG);
    if sat.is_some() {
        verdicts.push(Verdict::Saturated);
    }
    if dead.is_some() {
        verdicts.push(Verdict::Dead);
    }
    // a healthy signal with saturated or dead units still goes wrong there
    let first_bad = first_bad.or(match (sat, dead) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    });
    Judgement {
        verdict,
        verdicts,
        forward_growth,
        backward_growth,
        first_bad,
        reason,
    }
}

/// The kinds of module the recommendation knows, by family.
fn family(kind: &str) -> &'static str {
    let k = kind.to_ascii_lowercase();
    if k.starts_with("convtranspose") {
        "conv_transpose"
    } else if k.starts_with("conv") {
        "conv"
    } else if k.contains("linear") {
        "linear"
    } else if k == "multiheadattention" {
        "attention"
    } else if k.starts_with("embedding") {
        "embedding"
    } else {
        "other"
    }
}

/// What to initialize a module's weight with, given its kind (the PyTorch
/// class name, `"Conv2d"`) and the activation that follows it (a name
/// `Activation::parse` reads, or None when none follows or it is not seen):
/// the init expression, or None to keep what it has (norm layers, others).
///
/// - convolutions feeding a rectifier: He normal on fan_out
///   (`kaiming_normal(mode=fan_out, nonlinearity=relu)`, torchvision's ResNet rule);
/// - Linear and convolutions feeding an activation: the activation's deep
///   recommendation (He for rectifiers, Xavier with gain 5/3 for tanh, ...);
/// - Linear and convolutions with no activation seen, and attention
///   projections: Xavier (`xavier_uniform`), variance-preserving both ways;
/// - Embedding: `normal(std=0.02)` (GPT-2, BERT).
pub fn recommend(kind: &str, activation: Option<&str>) -> Option<Init> {
    use nninit::{FanMode, Nonlinearity};
    let act = activation.and_then(|a| Activation::parse(a).ok());
    match (family(kind), act) {
        ("conv" | "conv_transpose", Some(a)) if a.can_die() || a.name() == "relu" => {
            Init::kaiming_normal(0.0, FanMode::FanOut, Nonlinearity::Relu).ok()
        }
        ("linear" | "conv" | "conv_transpose", Some(a)) => Some(a.deep_recommended_init()),
        ("linear" | "conv" | "conv_transpose" | "attention", None) => {
            Init::xavier_uniform(1.0).ok()
        }
        ("embedding", _) => Init::normal(0.0, 0.02).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(std: f64, back: f64) -> Signals {
        Signals {
            fan_out: 8,
            act_std: std,
            backward_norm: back,
            grad_rel: Some(1e-3),
            symmetry: 0.1,
            ..Default::default()
        }
    }

    #[test]
    fn verdicts_and_where() {
        let healthy = [layer(1.0, 1.0), layer(1.2, 0.9), layer(1.0, 1.0)];
        assert_eq!(judge(&healthy).verdict, Verdict::Healthy);
        let vanishing = [layer(1.0, 1e-5), layer(0.5, 1e-2), layer(0.1, 1.0)];
        let j = judge(&vanishing);
        assert_eq!((j.verdict, j.first_bad), (Verdict::Vanishing, Some(0)));
        let exploding = [
            layer(1.0, 1.0),
            layer(10.0, 1.0),
            layer(1e4, 1.0),
            layer(1.0, 1.0),
        ];
        let j = judge(&exploding);
        assert_eq!((j.verdict, j.first_bad), (Verdict::Exploding, Some(2)));
        let mut sym = healthy.clone();
        sym[1].symmetry = 1.0;
        let j = judge(&sym);
        assert_eq!((j.verdict, j.first_bad), (Verdict::Symmetric, Some(1)));
        let mut nan = healthy.clone();
        nan[2].nonfinite = true;
        assert_eq!(judge(&nan).first_bad, Some(2));
        let mut sat = healthy.to_vec();
        sat[1].saturated_frac = 0.9;
        let j = judge(&sat);
        assert_eq!(j.verdicts, vec![Verdict::Healthy, Verdict::Saturated]);
        assert_eq!(j.first_bad, Some(1));
    }

    #[test]
    fn body_growth_ignores_the_head() {
        // a pooled head's gradient is 1000x smaller per element than the body's
        let layers = [layer(1.0, 1.0), layer(1.0, 0.8), layer(1.0, 1e-3)];
        assert_eq!(judge(&layers).verdict, Verdict::Exploding);
        assert_eq!(
            judge_with(&layers, Backward::Body).verdict,
            Verdict::Healthy
        );
    }

    #[test]
    fn recommendations_by_kind() {
        assert_eq!(
            recommend("Conv2d", Some("relu")).unwrap().short(),
            "kaiming_normal(mode=fan_out, nonlinearity=relu)"
        );
        assert_eq!(
            recommend("Linear", Some("tanh")).unwrap().short(),
            "xavier_normal(gain=1.6666666666666667)"
        );
        assert_eq!(recommend("Linear", None).unwrap().short(), "xavier_uniform");
        assert_eq!(recommend("LayerNorm", Some("relu")), None);
        assert_eq!(
            recommend("Embedding", None).unwrap(),
            Init::normal(0.0, 0.02).unwrap()
        );
        assert_eq!(
            recommend("Embedding", None).unwrap().short(),
            "normal(std=0.02)"
        );
    }
}
