//! Deterministic structured initializers: `eye`, `identity`, `dirac`.
//! Each element is a function of its index alone, so all three shard: a
//! slice is zero-filled and the ones that fall inside it are set.

use super::expr::Args;
use super::family::{bad, finite, num, Family, Spelling, Target};
use super::fan::Layout;
use super::{Init, Plan};
use crate::dtype::Element;
use crate::error::Result;
use std::fmt;

/// `eye`: the identity, rectangular allowed; 2-D only. Matches
/// `torch.nn.init.eye_`. `identity(gain=1)` is Keras' `Identity(gain)`: the
/// same matrix times gain.
pub(crate) fn fill_eye<T: Element>(out: &mut [T], start: u64, cols: u64, gain: f64) {
    out.fill(T::from_f64(0.0));
    if out.is_empty() {
        return;
    }
    let end = start + out.len() as u64;
    // the ones sit at r * cols + r, r < cols; rows r whose diagonal is in range
    for r in start / cols..=end.saturating_sub(1) / cols {
        let at = r * cols + r;
        if r < cols && (start..end).contains(&at) {
            out[(at - start) as usize] = T::from_f64(gain);
        }
    }
}

/// `dirac(groups=1)`: matches `torch.nn.init.dirac_` on a `[out, in, *k]`
/// weight (3-, 4- or 5-D; out divisible by groups). Zeros, then for each group
/// g and d < min(out/groups, in): `w[g*(out/groups) + d, d, k0//2, k1//2, ...] = 1`,
/// so a convolution with it passes its input through (per group).
pub(crate) fn fill_dirac<T: Element>(out: &mut [T], start: u64, shape: &[usize], groups: usize) {
    out.fill(T::from_f64(0.0));
    let end = start + out.len() as u64;
    let out_per_group = shape[0] / groups;
    let min_dim = out_per_group.min(shape[1]);
    // flat index of [o, i, k0 / 2, k1 / 2, ...]
    let centre = shape[2..]
        .iter()
        .fold(0u64, |acc, &k| acc * k as u64 + (k / 2) as u64);
    let taps: u64 = shape[2..].iter().map(|&k| k as u64).product();
    let at = |o: usize, i: usize| ((o * shape[1] + i) as u64) * taps + centre;
    for g in 0..groups {
        for d in 0..min_dim {
            let e = at(g * out_per_group + d, d);
            if (start..end).contains(&e) {
                out[(e - start) as usize] = T::from_f64(1.0);
            }
        }
    }
}

impl Init {
    /// `eye`: the identity matrix (2-D tensors).
    pub fn eye() -> Init {
        Init::Identity(Identity {
            gain: 1.0,
            eye: true,
        })
    }

    /// `identity(gain=1)`: `gain` on the diagonal (2-D tensors).
    pub fn identity(gain: f64) -> Result<Init> {
        Ok(Init::Identity(Identity {
            gain: finite("identity", "gain", gain)?,
            eye: false,
        }))
    }

    /// `dirac(groups=1)`: the identity convolution, `groups >= 1`.
    pub fn dirac(groups: usize) -> Result<Init> {
        Dirac::new(groups).map(Init::Dirac)
    }
}

/// `eye` (`torch.nn.init.eye_`) and `identity(gain=1)` (Keras `Identity`):
/// `gain` on the diagonal of a 2-D tensor, zeros elsewhere. Shardable: an
/// element's value depends on its row and column only.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Identity {
    /// Diagonal value (1 for `eye`).
    pub gain: f64,
    eye: bool,
}

impl Family for Identity {
    const SPELLINGS: &'static [Spelling] = &[
        Spelling {
            name: "eye",
            params: &[],
            about: "the identity matrix of a 2-D tensor (torch.nn.init.eye_)",
        },
        Spelling {
            name: "identity",
            params: &["gain"],
            about: "gain times the identity matrix (Keras Identity)",
        },
    ];
    fn parse(name: &str, args: &mut Args) -> Result<Self> {
        let init = match name {
            "eye" => Init::eye(),
            _ => Init::identity(args.num("gain", 1.0)?)?,
        };
        match init {
            Init::Identity(x) => Ok(x),
            _ => unreachable!("eye and identity build an Identity"),
        }
    }
    fn name(&self) -> &'static str {
        if self.eye {
            "eye"
        } else {
            "identity"
        }
    }
    fn validate(&self) -> Result<()> {
        finite(self.name(), "gain", self.gain).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        t.two_d()?;
        Ok(Plan::Eye {
            cols: t.shape[1] as u64,
            gain: self.gain,
        })
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.eye {
            Ok(())
        } else {
            write!(f, "(gain={})", num(self.gain))
        }
    }
}

/// `dirac(groups=1)`: `torch.nn.init.dirac_`, the identity convolution of a
/// 3-, 4- or 5-D `[out, in, *kernel]` kernel, in `groups` groups. Shardable.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Dirac {
    /// Groups (>= 1).
    pub groups: usize,
}

impl Dirac {
    fn new(groups: usize) -> Result<Dirac> {
        if groups == 0 || groups > u32::MAX as usize {
            return Err(bad("dirac", "groups", groups, "a whole number >= 1"));
        }
        Ok(Dirac { groups })
    }
}

impl Family for Dirac {
    const SPELLINGS: &'static [Spelling] = &[Spelling {
        name: "dirac",
        params: &["groups"],
        about: "Dirac delta of a conv kernel in groups: preserves the input channels (torch.nn.init.dirac_)",
    }];
    fn parse(_: &str, args: &mut Args) -> Result<Self> {
        Dirac::new(args.int("groups", 1, 1)? as usize)
    }
    fn validate(&self) -> Result<()> {
        Dirac::new(self.groups).map(|_| ())
    }
    fn plan(&self, t: &Target) -> Result<Plan> {
        let (shape, groups) = (t.shape, self.groups);
        if !(3..=5).contains(&shape.len()) {
            return Err(t.err("dirac needs a 3-, 4- or 5-D [out, in, *kernel] tensor"));
        }
        if t.layout != Layout::Torch {
            return Err(
                t.err("dirac is defined on PyTorch's [out, in, *kernel] layout; use layout torch")
            );
        }
        if !shape[0].is_multiple_of(groups) {
            return Err(t.err(format!(
                "dim 0 ({}) must be divisible by groups ({groups})",
                shape[0]
            )));
        }
        Ok(Plan::Dirac { groups })
    }
    fn fmt_params(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(groups={})", self.groups)
    }
}
