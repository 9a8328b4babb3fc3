//! The f32 `log1p` and `erf_inv` exactly as XLA's CPU backend evaluates them
//! inside `jax.random.normal` and `truncated_normal`, so that nninit's JAX
//! stream gives JAX's bits, not just its distribution.
//!
//! Sources (read, then written here from the formulas):
//! - `erf_inv`: M. Giles, "Approximating the erfinv function" (GPU Computing
//!   Gems, 2011), single-precision branch, as stablehlo legalizes
//!   `chlo.erf_inv` (`ChloLegalizeToStablehlo.cpp`, erfInv32): `w =
//!   -log1p(-x^2)`; `t = w - 2.5` if `w < 5`, else `sqrt(w) - 3`; a
//!   9-coefficient Horner polynomial in `t`; times `x` (`±inf` at `|x| = 1`).
//! - `log1p`: XLA's `xla.log1p.f32` intrinsic: for `|x| < sqrt(2) - 1` the
//!   Cephes rational approximation `x - x^2/2 + x^3 P(x)/Q(x)` (degree 6
//!   over 6), else XLA's own `log(1 + x)` (Cephes `logf`: mantissa in
//!   `[sqrt(1/2), sqrt(2))`, a degree-8 polynomial evaluated in three
//!   pieces, `ln 2` split in two).
//! - Which multiply-adds are fused: XLA compiles with LLVM's
//!   `AllowFPOpFusion = Fast`, so every multiply whose only use is an add
//!   becomes an FMA on an FMA-capable x86-64 CPU. The fused pairs below were
//!   read off the machine code XLA generated for `jax.random.normal` (jax
//!   0.10.2, `XLA_FLAGS=--xla_dump_to`); each `mul_add` here is one of them,
//!   every other product is rounded on its own. Checked against 2^20 of
//!   JAX's normals: 0 ulp. (On a CPU without FMA, JAX's own numbers
//!   differ; nninit always gives the FMA ones.)

/// `f32::from_bits` for the constants below (spelled as XLA's dump prints them).
const fn f(bits: u32) -> f32 {
    f32::from_bits(bits)
}

/// Cephes `logf` polynomial, in the three pieces XLA evaluates.
const LOG_A: [f32; 3] = [f(0x3D90_21BB), f(0xBDEB_D1B8), f(0x3DEF_251A)];
const LOG_B: [f32; 3] = [f(0xBDFE_5D4F), f(0x3E11_E9BF), f(0xBE2A_AE50)];
const LOG_C: [f32; 3] = [f(0x3E4C_CEAC), f(0xBE7F_FFFC), f(0x3EAA_AAAA)];
/// `ln 2` as `LN2_HI + LN2_LO`.
const LN2_HI: f32 = f(0x3F31_8000);
const LN2_LO: f32 = f(0xB95E_8083);
/// Cephes `log1p` rational approximation: numerator and denominator,
/// highest degree first, each after a leading term (`4.527e-5` and 1).
const LOG1P_NUM: [f32; 6] = [
    f(0x3EFF_40C5),
    f(0x40D2_84FA),
    f(0x41EF_4B9C),
    f(0x4273_CC76),
    f(0x4264_73AD),
    f(0x41A0_5101),
];
const LOG1P_NUM0: f32 = 4.527e-5;
const LOG1P_DEN: [f32; 6] = [
    f(0x4171_01AD),
    f(0x42A6_185B),
    f(0x435D_C32D),
    f(0x439A_8CA3),
    f(0x4358_6D8A),
    f(0x4270_7982),
];
/// `sqrt(2) - 1`: below it (in magnitude) the rational approximation is used.
const LOG1P_SMALL: f32 = f(0x3ED4_13CD);

/// Giles' single-precision erfinv coefficients, highest degree first:
/// `w < 5` and `w >= 5`.
const ERFINV_CENTRAL: [f32; 9] = [
    f(0x32F1_6588),
    f(0x34B8_4B36),
    f(0xB66C_7357),
    f(0xB693_5AC1),
    f(0x3965_32DB),
    f(0xBAA4_5408),
    f(0xBB88_E4EF),
    f(0x3E7C_8F63),
    f(0x3FC0_2E2F),
];
const ERFINV_TAIL: [f32; 9] = [
    f(0xB951_F09B),
    f(0x38D3_B56B),
    f(0x3AB0_DC72),
    f(0xBB70_BDE7),
    f(0x3BBC_127B),
    f(0xBBF9_C5D7),
    f(0x3C1A_A57E),
    f(0x3F80_36DB),
    f(0x4035_4F7E),
];

/// XLA's f32 `erf` rational approximation: numerator (odd, over `x^2`)
/// and denominator coefficients, highest degree first; beyond `ERF_CLAMP`
/// the result is `±1`.
const ERF_NUM: [f32; 5] = [
    f(0x3970_2D51),
    f(0x3B5F_5DA2),
    f(0x3D50_B6EB),
    f(0x3E3D_A740),
    f(0x3F90_6EBA),
];
const ERF_DEN: [f32; 7] = [
    f(0xB3FD_3906),
    f(0x37C5_88DF),
    f(0x3A85_6D28),
    f(0x3C66_87D4),
    f(0x3DE3_4C21),
    f(0x3EFE_B44A),
    1.0,
];
const ERF_CLAMP: f32 = f(0x406F_9C68);

/// XLA CPU's f32 `erf(x)` (`xla.erf.f32`: a rational approximation on
/// `[-3.8325, 3.8325]` with explicit FMAs, `±1` beyond), as JAX evaluates
/// `lax.erf` on a value it cannot fold at compile time.
pub(crate) fn erf(x: f32) -> f32 {
    let c = x.clamp(-ERF_CLAMP, ERF_CLAMP);
    let x2 = c * c;
    let mut num = x2.mul_add(ERF_NUM[0], ERF_NUM[1]);
    for &k in &ERF_NUM[2..] {
        num = num.mul_add(x2, k);
    }
    let mut den = x2.mul_add(ERF_DEN[0], ERF_DEN[1]);
    for &k in &ERF_DEN[2..] {
        den = den.mul_add(x2, k);
    }
    if x.abs() >= ERF_CLAMP {
        1.0f32.copysign(x)
    } else {
        (c * num) / den
    }
}

/// XLA CPU's `log(a)` for f32 (Cephes `logf` with XLA's fusions).
#[inline(always)]
fn log(a: f32) -> f32 {
    let c = if a > f32::MIN_POSITIVE {
        a
    } else {
        f32::MIN_POSITIVE
    };
    let bits = c.to_bits();
    let e = ((bits >> 23) as i32 - 127) as f32 + 1.0;
    let m = f32::from_bits((bits & 0x807F_FFFF) | 0x3F00_0000);
    let small = m < core::f32::consts::FRAC_1_SQRT_2;
    let r = (m - 1.0) + if small { m } else { 0.0 };
    let e = e - if small { 1.0 } else { 0.0 };
    let z = r * r;
    let z3 = z * r;
    let pa = r.mul_add(LOG_A[0], LOG_A[1]).mul_add(r, LOG_A[2]);
    let pb = r.mul_add(LOG_B[0], LOG_B[1]).mul_add(r, LOG_B[2]);
    let pc = r.mul_add(LOG_C[0], LOG_C[1]).mul_add(r, LOG_C[2]);
    let q = z3.mul_add(z3.mul_add(pa, pb), pc);
    let tail = z3.mul_add(q, e * LN2_LO);
    let head = (-0.5f32).mul_add(z, r);
    let y = e.mul_add(LN2_HI, head + tail);
    if a.is_nan() || a < 0.0 {
        f32::from_bits(u32::MAX)
    } else if a == 0.0 {
        f32::NEG_INFINITY
    } else if a == f32::INFINITY {
        f32::INFINITY
    } else {
        y
    }
}

/// XLA CPU's `log1p(x)` for f32.
#[inline(always)]
pub(crate) fn log1p(x: f32) -> f32 {
    let large = log(x + 1.0);
    let x2 = x * x;
    let zero = x * 0.0;
    let mut num = zero + LOG1P_NUM0;
    let mut den = zero + 1.0;
    for (n, d) in LOG1P_NUM.iter().zip(&LOG1P_DEN) {
        num = num.mul_add(x, *n);
        den = den.mul_add(x, *d);
    }
    let small = x + x2.mul_add(-0.5, (x * x2) * (num / den));
    if x.abs() < LOG1P_SMALL {
        small
    } else {
        large
    }
}

/// `sqrt(2) * erf_inv(x)` as XLA CPU computes it in `jax.random.normal`:
/// the erfinv product `x * p(t)`, then the product with `sqrt(2)` (f32).
#[inline(always)]
pub(crate) fn sqrt2_erf_inv(x: f32) -> f32 {
    let l = log1p(x * -x);
    let central = l > -5.0;
    let t = if central { -2.5 - l } else { (-l).sqrt() - 3.0 };
    let c = if central {
        &ERFINV_CENTRAL
    } else {
        &ERFINV_TAIL
    };
    let mut p = t.mul_add(c[0], c[1]);
    for &ck in &c[2..] {
        p = t.mul_add(p, ck);
    }
    let p = if x.abs() == 1.0 { f32::INFINITY } else { p };
    (x * p) * core::f32::consts::SQRT_2
}

// ---- float64 (jax_enable_x64): what XLA CPU compiles for the f64 draws.
// Differences from f32: `log1p`'s large branch and `erf` call the C
// library's `log` and `erf` (so the values are the platform libm's, as
// JAX's are), and Giles' double-precision erfinv has three branches
// (w < 6.25, w < 16, else) of 23, 19 and 17 coefficients, evaluated by XLA
// as one Horner chain with selects; every Horner step is a fused
// multiply-add.

/// Cephes `log1p` numerator (after `4.527e-5`) and denominator (after 1), f64.
const LOG1P_NUM_F64: [f64; 6] = [
    f64::from_bits(0x3FDFE818_A0FE1A83),
    f64::from_bits(0x401A509F_46F4FA53),
    f64::from_bits(0x403DE973_8B8CB9C9),
    f64::from_bits(0x404E798E_B86C3351),
    f64::from_bits(0x404C8E75_97479A10),
    f64::from_bits(0x40340A20_2D99830A),
];

const LOG1P_DEN_F64: [f64; 6] = [
    f64::from_bits(0x402E2035_9E903E37),
    f64::from_bits(0x4054C30B_52213498),
    f64::from_bits(0x406BB865_90FCFB56),
    f64::from_bits(0x40735194_5DC908A5),
    f64::from_bits(0x406B0DB1_3E48E066),
    f64::from_bits(0x404E0F30_4466448E),
];
const LOG1P_NUM0_F64: f64 = f64::from_bits(0x3F07_BC09_62B3_95CA);
const LOG1P_SMALL_F64: f64 = f64::from_bits(0x3FDA_8279_99FC_EF32);
/// Giles' f64 erfinv, w < 6.25, highest degree first.
const ERFINV64_A: [f64; 23] = [
    f64::from_bits(0xBBB135D2_E746E627),
    f64::from_bits(0xBC08DDF9_3324D327),
    f64::from_bits(0x3C37B83E_EF0B7C9F),
    f64::from_bits(0x3C69BA72_CD589B91),
    f64::from_bits(0xBCA33689_090A6B96),
    f64::from_bits(0x3C782E11_898132E0),
    f64::from_bits(0x3CFDE4AC_FD9E26BA),
    f64::from_bits(0xBD26D33E_ED66C487),
    f64::from_bits(0xBD36F216_7040D8E2),
    f64::from_bits(0x3D872A22_C2D77E20),
    f64::from_bits(0xBDAC8859_C4E5C0AF),
    f64::from_bits(0xBDCDC583_D118A561),
    f64::from_bits(0x3E120F47_CCF46B3C),
    f64::from_bits(0xBE31A9E3_8DC84D60),
    f64::from_bits(0xBE5F36CD_6D3D46A9),
    f64::from_bits(0x3E9C6B4F_5D03B787),
    f64::from_bits(0xBEB6E8A5_434AE8A2),
    f64::from_bits(0xBEED1D1F_7B8736F6),
    f64::from_bits(0x3F2879C2_A212F024),
    f64::from_bits(0xBF484576_9484FCA8),
    f64::from_bits(0xBF78B6C3_3114F909),
    f64::from_bits(0x3FCEBD80_D9B13E28),
    f64::from_bits(0x3FFA755E_7C99AE86),
];
/// 6.25 <= w < 16.
const ERFINV64_B: [f64; 19] = [
    f64::from_bits(0x3E23040F_87DBD932),
    f64::from_bits(0x3E785CBE_52878635),
    f64::from_bits(0xBE927774_53DD3955),
    f64::from_bits(0x3E5395AB_CD554C6C),
    f64::from_bits(0x3EB93638_8A3790AD),
    f64::from_bits(0xBED0D5DB_812B5083),
    f64::from_bits(0x3EC8860C_D5D652F6),
    f64::from_bits(0x3EEA29A0_CACDFB23),
    f64::from_bits(0xBF08CEF1_F80281F2),
    f64::from_bits(0x3F11E684_D0B9188A),
    f64::from_bits(0x3EF932CD_54C8A222),
    f64::from_bits(0xBF37448A_89EF8AA3),
    f64::from_bits(0x3F4F3CC5_5AD40C25),
    f64::from_bits(0xBF5BA924_132F38B1),
    f64::from_bits(0x3F6468EE_CA533CF8),
    f64::from_bits(0xBF6EBADA_BB891BBD),
    f64::from_bits(0x3F75FFCF_E5B76AFC),
    f64::from_bits(0x3FF0158A_6D641D39),
    f64::from_bits(0x4008ABCC_380D5A48),
];
/// w >= 16.
const ERFINV64_C: [f64; 17] = [
    f64::from_bits(0xBDBDCEC3_A7785389),
    f64::from_bits(0xBDF18FEE_C0E38727),
    f64::from_bits(0x3E19E6BF_2DDA45E3),
    f64::from_bits(0xBE30468F_B24E2F5F),
    f64::from_bits(0x3E405AC6_A8FBA182),
    f64::from_bits(0xBE50102E_495FB9C0),
    f64::from_bits(0x3E5F4C20_E1334AF8),
    f64::from_bits(0xBE722D22_0FDF9C3E),
    f64::from_bits(0x3E8EBC8B_B824CB54),
    f64::from_bits(0xBEB0A8D4_0EA372CC),
    f64::from_bits(0x3ED2FBD2_9D093D2B),
    f64::from_bits(0xBEF4A349_7E1E0FAC),
    f64::from_bits(0x3F13EBF4_EB00938F),
    f64::from_bits(0xBF2C2F36_A8FC5D53),
    f64::from_bits(0xBF222EA5_DF04047C),
    f64::from_bits(0x3FF02A30_D1FBA0DC),
    f64::from_bits(0x4013664D_DD1AD7FB),
];

/// XLA CPU's `log1p(x)` for f64 (the large branch is the C library's `log`).
#[inline(always)]
pub(crate) fn log1p_f64(x: f64) -> f64 {
    let large = (x + 1.0).ln();
    let x2 = x * x;
    let zero = x * 0.0;
    let mut num = zero + LOG1P_NUM0_F64;
    let mut den = zero + 1.0;
    for (n, d) in LOG1P_NUM_F64.iter().zip(&LOG1P_DEN_F64) {
        num = num.mul_add(x, *n);
        den = den.mul_add(x, *d);
    }
    let small = x + x2.mul_add(-0.5, (x * x2) * (num / den));
    if x.abs() < LOG1P_SMALL_F64 {
        small
    } else {
        large
    }
}

/// `sqrt(2) * erf_inv(x)` in f64 as XLA CPU computes it in
/// `jax.random.normal(..., float64)`.
#[inline(always)]
pub(crate) fn sqrt2_erf_inv_f64(x: f64) -> f64 {
    let l = log1p_f64(x * -x);
    let (w1, w2) = (l > -6.25, l > -16.0);
    let t = if w1 {
        -3.125 - l
    } else {
        (-l).sqrt() - if w2 { 3.25 } else { 5.0 }
    };
    let c: &[f64] = if w1 {
        &ERFINV64_A
    } else if w2 {
        &ERFINV64_B
    } else {
        &ERFINV64_C
    };
    let mut p = c[0].mul_add(t, c[1]);
    for &ck in &c[2..] {
        p = t.mul_add(p, ck);
    }
    let p = if x.abs() == 1.0 { f64::INFINITY } else { p };
    (x * p) * core::f64::consts::SQRT_2
}

/// The C library's `erf`: what XLA CPU calls for an f64 `erf`.
#[allow(unsafe_code)]
pub(crate) fn erf_f64(x: f64) -> f64 {
    extern "C" {
        fn erf(x: f64) -> f64;
    }
    // SAFETY: `erf` is the C standard library's pure function of one double
    // (no pointers, no state), linked with the standard library on every
    // platform Rust's std supports.
    unsafe { erf(x) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log1p_is_close_to_the_true_value() {
        // an approximation of log1p, not a different function: within 2 ulp-ish
        for i in 1..2000 {
            let x = -1.0 + i as f32 / 1000.0;
            let want = libm::log1p(f64::from(x));
            let got = f64::from(log1p(x));
            assert!(
                (got - want).abs() <= 4e-7 * want.abs().max(1e-30),
                "{x}: {got} vs {want}"
            );
        }
        assert_eq!(log1p(-1.0), f32::NEG_INFINITY);
        assert!(log1p(-2.0).is_nan());
    }

    #[test]
    fn f64_erf_inv_inverts_erf() {
        for i in 1..2000 {
            let x = -1.0 + i as f64 / 1000.0;
            let y = sqrt2_erf_inv_f64(x) / std::f64::consts::SQRT_2;
            assert!((erf_f64(y) - x).abs() < 1e-14, "{x}");
        }
        // the tail branches (w >= 6.25, w >= 16)
        for x in [1.0 - 1e-5, 1.0 - 1e-9, -(1.0 - 1e-12)] {
            let y = sqrt2_erf_inv_f64(x) / std::f64::consts::SQRT_2;
            assert!((erf_f64(y) - x).abs() < 1e-15, "{x}");
        }
    }

    #[test]
    fn erf_inv_inverts_erf() {
        for i in 1..1000 {
            let x = -1.0 + i as f32 / 500.0;
            let y = f64::from(sqrt2_erf_inv(x)) / std::f64::consts::SQRT_2;
            assert!((libm::erf(y) - f64::from(x)).abs() < 1e-6, "{x}");
        }
        assert_eq!(sqrt2_erf_inv(1.0), f32::INFINITY);
        assert_eq!(sqrt2_erf_inv(-1.0), f32::NEG_INFINITY);
    }
}
