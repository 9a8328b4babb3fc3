//! tanh and the logistic over f32 slices, bit for bit what
//! [`Activation::f`] and [`Activation::f_df`] give rounded to f32 (the
//! system libm's f64 functions, and the derivative from that f64 value), a
//! few times faster.
//!
//! The values that matter are f32 roundings of f64 results, so the f64
//! results need not be exact: only on the right side of every f32 rounding
//! boundary. A block of inputs is evaluated with a polynomial exp of known
//! error (below 5e-16 relative) in a branch-free loop the compiler
//! vectorizes (AVX2 + FMA, chosen at run time in `simd.rs`); a value is
//! kept when the whole interval its error bound allows (which contains the
//! libm value) lies strictly between two consecutive f32 rounding
//! boundaries, so the libm value rounds to the same f32. Every other value
//! (about one in a million, plus inputs where the bound is not tight: |x| <
//! saturated units, subnormal and non-finite inputs) is computed by the
//! reference itself. Exact by construction; the tests compare millions of
//! inputs with the reference bit for bit.

use crate::Activation;

/// Values per block (stack buffers of the vectorized pass).
const BLOCK: usize = 64;

/// ln 2 split: the high part has 32 trailing zero bits (0x3fe62e42fee00000), so
/// `n * LN2_HI` is exact for the n used here.
const LN2_HI: f64 = 0.693_147_180_369_123_8;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// 1.5 * 2^52: adding and subtracting it rounds to the nearest integer.
const SHIFT: f64 = 6_755_399_441_055_744.0;

/// e^x for |x| <= 700: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite), e^r by
/// its Taylor series to r^13 (truncation below 0.35^14/14! = 4e-18) in
/// Horner's rule with fused multiply-adds, times 2^n from the exponent
/// bits. Relative error below 5e-16 (tested against libm).
#[inline(always)]
fn exp_approx(x: f64) -> f64 {
    let kd = x.mul_add(std::f64::consts::LOG2_E, SHIFT);
    let n = kd - SHIFT;
    let r = (-n).mul_add(LN2_LO, (-n).mul_add(LN2_HI, x));
    let mut p: f64 = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p.mul_add(r, c);
    }
    // kd's low bits hold n: 2^n is (n + 1023) << 52 (|n| <= 1010 here)
    p * f64::from_bits(kd.to_bits().wrapping_add(1023) << 52)
}

/// Whether every value within `err` of `v` rounds to the same f32 as `v`
/// (and that f32 is a normal number).
#[inline(always)]
fn rounds_surely(v: f64, err: f64) -> bool {
    let f = v as f32;
    let b = f.to_bits();
    let e = (b >> 23) & 0xff;
    let fd = f as f64;
    // the two neighbours of f (which is above and which below depends on the sign)
    let m1 = (fd + f32::from_bits(b.wrapping_add(1)) as f64) * 0.5;
    let m2 = (fd + f32::from_bits(b.wrapping_sub(1)) as f64) * 0.5;
    (e != 0) & (e != 0xff) & (v - err > m1.min(m2)) & (v + err < m1.max(m2))
}

/// Absolute error bound of the fast tanh for 1/8 <= |x| < 19 (|t| < 1): the
/// approximation's (about 6e-16) plus libm's own (within 2 ulps of 1).
const TANH_ERR: f64 = 1.5e-15;
/// Relative error bound of the series for |x| < 1/8 (its roundings, about
/// 4e-16, plus libm's tanh, within 2 ulps).
const TANH_SMALL_ERR: f64 = 1.5e-15;
/// Relative error bound of the fast logistic (about 1.2e-15 with libm's).
const SIGMOID_ERR: f64 = 2e-15;
/// Rounding of `1 - t*t` and `s * (1 - s)` (two operations), on either side.
const D_ROUND: f64 = 4.5e-16;

/// tanh and its derivative of one input, approximated, and whether phi, and
/// phi and phi' together, round surely.
#[inline(always)]
fn tanh_approx(x: f64) -> (f64, f64, bool, bool) {
    let ax = x.abs();
    let small = ax < 0.125;
    // |x| >= 1/8: 1 - 2 / (e^2|x| + 1)
    let e = exp_approx(2.0 * ax.min(19.0));
    let t_big = (1.0 - 2.0 / (e + 1.0)).copysign(x);
    // |x| < 1/8: the odd Taylor series to x^17 (next term below 1e-18 |x|)
    let x2 = x * x;
    let mut p: f64 = 6_404_582.0 / 10_854_718_875.0;
    for c in [
        -929_569.0 / 638_512_875.0,
        21_844.0 / 6_081_075.0,
        -1_382.0 / 155_925.0,
        62.0 / 2_835.0,
        -17.0 / 315.0,
        2.0 / 15.0,
        -1.0 / 3.0,
        1.0,
    ] {
        p = p.mul_add(x2, c);
    }
    let t = if small { x * p } else { t_big };
    let err = if small { TANH_SMALL_ERR * ax } else { TANH_ERR };
    let d = 1.0 - t * t;
    let ok_f = (ax < 19.0) & rounds_surely(t, err);
    // 1 - t^2 moves by at most 2|t| times t's error
    let ok = ok_f & rounds_surely(d, 2.0 * err + D_ROUND);
    (t, d, ok_f, ok)
}

/// The logistic and its derivative of one input, approximated, and whether
/// phi, and phi and phi' together, round surely.
#[inline(always)]
fn sigmoid_approx(x: f64) -> (f64, f64, bool, bool) {
    let ax = x.abs();
    let e = exp_approx(-ax.min(30.0));
    let s = if x >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    let d = s * (1.0 - s);
    let err_s = s * SIGMOID_ERR;
    let ok_f = (ax < 30.0) & rounds_surely(s, err_s);
    // 1 - s carries s's absolute error; the product adds its roundings
    let ok = ok_f & rounds_surely(d, err_s * (1.0 + s) + D_ROUND * d);
    (s, d, ok_f, ok)
}

/// phi (and phi', when `d` is given) of `z` in place, for tanh (`tanh`
/// true) or the logistic: the vectorizable pass, then the reference for
/// the values it could not settle.
#[inline(always)]
pub(crate) fn blocks(tanh: bool, z: &mut [f32], mut d: Option<&mut [f32]>) {
    let act = if tanh {
        Activation::Tanh
    } else {
        Activation::Sigmoid
    };
    let mut fv = [0f64; BLOCK];
    let mut dv = [0f64; BLOCK];
    let mut ok = [false; BLOCK];
    let phi_only = d.is_none();
    for (k, zc) in z.chunks_mut(BLOCK).enumerate() {
        let n = zc.len();
        for i in 0..n {
            let x = zc[i] as f64;
            let (f, df, ok_f, ok_fd) = if tanh {
                tanh_approx(x)
            } else {
                sigmoid_approx(x)
            };
            fv[i] = f;
            dv[i] = df;
            ok[i] = if phi_only { ok_f } else { ok_fd };
        }
        match d.as_deref_mut() {
            Some(d) => {
                let dc = &mut d[k * BLOCK..k * BLOCK + n];
                for i in 0..n {
                    if ok[i] {
                        zc[i] = fv[i] as f32;
                        dc[i] = dv[i] as f32;
                    } else {
                        let (f, df) = act.f_df(zc[i] as f64);
                        zc[i] = f as f32;
                        dc[i] = df as f32;
                    }
                }
            }
            None => {
                for i in 0..n {
                    // phi alone: only phi's rounding has to be sure
                    zc[i] = if ok[i] {
                        fv[i] as f32
                    } else {
                        act.f(zc[i] as f64) as f32
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 4M values over [-40, 40], 2.1M near 0 and near the fast path's edges,
    /// 1M log-spaced, and the special values.
    fn inputs() -> Vec<f32> {
        let mut v: Vec<f32> = (0..4_000_000)
            .map(|i| (-40.0 + i as f64 * 2e-5) as f32)
            .collect();
        for c in [0.0f32, 0.125, -0.125, 19.0, -19.0, 30.0, -30.0] {
            let b = c.to_bits();
            v.extend((0..200_000u32).map(|k| f32::from_bits(b.wrapping_add(k))));
            v.extend((0..100_000u32).map(|k| f32::from_bits(b.wrapping_sub(k))));
        }
        // 1M log-spaced magnitudes from 1e-30 to 10, both signs (the series' domain)
        v.extend((0..1_000_000).map(|i| {
            let m = 10f64.powf(-30.0 + 31.0 * (i / 2) as f64 / 500_000.0) as f32;
            if i % 2 == 0 {
                m
            } else {
                -m
            }
        }));
        v.extend([
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            1e-40,
            -1e-40,
        ]);
        v.extend([f32::MAX, f32::MIN, f32::MIN_POSITIVE]);
        v
    }

    fn check(act: Activation, fast: impl Fn(&mut [f32], Option<&mut [f32]>)) {
        let xs = inputs();
        let mut z = xs.clone();
        let mut d = vec![0f32; xs.len()];
        fast(&mut z, Some(&mut d));
        let mut zf = xs.clone();
        fast(&mut zf, None);
        for (i, &x) in xs.iter().enumerate() {
            let (f, df) = act.f_df(x as f64);
            assert_eq!(z[i].to_bits(), (f as f32).to_bits(), "{act:?} f at {x:e}");
            assert_eq!(d[i].to_bits(), (df as f32).to_bits(), "{act:?} df at {x:e}");
            assert_eq!(
                zf[i].to_bits(),
                (act.f(x as f64) as f32).to_bits(),
                "{act:?} f alone at {x:e}"
            );
        }
    }

    #[test]
    fn tanh_is_bit_for_bit_the_reference() {
        check(Activation::Tanh, |z, d| Activation::Tanh.apply_f32(z, d));
        // the portable build of the same pass (no dispatch)
        check(Activation::Tanh, |z, d| blocks(true, z, d));
    }

    #[test]
    fn sigmoid_is_bit_for_bit_the_reference() {
        check(Activation::Sigmoid, |z, d| {
            Activation::Sigmoid.apply_f32(z, d)
        });
        check(Activation::Sigmoid, |z, d| blocks(false, z, d));
    }

    #[test]
    fn most_values_take_the_fast_path() {
        // 1M inputs of a unit Gaussian's range: the fallback is the exception
        let xs: Vec<f64> = (0..1_000_000).map(|i| -3.0 + i as f64 * 6e-6).collect();
        let tanh = xs.iter().filter(|&&x| tanh_approx(x).3).count();
        let sig = xs.iter().filter(|&&x| sigmoid_approx(x).3).count();
        assert!(
            tanh > 999_000 && sig > 999_000,
            "fast: tanh {tanh}, sigmoid {sig}"
        );
    }

    #[test]
    fn exp_approx_error_is_within_its_bound() {
        let mut worst = 0f64;
        for i in 0..1_000_000 {
            let x = -700.0 + i as f64 * 1.4e-3;
            let (a, r) = (exp_approx(x), x.exp());
            worst = worst.max(((a - r) / r).abs());
        }
        // against libm's exp, itself within half an ulp (1.1e-16)
        assert!(worst < 5e-16, "worst relative error {worst:e}");
    }
}
