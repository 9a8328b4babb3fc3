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

/// `m as f64` for `m < 2^53`, from bit operations and one exact addition:
/// the same value as the conversion, but written so that it vectorizes
/// (AVX2 has no 64-bit integer to double conversion).
#[inline(always)]
pub(crate) fn u53_to_f64(m: u64) -> f64 {
    const TWO52_BITS: u64 = 0x4330_0000_0000_0000; // 2^52
                                                   // 2^52 + the low 52 bits, exactly; minus 2^52, exactly
    let low = f64::from_bits(TWO52_BITS | (m & ((1 << 52) - 1))) - 4_503_599_627_370_496.0;
    // plus 2^52 where bit 52 is set (the sum is below 2^53: exact)
    low + f64::from_bits(((m >> 52) & 1) * TWO52_BITS)
}

/// Natural log of a positive normal `x` (no zero, subnormal, inf or NaN:
/// the uniforms fed to Box-Muller), as FreeBSD's `e_log.c`, the algorithm of
/// the `libm` crate's `log`: the same operations in the same order, so the
/// same bits (tested against `libm::log`), but without the special-case
/// branches, so that it vectorizes.
#[inline(always)]
#[allow(clippy::excessive_precision)] // the constants as published in FreeBSD
pub(crate) fn ln_f64(x: f64) -> f64 {
    const LN2_HI: f64 = 6.93147180369123816490e-01;
    const LN2_LO: f64 = 1.90821492927058770002e-10;
    const LG1: f64 = 6.666666666666735130e-01;
    const LG2: f64 = 3.999999999940941908e-01;
    const LG3: f64 = 2.857142874366239149e-01;
    const LG4: f64 = 2.222219843214978396e-01;
    const LG5: f64 = 1.818357216161805012e-01;
    const LG6: f64 = 1.531383769920937332e-01;
    const LG7: f64 = 1.479819860511658591e-01;
    let ui = x.to_bits();
    // reduce x into [sqrt(2)/2, sqrt(2)]
    let hx = ((ui >> 32) as u32).wrapping_add(0x3ff0_0000 - 0x3fe6_a09e);
    let k = (hx >> 20) as i32 - 0x3ff;
    let hx = (hx & 0x000f_ffff) + 0x3fe6_a09e;
    let x = f64::from_bits(((hx as u64) << 32) | (ui & 0xffff_ffff));
    let f = x - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let dk = k as f64;
    s * (hfsq + r) + dk * LN2_LO - hfsq + f + dk * LN2_HI
}

/// 53-bit uniform in [0, 1) from two words: exact in f64.
#[inline(always)]
pub(crate) fn unit_f64(lo: u32, hi: u32) -> f64 {
    let x = ((hi as u64) << 32) | lo as u64;
    u53_to_f64(x >> 11) * (1.0 / 9_007_199_254_740_992.0)
}

/// 53-bit uniform in (0, 1].
#[inline(always)]
pub(crate) fn unit_open0_f64(lo: u32, hi: u32) -> f64 {
    // (m + 1) 2^-53 = m 2^-53 + 2^-53, both exact (m + 1 <= 2^53)
    unit_f64(lo, hi) + 1.0 / 9_007_199_254_740_992.0
}

/// `libm::cos(x)` for `0 <= x < 2 pi`, bit for bit, without branches (so
/// that it vectorizes): the `libm` crate's (musl's, FreeBSD's) fast
/// reductions by 1 to 4 multiples of `pi/2` and its `k_cos`/`k_sin`
/// kernels, computed both and selected. `None` where `libm` takes its
/// medium reduction (`x` within about 2^-33 of a multiple of `pi/2`): ask
/// `libm::cos` for those.
#[inline(always)]
#[allow(clippy::excessive_precision)] // the constants as published in FreeBSD
pub(crate) fn cos_0_2pi(x: f64) -> (f64, bool) {
    const PIO2_1: f64 = 1.57079632673412561417e+00;
    const PIO2_1T: f64 = 6.07710050650619224932e-11;
    const C1: f64 = 4.16666666666666019037e-02;
    const C2: f64 = -1.38888888888741095749e-03;
    const C3: f64 = 2.48015872894767294178e-05;
    const C4: f64 = -2.75573143513906633035e-07;
    const C5: f64 = 2.08757232129817482790e-09;
    const C6: f64 = -1.13596475577881948265e-11;
    const S1: f64 = -1.66666666666666324348e-01;
    const S2: f64 = 8.33333333332248946124e-03;
    const S3: f64 = -1.98412698298579493134e-04;
    const S4: f64 = 2.75573137070700676789e-06;
    const S5: f64 = -2.50507602534068634195e-08;
    const S6: f64 = 1.58969099521155010221e-10;
    let ix = (x.to_bits() >> 32) as u32 & 0x7fff_ffff;
    // n: the multiple of pi/2 libm's fast paths subtract (0 below pi/4, where
    // the reduction below leaves x, 0 exactly as libm passes them)
    let n = u32::from(ix > 0x3fe9_21fb)
        + u32::from(ix > 0x4002_d97c)
        + u32::from(ix > 0x400f_6a7a)
        + u32::from(ix > 0x4015_fdbc);
    let medium = ((1..=2).contains(&n) && (ix & 0xfffff) == 0x921fb)
        | (ix == 0x4012_d97c)
        | (ix == 0x4019_21fb)
        | (ix > 0x401c_463b);
    let k = f64::from(n);
    let z = x - k * PIO2_1;
    let y0 = z - k * PIO2_1T;
    let y1 = (z - y0) - k * PIO2_1T;
    let z = y0 * y0;
    let w = z * z;
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let wc = 1.0 - hz;
    let kc = wc + (((1.0 - wc) - hz) + (z * r - y0 * y1));
    let rs = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let v = z * y0;
    let ks = y0 - ((z * (0.5 * y1 - v * rs) - y1) - v * S1);
    // n & 3: 0 cos, 1 -sin, 2 -cos, 3 sin
    let q = n & 3;
    let c = if q & 1 == 1 { ks } else { kc };
    let c = if q == 1 || q == 2 { -c } else { c };
    // |x| < 2^-27 sqrt(2): libm returns 1
    let c = if ix < 0x3e46_a09e { 1.0 } else { c };
    (c, !medium)
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
    fn cos_0_2pi_is_libm_cos_bit_for_bit() {
        // 4 million uniform angles TAU * t (t a 53-bit uniform, as Box-Muller
        // draws it), every t = m / 2^20 (the quarter-turn boundaries among
        // them) and its neighbours, and tiny angles
        let check = |x: f64| -> bool {
            let (c, ok) = cos_0_2pi(x);
            // the sampler's cosine is sincos's: the same as cos
            assert_eq!(
                libm::sincos(x).1.to_bits(),
                libm::cos(x).to_bits(),
                "x = {x:e}"
            );
            if ok {
                assert_eq!(c.to_bits(), libm::cos(x).to_bits(), "x = {x:e}");
            }
            ok
        };
        let mut fast = 0;
        for c in 0..4_000_000u64 {
            let w = crate::rng::philox4x32_10([c as u32, (c >> 32) as u32, 1, 9], [3, 4]);
            fast += usize::from(check(std::f64::consts::TAU * unit_f64(w[2], w[3])));
        }
        // the medium reduction is for angles within ~2^-33 of k pi/2
        assert!(fast > 3_999_000, "{fast} of 4M on the fast path");
        for m in 0..(1u64 << 20) {
            let x = std::f64::consts::TAU * (m as f64 / (1u64 << 20) as f64);
            check(x);
            check(f64::from_bits(x.to_bits() + 1));
            if x > 0.0 {
                check(f64::from_bits(x.to_bits() - 1));
            }
        }
        for e in 0..1074 {
            assert!(check(2f64.powi(-e)));
        }
        assert_eq!(cos_0_2pi(0.0), (1.0, true));
    }

    #[test]
    fn ln_f64_is_libm_log_bit_for_bit() {
        // every uniform Box-Muller can draw is m 2^-53, 1 <= m <= 2^53: a
        // sweep over the exponents (m = 1, 2, 3, ...) and dense samples of
        // the mantissas (a Philox stream), 4 million values
        let check = |x: f64| {
            assert_eq!(ln_f64(x).to_bits(), libm::log(x).to_bits(), "x = {x:e}");
        };
        for m in 1u64..=100_000 {
            check(m as f64 / 9_007_199_254_740_992.0);
            check(((1u64 << 53) - m + 1) as f64 / 9_007_199_254_740_992.0);
        }
        for c in 0..2_000_000u64 {
            let w = crate::rng::philox4x32_10([c as u32, (c >> 32) as u32, 0, 7], [1, 2]);
            check(unit_open0_f64(w[0], w[1]));
            // and values spread over every exponent down to 2^-53
            let e = (w[2] % 53) as i32;
            check(unit_open0_f64(w[3], w[2]) * 2f64.powi(-e));
        }
        check(1.0);
        check(f64::MIN_POSITIVE);
    }

    #[test]
    fn u53_conversion_is_the_cast() {
        for m in (0u64..1000)
            .chain((1u64 << 52) - 1000..(1u64 << 52) + 1000)
            .chain((1u64 << 53) - 1000..1u64 << 53)
        {
            assert_eq!(u53_to_f64(m).to_bits(), (m as f64).to_bits(), "{m}");
        }
        for c in 0..100_000u64 {
            let w = crate::rng::philox4x32_10([c as u32, 0, 0, 9], [3, 4]);
            let m = (((w[1] as u64) << 32) | w[0] as u64) >> 11;
            assert_eq!(u53_to_f64(m).to_bits(), (m as f64).to_bits(), "{m}");
            assert_eq!(
                unit_open0_f64(w[0], w[1]).to_bits(),
                ((m + 1) as f64 * (1.0 / 9_007_199_254_740_992.0)).to_bits()
            );
        }
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
