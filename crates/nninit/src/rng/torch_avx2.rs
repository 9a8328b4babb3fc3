//! torch's vectorized f32 Box-Muller (`normal_fill_16_AVX2`), one lane at a
//! time: the Cephes-derived `log` and `sincos` of ATen's `avx_mathfun.h`
//! (after Julien Pommier's `sse_mathfun`), with the fused multiply-adds the
//! compiler forms from them (GCC, `-mfma`, `-ffp-contract=fast`: a product
//! whose only use is an addition becomes one FMA with it). Every operation is
//! IEEE single precision, so a lane computed here has the bits of torch's.

// the constants below keep their source's digits (the bits come from the
// rounding, which must be the C compiler's)
#![allow(clippy::excessive_precision, clippy::approx_constant)]

#[inline(always)]
fn fma(a: f32, b: f32, c: f32) -> f32 {
    a.mul_add(b, c)
}

// The Cephes constants digit for digit as avx_mathfun.h spells them: double literals that
// the C compiler rounds to float (so written here as f64 rounded to f32).
const SQRTHF: f32 = 0.707106781186547524f64 as f32;
const LOG_P: [f32; 9] = [
    7.0376836292E-2f64 as f32,
    -1.1514610310E-1f64 as f32,
    1.1676998740E-1f64 as f32,
    -1.2420140846E-1f64 as f32,
    1.4249322787E-1f64 as f32,
    -1.6668057665E-1f64 as f32,
    2.0000714765E-1f64 as f32,
    -2.4999993993E-1f64 as f32,
    3.3333331174E-1f64 as f32,
];
const LOG_Q1: f32 = -2.12194440e-4f64 as f32;
const LOG_Q2: f32 = 0.693359375;

/// `log256_ps` on one lane (inputs here are in (0, 1]).
#[inline(always)]
pub(crate) fn log(x: f32) -> f32 {
    let invalid = x <= 0.0;
    let x = x.max(f32::from_bits(0x0080_0000));
    let bits = x.to_bits();
    let mut e = ((bits >> 23) as i32 - 0x7f) as f32;
    let mut x = f32::from_bits((bits & !0x7f80_0000) | 0.5f32.to_bits());
    e += 1.0;
    let small = x < SQRTHF;
    let tmp = if small { x } else { 0.0 };
    x -= 1.0;
    e -= if small { 1.0 } else { 0.0 };
    x += tmp;
    let z = x * x;
    let mut y = fma(LOG_P[0], x, LOG_P[1]);
    for p in &LOG_P[2..] {
        y = fma(y, x, *p);
    }
    y *= x;
    let y = fma(y, z, e * LOG_Q1);
    let y = fma(-z, 0.5, y);
    let r = fma(e, LOG_Q2, x + y);
    if invalid {
        f32::NAN
    } else {
        r
    }
}

const DP1: f32 = -0.78515625;
const DP2: f32 = -2.4187564849853515625e-4f64 as f32;
const DP3: f32 = -3.77489497744594108e-8f64 as f32;
const SINCOF: [f32; 3] = [
    -1.9515295891E-4f64 as f32,
    8.3321608736E-3f64 as f32,
    -1.6666654611E-1f64 as f32,
];
const COSCOF: [f32; 3] = [
    2.443315711809948E-5f64 as f32,
    -1.388731625493765E-3f64 as f32,
    4.166664568298827E-2f64 as f32,
];
const FOPI: f32 = 1.27323954473516f64 as f32;

/// `sincos256_ps` on one lane: (sin x, cos x).
#[inline(always)]
pub(crate) fn sincos(x: f32) -> (f32, f32) {
    let sign_sin = x.to_bits() & 0x8000_0000;
    let x = f32::from_bits(x.to_bits() & 0x7fff_ffff);
    let y = x * FOPI;
    let mut j = y as i32; // truncation, as cvttps
    j = (j + 1) & !1;
    let y = j as f32;
    let swap_sin = ((j & 4) as u32) << 29;
    let poly_sin = (j & 2) == 0;
    let x = fma(y, DP1, x);
    let x = fma(y, DP2, x);
    let x = fma(y, DP3, x);
    let sign_cos = ((!(j - 2) & 4) as u32) << 29;
    let sign_sin = sign_sin ^ swap_sin;
    let z = x * x;
    let yc = fma(COSCOF[0], z, COSCOF[1]);
    let yc = fma(yc, z, COSCOF[2]);
    let yc = yc * z;
    let yc = fma(yc, z, -(z * 0.5));
    let yc = yc + 1.0;
    let ys = fma(SINCOF[0], z, SINCOF[1]);
    let ys = fma(ys, z, SINCOF[2]);
    let ys = ys * z;
    let ys = fma(ys, x, x);
    let (s, c) = if poly_sin { (ys, yc) } else { (yc, ys) };
    (
        f32::from_bits(s.to_bits() ^ sign_sin),
        f32::from_bits(c.to_bits() ^ sign_cos),
    )
}

/// `normal_fill_16_AVX2` on 16 values holding uniforms in [0, 1).
#[inline(always)]
pub(crate) fn normal16(d: &mut [f32], mean: f32, std: f32) {
    const TWO_PI: f32 = (2.0 * std::f64::consts::PI) as f32;
    for j in 0..8 {
        let u1 = 1.0 - d[j];
        let u2 = d[j + 8];
        let radius = (-2.0 * log(u1)).sqrt();
        let theta = TWO_PI * u2;
        let (s, c) = sincos(theta);
        d[j] = fma(radius * c, std, mean);
        d[j + 8] = fma(radius * s, std, mean);
    }
}
