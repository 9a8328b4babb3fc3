//! What an initializer family provides, and the registry that makes each
//! one a variant of [`Init`](super::Init).
//!
//! A family (one file: `basic.rs`, `xavier.rs`, ...) is a type with its
//! validated constructor, its spellings in the expression language, its
//! shape rules and how it fills a tensor (a [`Plan`]). The registry
//! (`registry.rs`) lists each family once; the `registry!` macro below turns
//! that list into the `Init` enum, the parser's table and the dispatch of
//! every method. Adding an initializer is its file (or a type in a family's
//! file) plus one registry line (plus the Python stub of its constructor).

use super::fan::{fans_for, Fans, Layout};
use super::Plan;
use crate::dtype::DType;
use crate::error::{Error, Result};
use std::fmt;

/// One spelling of an initializer in the expression language: its name,
/// its parameters in order, and a one-line description (what it draws, and
/// the library whose semantics it follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spelling {
    /// The name (`kaiming_normal`).
    pub name: &'static str,
    /// Its parameters, in order.
    pub params: &'static [&'static str],
    /// One line: what it draws and whose semantics.
    pub about: &'static str,
}

/// The tensor a plan is made for: shape, layout, dtype, and the
/// initializer's name for the messages.
pub(crate) struct Target<'a> {
    pub name: &'static str,
    pub shape: &'a [usize],
    pub layout: Layout,
    pub dtype: DType,
}

impl Target<'_> {
    /// The tensor's fans (an error for rank < 2 naming the initializer).
    pub fn fans(&self) -> Result<Fans> {
        fans_for(self.name, self.shape, self.layout)
    }

    /// A shape error naming the initializer and the shape.
    pub fn err(&self, reason: impl Into<String>) -> Error {
        Error::Shape {
            init: self.name.to_string(),
            shape: self.shape.to_vec(),
            reason: reason.into(),
        }
    }

    /// An error unless the tensor is 2-D.
    pub fn two_d(&self) -> Result<()> {
        if self.shape.len() != 2 {
            return Err(self.err(format!(
                "{} needs a 2-D tensor (got rank {})",
                self.name,
                self.shape.len()
            )));
        }
        Ok(())
    }
}

/// An initializer family (see the module docs).
pub(crate) trait Family: Sized {
    /// Its spellings; the first is the default name.
    const SPELLINGS: &'static [Spelling];
    /// Whether any block of a tensor can be generated on its own.
    const SHARDABLE: bool = true;
    /// Build from the parsed arguments of spelling `name` (one of
    /// [`Family::SPELLINGS`]): syntax checked by `args`, values by the
    /// constructor.
    fn parse(name: &str, args: &mut super::expr::Args) -> Result<Self>;
    /// The name it is spelled with.
    fn name(&self) -> &'static str {
        Self::SPELLINGS[0].name
    }
    /// The constructor's checks again (a value built by the constructor
    /// always passes; [`super::Init::fill`] checks anyway).
    fn validate(&self) -> Result<()>;
    /// How it fills a tensor of this shape, layout and dtype (shape rules
    /// here; the dtype-fit rule is applied to every plan by `Init`).
    fn plan(&self, t: &Target) -> Result<Plan>;
    /// Its parameters as the canonical expression writes them after the
    /// name (`(gain=2)`; nothing for a parameterless spelling).
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// A draw shape shared by the families that come as a uniform and a normal
/// (xavier, kaiming).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Draw {
    /// U(-b, b).
    Uniform,
    /// N(0, std^2).
    Normal,
}

pub(crate) fn bad(
    init: &str,
    param: &str,
    value: impl ToString,
    expected: impl Into<String>,
) -> Error {
    Error::BadParam {
        init: init.to_string(),
        param: param.to_string(),
        value: value.to_string(),
        expected: expected.into(),
    }
}

/// `x` must be a finite number.
pub(crate) fn finite(init: &str, param: &str, x: f64) -> Result<f64> {
    if x.is_nan() {
        Err(bad(init, param, x, "a number, not NaN"))
    } else if x.is_infinite() {
        Err(bad(init, param, x, "a finite number"))
    } else {
        Ok(x)
    }
}

/// `x` must be a finite number >= 0.
pub(crate) fn nonneg(init: &str, param: &str, x: f64) -> Result<f64> {
    if finite(init, param, x)? < 0.0 {
        return Err(bad(init, param, x, "a number >= 0"));
    }
    Ok(x)
}

/// Shortest round-trip decimal; very large or very small magnitudes in
/// exponent form (`1e308`, not 309 digits). Both parse back to the same f64.
pub(crate) fn num(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-6..1e16).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// The registry's macro: `Variant(family::Type)` once per family makes the
/// `Init` enum (each variant holding its family's value), `From` for each
/// type, and the dispatch of the family methods and of the parser.
macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident($ty:ty), )*) => {
        /// An initializer with validated parameters.
        ///
        /// Build one with [`Init::parse`] (`"kaiming_normal(mode=fan_out,
        /// nonlinearity=relu)"`) or a constructor ([`Init::normal`],
        /// [`Init::kaiming_uniform`], ...), which return an error for a value the
        /// initializer cannot take (a negative std, `a > b`, `groups = 0`, NaN), so
        /// no `Init` that exists can fail to fill for a reason other than the
        /// tensor's shape or dtype. Each variant holds its family's value, whose
        /// fields can be read (and matched) but which cannot be built outside
        /// this crate. Its `Display` is the canonical expression with every
        /// parameter spelled out; parsing it gives back an equal `Init`.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Init {
            $( $(#[$doc])* $variant($ty), )*
        }

        $(
            impl From<$ty> for Init {
                fn from(x: $ty) -> Init {
                    Init::$variant(x)
                }
            }
        )*

        impl Init {
            /// The name this initializer is spelled with.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Init::$variant(x) => $crate::init::family::Family::name(x), )*
                }
            }

            /// Whether any slice of the tensor can be generated on its own with the
            /// same values as the whole (see [`Init::fill_range`]). False for
            /// `orthogonal`, `delta_orthogonal` and `sparse`, whose entries depend on
            /// the whole tensor.
            pub fn is_shardable(&self) -> bool {
                match self {
                    $( Init::$variant(_) => <$ty as $crate::init::family::Family>::SHARDABLE, )*
                }
            }

            pub(crate) fn family_validate(&self) -> $crate::error::Result<()> {
                match self {
                    $( Init::$variant(x) => $crate::init::family::Family::validate(x), )*
                }
            }

            pub(crate) fn family_plan(
                &self,
                t: &$crate::init::family::Target,
            ) -> $crate::error::Result<$crate::init::Plan> {
                match self {
                    $( Init::$variant(x) => $crate::init::family::Family::plan(x, t), )*
                }
            }

            pub(crate) fn family_fmt_params(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $( Init::$variant(x) => $crate::init::family::Family::fmt_params(x, f), )*
                }
            }
        }

        /// Every spelling of every initializer, in registry order.
        pub fn spellings() -> Vec<$crate::init::family::Spelling> {
            let mut all = Vec::new();
            $( all.extend_from_slice(<$ty as $crate::init::family::Family>::SPELLINGS); )*
            all
        }

        /// The `Init` spelled `name` from its parsed arguments; None for an
        /// unknown name.
        pub(crate) fn build(
            name: &str,
            args: &mut $crate::init::expr::Args,
        ) -> Option<$crate::error::Result<Init>> {
            $(
                if <$ty as $crate::init::family::Family>::SPELLINGS.iter().any(|s| s.name == name) {
                    return Some(<$ty as $crate::init::family::Family>::parse(name, args).map(Init::$variant));
                }
            )*
            None
        }
    };
}

pub(crate) use registry;

#[cfg(test)]
mod tests {
    use super::super::{spellings, Init};

    /// Every registered spelling parses (with its one required parameter
    /// where it has one), prints as its canonical expression under its own
    /// name, and that expression parses back to an equal value; no name is
    /// registered twice.
    #[test]
    fn every_spelling_round_trips() {
        let all = spellings();
        let mut names: Vec<&str> = all.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len(), "a name is registered twice");
        for s in &all {
            assert!(!s.about.is_empty(), "{}", s.name);
            let init = Init::parse(s.name).or_else(|_| {
                let p = s.params[0];
                Init::parse(&format!("{}({p}=0.5)", s.name))
                    .or_else(|_| Init::parse(&format!("{}({p}=3)", s.name)))
            });
            let init = init.unwrap_or_else(|e| panic!("{}: {e}", s.name));
            assert_eq!(init.name(), s.name);
            let text = init.to_string();
            assert!(text.starts_with(s.name), "{text}");
            assert_eq!(Init::parse(&text).unwrap(), init, "{text}");
        }
    }
}
