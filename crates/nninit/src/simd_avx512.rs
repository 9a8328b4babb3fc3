//! Hand-written AVX-512 kernels for Philox4x32-10 and the f32 uniform and
//! normal transforms. Auto-vectorized lane arrays reach only about a third of
//! what the hardware can do here (LLVM prefers 256-bit vectors and vectorizes
//! the 32x32->64 multiplies and interleaved stores poorly; see PERF-NOTES).
//!
//! Layout trick: a group is 16 counters in one register, with lane `L`
//! holding counter `base + 4 * (L % 4) + L / 4`. After the per-lane math, a
//! 4x4 transpose inside each 128-bit lane (unpack lo/hi) leaves the 64 values
//! in standard order (element `4c + j` = word `j` of counter `c`), so stores
//! are plain and contiguous.
//!
//! Every floating-point step is the same IEEE operation, in the same order,
//! as the scalar code in `dist::math` (no FMA, no approximate reciprocals),
//! so the output is bit-identical to the portable path (tested).

#![allow(unsafe_code)]

use crate::rng::{PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1};
use std::arch::x86_64::*;

/// Groups of 16 counters processed together to hide multiply latency. Each
/// group's state is 8 registers; with 2 groups the state, the multipliers and
/// the round keys stay in the 32 zmm registers. With 4 (what a Xeon prototype
/// used) the loop spilled to a stack that is not 64-byte aligned, and uniform
/// ran at 1.25 or 1.9 G/s per core on this AMD EPYC depending on the calling
/// thread's stack address; with 2 it runs at 2.3 G/s on any thread.
const INFLIGHT: usize = 2;

#[inline(always)]
unsafe fn splat(x: u32) -> __m512i {
    _mm512_set1_epi32(x as i32)
}

/// Philox4x32-10 on `INFLIGHT` groups of 16 counters starting at `base`
/// (lane permutation as in the module doc); returns words [group][word].
///
/// Inside the rounds each group is two registers of 8 counters, one per
/// 64-bit slot with the word in the slot's low half: `_mm512_mul_epu32` reads
/// exactly those halves and leaves the 64-bit product in place, so the low
/// word needs no extraction and the high word one shift. The high halves
/// carry garbage that no instruction reads. The halves are interleaved back
/// into 16 lanes once, after the ten rounds.
#[inline(always)]
unsafe fn philox(base: u64, tag: u32, key: [u32; 2]) -> [[__m512i; 4]; INFLIGHT] {
    // lane 2i of the packed result holds E slot i, lane 2i+1 holds O slot i;
    // lane L must hold counter 4 * (L % 4) + L / 4
    let off_e = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    let off_o = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    let mut s = [[_mm512_setzero_si512(); 4]; 2 * INFLIGHT];
    for (h, st) in s.iter_mut().enumerate() {
        let b = _mm512_set1_epi64((base + ((h / 2) * 16) as u64) as i64);
        let c = _mm512_add_epi64(b, if h % 2 == 0 { off_e } else { off_o });
        *st = [
            c,
            _mm512_srli_epi64::<32>(c),
            _mm512_setzero_si512(),
            _mm512_set1_epi64(tag as i64),
        ];
    }
    let (m0, m1) = (
        _mm512_set1_epi64(PHILOX_M0 as i64),
        _mm512_set1_epi64(PHILOX_M1 as i64),
    );
    let (mut k0, mut k1) = (key[0], key[1]);
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        let (kv0, kv1) = (splat(k0), splat(k1));
        for st in s.iter_mut() {
            let p0 = _mm512_mul_epu32(st[0], m0);
            let p1 = _mm512_mul_epu32(st[2], m1);
            let n0 = _mm512_ternarylogic_epi32::<0x96>(_mm512_srli_epi64::<32>(p1), st[1], kv0);
            let n2 = _mm512_ternarylogic_epi32::<0x96>(_mm512_srli_epi64::<32>(p0), st[3], kv1);
            *st = [n0, p1, n2, p0];
        }
    }
    let mut out = [[_mm512_setzero_si512(); 4]; INFLIGHT];
    for (g, o) in out.iter_mut().enumerate() {
        let (e, od) = (&s[2 * g], &s[2 * g + 1]);
        for w in 0..4 {
            o[w] = _mm512_mask_blend_epi32(0xAAAA, e[w], _mm512_slli_epi64::<32>(od[w]));
        }
    }
    out
}

/// 4x4 transpose inside each 128-bit lane, then store 64 floats.
#[inline(always)]
unsafe fn store_group(out: *mut f32, r: [__m512; 4]) {
    let t0 = _mm512_unpacklo_ps(r[0], r[1]);
    let t1 = _mm512_unpackhi_ps(r[0], r[1]);
    let t2 = _mm512_unpacklo_ps(r[2], r[3]);
    let t3 = _mm512_unpackhi_ps(r[2], r[3]);
    let o0 = _mm512_castpd_ps(_mm512_unpacklo_pd(
        _mm512_castps_pd(t0),
        _mm512_castps_pd(t2),
    ));
    let o1 = _mm512_castpd_ps(_mm512_unpackhi_pd(
        _mm512_castps_pd(t0),
        _mm512_castps_pd(t2),
    ));
    let o2 = _mm512_castpd_ps(_mm512_unpacklo_pd(
        _mm512_castps_pd(t1),
        _mm512_castps_pd(t3),
    ));
    let o3 = _mm512_castpd_ps(_mm512_unpackhi_pd(
        _mm512_castps_pd(t1),
        _mm512_castps_pd(t3),
    ));
    _mm512_storeu_ps(out, o0);
    _mm512_storeu_ps(out.add(16), o1);
    _mm512_storeu_ps(out.add(32), o2);
    _mm512_storeu_ps(out.add(48), o3);
}

#[inline(always)]
unsafe fn unit(w: __m512i) -> __m512 {
    _mm512_mul_ps(
        _mm512_cvtepi32_ps(_mm512_srli_epi32::<8>(w)),
        _mm512_set1_ps(1.0 / 16_777_216.0),
    )
}

/// `dist::math::ln_f32`, lane by lane.
#[inline(always)]
#[allow(clippy::excessive_precision)]
unsafe fn ln(x: __m512) -> __m512 {
    let ps = _mm512_set1_ps;
    let ix = _mm512_add_epi32(_mm512_castps_si512(x), splat(0x3f80_0000 - 0x3f35_04f3));
    let k = _mm512_sub_epi32(_mm512_srli_epi32::<23>(ix), splat(0x7f));
    let m = _mm512_castsi512_ps(_mm512_add_epi32(
        _mm512_and_si512(ix, splat(0x007f_ffff)),
        splat(0x3f35_04f3),
    ));
    let f = _mm512_sub_ps(m, ps(1.0));
    let s = _mm512_div_ps(f, _mm512_add_ps(ps(2.0), f));
    let z = _mm512_mul_ps(s, s);
    let w = _mm512_mul_ps(z, z);
    let t1 = _mm512_mul_ps(
        w,
        _mm512_add_ps(ps(0.400_009_721_52), _mm512_mul_ps(w, ps(0.242_790_788_41))),
    );
    let t2 = _mm512_mul_ps(
        z,
        _mm512_add_ps(ps(0.666_666_626_93), _mm512_mul_ps(w, ps(0.284_987_866_88))),
    );
    let r = _mm512_add_ps(t2, t1);
    let hfsq = _mm512_mul_ps(_mm512_mul_ps(ps(0.5), f), f);
    let dk = _mm512_cvtepi32_ps(k);
    let a = _mm512_add_ps(
        _mm512_mul_ps(s, _mm512_add_ps(hfsq, r)),
        _mm512_mul_ps(dk, ps(9.058_000_614_5e-6)),
    );
    let b = _mm512_add_ps(_mm512_sub_ps(a, hfsq), f);
    _mm512_add_ps(b, _mm512_mul_ps(dk, ps(6.931_381_225_6e-1)))
}

/// `dist::math::box_muller_f32`, lane by lane.
#[inline(always)]
unsafe fn box_muller(wa: __m512i, wb: __m512i) -> (__m512, __m512) {
    let ps = _mm512_set1_ps;
    let u = _mm512_mul_ps(
        _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_srli_epi32::<8>(wa), splat(1))),
        ps(1.0 / 16_777_216.0),
    );
    let r = _mm512_sqrt_ps(_mm512_mul_ps(ps(-2.0), ln(u)));
    let p = _mm512_mul_ps(unit(wb), ps(std::f32::consts::FRAC_PI_4));
    let p2 = _mm512_mul_ps(p, p);
    let poly = |c: [f32; 4], last: f32| {
        // c0 + p2 * (c1 + p2 * (c2 + p2 * (c3 + p2 * last)))
        let mut acc = _mm512_add_ps(ps(c[3]), _mm512_mul_ps(p2, ps(last)));
        acc = _mm512_add_ps(ps(c[2]), _mm512_mul_ps(p2, acc));
        acc = _mm512_add_ps(ps(c[1]), _mm512_mul_ps(p2, acc));
        _mm512_add_ps(ps(c[0]), _mm512_mul_ps(p2, acc))
    };
    let s = _mm512_mul_ps(
        p,
        poly(
            [1.0, -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0],
            1.0 / 362_880.0,
        ),
    );
    let c = poly([1.0, -0.5, 1.0 / 24.0, -1.0 / 720.0], 1.0 / 40_320.0);
    let swap = _mm512_test_epi32_mask(wb, splat(1));
    let x = _mm512_mask_blend_ps(swap, c, s);
    let y = _mm512_mask_blend_ps(swap, s, c);
    let sx = _mm512_slli_epi32::<30>(_mm512_and_si512(wb, splat(2)));
    let sy = _mm512_slli_epi32::<29>(_mm512_and_si512(wb, splat(4)));
    let x = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x), sx));
    let y = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(y), sy));
    (_mm512_mul_ps(r, x), _mm512_mul_ps(r, y))
}

/// Shared driver: `out.len()` is a multiple of 64; `f` maps a counter group's
/// four words to four value registers.
#[inline(always)]
unsafe fn drive(
    key: [u32; 2],
    tag: u32,
    c0: u64,
    out: &mut [f32],
    f: impl Fn([__m512i; 4]) -> [__m512; 4],
) {
    let groups = out.len() / 64;
    let ptr = out.as_mut_ptr();
    let mut g = 0;
    while g < groups {
        let s = philox(c0 + (g * 16) as u64, tag, key);
        let take = INFLIGHT.min(groups - g);
        for (i, words) in s.iter().enumerate().take(take) {
            store_group(ptr.add((g + i) * 64), f(*words));
        }
        g += take;
    }
}

/// AVX-512 body of the uniform kernel (same contract as `kernels::uniform_body`).
///
/// # Safety
/// The CPU must support AVX-512 F, VL, DQ and BW; `out.len()` must be a multiple of 64.
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
pub(crate) unsafe fn uniform_body(key: [u32; 2], c0: u64, out: &mut [f32], lo: f32, width: f32) {
    let (lo, width) = (_mm512_set1_ps(lo), _mm512_set1_ps(width));
    // SAFETY: `drive` writes exactly out.len() floats (a multiple of 64) through out's pointer.
    drive(key, crate::rng::Tag::Uniform as u32, c0, out, |w| {
        w.map(|x| _mm512_add_ps(lo, _mm512_mul_ps(width, unit(x))))
    })
}

/// AVX-512 body of the normal kernel (same contract as `kernels::normal_body`).
///
/// # Safety
/// As [`uniform_body`].
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
pub(crate) unsafe fn normal_body(key: [u32; 2], c0: u64, out: &mut [f32], mean: f32, std: f32) {
    let (m, s) = (_mm512_set1_ps(mean), _mm512_set1_ps(std));
    // SAFETY: as in `uniform_body`.
    drive(key, crate::rng::Tag::Normal as u32, c0, out, |w| {
        let (a, b) = box_muller(w[0], w[1]);
        let (d, e) = box_muller(w[2], w[3]);
        [a, b, d, e].map(|z| _mm512_add_ps(m, _mm512_mul_ps(s, z)))
    })
}
