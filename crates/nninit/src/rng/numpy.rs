//! NumPy's legacy global generator, `np.random.seed(seed)` and then the
//! module-level functions (`RandomState`), reproduced bit for bit.
//!
//! - state: MT19937 seeded with `init_genrand(seed)` for an integer seed in
//!   `[0, 2^32 - 1]` (NumPy's `_legacy_seeding`; other seeds raise there);
//! - `random_sample()`: `(a * 2^26 + b) / 2^53` with `a = next_u32() >> 5`,
//!   `b = next_u32() >> 6` (53 random bits from two words);
//! - `standard_normal()` (`randn`): the legacy polar (Marsaglia) method,
//!   `x1, x2 = 2u - 1` until `0 < r2 = x1^2 + x2^2 < 1`, `f = sqrt(-2 ln r2 / r2)`,
//!   return `f * x2` and keep `f * x1` for the next call;
//! - `normal(loc, scale)` = `loc + scale * standard_normal()`;
//!   `uniform(low, high)` = `low + (high - low) * random_sample()`.
//!
//! float64 is NumPy's own result; narrower dtypes are those doubles rounded.
//! `ln` is the platform's (NumPy calls the C library's `log`), so on a
//! platform whose `log` is not correctly rounded NumPy and nninit agree
//! there as long as both use the same C library.

use super::mt19937::Mt19937;
use super::sequential::Sequential;
use crate::dist::Dist;
use crate::dtype::Element;
use crate::error::{Error, Result};

/// `np.random.seed(seed)`'s generator (see the module docs).
///
/// ```
/// use nninit::rng::NumpyLegacy;
/// // np.random.seed(1); np.random.randn() == 1.6243453636632417
/// let mut g = NumpyLegacy::new(1)?;
/// assert_eq!(g.standard_normal(), 1.6243453636632417);
/// # Ok::<(), nninit::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NumpyLegacy {
    mt: Mt19937,
    /// The polar method's second value, returned by the next normal draw.
    cached: Option<f64>,
}

impl NumpyLegacy {
    /// The generator after `np.random.seed(seed)`. NumPy accepts integer
    /// seeds in `[0, 2^32 - 1]` only; anything else is an error saying so.
    pub fn new(seed: u64) -> Result<NumpyLegacy> {
        let seed = u32::try_from(seed).map_err(|_| Error::Rng {
            rng: "numpy",
            what: format!("seed {seed}"),
            reason: "np.random.seed takes an integer in [0, 2**32 - 1] (4294967295)".into(),
        })?;
        Ok(NumpyLegacy {
            mt: Mt19937::new(seed),
            cached: None,
        })
    }

    /// `np.random.random_sample()`: uniform in [0, 1) with 53 bits.
    #[inline]
    pub fn random_sample(&mut self) -> f64 {
        let a = (self.mt.next_u32() >> 5) as f64;
        let b = (self.mt.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `np.random.standard_normal()` (the legacy polar method, with its cache).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(g) = self.cached.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.cached = Some(f * x1);
                return f * x2;
            }
        }
    }
}

impl Sequential for NumpyLegacy {
    fn name(&self) -> &'static str {
        "numpy"
    }

    fn sample<T: Element>(&mut self, dist: &Dist, out: &mut [T]) -> Result<()> {
        match *dist {
            Dist::Constant(v) => out.fill(T::from_f64(v)),
            Dist::Uniform { lo, hi } => {
                let range = hi - lo;
                for o in out.iter_mut() {
                    *o = T::from_f64(lo + range * self.random_sample());
                }
            }
            Dist::Normal { mean, std } => {
                for o in out.iter_mut() {
                    *o = T::from_f64(mean + std * self.standard_normal());
                }
            }
            Dist::TruncNormal(_) => {
                return Err(Error::Rng {
                    rng: "numpy",
                    what: "a truncated normal".into(),
                    reason: "NumPy's legacy np.random has no truncated normal to reproduce; use --rng nninit (or torch)".into(),
                })
            }
        }
        Ok(())
    }
}
