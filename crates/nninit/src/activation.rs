//! Activations: value, derivative, and the initializer each one calls for.
//!
//! | activation | phi(x) | recommended init | why |
//! |---|---|---|---|
//! | sigmoid | 1 / (1 + e^-x) | `xavier_normal` | Glorot & Bengio 2010 |
//! | tanh | tanh x | `xavier_normal(gain=5/3)` | PyTorch's tanh gain on Glorot |
//! | relu | max(0, x) | `kaiming_normal(nonlinearity=relu)` | He et al. 2015: half the units are off |
//! | leaky_relu(s) | x > 0 ? x : s x | `kaiming_normal(a=s, nonlinearity=leaky_relu)` | gain sqrt(2 / (1 + s^2)) |
//! | elu(alpha) | x > 0 ? x : alpha (e^x - 1) | `kaiming_normal(nonlinearity=relu)` | ReLU-like second moment |
//! | selu | lambda * elu_alpha(x) | `lecun_normal` | Klambauer et al. 2017: self-normalizing |
//! | gelu | x Phi(x) (exact erf, as PyTorch's default) | `kaiming_normal(nonlinearity=relu)` | ReLU-like second moment |
//! | silu | x sigmoid(x) | `kaiming_normal(nonlinearity=relu)` | ReLU-like second moment |
//! | linear | x | `xavier_normal` | variance preserving both ways |

use crate::error::{unknown_name, Error, Result};
use crate::Init;

/// SELU constants (Klambauer et al. 2017).
const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;

/// An element-wise activation. Build one with [`Activation::parse`], a unit
/// variant, or [`Activation::leaky_relu`] / [`Activation::elu`] (their
/// parameters are validated: finite).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "name", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Activation {
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// tanh x
    Tanh,
    /// max(0, x)
    Relu,
    /// x > 0 ? x : slope x
    #[non_exhaustive]
    LeakyRelu {
        /// Negative slope (finite).
        slope: f64,
    },
    /// x > 0 ? x : alpha (e^x - 1)
    #[non_exhaustive]
    Elu {
        /// alpha (finite).
        alpha: f64,
    },
    /// lambda * elu_alpha(x) with Klambauer et al.'s constants
    Selu,
    /// x Phi(x) (exact erf, PyTorch's default)
    Gelu,
    /// x sigmoid(x)
    Silu,
    /// x
    Linear,
}

/// Accepted names.
pub const ACTIVATIONS: [&str; 9] = [
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "gelu",
    "silu",
    "linear",
];

fn finite_param(act: &str, param: &str, value: &str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::BadParam {
            init: act.to_string(),
            param: param.into(),
            value: value.to_string(),
            expected: "a finite number".into(),
        })
    }
}

impl Activation {
    /// Leaky ReLU with a finite negative slope.
    pub fn leaky_relu(slope: f64) -> Result<Activation> {
        let slope = finite_param("leaky_relu", "slope", &slope.to_string(), slope)?;
        Ok(Activation::LeakyRelu { slope })
    }

    /// ELU with a finite alpha.
    pub fn elu(alpha: f64) -> Result<Activation> {
        let alpha = finite_param("elu", "alpha", &alpha.to_string(), alpha)?;
        Ok(Activation::Elu { alpha })
    }

    /// Parse `relu`, `leaky_relu` (slope 0.01), `leaky_relu(0.2)` /
    /// `leaky_relu(slope=0.2)` (also `negative_slope=`, PyTorch's name),
    /// `elu(alpha=1)`, ... A key the activation does not take, or a parameter
    /// on one that takes none, is an error.
    ///
    /// ```
    /// use nninit::Activation;
    /// assert_eq!(Activation::parse("leaky_relu(0.2)")?, Activation::leaky_relu(0.2)?);
    /// assert!(Activation::parse("leaky_relu(foo=0.2)").is_err());
    /// # Ok::<(), nninit::Error>(())
    /// ```
    pub fn parse(s: &str) -> Result<Activation> {
        let t = s.trim().to_ascii_lowercase();
        let (name, arg) = match t.find('(') {
            Some(i) if t.ends_with(')') => {
                let name = t[..i].trim().replace('-', "_");
                let inner = t[i + 1..t.len() - 1].trim();
                let keys: &[&str] = match name.as_str() {
                    "leaky_relu" | "leakyrelu" => &["slope", "negative_slope"],
                    "elu" => &["alpha"],
                    _ => &[],
                };
                let param = keys.first().copied().unwrap_or("");
                let (key, v) = match inner.split_once('=') {
                    Some((k, v)) => (Some(k.trim()), v.trim()),
                    None => (None, inner),
                };
                if inner.is_empty() {
                    (name, None)
                } else if keys.is_empty() && ACTIVATIONS.contains(&name.as_str()) {
                    return Err(Error::UnknownParam {
                        init: name.clone(),
                        param: key.unwrap_or(inner).to_string(),
                        suggestion: None,
                        allowed: vec![],
                    });
                } else if let Some(k) = key.filter(|k| !keys.contains(k)) {
                    return Err(Error::UnknownParam {
                        suggestion: crate::error::closest(k, keys.iter().copied()),
                        init: name.clone(),
                        param: k.to_string(),
                        allowed: keys.to_vec(),
                    });
                } else {
                    let x: f64 = v.parse().map_err(|_| Error::BadParam {
                        init: name.clone(),
                        param: param.into(),
                        value: v.to_string(),
                        expected: "a number, e.g. leaky_relu(0.2)".into(),
                    })?;
                    let x = finite_param(&name, param, v, x)?;
                    (name, Some(x))
                }
            }
            _ => (t.replace('-', "_"), None),
        };
        Ok(match name.as_str() {
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "leaky_relu" | "leakyrelu" => Activation::LeakyRelu {
                slope: arg.unwrap_or(0.01),
            },
            "elu" => Activation::Elu {
                alpha: arg.unwrap_or(1.0),
            },
            "selu" => Activation::Selu,
            "gelu" => Activation::Gelu,
            "silu" | "swish" => Activation::Silu,
            "linear" | "identity" | "none" => Activation::Linear,
            _ => {
                // suggest from the aliases too (`swishh` -> `swish`)
                let mut names: Vec<&str> = ACTIVATIONS.to_vec();
                names.extend(["swish", "identity"]);
                let mut e = unknown_name("activation", s, &names);
                if let Error::UnknownName { allowed, .. } = &mut e {
                    allowed.truncate(ACTIVATIONS.len());
                }
                return Err(e);
            }
        })
    }

    /// Canonical spelling (round-trips through [`Activation::parse`]).
    pub fn name(&self) -> String {
        match self {
            Activation::Sigmoid => "sigmoid".into(),
            Activation::Tanh => "tanh".into(),
            Activation::Relu => "relu".into(),
            Activation::LeakyRelu { slope } => format!("leaky_relu({slope})"),
            Activation::Elu { alpha } => format!("elu({alpha})"),
            Activation::Selu => "selu".into(),
            Activation::Gelu => "gelu".into(),
            Activation::Silu => "silu".into(),
            Activation::Linear => "linear".into(),
        }
    }

    /// phi(x).
    #[inline]
    pub fn f(&self, x: f64) -> f64 {
        match *self {
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
            Activation::LeakyRelu { slope } => {
                if x > 0.0 {
                    x
                } else {
                    slope * x
                }
            }
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            Activation::Selu => SELU_LAMBDA * if x > 0.0 { x } else { SELU_ALPHA * x.exp_m1() },
            Activation::Gelu => 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
            Activation::Silu => x * sigmoid(x),
            Activation::Linear => x,
        }
    }

    /// phi'(x) (the right derivative at kinks, as PyTorch: relu'(0) = 0).
    #[inline]
    pub fn df(&self, x: f64) -> f64 {
        match *self {
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s * (1.0 - s)
            }
            Activation::Tanh => {
                let t = x.tanh();
                1.0 - t * t
            }
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { slope } => {
                if x > 0.0 {
                    1.0
                } else {
                    slope
                }
            }
            Activation::Elu { alpha } => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha * x.exp()
                }
            }
            Activation::Selu => SELU_LAMBDA * if x > 0.0 { 1.0 } else { SELU_ALPHA * x.exp() },
            Activation::Gelu => {
                let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
                0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)) + x * pdf
            }
            Activation::Silu => {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            }
            Activation::Linear => 1.0,
        }
    }

    /// `(phi(x), phi'(x))`, bit for bit the values of [`Activation::f`] and
    /// [`Activation::df`], with the transcendental function they share (tanh,
    /// the logistic) evaluated once: a training step needs both for every
    /// hidden unit.
    #[inline]
    pub fn f_df(&self, x: f64) -> (f64, f64) {
        match *self {
            Activation::Sigmoid => {
                let s = sigmoid(x);
                (s, s * (1.0 - s))
            }
            Activation::Tanh => {
                let t = x.tanh();
                (t, 1.0 - t * t)
            }
            // both values computed, then selected: no branch to mispredict
            Activation::Relu => (x.max(0.0), if x > 0.0 { 1.0 } else { 0.0 }),
            Activation::LeakyRelu { slope } => {
                let neg = slope * x;
                if x > 0.0 {
                    (x, 1.0)
                } else {
                    (neg, slope)
                }
            }
            Activation::Silu => {
                let s = sigmoid(x);
                (x * s, s * (1.0 + x * (1.0 - s)))
            }
            _ => (self.f(x), self.df(x)),
        }
    }

    /// phi of `z` in place, and phi' into `d` when given (same length): the
    /// f64 functions of [`Activation::f`] / [`Activation::f_df`] rounded to
    /// f32, bit for bit. tanh and the logistic take a vectorized pass with
    /// hardware FMA (`activation_f32.rs`: an error-bounded polynomial, kept
    /// only where it provably rounds like libm), a few times faster.
    pub fn apply_f32(&self, z: &mut [f32], d: Option<&mut [f32]>) {
        if let Some(d) = &d {
            assert_eq!(d.len(), z.len(), "phi' buffer of another length");
        }
        match self {
            Activation::Tanh => crate::simd::activation_f32(true, z, d),
            Activation::Sigmoid => crate::simd::activation_f32(false, z, d),
            _ => self.apply_f32_reference(z, d),
        }
    }

    /// [`Activation::apply_f32`] element by element with the f64 functions.
    pub(crate) fn apply_f32_reference(&self, z: &mut [f32], d: Option<&mut [f32]>) {
        match d {
            Some(d) => {
                for (v, dv) in z.iter_mut().zip(d) {
                    let (f, df) = self.f_df(*v as f64);
                    (*v, *dv) = (f as f32, df as f32);
                }
            }
            None => z.iter_mut().for_each(|v| *v = self.f(*v as f64) as f32),
        }
    }

    /// The initializer suited to this activation (see the module table),
    /// typed: built by the constructors, never parsed back from text. Its
    /// [`Init::short`] is the expression the CLI prints
    /// (`kaiming_normal(nonlinearity=relu)`).
    pub fn recommended_init(&self) -> Init {
        use crate::{FanMode, Nonlinearity};
        let he = |nl: Result<Nonlinearity>, a: f64| {
            Init::kaiming_normal(a, FanMode::FanIn, nl.expect("a finite slope"))
                .expect("valid kaiming parameters")
        };
        match *self {
            Activation::Sigmoid | Activation::Linear => {
                Init::xavier_normal(1.0).expect("gain 1 is valid")
            }
            Activation::Tanh => Init::xavier_normal(5.0 / 3.0).expect("the tanh gain is valid"),
            Activation::Relu | Activation::Elu { .. } | Activation::Gelu | Activation::Silu => {
                he(Ok(Nonlinearity::Relu), 0.0)
            }
            Activation::LeakyRelu { slope } => he(Nonlinearity::leaky_relu(slope), slope),
            Activation::Selu => Init::preset("lecun_normal").expect("a known preset"),
        }
    }

    /// What to use when a deep net with this activation vanishes or explodes
    /// (the probe's recommendation). The same as [`Activation::recommended_init`]
    /// except for sigmoid, where Xavier itself vanishes with depth: gain 8 puts
    /// the mean-field gradient factor near 1 (0.79 per layer against 0.06 with
    /// gain 1; `nninit probe --theory-only` shows it).
    pub fn deep_recommended_init(&self) -> Init {
        match self {
            Activation::Sigmoid => Init::xavier_normal(8.0).expect("gain 8 is valid"),
            _ => self.recommended_init(),
        }
    }

    /// Why [`Activation::recommended_init`] suits it, in a sentence.
    pub fn recommendation_reason(&self) -> &'static str {
        match self {
            Activation::Sigmoid => "Xavier/Glorot is the usual choice, but in a deep sigmoid net it still vanishes (the slope is at most 1/4, so the mean-field gradient factor per layer is about 0.06); a much larger gain (about 8: `xavier_normal(gain=8)`) brings that factor near 1, or use tanh or ReLU",
            Activation::Linear => "Xavier/Glorot keeps the variance of activations and gradients equal across layers for activations that are near-linear around 0",
            Activation::Tanh => "Xavier/Glorot with PyTorch's tanh gain 5/3 compensates for tanh shrinking its input",
            Activation::Relu | Activation::Elu { .. } | Activation::Gelu | Activation::Silu => "He/Kaiming (variance 2/fan_in) makes up for the half of the units a rectifier switches off",
            Activation::LeakyRelu { .. } => "He/Kaiming with leaky ReLU's gain sqrt(2/(1+slope^2)) keeps the forward variance",
            Activation::Selu => "LeCun normal (variance 1/fan_in) is the initialization SELU's self-normalizing fixed point assumes",
        }
    }

    /// Whether units can be "dead" (never active): the ReLU family.
    pub fn can_die(&self) -> bool {
        matches!(self, Activation::Relu | Activation::LeakyRelu { .. })
    }

    /// Whether a unit at this output is saturated (derivative near 0):
    /// |tanh| > 0.99 or sigmoid outside [0.01, 0.99].
    pub fn is_saturated(&self, y: f64) -> bool {
        match self {
            Activation::Tanh => y.abs() > 0.99,
            Activation::Sigmoid => !(0.01..=0.99).contains(&y),
            _ => false,
        }
    }

    /// Whether this activation can saturate.
    pub fn can_saturate(&self) -> bool {
        matches!(self, Activation::Tanh | Activation::Sigmoid)
    }
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn f_df_is_bit_for_bit_f_and_df() {
        let acts = [
            "sigmoid",
            "tanh",
            "relu",
            "leaky_relu",
            "leaky_relu(0.2)",
            "elu",
            "selu",
            "gelu",
            "silu",
            "linear",
        ];
        let mut xs = vec![
            0.0,
            -0.0,
            1e-310,
            -1e-310,
            1.0,
            -1.0,
            20.0,
            -20.0,
            800.0,
            -800.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        // 20,001 points over [-40, 40], f32-rounded as the engine feeds them
        xs.extend((0..=20_000).map(|i| (-40.0 + i as f64 * 0.004) as f32 as f64));
        for name in acts {
            let a = Activation::parse(name).unwrap();
            for &x in &xs {
                let (f, d) = a.f_df(x);
                assert_eq!(f.to_bits(), a.f(x).to_bits(), "{name} f({x})");
                assert_eq!(d.to_bits(), a.df(x).to_bits(), "{name} df({x})");
            }
        }
    }
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        let acts = [
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Relu,
            Activation::LeakyRelu { slope: 0.2 },
            Activation::Elu { alpha: 1.0 },
            Activation::Selu,
            Activation::Gelu,
            Activation::Silu,
            Activation::Linear,
        ];
        for a in acts {
            for &x in &[-3.0, -0.7, -0.1, 0.3, 1.1, 2.5] {
                let h = 1e-6;
                let fd = (a.f(x + h) - a.f(x - h)) / (2.0 * h);
                assert!(
                    (fd - a.df(x)).abs() < 1e-6,
                    "{a:?} at {x}: {fd} vs {}",
                    a.df(x)
                );
            }
        }
    }

    #[test]
    fn parse_round_trips() {
        for s in [
            "sigmoid",
            "tanh",
            "relu",
            "leaky_relu(0.2)",
            "elu(1)",
            "selu",
            "gelu",
            "silu",
            "linear",
        ] {
            let a = Activation::parse(s).unwrap();
            assert_eq!(Activation::parse(&a.name()).unwrap(), a);
        }
        assert_eq!(
            Activation::parse("leaky_relu").unwrap(),
            Activation::LeakyRelu { slope: 0.01 }
        );
        for bad in [
            "leaky_relu(foo=0.2)",
            "relu(0.2)",
            "elu(slope=1)",
            "leaky_relu(nan)",
            "tanh(x=1)",
        ] {
            assert!(Activation::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Activation::parse("leaky_relu(negative_slope=0.3)").unwrap(),
            Activation::LeakyRelu { slope: 0.3 }
        );
        assert!(Activation::parse("rleu")
            .unwrap_err()
            .to_string()
            .contains("relu"));
    }
}
