//! PyTorch's CPU default generator, `torch.manual_seed(seed)` and then the
//! tensor ops `torch.nn.init` calls (`uniform_`, `normal_`, `trunc_normal_`'s
//! uniform-erfinv-scale-clamp), reproduced bit for bit on the path torch's
//! CPU kernels take (ATen `DistributionTemplates.h`, `DistributionsHelper.h`,
//! `TransformationHelper.h`; read to learn them, written anew here):
//!
//! - state: MT19937 seeded with `init_genrand(seed mod 2^32)`; `random()` is one
//!   32-bit word, `random64()` is `(w1 << 32) | w2` of the next two;
//! - `uniform_(from, to)` on dtype T: `x = (word & (2^d - 1)) * 2^-d` with
//!   `d` = T's mantissa digits (24 f32, 53 f64 from `random64`, 11 f16, 8 bf16),
//!   then `x * (to - from) + from` in T's accumulate type (f64 for f64, f32 otherwise),
//!   `from`/`to` first rounded to T;
//! - `normal_(mean, std)`, tensors of 16 or more elements (contiguous): every
//!   element gets a uniform in [0, 1) first, then each block of 16 is
//!   Box-Muller'd in T: `u1 = 1 - d[j]`, `u2 = d[j + 8]`,
//!   `r = sqrt(-2 ln u1)`, `theta = (2 pi as f64) * u2` rounded to T,
//!   `d[j] = r cos(theta) std + mean`, `d[j + 8] = r sin(theta) std + mean`
//!   for j < 8; a tail of `n mod 16` elements redraws the last 16 uniforms and
//!   recomputes that block;
//! - `normal_` on fewer than 16 elements: per element `normal_distribution<double>`,
//!   with its cached second value kept in the generator (`u1`, `u2` 53-bit,
//!   `r = sqrt(-2 log1p(-u2))`, `theta = 2 pi u1`, returns `r cos theta`,
//!   caches `r sin theta`), then `* std + mean` in f64 and rounded to T.
//!
//! `ln`, `sin`, `cos`, `log1p` are the platform's (torch calls the C library's),
//! so results agree with torch where both use the same C library (glibc here).
//! On x86 CPUs whose best instruction set torch picks is AVX2 (not AVX-512),
//! torch's f32 `normal_` takes a vectorized path with its own polynomial
//! `log` and `sincos`; see `TorchCpu` for what that means.

use super::mt19937::Mt19937;
use super::sequential::Sequential;
use crate::dist::Dist;
use crate::dtype::{DType, Element};
use crate::error::Result;
use half::{bf16, f16};

/// Which of torch's CPU kernel builds to reproduce for f32 `normal_`
/// (the only op whose result depends on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TorchKernels {
    /// The AVX2 build (`normal_fill_16_AVX2`, avx_mathfun's polynomials):
    /// what torch runs on x86-64 CPUs with AVX2, AVX-512 ones included.
    Avx2,
    /// The portable build (`normal_fill_16<float>` with the C library's
    /// `logf`/`cosf`/`sinf`): torch on other CPUs, or with
    /// `ATEN_CPU_CAPABILITY=default`.
    Scalar,
}

impl TorchKernels {
    /// What torch picks on this CPU by default.
    pub fn native() -> TorchKernels {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return TorchKernels::Avx2;
        }
        TorchKernels::Scalar
    }

    /// What torch runs given its `ATEN_CPU_CAPABILITY` environment variable
    /// (`None`: unset): `default` selects its portable kernels, anything
    /// else what it picks on this CPU ([`TorchKernels::native`]). The one
    /// copy of this rule; front ends pass the variable's value in.
    pub fn for_capability(aten_capability: Option<&str>) -> TorchKernels {
        match aten_capability {
            Some(v) if v.trim().eq_ignore_ascii_case("default") => TorchKernels::Scalar,
            _ => TorchKernels::native(),
        }
    }
}

/// `torch.manual_seed(seed)`'s CPU generator (see the module docs).
#[derive(Debug, Clone)]
pub struct TorchCpu {
    mt: Mt19937,
    /// `normal_distribution<double>`'s cached second value.
    next_double_normal: Option<f64>,
    kernels: TorchKernels,
}

const TWO_PI: f64 = 2.0 * std::f64::consts::PI;

impl TorchCpu {
    /// The generator after `torch.manual_seed(seed)` (torch keeps the low 32
    /// bits for MT19937's seed).
    pub fn new(seed: u64) -> TorchCpu {
        TorchCpu::with_kernels(seed, TorchKernels::native())
    }

    /// [`TorchCpu::new`] reproducing a given kernel build.
    pub fn with_kernels(seed: u64, kernels: TorchKernels) -> TorchCpu {
        TorchCpu {
            mt: Mt19937::new(seed as u32),
            next_double_normal: None,
            kernels,
        }
    }

    /// The kernel build it reproduces.
    pub fn kernels(&self) -> TorchKernels {
        self.kernels
    }

    /// One 32-bit word.
    #[inline]
    pub fn random(&mut self) -> u32 {
        self.mt.next_u32()
    }

    /// Two words as `(first << 32) | second`.
    #[inline]
    pub fn random64(&mut self) -> u64 {
        let hi = self.mt.next_u32() as u64;
        let lo = self.mt.next_u32() as u64;
        (hi << 32) | lo
    }

    /// `uniform_real_distribution<double>(0, 1)`.
    #[inline]
    fn unit_f64(&mut self) -> f64 {
        (self.random64() & ((1u64 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// `at::normal_distribution<double>(mean, std)` with the generator's cache.
    fn normal_double(&mut self, mean: f64, std: f64) -> f64 {
        let v = match self.next_double_normal.take() {
            Some(v) => v,
            None => {
                let u1 = self.unit_f64();
                let u2 = self.unit_f64();
                let r = (-2.0 * (-u2).ln_1p()).sqrt();
                let theta = TWO_PI * u1;
                self.next_double_normal = Some(r * theta.sin());
                r * theta.cos()
            }
        };
        v.mul_add(std, mean)
    }
}

/// How one dtype runs torch's kernels.
trait TorchScalar: Element {
    /// `uniform_real_distribution<T>(from, to)` on the next word(s), as f64
    /// holding the T value.
    fn uniform(g: &mut TorchCpu, from: f64, to: f64) -> Self;
    /// `normal_fill_16` on 16 values holding uniforms.
    fn normal16(d: &mut [Self], mean: f64, std: f64);
    /// `uniform_(from, to)` on all of `out`.
    fn uniform_fill(g: &mut TorchCpu, from: f64, to: f64, out: &mut [Self]) {
        for o in out.iter_mut() {
            *o = Self::uniform(g, from, to);
        }
    }
    /// `normal_fill_16` on every whole block of 16.
    fn normal_blocks(d: &mut [Self], mean: f64, std: f64) {
        for b in d.chunks_exact_mut(16) {
            Self::normal16(b, mean, std);
        }
    }
}

/// The 24-bit unit float of one word.
#[inline(always)]
fn unit_f32(w: u32) -> f32 {
    (w & 0xFF_FFFF) as f32 * (1.0 / 16_777_216.0)
}

/// `fma(x, to - from, from)`, and `from` where rounding reached `to`.
#[inline(always)]
pub(crate) fn torch_affine_f32(x: f32, from: f32, to: f32) -> f32 {
    let v = x.mul_add(to - from, from);
    if v >= to {
        from
    } else {
        v
    }
}

/// [`torch_affine_f32`] in f64.
#[inline(always)]
pub(crate) fn torch_affine_f64(x: f64, from: f64, to: f64) -> f64 {
    let v = x.mul_add(to - from, from);
    if v >= to {
        from
    } else {
        v
    }
}

/// One f32 uniform in [from, to).
#[inline]
fn uniform_f32(g: &mut TorchCpu, from: f32, to: f32) -> f32 {
    torch_affine_f32(unit_f32(g.random()), from, to)
}

impl TorchScalar for f32 {
    fn uniform(g: &mut TorchCpu, from: f64, to: f64) -> f32 {
        uniform_f32(g, from as f32, to as f32)
    }
    fn normal16(d: &mut [f32], mean: f64, std: f64) {
        super::torch_avx2::normal16(d, mean as f32, std as f32)
    }
    fn uniform_fill(g: &mut TorchCpu, from: f64, to: f64, out: &mut [f32]) {
        for o in out.iter_mut() {
            *o = unit_f32(g.random());
        }
        let (from, to) = (from as f32, to as f32);
        // fma(x, 1, 0) is x, and x < 1: the transform is the identity then
        if (from, to) != (0.0, 1.0) {
            crate::simd::torch_uniform_f32(out, from, to);
        }
    }
    fn normal_blocks(d: &mut [f32], mean: f64, std: f64) {
        crate::simd::torch_normal_f32(d, mean as f32, std as f32)
    }
}

impl TorchScalar for f64 {
    fn uniform(g: &mut TorchCpu, from: f64, to: f64) -> f64 {
        torch_affine_f64(g.unit_f64(), from, to)
    }
    fn normal16(d: &mut [f64], mean: f64, std: f64) {
        torch_normal16_f64(d, mean, std)
    }
    fn uniform_fill(g: &mut TorchCpu, from: f64, to: f64, out: &mut [f64]) {
        for o in out.iter_mut() {
            *o = g.unit_f64();
        }
        if (from, to) != (0.0, 1.0) {
            crate::simd::torch_uniform_f64(out, from, to);
        }
    }
    fn normal_blocks(d: &mut [f64], mean: f64, std: f64) {
        crate::simd::torch_normal_f64(d, mean, std)
    }
}

/// `normal_fill_16<double>`: glibc's `log`, `cos`, `sin`, the final
/// `r cos(theta) * std + mean` contracted into one FMA as torch's build does.
#[inline(always)]
pub(crate) fn torch_normal16_f64(d: &mut [f64], mean: f64, std: f64) {
    {
        for j in 0..8 {
            let u1 = 1.0 - d[j];
            let u2 = d[j + 8];
            let radius = (-2.0 * u1.ln()).sqrt();
            let theta = TWO_PI * u2;
            d[j] = (radius * theta.cos()).mul_add(std, mean);
            d[j + 8] = (radius * theta.sin()).mul_add(std, mean);
        }
    }
}

/// `normal_fill_16<float>` of torch's portable build over whole blocks:
/// the C library's `logf`, `cosf`, `sinf`; `theta` computed in f64.
fn scalar_normal_f32(d: &mut [f32], mean: f32, std: f32) {
    for b in d.chunks_exact_mut(16) {
        for j in 0..8 {
            let u1 = 1.0 - b[j];
            let u2 = b[j + 8];
            let radius = (-2.0 * u1.ln()).sqrt();
            let theta = (TWO_PI * u2 as f64) as f32;
            b[j] = (radius * theta.cos()).mul_add(std, mean);
            b[j + 8] = (radius * theta.sin()).mul_add(std, mean);
        }
    }
}

/// Half types: arithmetic in f32, every named intermediate rounded to T (as
/// c10::Half / c10::BFloat16 do).
macro_rules! half_scalar {
    ($t:ty) => {
        impl TorchScalar for $t {
            fn uniform(g: &mut TorchCpu, from: f64, to: f64) -> $t {
                // computed on the f32 bounds, then rounded; `from` where the
                // rounding reached `to`
                let (from, to) = (from as f32, to as f32);
                let x = (g.random() & 0xFF_FFFF) as f32 * (1.0 / 16_777_216.0);
                let v = <$t>::from_f32(x.mul_add(to - from, from));
                if v >= <$t>::from_f32(to) {
                    <$t>::from_f32(from)
                } else {
                    v
                }
            }
            fn normal16(_: &mut [$t], _: f64, _: f64) {
                unreachable!("half types take the f32 path block by block")
            }
        }
    };
}
half_scalar!(f16);
half_scalar!(bf16);

impl TorchCpu {
    fn uniform_fill<T: TorchScalar>(&mut self, from: f64, to: f64, out: &mut [T]) {
        T::uniform_fill(self, from, to, out)
    }

    fn normal_fill<T: TorchScalar>(&mut self, mean: f64, std: f64, out: &mut [T]) {
        let n = out.len();
        if n < 16 {
            for o in out.iter_mut() {
                *o = T::from_f64(self.normal_double(mean, std));
            }
            return;
        }
        if matches!(T::DTYPE, DType::F16 | DType::BF16) {
            // torch: block by block through f32 (16 uniforms, the f32
            // Box-Muller, rounded to T); a tail redraws 16 and recomputes the
            // last 16 (so it uses the uniforms right after the last block)
            let mut block = [0f32; 16];
            let (m, s) = (mean as f32, std as f32);
            let mut i = 0;
            while i + 16 <= n {
                self.uniform_fill(0.0, 1.0, &mut block);
                crate::simd::torch_normal_f32(&mut block, m, s);
                for (o, x) in out[i..i + 16].iter_mut().zip(block) {
                    *o = T::from_f32(x);
                }
                i += 16;
            }
            if !n.is_multiple_of(16) {
                self.uniform_fill(0.0, 1.0, &mut block);
                crate::simd::torch_normal_f32(&mut block, m, s);
                for (o, x) in out[n - 16..].iter_mut().zip(block) {
                    *o = T::from_f32(x);
                }
            }
            return;
        }
        self.uniform_fill(0.0, 1.0, out);
        let whole = n - n % 16;
        let scalar = T::DTYPE == DType::F32 && self.kernels == TorchKernels::Scalar;
        let blocks = |d: &mut [T]| {
            if scalar {
                scalar_normal_f32(bytemuck::cast_slice_mut(d), mean as f32, std as f32)
            } else {
                T::normal_blocks(d, mean, std)
            }
        };
        blocks(&mut out[..whole]);
        if !n.is_multiple_of(16) {
            let tail = &mut out[n - 16..];
            self.uniform_fill(0.0, 1.0, tail);
            blocks(tail);
        }
    }

    /// `torch.nn.init.trunc_normal_` as torch 2.x does it: with
    /// `p = Phi((b - mean) / std) - Phi((a - mean) / std)` (Python floats),
    /// - `p > 0.3`: `normal_(mean, std)`, then while any value lies outside
    ///   `[a, b]` (bounds rounded to T), draw a whole new tensor of normals and
    ///   take its values where they were outside;
    /// - otherwise: rejection from `uniform_(a, b)` against the peak-scaled
    ///   density: `log(uniform_()) > -((x - mean) / std)^2 / 2 - log_peak`
    ///   means "draw again"; each round draws the candidates, then the
    ///   acceptance uniforms, both tensor-sized, in T's arithmetic.
    fn trunc_normal_fill<T: TorchScalar>(
        &mut self,
        (mean, std): (f64, f64),
        (a, b): (f64, f64),
        out: &mut [T],
    ) {
        let norm_cdf = |x: f64| (1.0 + libm::erf(x / std::f64::consts::SQRT_2)) / 2.0;
        let p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std);
        let n = out.len();
        if p > 0.3 {
            let (lo, hi) = (T::from_f64(a).to_f64(), T::from_f64(b).to_f64());
            let outside = |x: &T| {
                let x = x.to_f64();
                x < lo || x > hi
            };
            self.normal_fill(mean, std, out);
            let mut fresh = vec![T::default(); n];
            while out.iter().any(outside) {
                self.normal_fill(mean, std, &mut fresh);
                for (o, f) in out.iter_mut().zip(&fresh) {
                    if outside(o) {
                        *o = *f;
                    }
                }
            }
            return;
        }
        let mode = a.max(mean.min(b));
        let log_peak = -0.5 * ((mode - mean) / std).powi(2);
        // log density of each candidate, in T's arithmetic (f32 rounded to T
        // after each op for f32/f16/bf16, f64 for f64)
        let log_pdf = |x: T| -> f64 {
            if T::DTYPE == DType::F64 {
                let c = (x.to_f64() - mean) / std;
                c * c * -0.5 - log_peak
            } else {
                let r = |v: f32| T::from_f32(v).to_f64() as f32;
                let c = r(x.to_f64() as f32 - mean as f32);
                let c = r(c / std as f32);
                let c = r(c * c);
                let c = r(c * -0.5);
                r(c - log_peak as f32) as f64
            }
        };
        let log_of = |u: T| -> f64 {
            if T::DTYPE == DType::F64 {
                u.to_f64().ln()
            } else {
                T::from_f32((u.to_f64() as f32).ln()).to_f64()
            }
        };
        let mut cand = vec![T::default(); n];
        let mut acc = vec![T::default(); n];
        self.uniform_fill(a, b, out);
        self.uniform_fill(0.0, 1.0, &mut acc);
        let mut pending: Vec<bool> = out
            .iter()
            .zip(&acc)
            .map(|(x, u)| log_of(*u) > log_pdf(*x))
            .collect();
        while pending.iter().any(|&p| p) {
            self.uniform_fill(a, b, &mut cand);
            for ((o, c), p) in out.iter_mut().zip(&cand).zip(&pending) {
                if *p {
                    *o = *c;
                }
            }
            self.uniform_fill(0.0, 1.0, &mut acc);
            for ((p, c), u) in pending.iter_mut().zip(&cand).zip(&acc) {
                if *p {
                    *p = log_of(*u) > log_pdf(*c);
                }
            }
        }
    }

    fn typed<T: TorchScalar>(&mut self, dist: &Dist, out: &mut [T]) -> Result<()> {
        match *dist {
            Dist::Constant(v) => out.fill(T::from_f64(v)),
            Dist::Uniform { lo, hi } => self.uniform_fill(lo, hi, out),
            Dist::Normal { mean, std } => self.normal_fill(mean, std, out),
            Dist::TruncNormal(ref t) => self.trunc_normal_fill(t.parent(), t.bounds(), out),
        }
        Ok(())
    }
}

impl Sequential for TorchCpu {
    fn name(&self) -> &'static str {
        "torch"
    }

    fn sample<T: Element>(&mut self, dist: &Dist, out: &mut [T]) -> Result<()> {
        match T::DTYPE {
            DType::F32 => self.typed::<f32>(dist, bytemuck::cast_slice_mut(out)),
            DType::F64 => self.typed::<f64>(dist, bytemuck::cast_slice_mut(out)),
            DType::F16 => self.typed::<f16>(dist, bytemuck::cast_slice_mut(out)),
            DType::BF16 => self.typed::<bf16>(dist, bytemuck::cast_slice_mut(out)),
        }
    }
}
