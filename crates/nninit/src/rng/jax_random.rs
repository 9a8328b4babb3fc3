//! `jax.random` replayed as a [`Sequential`] generator (`--rng jax`): a
//! JAX PRNG key (threefry2x32, [`super::threefry`]) and the rule that gives
//! each tensor its key.
//!
//! Keys: `jax.random.key(seed)` ([`threefry::key`]: its low 32 bits without
//! `jax_enable_x64`). [`JaxRandom::single`] draws every tensor from that key
//! itself (`nninit sample --rng jax` = `jax.random.normal(key(SEED), shape)`);
//! [`JaxRandom::per_tensor`] draws the `i`-th tensor (0-based, in order,
//! constants and structured ones counted) from `jax.random.fold_in(key, i)`
//! (`nninit init --rng jax`).
//!
//! What a [`Dist`] becomes, with `f32(.)` the rounding of a parameter to f32
//! and each operation rounded on its own, as JAX's eager operations are:
//! - `U(lo, hi)`: `jax.random.uniform(k, shape, float32, f32(lo), f32(hi))`;
//! - `N(mean, std)`: `jax.random.normal(k, shape) * f32(std) + f32(mean)`
//!   (the product skipped for std 1, the sum for mean 0);
//! - a normal truncated to `[a, b]`: `jax.random.truncated_normal(k, (a -
//!   mean) / std, (b - mean) / std, shape) * f32(std) + f32(mean)` (the
//!   standardized bounds in f64, then JAX's f32);
//! - constants: the value, no key drawn.
//!
//! float32 and float64 (JAX's with `jax_enable_x64`; `f64(.)` instead of
//! `f32(.)` above) are drawn; 16-bit dtypes are refused (JAX rounds them
//! after every operation). The values equal JAX's on an x86-64 CPU with FMA,
//! in both `jax_threefry_partitionable` modes; the float64 normal's `log`
//! and truncated normal's `erf` are the C library's, as JAX's are.

use super::sequential::Sequential;
use super::threefry::{self, JaxFloat, JaxKey};
use crate::dist::Dist;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};

/// `jax.random` with a key per tensor (see the module docs).
#[derive(Debug, Clone)]
pub struct JaxRandom {
    key: JaxKey,
    partitionable: bool,
    /// `Some(i)`: the next tensor is `fold_in(key, i)`; None: every tensor uses `key`.
    next: Option<u32>,
    /// The key of the tensor being drawn.
    current: JaxKey,
}

/// JAX's configuration flags that change its streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JaxFlags {
    /// `jax_enable_x64` (default false): the seed's high 32 bits are kept.
    pub x64: bool,
    /// `jax_threefry_partitionable` (default true since jax 0.5.0).
    pub partitionable: bool,
}

impl Default for JaxFlags {
    fn default() -> Self {
        JaxFlags {
            x64: false,
            partitionable: true,
        }
    }
}

impl JaxFlags {
    /// The flags from the values of the environment variables JAX itself
    /// reads (`JAX_ENABLE_X64`, `JAX_THREEFRY_PARTITIONABLE`), spelled as
    /// JAX accepts them (`1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off`,
    /// `t`/`f`, `y`/`n`); unset is JAX's default.
    pub fn from_env_values(x64: Option<&str>, partitionable: Option<&str>) -> Result<JaxFlags> {
        fn flag(name: &'static str, v: Option<&str>, default: bool) -> Result<bool> {
            let Some(v) = v else { return Ok(default) };
            match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "t" | "yes" | "y" | "on" => Ok(true),
                "0" | "false" | "f" | "no" | "n" | "off" => Ok(false),
                _ => Err(Error::BadOption {
                    option: name,
                    value: v.to_string(),
                    expected:
                        "a truth value as JAX reads it: 1/0, true/false, yes/no, on/off, t/f, y/n"
                            .into(),
                }),
            }
        }
        let d = JaxFlags::default();
        Ok(JaxFlags {
            x64: flag("JAX_ENABLE_X64", x64, d.x64)?,
            partitionable: flag("JAX_THREEFRY_PARTITIONABLE", partitionable, d.partitionable)?,
        })
    }
}

impl JaxRandom {
    /// Every tensor drawn from `key` itself.
    pub fn single(key: JaxKey, partitionable: bool) -> JaxRandom {
        JaxRandom {
            key,
            partitionable,
            next: None,
            current: key,
        }
    }

    /// Tensor `i` drawn from `fold_in(key, i)`.
    pub fn per_tensor(key: JaxKey, partitionable: bool) -> JaxRandom {
        JaxRandom {
            key,
            partitionable,
            next: Some(0),
            current: threefry::fold_in(key, 0),
        }
    }

    /// `jax.random.key(seed)` under `flags`, per tensor; `seed` in
    /// `[-2^63, 2^63)` as JAX takes it.
    pub fn new(seed: i64, flags: JaxFlags) -> JaxRandom {
        JaxRandom::per_tensor(threefry::key(seed, flags.x64), flags.partitionable)
    }

    /// The key the next tensor is drawn from.
    pub fn current_key(&self) -> JaxKey {
        self.current
    }

    fn refuse(&self, what: String, reason: &str) -> Error {
        Error::Rng {
            rng: "jax",
            what,
            reason: reason.into(),
        }
    }

    /// A draw in f32 or f64 (JAX's eager operations in order: the draw,
    /// then `* F(std)`, then `+ F(mean)`).
    fn draw<F: JaxFloat>(&self, dist: &Dist, out: &mut [F]) -> Result<()> {
        let (k, p) = (self.current, self.partitionable);
        let (scale, shift) = match *dist {
            Dist::Constant(v) => {
                out.fill(F::of(v));
                return Ok(());
            }
            Dist::Uniform { lo, hi } => return F::uniform(k, p, lo, hi, out),
            Dist::Normal { mean, std } => {
                F::normal(k, p, out)?;
                (std, mean)
            }
            Dist::TruncNormal(ref t) => {
                let (mean, std, a, b) = t.params();
                if std <= 0.0 {
                    return Err(self.refuse(
                        "a truncated normal with std 0".into(),
                        "jax.random.truncated_normal works in standard units; use a constant",
                    ));
                }
                F::truncated(k, p, (a - mean) / std, (b - mean) / std, out)?;
                (std, mean)
            }
        };
        let (s, m) = (F::of(scale), F::of(shift));
        if s != F::of(1.0) {
            out.iter_mut().for_each(|x| *x *= s);
        }
        if m != F::of(0.0) {
            out.iter_mut().for_each(|x| *x += m);
        }
        Ok(())
    }
}

impl Sequential for JaxRandom {
    fn name(&self) -> &'static str {
        "jax"
    }

    fn begin_tensor(&mut self) {
        if let Some(i) = self.next {
            self.current = threefry::fold_in(self.key, i);
            self.next = Some(i.wrapping_add(1));
        }
    }

    fn sample<T: Element>(&mut self, dist: &Dist, out: &mut [T]) -> Result<()> {
        if let Dist::Constant(v) = *dist {
            out.fill(T::from_f64(v));
            return Ok(());
        }
        match T::DTYPE {
            DType::F32 => self.draw::<f32>(dist, bytemuck::cast_slice_mut(out)),
            DType::F64 => self.draw::<f64>(dist, bytemuck::cast_slice_mut(out)),
            _ => Err(self.refuse(
                format!("a random {} tensor", T::DTYPE),
                "nninit replays JAX's float32 and float64 draws (its 16-bit paths round after every operation); use dtype float32 or float64",
            )),
        }
    }
}
