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

use super::Init;
use crate::error::{closest, unknown_name, Error, Result};
use std::fmt;

/// Every initializer name, with its parameters in order (the registry's
/// spellings).
pub fn initializers() -> Vec<(&'static str, &'static [&'static str])> {
    super::spellings()
        .into_iter()
        .map(|s| (s.name, s.params))
        .collect()
}

/// A one-line description of an initializer (what it draws, and the library
/// whose semantics it follows).
pub fn describe(name: &str) -> Option<&'static str> {
    super::spellings()
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.about)
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

/// Parsed arguments of one call, consumed by name; anything left is an
/// error. A family's `parse` reads its parameters through these methods,
/// which check their syntax (numbers, names, whole numbers).
pub struct Args {
    init: String,
    allowed: &'static [&'static str],
    items: Vec<(String, Value)>,
}

impl Args {
    /// An error unless the call spelled out `key` (a parameter without a
    /// default); `what` says what it needs.
    pub fn required(&self, key: &str, what: &str) -> Result<()> {
        if self.items.iter().any(|(k, _)| k == key) {
            Ok(())
        } else {
            Err(self.bad(key, "(missing)", what))
        }
    }
    /// Whether the call spelled out `key`.
    pub fn has(&self, key: &str) -> bool {
        self.items.iter().any(|(k, _)| k == key)
    }
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
    /// A finite number (`default` when absent).
    pub fn num(&mut self, key: &str, default: f64) -> Result<f64> {
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
    /// A finite number >= 0 (`default` when absent).
    pub fn nonneg(&mut self, key: &str, default: f64) -> Result<f64> {
        let v = self.num(key, default)?;
        if v < 0.0 {
            return Err(self.bad(key, &v.to_string(), "a number >= 0"));
        }
        Ok(v)
    }
    /// A whole number >= `min` (`default` when absent).
    pub fn int(&mut self, key: &str, default: u64, min: u64) -> Result<u64> {
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
    /// `true`/`false` (also `True`/`False`, `1`/`0`).
    pub fn bool(&mut self, key: &str, default: bool) -> Result<bool> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(self.bad(key, &w, "true or false")),
            },
            Some(Value::Num(v, _)) if v == 0.0 || v == 1.0 => Ok(v == 1.0),
            Some(Value::Num(_, t)) => Err(self.bad(key, &t, "true or false")),
        }
    }
    /// A name (`default` when absent).
    pub fn word(&mut self, key: &str, default: &str) -> Result<String> {
        match self.take(key) {
            None => Ok(default.to_string()),
            Some(Value::Word(w)) => Ok(w),
            Some(Value::Num(_, t)) => Err(self.bad(key, &t, "a name")),
        }
    }
    /// An error naming the first argument no method read (an unknown key).
    pub fn finish(self) -> Result<()> {
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
    let all = super::spellings();
    let names: Vec<(&'static str, &'static [&'static str])> =
        all.iter().map(|s| (s.name, s.params)).collect();
    let head = Parser { src, pos: 0 }.ident().unwrap_or_default();
    if head.eq_ignore_ascii_case("lsuv") {
        return Err(Error::Unsupported(
            "`lsuv` is data-dependent (it needs a network and a batch); it is not a tensor initializer".into(),
        ));
    }
    let (canon, mut args) = call(src, "initializer", &names)?;
    let init =
        super::registry::build(canon, &mut args).expect("a registered spelling has a family")?;
    args.finish()?;
    Ok(init)
}

/// Parse `name` or `name(key=value, ...)` where `name` is one of `names`
/// (each with the keys it takes; `what` says what the names are, for the
/// error of an unknown one): the canonical name and its arguments, to be
/// read with [`Args`]' methods and closed with [`Args::finish`]. The
/// grammar, values and errors are those of init expressions (a scheme
/// expression such as `torchtitan(depth_init=false)` is parsed by it).
pub fn call(
    src: &str,
    what: &'static str,
    names: &[(&'static str, &'static [&'static str])],
) -> Result<(&'static str, Args)> {
    let mut p = Parser { src, pos: 0 };
    let name = p.ident().ok_or_else(|| {
        let eg = names.first().map_or("", |n| n.0);
        p.err(format!("expected a {what} name, e.g. `{eg}`"))
    })?;
    let lname = name.to_ascii_lowercase();
    let Some(&(canon, allowed)) = names.iter().find(|n| n.0 == lname) else {
        let all: Vec<&str> = names.iter().map(|n| n.0).collect();
        return Err(unknown_name(what, &name, &all));
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
    // unknown keys first, so a typo is reported as such rather than as a missing value
    if let Some((k, _)) = items.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        return Err(Error::UnknownParam {
            init: canon.to_string(),
            param: k.clone(),
            suggestion: closest(k, allowed.iter().copied()),
            allowed: allowed.to_vec(),
        });
    }
    Ok((
        canon,
        Args {
            init: canon.to_string(),
            allowed,
            items,
        },
    ))
}

impl fmt::Display for Init {
    /// The canonical expression: parsing it gives back an equal `Init`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        self.family_fmt_params(f)
    }
}

impl Init {
    /// The expression with only the parameters that differ from the
    /// spelling's defaults (`kaiming_normal(nonlinearity=relu)` for
    /// `kaiming_normal(a=0, mode=fan_in, nonlinearity=relu)`): what a person
    /// would write; it parses back to an equal `Init`.
    pub fn short(&self) -> String {
        let full = self.to_string();
        let Ok(default) = parse(self.name()) else {
            return full; // a parameter is required: nothing is a default
        };
        let default = default.to_string();
        let args = |s: &str| -> Vec<String> {
            s.split_once('(')
                .map(|(_, rest)| {
                    rest.trim_end_matches(')')
                        .split(", ")
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let dflt = args(&default);
        let kept: Vec<String> = args(&full)
            .into_iter()
            .filter(|a| !dflt.contains(a))
            .collect();
        if kept.is_empty() {
            self.name().to_string()
        } else {
            format!("{}({})", self.name(), kept.join(", "))
        }
    }
}

impl std::str::FromStr for Init {
    type Err = Error;
    /// [`Init::parse`]: `"kaiming_normal(nonlinearity=relu)".parse::<Init>()`.
    fn from_str(s: &str) -> Result<Init> {
        parse(s)
    }
}

/// With the `serde` feature an `Init` is its canonical expression: it
/// serializes as the string `Display` gives and deserializes through the
/// parser (so a plan's JSON reads `"init": "normal(mean=0, std=0.02)"`).
#[cfg(feature = "serde")]
impl serde::Serialize for Init {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Init {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Init, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}
