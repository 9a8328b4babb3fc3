//! NumPy's modern generator, `rng = np.random.default_rng(seed)` (a
//! `Generator` over PCG64 seeded by `SeedSequence`, see [`super::pcg64`]),
//! reproduced bit for bit, in order across calls:
//!
//! - `rng.random()`: `(next_u64 >> 11) * 2^-53`; `rng.random(dtype=np.float32)`:
//!   `(next_u32 >> 8) * 2^-24`, where `next_u32` returns the low half of a
//!   64-bit draw and keeps the high half for the next 32-bit call (a 64-bit
//!   draw in between does not consume it);
//! - `rng.standard_normal()`: NumPy's 256-layer ziggurat on one u64 (bits 0-7
//!   the layer, bit 8 the sign, bits 9-60 a 52-bit magnitude), its tail from
//!   r by `log1p` pairs, its wedges against `exp(-x^2 / 2)`;
//!   `standard_normal(dtype=np.float32)` the float ziggurat on one u32 (23-bit
//!   magnitude);
//! - `rng.normal(loc, scale)` = `loc + scale * standard_normal()`;
//!   `rng.uniform(low, high)` = `low + (high - low) * random()`.
//!
//! How nninit's distributions map onto them: in float32, N(0, 1) is
//! `standard_normal(dtype=np.float32)` and U(0, 1) is
//! `random(dtype=np.float32)`; every other normal and uniform, and every
//! other dtype, is drawn in float64 (`normal(loc, scale)`,
//! `uniform(low, high)`: NumPy has no float32 form of those) and rounded.
//! `log1p` and `exp` are the platform's C library's, as NumPy's are.

use super::pcg64::{seed_sequence_state, seed_words, Pcg64};
use super::sequential::Sequential;
use super::ziggurat::{
    FI_DOUBLE, FI_FLOAT, KI_DOUBLE, KI_FLOAT, NOR_INV_R, NOR_INV_R_F, NOR_R, NOR_R_F, WI_DOUBLE,
    WI_FLOAT,
};
use crate::dist::Dist;
use crate::dtype::{DType, Element};
use crate::error::{Error, Result};

/// `np.random.default_rng(seed)` (see the module docs).
///
/// ```
/// use nninit::rng::NumpyDefault;
/// // np.random.default_rng(42).random() == 0.7739560485559633
/// let mut g = NumpyDefault::new(42);
/// assert_eq!(g.random(), 0.7739560485559633);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumpyDefault {
    pcg: Pcg64,
    /// The high half of the last 64-bit draw a 32-bit call split, if unused.
    half: Option<u32>,
}

impl NumpyDefault {
    /// `np.random.default_rng(seed)` for an integer seed >= 0.
    pub fn new(seed: u128) -> NumpyDefault {
        NumpyDefault::from_seeds(&[seed])
    }

    /// `np.random.default_rng([s0, s1, ...])`: each element's 32-bit words
    /// (low first) concatenated as `SeedSequence`'s entropy. One element is
    /// the same as [`NumpyDefault::new`].
    pub fn from_seeds(seeds: &[u128]) -> NumpyDefault {
        let mut words = Vec::with_capacity(seeds.len());
        for &s in seeds {
            seed_words(s, &mut words);
        }
        NumpyDefault::from_entropy(&words)
    }

    /// The generator of `SeedSequence(entropy)` for entropy given as 32-bit
    /// words (NumPy's `uint32` array form).
    pub fn from_entropy(words: &[u32]) -> NumpyDefault {
        NumpyDefault {
            pcg: Pcg64::from_state_words(seed_sequence_state(words)),
            half: None,
        }
    }

    /// The next 64-bit output of the bit generator.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.pcg.next_u64()
    }

    /// The next 32-bit output: the buffered high half of the last split
    /// draw, or the low half of a new one (its high half kept).
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        if let Some(h) = self.half.take() {
            return h;
        }
        let next = self.pcg.next_u64();
        self.half = Some((next >> 32) as u32);
        next as u32
    }

    /// `rng.random()`: uniform in [0, 1) with 53 bits.
    #[inline]
    pub fn random(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `rng.random(dtype=np.float32)`: uniform in [0, 1) with 24 bits.
    #[inline]
    pub fn random_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// `rng.standard_normal()`.
    pub fn standard_normal(&mut self) -> f64 {
        loop {
            let r = self.next_u64();
            let idx = (r & 0xff) as usize;
            let r = r >> 8;
            let rabs = (r >> 1) & 0x000f_ffff_ffff_ffff;
            let mut x = rabs as f64 * WI_DOUBLE[idx];
            if r & 1 == 1 {
                x = -x;
            }
            if rabs < KI_DOUBLE[idx] {
                return x;
            }
            if idx == 0 {
                loop {
                    let xx = -NOR_INV_R * (-self.random()).ln_1p();
                    let yy = -(-self.random()).ln_1p();
                    if yy + yy > xx * xx {
                        return if (rabs >> 8) & 1 == 1 {
                            -(NOR_R + xx)
                        } else {
                            NOR_R + xx
                        };
                    }
                }
            } else if (FI_DOUBLE[idx - 1] - FI_DOUBLE[idx]) * self.random() + FI_DOUBLE[idx]
                < (-0.5 * x * x).exp()
            {
                return x;
            }
        }
    }

    /// `rng.standard_normal(dtype=np.float32)`.
    pub fn standard_normal_f32(&mut self) -> f32 {
        loop {
            let r = self.next_u32();
            let idx = (r & 0xff) as usize;
            let rabs = (r >> 9) & 0x007f_ffff;
            let mut x = rabs as f32 * WI_FLOAT[idx];
            if (r >> 8) & 1 == 1 {
                x = -x;
            }
            if rabs < KI_FLOAT[idx] {
                return x;
            }
            if idx == 0 {
                loop {
                    let xx = -NOR_INV_R_F * (-self.random_f32()).ln_1p();
                    let yy = -(-self.random_f32()).ln_1p();
                    if yy + yy > xx * xx {
                        return if (rabs >> 8) & 1 == 1 {
                            -(NOR_R_F + xx)
                        } else {
                            NOR_R_F + xx
                        };
                    }
                }
            } else {
                // NumPy compares in double: `exp(-0.5 * x * x)` with x promoted
                let wedge = (FI_FLOAT[idx - 1] - FI_FLOAT[idx]) * self.random_f32() + FI_FLOAT[idx];
                let x64 = f64::from(x);
                if f64::from(wedge) < (-0.5 * x64 * x64).exp() {
                    return x;
                }
            }
        }
    }
}

impl Sequential for NumpyDefault {
    fn name(&self) -> &'static str {
        "numpy-default"
    }

    fn sample<T: Element>(&mut self, dist: &Dist, out: &mut [T]) -> Result<()> {
        let f32_out = T::DTYPE == DType::F32;
        match *dist {
            Dist::Constant(v) => out.fill(T::from_f64(v)),
            Dist::Uniform { lo, hi } if f32_out && lo == 0.0 && hi == 1.0 => {
                for o in out.iter_mut() {
                    *o = T::from_f32(self.random_f32());
                }
            }
            Dist::Uniform { lo, hi } => {
                let range = hi - lo;
                for o in out.iter_mut() {
                    *o = T::from_f64(lo + range * self.random());
                }
            }
            Dist::Normal { mean, std } if f32_out && mean == 0.0 && std == 1.0 => {
                for o in out.iter_mut() {
                    *o = T::from_f32(self.standard_normal_f32());
                }
            }
            Dist::Normal { mean, std } => {
                for o in out.iter_mut() {
                    *o = T::from_f64(mean + std * self.standard_normal());
                }
            }
            Dist::TruncNormal(_) => {
                return Err(Error::Rng {
                    rng: "numpy-default",
                    what: "a truncated normal".into(),
                    reason: "NumPy's Generator has no truncated normal to reproduce; use --rng nninit (or torch)".into(),
                })
            }
        }
        Ok(())
    }
}
