//! Branch-free single-precision `ln`, `sin` and `cos` built only from +, -, *,
//! /, sqrt and bit operations, all correctly rounded in IEEE 754. Unlike the
//! platform libm they give the same bits everywhere, and they vectorize. No
//! fused multiply-add is used anywhere (Rust never contracts `a * b + c`), so
//! the scalar, AVX2 and AVX-512 builds of the same kernel agree bit for bit.

/// Natural log for x in (0, 1], as musl's `logf` (FreeBSD `e_logf.c`): reduce
/// to `x = 2^k * m`, `m` in [sqrt(2)/2, sqrt(2)), then
/// `log(m) = f - f^2/2 + s*(f^2/2 + R(s^2))`, `s = f/(2+f)`, with a degree-4
/// minimax `R`. Error under 1 ulp over the inputs we use (24-bit uniforms).
#[inline(always)]
#[allow(clippy::excessive_precision)] // the constants as published in musl/FreeBSD
pub(crate) fn ln_f32(x: f32) -> f32 {
    const LN2_HI: f32 = 6.931_381_225_6e-1;
    const LN2_LO: f32 = 9.058_000_614_5e-6;
    const LG1: f32 = 0.666_666_626_93;
    const LG2: f32 = 0.400_009_721_52;
    const LG3: f32 = 0.284_987_866_88;
    const LG4: f32 = 0.242_790_788_41;
    let ix = x.to_bits().wrapping_add(0x3f80_0000 - 0x3f35_04f3);
    let k = (ix >> 23) as i32 - 0x7f;
    let m = f32::from_bits((ix & 0x007f_ffff) + 0x3f35_04f3);
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * LG4);
    let t2 = z * (LG1 + w * LG3);
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let dk = k as f32;
    s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI
}

/// `(cos p, sin p)` for p in [0, pi/4], Taylor polynomials to degree 8 and 9
/// (truncation error below 3e-8 and 2e-9 at pi/4: under one f32 ulp).
#[inline(always)]
pub(crate) fn cos_sin_octant(p: f32) -> (f32, f32) {
    let p2 = p * p;
    let s = p
        * (1.0
            + p2 * (-1.0 / 6.0
                + p2 * (1.0 / 120.0 + p2 * (-1.0 / 5040.0 + p2 * (1.0 / 362_880.0)))));
    let c = 1.0 + p2 * (-0.5 + p2 * (1.0 / 24.0 + p2 * (-1.0 / 720.0 + p2 * (1.0 / 40_320.0))));
    (c, s)
}

/// Box-Muller on two 32-bit words: two independent N(0, 1) values.
///
/// `u = (wa >> 8 + 1) * 2^-24` in (0, 1] gives the radius `sqrt(-2 ln u)`
/// (so |z| <= 5.77). The angle is uniform on the circle: a uniform point in the
/// first octant (24 bits of `wb`) moved by a uniformly chosen symmetry of the
/// square (3 low bits of `wb`: swap x and y, negate x, negate y), which needs
/// no range reduction.
#[inline(always)]
pub(crate) fn box_muller_f32(wa: u32, wb: u32) -> (f32, f32) {
    const TWO_M24: f32 = 1.0 / 16_777_216.0;
    const FRAC_PI_4: f32 = std::f32::consts::FRAC_PI_4;
    let u = ((wa >> 8) + 1) as f32 * TWO_M24;
    let r = (-2.0 * ln_f32(u)).sqrt();
    let p = (wb >> 8) as f32 * TWO_M24 * FRAC_PI_4;
    let (c, s) = cos_sin_octant(p);
    let swap = wb & 1 != 0;
    let (x, y) = if swap { (s, c) } else { (c, s) };
    let x = f32::from_bits(x.to_bits() ^ ((wb & 2) << 30));
    let y = f32::from_bits(y.to_bits() ^ ((wb & 4) << 29));
    (r * x, r * y)
}

/// 24-bit uniform in [0, 1): exact in f32.
#[inline(always)]
pub(crate) fn unit_f32(w: u32) -> f32 {
    (w >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// 53-bit uniform in [0, 1) from two words: exact in f64.
#[inline(always)]
pub(crate) fn unit_f64(lo: u32, hi: u32) -> f64 {
    let x = ((hi as u64) << 32) | lo as u64;
    (x >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

/// 53-bit uniform in (0, 1].
#[inline(always)]
pub(crate) fn unit_open0_f64(lo: u32, hi: u32) -> f64 {
    let x = ((hi as u64) << 32) | lo as u64;
    ((x >> 11) + 1) as f64 * (1.0 / 9_007_199_254_740_992.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_std_within_an_ulp_on_24_bit_grid() {
        // every 97th of the 2^24 uniforms we feed it
        let mut worst = 0.0f64;
        let mut k = 1u32;
        while k <= 1 << 24 {
            let x = k as f32 / 16_777_216.0;
            let ours = ln_f32(x) as f64;
            let exact = (x as f64).ln();
            let ulp = f32::EPSILON as f64 * exact.abs().max(f32::MIN_POSITIVE as f64);
            worst = worst.max((ours - exact).abs() / ulp);
            k += 97;
        }
        assert!(worst <= 1.0, "worst error {worst} ulp");
    }

    #[test]
    fn sin_cos_accurate_on_octant() {
        for i in 0..=1000 {
            let p = i as f32 / 1000.0 * std::f32::consts::FRAC_PI_4;
            let (c, s) = cos_sin_octant(p);
            assert!((c as f64 - (p as f64).cos()).abs() < 2e-7);
            assert!((s as f64 - (p as f64).sin()).abs() < 2e-7);
        }
    }
}
