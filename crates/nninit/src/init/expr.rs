//! The init expression language shared by the CLI and spec files:
//! `name` or `name(key=value, ...)`, with PyTorch's argument names.
//!
//! ```text
//! expr   := name [ "(" [ arg { "," arg } ] ")" ]
//! arg    := key "=" value
//! value  := number | identifier | 'string' | "string"
//! number := [+-] digits [. digits] [e [+-] digits] | inf | nan
//! ```
//!
//! Examples (the classic textbook recipes first):
//! - `normal(std=0.01)`: `np.random.randn(...) * 0.01`
//! - `uniform(a=-0.12, b=0.12)`: every weight in [-epsilon, epsilon]
//! - `kaiming_normal(nonlinearity=relu)`: He for ReLU, std = sqrt(2 / fan_in)
//! - `kaiming_uniform(a=0.2, mode=fan_out, nonlinearity=leaky_relu)`
//! - `variance_scaling(scale=2, mode=fan_avg, distribution=uniform)`
//!
//! Every mistake is an error naming the bad part and listing what is allowed,
//! with the closest valid name when there is a plausible typo.

use super::fan::{FanMode, FAN_MODES};
use super::gain::Nonlinearity;
use super::variance_scaling::VsDistribution;
use super::Init;
use crate::error::{closest, unknown_name, Error, Result};
use std::fmt;

/// Every initializer name, with its parameters in order.
pub const INITIALIZERS: [(&str, &[&str]); 25] = [
    ("uniform", &["a", "b"]),
    ("normal", &["mean", "std"]),
    ("trunc_normal", &["mean", "std", "a", "b"]),
    ("constant", &["val"]),
    ("zeros", &[]),
    ("ones", &[]),
    ("eye", &[]),
    ("identity", &["gain"]),
    ("dirac", &["groups"]),
    ("xavier_uniform", &["gain"]),
    ("xavier_normal", &["gain"]),
    ("kaiming_uniform", &["a", "mode", "nonlinearity"]),
    ("kaiming_normal", &["a", "mode", "nonlinearity"]),
    ("orthogonal", &["gain"]),
    ("delta_orthogonal", &["scale"]),
    ("sparse", &["sparsity", "std"]),
    ("torch_default", &[]),
    ("torch_default_bias", &["fan_in"]),
    ("variance_scaling", &["scale", "mode", "distribution"]),
    ("glorot_uniform", &[]),
    ("glorot_normal", &[]),
    ("lecun_uniform", &[]),
    ("lecun_normal", &[]),
    ("he_uniform", &[]),
    ("he_normal", &[]),
];

/// A one-line description of each initializer of [`INITIALIZERS`] (what it
/// draws, and the library whose semantics it follows).
pub fn describe(name: &str) -> Option<&'static str> {
    Some(match name {
        "uniform" => "U(a, b) (torch.nn.init.uniform_)",
        "normal" => "N(mean, std^2) (torch.nn.init.normal_)",
        "trunc_normal" => "N(mean, std^2) restricted to the absolute bounds [a, b] (torch.nn.init.trunc_normal_)",
        "constant" => "every element val (torch.nn.init.constant_)",
        "zeros" => "every element 0: the symmetry problem on a weight",
        "ones" => "every element 1 (norm layers' weights)",
        "eye" => "the identity matrix of a 2-D tensor (torch.nn.init.eye_)",
        "identity" => "gain times the identity matrix (Keras Identity)",
        "dirac" => "Dirac delta of a conv kernel in groups: preserves the input channels (torch.nn.init.dirac_)",
        "xavier_uniform" => "Glorot: U(-b, b), b = gain sqrt(6 / (fan_in + fan_out)) (torch)",
        "xavier_normal" => "Glorot: N(0, gain^2 2 / (fan_in + fan_out)) (torch)",
        "kaiming_uniform" => "He: U(-b, b), b = gain sqrt(3 / fan_mode), gain from nonlinearity and a (torch)",
        "kaiming_normal" => "He: N(0, gain^2 / fan_mode), gain from nonlinearity and a (torch)",
        "orthogonal" => "a (semi-)orthogonal matrix times gain (Saxe et al. 2013; torch)",
        "delta_orthogonal" => "zeros but an orthogonal matrix at the kernel's centre tap (JAX)",
        "sparse" => "a sparsity share of each column zero, the rest N(0, std^2) (Martens 2010; torch)",
        "torch_default" => "what nn.Linear / nn.Conv*d draw for their weight: kaiming_uniform(a=sqrt(5))",
        "torch_default_bias" => "what nn.Linear / nn.Conv*d draw for their bias: U(+-1/sqrt(fan_in))",
        "variance_scaling" => "Keras/JAX VarianceScaling: variance scale / fan_mode, truncated/untruncated normal or uniform",
        "glorot_uniform" => "Keras/JAX glorot_uniform: variance_scaling(1, fan_avg, uniform)",
        "glorot_normal" => "Keras/JAX glorot_normal: variance_scaling(1, fan_avg, truncated_normal)",
        "lecun_uniform" => "Keras/JAX lecun_uniform: variance_scaling(1, fan_in, uniform)",
        "lecun_normal" => "Keras/JAX lecun_normal: variance_scaling(1, fan_in, truncated_normal) (SELU)",
        "he_uniform" => "Keras/JAX he_uniform: variance_scaling(2, fan_in, uniform)",
        "he_normal" => "Keras/JAX he_normal: variance_scaling(2, fan_in, truncated_normal)",
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Num(f64, String),
    Word(String),
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, reason: impl Into<String>) -> Error {
        Error::Syntax {
            expr: self.src.to_string(),
            column: self.pos + 1,
            reason: reason.into(),
        }
    }
    fn skip_ws(&mut self) {
        while self.src[self.pos..].starts_with(|c: char| c.is_whitespace()) {
            self.pos += 1;
        }
    }
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }
    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn ident(&mut self) -> Option<String> {
        self.skip_ws();
        let rest = &self.src[self.pos..];
        let len = rest
            .char_indices()
            .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
            .map_or(rest.len(), |(i, _)| i);
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some(rest[..len].to_string())
    }
    /// A number literal, or `sqrt(ATOM)`.
    fn atom(&mut self) -> Result<(f64, String)> {
        self.skip_ws();
        let rest = &self.src[self.pos..];
        if rest.len() >= 4 && rest[..4].eq_ignore_ascii_case("sqrt") {
            self.pos += 4;
            if !self.eat('(') {
                return Err(self.err("expected `(` after `sqrt`"));
            }
            let (v, t) = self.fraction_num()?;
            if !self.eat(')') {
                return Err(self.err("expected `)` to close `sqrt(`"));
            }
            return Ok((v.sqrt(), format!("sqrt({t})")));
        }
        let len = rest
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_alphanumeric()
                    || c == '.'
                    || c == '_'
                    || ((c == '-' || c == '+') && (i == 0 || rest[..i].ends_with(['e', 'E']))))
            })
            .map_or(rest.len(), |(i, _)| i);
        let text = &rest[..len];
        let v: f64 = text
            .parse()
            .map_err(|_| self.err(format!("`{text}` is not a number")))?;
        self.pos += len;
        Ok((v, text.to_string()))
    }

    /// `ATOM` or `ATOM/ATOM` (e.g. `5/3`, `1/sqrt(2)`).
    fn fraction_num(&mut self) -> Result<(f64, String)> {
        let (v, t) = self.atom()?;
        if self.eat('/') {
            let (d, dt) = self.atom()?;
            if d == 0.0 {
                return Err(self.err(format!("`{t}/{dt}` divides by zero")));
            }
            return Ok((v / d, format!("{t}/{dt}")));
        }
        Ok((v, t))
    }

    fn fraction(&mut self) -> Result<Value> {
        let (v, t) = self.fraction_num()?;
        Ok(Value::Num(v, t))
    }

    fn value(&mut self) -> Result<Value> {
        self.skip_ws();
        match self.peek() {
            Some(q @ ('\'' | '"')) => {
                let rest = &self.src[self.pos + 1..];
                let end = rest.find(q).ok_or_else(|| {
                    self.err(format!("unterminated string (missing closing {q})"))
                })?;
                let s = rest[..end].to_string();
                self.pos += end + 2;
                Ok(Value::Word(s))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => self.fraction(),
            Some(_) => {
                let start = self.pos;
                let w = self
                    .ident()
                    .ok_or_else(|| self.err("expected a value (a number or a name)"))?;
                if w.eq_ignore_ascii_case("sqrt") {
                    self.pos = start;
                    return self.fraction();
                }
                self.skip_ws();
                if self.peek() == Some('(') {
                    return Err(self.err(format!(
                        "`{w}(...)` is not a value: values are numbers (`2.5`, `1e-3`), `sqrt(5)`, fractions (`5/3`) or names"
                    )));
                }
                match w.to_ascii_lowercase().as_str() {
                    "inf" | "nan" => Ok(Value::Num(w.parse::<f64>().unwrap_or(f64::NAN), w)),
                    _ => Ok(Value::Word(w)),
                }
            }
            None => Err(self.err("expected a value after `=`")),
        }
    }
}

/// Parsed arguments of one call, consumed by name; anything left is an error.
struct Args {
    init: String,
    allowed: &'static [&'static str],
    items: Vec<(String, Value)>,
}

impl Args {
    fn take(&mut self, key: &str) -> Option<Value> {
        let i = self.items.iter().position(|(k, _)| k == key)?;
        Some(self.items.remove(i).1)
    }
    fn bad(&self, param: &str, value: &str, expected: impl Into<String>) -> Error {
        Error::BadParam {
            init: self.init.clone(),
            param: param.to_string(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }
    fn num(&mut self, key: &str, default: f64) -> Result<f64> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Num(v, text)) => {
                if v.is_nan() {
                    Err(self.bad(key, &text, "a number, not NaN"))
                } else if v.is_infinite() {
                    Err(self.bad(key, &text, "a finite number"))
                } else {
                    Ok(v)
                }
            }
            Some(Value::Word(w)) => Err(self.bad(key, &w, "a number")),
        }
    }
    fn nonneg(&mut self, key: &str, default: f64) -> Result<f64> {
        let v = self.num(key, default)?;
        if v < 0.0 {
            return Err(self.bad(key, &v.to_string(), "a number >= 0"));
        }
        Ok(v)
    }
    fn int(&mut self, key: &str, default: u64, min: u64) -> Result<u64> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Num(v, text)) => {
                if v.fract() != 0.0 || v < min as f64 || v > u32::MAX as f64 {
                    Err(self.bad(key, &text, format!("a whole number >= {min}")))
                } else {
                    Ok(v as u64)
                }
            }
            Some(Value::Word(w)) => Err(self.bad(key, &w, format!("a whole number >= {min}"))),
        }
    }
    fn word(&mut self, key: &str, default: &str) -> Result<String> {
        match self.take(key) {
            None => Ok(default.to_string()),
            Some(Value::Word(w)) => Ok(w),
            Some(Value::Num(_, t)) => Err(self.bad(key, &t, "a name")),
        }
    }
    fn finish(self) -> Result<()> {
        if let Some((k, _)) = self.items.into_iter().next() {
            return Err(Error::UnknownParam {
                suggestion: closest(&k, self.allowed.iter().copied()),
                init: self.init,
                param: k,
                allowed: self.allowed.to_vec(),
            });
        }
        Ok(())
    }
}

/// Parse an init expression into a validated [`Init`].
pub fn parse(src: &str) -> Result<Init> {
    let mut p = Parser { src, pos: 0 };
    let name = p.ident().ok_or_else(|| {
        p.err("expected an initializer name, e.g. `kaiming_normal` or `normal(std=0.01)`")
    })?;
    let lname = name.to_ascii_lowercase();
    let Some(&(canon, allowed)) = INITIALIZERS.iter().find(|(n, _)| *n == lname) else {
        if lname == "lsuv" {
            return Err(Error::Unsupported(
                "`lsuv` is data-dependent (it needs a network and a batch); it is not a tensor initializer".into(),
            ));
        }
        let names: Vec<&str> = INITIALIZERS.iter().map(|(n, _)| *n).collect();
        return Err(unknown_name("initializer", &name, &names));
    };
    let mut items: Vec<(String, Value)> = Vec::new();
    if p.eat('(') && !p.eat(')') {
        loop {
            let key = p
                .ident()
                .ok_or_else(|| p.err("expected a parameter name (arguments are key=value)"))?;
            if !p.eat('=') {
                return Err(p.err(format!(
                    "expected `=` after `{key}` (arguments are key=value, e.g. std=0.01)"
                )));
            }
            let v = p.value()?;
            if items.iter().any(|(k, _)| *k == key) {
                return Err(Error::DuplicateParam {
                    init: canon.to_string(),
                    param: key,
                });
            }
            items.push((key, v));
            if p.eat(')') {
                break;
            }
            if !p.eat(',') {
                return Err(p.err("expected `,` or `)`"));
            }
        }
    }
    p.skip_ws();
    if p.pos < src.len() {
        return Err(p.err(format!(
            "unexpected `{}` after the expression",
            &src[p.pos..]
        )));
    }
    let mut args = Args {
        init: canon.to_string(),
        allowed,
        items,
    };
    // unknown keys first, so a typo is reported as such rather than as a missing value
    if let Some((k, _)) = args
        .items
        .iter()
        .find(|(k, _)| !allowed.contains(&k.as_str()))
    {
        return Err(Error::UnknownParam {
            init: canon.to_string(),
            param: k.clone(),
            suggestion: closest(k, allowed.iter().copied()),
            allowed: allowed.to_vec(),
        });
    }
    let init = build(canon, &mut args)?;
    args.finish()?;
    Ok(init)
}

fn kaiming(args: &mut Args) -> Result<(f64, FanMode, Nonlinearity)> {
    let a = args.num("a", 0.0)?;
    let mode_s = args.word("mode", "fan_in")?;
    // PyTorch's kaiming takes fan_in or fan_out only
    let mode = match FanMode::parse(&mode_s) {
        Ok(m @ (FanMode::FanIn | FanMode::FanOut)) => m,
        _ => return Err(unknown_name("mode", &mode_s, &FAN_MODES[..2])),
    };
    let nl = Nonlinearity::parse(&args.word("nonlinearity", "leaky_relu")?, Some(a))?;
    Ok((a, mode, nl))
}

/// Whether the call spelled out `key` (for parameters without a default).
fn required(args: &Args, key: &str, what: &str) -> Result<()> {
    if args.items.iter().any(|(k, _)| k == key) {
        Ok(())
    } else {
        Err(args.bad(key, "(missing)", what))
    }
}

/// The validated `Init` of `name`: the arguments' syntax (numbers, names,
/// whole numbers) is checked here, their values by the constructors.
fn build(name: &str, args: &mut Args) -> Result<Init> {
    match name {
        "uniform" => Init::uniform(args.num("a", 0.0)?, args.num("b", 1.0)?),
        "normal" => Init::normal(args.num("mean", 0.0)?, args.nonneg("std", 1.0)?),
        "trunc_normal" => {
            let mean = args.num("mean", 0.0)?;
            let std = args.nonneg("std", 1.0)?;
            Init::trunc_normal(mean, std, args.num("a", -2.0)?, args.num("b", 2.0)?)
        }
        "constant" => {
            required(
                args,
                "val",
                "constant needs a value, e.g. constant(val=0.1)",
            )?;
            Init::constant(args.num("val", 0.0)?)
        }
        "zeros" => Ok(Init::zeros()),
        "ones" => Ok(Init::ones()),
        "eye" => Ok(Init::eye()),
        "identity" => Init::identity(args.num("gain", 1.0)?),
        "dirac" => Init::dirac(args.int("groups", 1, 1)? as usize),
        "xavier_uniform" => Init::xavier_uniform(args.num("gain", 1.0)?),
        "xavier_normal" => Init::xavier_normal(args.num("gain", 1.0)?),
        "kaiming_uniform" => {
            let (a, mode, nonlinearity) = kaiming(args)?;
            Init::kaiming_uniform(a, mode, nonlinearity)
        }
        "kaiming_normal" => {
            let (a, mode, nonlinearity) = kaiming(args)?;
            Init::kaiming_normal(a, mode, nonlinearity)
        }
        "orthogonal" => Init::orthogonal(args.num("gain", 1.0)?),
        "delta_orthogonal" => Init::delta_orthogonal(args.num("scale", 1.0)?),
        "sparse" => {
            required(
                args,
                "sparsity",
                "sparse needs the fraction of zeros per column, e.g. sparse(sparsity=0.9)",
            )?;
            let s = args.num("sparsity", 0.0)?;
            Init::sparse(s, args.num("std", 0.01)?)
        }
        "torch_default" => Ok(Init::torch_default()),
        "torch_default_bias" => {
            required(
                args,
                "fan_in",
                "the weight's fan_in, e.g. torch_default_bias(fan_in=784)",
            )?;
            Init::torch_default_bias(args.int("fan_in", 0, 0)?)
        }
        "variance_scaling" => {
            let scale = args.num("scale", 1.0)?;
            let mode = FanMode::parse(&args.word("mode", "fan_in")?)?;
            let distribution =
                VsDistribution::parse(&args.word("distribution", "truncated_normal")?)?;
            Init::variance_scaling(scale, mode, distribution)
        }
        preset => Init::preset(preset),
    }
}

/// Shortest round-trip decimal, with `.0` dropped for integers.
/// Shortest round-trip decimal; very large or very small magnitudes in
/// exponent form (`1e308`, not 309 digits). Both parse back to the same f64.
fn num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-6..1e16).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

impl fmt::Display for Init {
    /// The canonical expression: parsing it gives back an equal `Init`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.name();
        match self {
            Init::Uniform { a, b } => write!(f, "{n}(a={}, b={})", num(*a), num(*b)),
            Init::Normal { mean, std } => write!(f, "{n}(mean={}, std={})", num(*mean), num(*std)),
            Init::TruncNormal { mean, std, a, b } => {
                write!(
                    f,
                    "{n}(mean={}, std={}, a={}, b={})",
                    num(*mean),
                    num(*std),
                    num(*a),
                    num(*b)
                )
            }
            Init::Constant { val } => write!(f, "{n}(val={})", num(*val)),
            Init::Zeros | Init::Ones | Init::Eye | Init::TorchDefault => f.write_str(n),
            Init::Identity { gain }
            | Init::XavierUniform { gain }
            | Init::XavierNormal { gain }
            | Init::Orthogonal { gain } => {
                write!(f, "{n}(gain={})", num(*gain))
            }
            Init::DeltaOrthogonal { scale } => write!(f, "{n}(scale={})", num(*scale)),
            Init::Dirac { groups } => write!(f, "{n}(groups={groups})"),
            Init::KaimingUniform {
                a,
                mode,
                nonlinearity,
            }
            | Init::KaimingNormal {
                a,
                mode,
                nonlinearity,
            } => {
                write!(
                    f,
                    "{n}(a={}, mode={}, nonlinearity={})",
                    num(*a),
                    mode.name(),
                    nonlinearity.name()
                )
            }
            Init::Sparse { sparsity, std } => {
                write!(f, "{n}(sparsity={}, std={})", num(*sparsity), num(*std))
            }
            Init::TorchDefaultBias { fan_in } => write!(f, "{n}(fan_in={fan_in})"),
            Init::VarianceScaling {
                preset: Some(_), ..
            } => f.write_str(n),
            Init::VarianceScaling {
                scale,
                mode,
                distribution,
                preset: None,
            } => write!(
                f,
                "{n}(scale={}, mode={}, distribution={})",
                num(*scale),
                mode.name(),
                distribution.name()
            ),
        }
    }
}
