//! Hand-written x86 kernels for Philox4x32-10 and the f32 uniform and normal
//! transforms, written once over [`Vector`] and instantiated for AVX-512
//! (16 lanes) and AVX2 (8 lanes). Auto-vectorized lane arrays reach only
//! about a third of what the hardware can do here (LLVM vectorizes the
//! 32x32->64 multiplies and the interleaved stores poorly; see PERF-NOTES).
//!
//! Layout trick: a group is one register of counters, with lane `L` holding
//! counter `base + (LANES / 4) * (L % 4) + L / 4`. After the per-lane math, a
//! 4x4 transpose inside each 128-bit lane (unpack lo/hi) leaves the
//! `4 * LANES` values in standard order (element `4c + j` = word `j` of
//! counter `c`), so stores are plain and contiguous.
//!
//! Inside the rounds a group is two halves of `LANES / 2` counters, one per
//! 64-bit slot with the word in the slot's low half: `mul_epu32` reads exactly
//! those halves and leaves the 64-bit product in place, so the low word needs
//! no extraction and the high word one shift. The high halves carry garbage
//! that no instruction reads. The halves are interleaved back into 32-bit
//! lanes once, after the ten rounds.
//!
//! Every floating-point step is the same IEEE operation, in the same order,
//! as the scalar code in `dist::math` (no FMA, no approximate reciprocals),
//! so the output is bit-identical to the portable path (tested).

#![allow(unsafe_code)]

use crate::rng::{Tag, PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1};
use std::arch::x86_64::*;

/// The operations the kernels need from one vector width. Every method is a
/// thin wrapper of one or two intrinsics; callers must run on a CPU with the
/// width's features (the entry points below carry `#[target_feature]`).
trait Vector {
    /// 32-bit integer lanes (or 64-bit slots).
    type I: Copy;
    /// f32 lanes.
    type F: Copy;
    /// 32-bit lanes per register: counters per group.
    const LANES: usize;
    /// 64-bit offsets of the counters held by the even and the odd 32-bit
    /// lanes, relative to the group's first counter (module doc).
    unsafe fn offsets() -> (Self::I, Self::I);
    unsafe fn splat(x: u32) -> Self::I;
    unsafe fn splat64(x: u64) -> Self::I;
    unsafe fn zero() -> Self::I;
    unsafe fn add64(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn mul_epu32(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn shr64_32(a: Self::I) -> Self::I;
    unsafe fn shl64_32(a: Self::I) -> Self::I;
    unsafe fn xor3(a: Self::I, b: Self::I, c: Self::I) -> Self::I;
    /// 32-bit lanes: even lanes from `even`, odd lanes from `odd`.
    unsafe fn blend_odd(even: Self::I, odd: Self::I) -> Self::I;
    unsafe fn add32(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn sub32(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn and(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn xor(a: Self::I, b: Self::I) -> Self::I;
    unsafe fn shr32_8(a: Self::I) -> Self::I;
    unsafe fn shr32_23(a: Self::I) -> Self::I;
    unsafe fn shl32_29(a: Self::I) -> Self::I;
    unsafe fn shl32_30(a: Self::I) -> Self::I;
    unsafe fn fsplat(x: f32) -> Self::F;
    unsafe fn add(a: Self::F, b: Self::F) -> Self::F;
    unsafe fn sub(a: Self::F, b: Self::F) -> Self::F;
    unsafe fn mul(a: Self::F, b: Self::F) -> Self::F;
    unsafe fn div(a: Self::F, b: Self::F) -> Self::F;
    unsafe fn sqrt(a: Self::F) -> Self::F;
    /// Signed 32-bit integers to f32 (exact below 2^24).
    unsafe fn to_f32(a: Self::I) -> Self::F;
    unsafe fn as_f(a: Self::I) -> Self::F;
    unsafe fn as_i(a: Self::F) -> Self::I;
    /// Per lane: `if_set` where bit 0 of `w` is set, else `if_clear`.
    unsafe fn select_bit0(w: Self::I, if_set: Self::F, if_clear: Self::F) -> Self::F;
    /// 4x4 transpose inside each 128-bit lane, then store `4 * LANES` floats.
    unsafe fn store4(out: *mut f32, r: [Self::F; 4]);
}

struct Avx512;

impl Vector for Avx512 {
    type I = __m512i;
    type F = __m512;
    const LANES: usize = 16;
    #[inline(always)]
    unsafe fn offsets() -> (__m512i, __m512i) {
        (
            _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11),
            _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15),
        )
    }
    #[inline(always)]
    unsafe fn splat(x: u32) -> __m512i {
        _mm512_set1_epi32(x as i32)
    }
    #[inline(always)]
    unsafe fn splat64(x: u64) -> __m512i {
        _mm512_set1_epi64(x as i64)
    }
    #[inline(always)]
    unsafe fn zero() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline(always)]
    unsafe fn add64(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi64(a, b)
    }
    #[inline(always)]
    unsafe fn mul_epu32(a: __m512i, b: __m512i) -> __m512i {
        _mm512_mul_epu32(a, b)
    }
    #[inline(always)]
    unsafe fn shr64_32(a: __m512i) -> __m512i {
        _mm512_srli_epi64::<32>(a)
    }
    #[inline(always)]
    unsafe fn shl64_32(a: __m512i) -> __m512i {
        _mm512_slli_epi64::<32>(a)
    }
    #[inline(always)]
    unsafe fn xor3(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        _mm512_ternarylogic_epi32::<0x96>(a, b, c)
    }
    #[inline(always)]
    unsafe fn blend_odd(even: __m512i, odd: __m512i) -> __m512i {
        _mm512_mask_blend_epi32(0xAAAA, even, odd)
    }
    #[inline(always)]
    unsafe fn add32(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi32(a, b)
    }
    #[inline(always)]
    unsafe fn sub32(a: __m512i, b: __m512i) -> __m512i {
        _mm512_sub_epi32(a, b)
    }
    #[inline(always)]
    unsafe fn and(a: __m512i, b: __m512i) -> __m512i {
        _mm512_and_si512(a, b)
    }
    #[inline(always)]
    unsafe fn xor(a: __m512i, b: __m512i) -> __m512i {
        _mm512_xor_si512(a, b)
    }
    #[inline(always)]
    unsafe fn shr32_8(a: __m512i) -> __m512i {
        _mm512_srli_epi32::<8>(a)
    }
    #[inline(always)]
    unsafe fn shr32_23(a: __m512i) -> __m512i {
        _mm512_srli_epi32::<23>(a)
    }
    #[inline(always)]
    unsafe fn shl32_29(a: __m512i) -> __m512i {
        _mm512_slli_epi32::<29>(a)
    }
    #[inline(always)]
    unsafe fn shl32_30(a: __m512i) -> __m512i {
        _mm512_slli_epi32::<30>(a)
    }
    #[inline(always)]
    unsafe fn fsplat(x: f32) -> __m512 {
        _mm512_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn add(a: __m512, b: __m512) -> __m512 {
        _mm512_add_ps(a, b)
    }
    #[inline(always)]
    unsafe fn sub(a: __m512, b: __m512) -> __m512 {
        _mm512_sub_ps(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: __m512, b: __m512) -> __m512 {
        _mm512_mul_ps(a, b)
    }
    #[inline(always)]
    unsafe fn div(a: __m512, b: __m512) -> __m512 {
        _mm512_div_ps(a, b)
    }
    #[inline(always)]
    unsafe fn sqrt(a: __m512) -> __m512 {
        _mm512_sqrt_ps(a)
    }
    #[inline(always)]
    unsafe fn to_f32(a: __m512i) -> __m512 {
        _mm512_cvtepi32_ps(a)
    }
    #[inline(always)]
    unsafe fn as_f(a: __m512i) -> __m512 {
        _mm512_castsi512_ps(a)
    }
    #[inline(always)]
    unsafe fn as_i(a: __m512) -> __m512i {
        _mm512_castps_si512(a)
    }
    #[inline(always)]
    unsafe fn select_bit0(w: __m512i, if_set: __m512, if_clear: __m512) -> __m512 {
        _mm512_mask_blend_ps(_mm512_test_epi32_mask(w, Self::splat(1)), if_clear, if_set)
    }
    #[inline(always)]
    unsafe fn store4(out: *mut f32, r: [__m512; 4]) {
        let t0 = _mm512_castps_pd(_mm512_unpacklo_ps(r[0], r[1]));
        let t1 = _mm512_castps_pd(_mm512_unpackhi_ps(r[0], r[1]));
        let t2 = _mm512_castps_pd(_mm512_unpacklo_ps(r[2], r[3]));
        let t3 = _mm512_castps_pd(_mm512_unpackhi_ps(r[2], r[3]));
        _mm512_storeu_ps(out, _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2)));
        _mm512_storeu_ps(out.add(16), _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2)));
        _mm512_storeu_ps(out.add(32), _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3)));
        _mm512_storeu_ps(out.add(48), _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3)));
    }
}

struct Avx2;

impl Vector for Avx2 {
    type I = __m256i;
    type F = __m256;
    const LANES: usize = 8;
    #[inline(always)]
    unsafe fn offsets() -> (__m256i, __m256i) {
        (
            _mm256_setr_epi64x(0, 4, 1, 5),
            _mm256_setr_epi64x(2, 6, 3, 7),
        )
    }
    #[inline(always)]
    unsafe fn splat(x: u32) -> __m256i {
        _mm256_set1_epi32(x as i32)
    }
    #[inline(always)]
    unsafe fn splat64(x: u64) -> __m256i {
        _mm256_set1_epi64x(x as i64)
    }
    #[inline(always)]
    unsafe fn zero() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline(always)]
    unsafe fn add64(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi64(a, b)
    }
    #[inline(always)]
    unsafe fn mul_epu32(a: __m256i, b: __m256i) -> __m256i {
        _mm256_mul_epu32(a, b)
    }
    #[inline(always)]
    unsafe fn shr64_32(a: __m256i) -> __m256i {
        _mm256_srli_epi64::<32>(a)
    }
    #[inline(always)]
    unsafe fn shl64_32(a: __m256i) -> __m256i {
        _mm256_slli_epi64::<32>(a)
    }
    #[inline(always)]
    unsafe fn xor3(a: __m256i, b: __m256i, c: __m256i) -> __m256i {
        _mm256_xor_si256(_mm256_xor_si256(a, b), c)
    }
    #[inline(always)]
    unsafe fn blend_odd(even: __m256i, odd: __m256i) -> __m256i {
        _mm256_blend_epi32::<0xAA>(even, odd)
    }
    #[inline(always)]
    unsafe fn add32(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi32(a, b)
    }
    #[inline(always)]
    unsafe fn sub32(a: __m256i, b: __m256i) -> __m256i {
        _mm256_sub_epi32(a, b)
    }
    #[inline(always)]
    unsafe fn and(a: __m256i, b: __m256i) -> __m256i {
        _mm256_and_si256(a, b)
    }
    #[inline(always)]
    unsafe fn xor(a: __m256i, b: __m256i) -> __m256i {
        _mm256_xor_si256(a, b)
    }
    #[inline(always)]
    unsafe fn shr32_8(a: __m256i) -> __m256i {
        _mm256_srli_epi32::<8>(a)
    }
    #[inline(always)]
    unsafe fn shr32_23(a: __m256i) -> __m256i {
        _mm256_srli_epi32::<23>(a)
    }
    #[inline(always)]
    unsafe fn shl32_29(a: __m256i) -> __m256i {
        _mm256_slli_epi32::<29>(a)
    }
    #[inline(always)]
    unsafe fn shl32_30(a: __m256i) -> __m256i {
        _mm256_slli_epi32::<30>(a)
    }
    #[inline(always)]
    unsafe fn fsplat(x: f32) -> __m256 {
        _mm256_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn add(a: __m256, b: __m256) -> __m256 {
        _mm256_add_ps(a, b)
    }
    #[inline(always)]
    unsafe fn sub(a: __m256, b: __m256) -> __m256 {
        _mm256_sub_ps(a, b)
    }
    #[inline(always)]
    unsafe fn mul(a: __m256, b: __m256) -> __m256 {
        _mm256_mul_ps(a, b)
    }
    #[inline(always)]
    unsafe fn div(a: __m256, b: __m256) -> __m256 {
        _mm256_div_ps(a, b)
    }
    #[inline(always)]
    unsafe fn sqrt(a: __m256) -> __m256 {
        _mm256_sqrt_ps(a)
    }
    #[inline(always)]
    unsafe fn to_f32(a: __m256i) -> __m256 {
        _mm256_cvtepi32_ps(a)
    }
    #[inline(always)]
    unsafe fn as_f(a: __m256i) -> __m256 {
        _mm256_castsi256_ps(a)
    }
    #[inline(always)]
    unsafe fn as_i(a: __m256) -> __m256i {
        _mm256_castps_si256(a)
    }
    #[inline(always)]
    unsafe fn select_bit0(w: __m256i, if_set: __m256, if_clear: __m256) -> __m256 {
        let one = Self::splat(1);
        let set = _mm256_cmpeq_epi32(_mm256_and_si256(w, one), one);
        _mm256_blendv_ps(if_clear, if_set, _mm256_castsi256_ps(set))
    }
    #[inline(always)]
    unsafe fn store4(out: *mut f32, r: [__m256; 4]) {
        let t0 = _mm256_castps_pd(_mm256_unpacklo_ps(r[0], r[1]));
        let t1 = _mm256_castps_pd(_mm256_unpackhi_ps(r[0], r[1]));
        let t2 = _mm256_castps_pd(_mm256_unpacklo_ps(r[2], r[3]));
        let t3 = _mm256_castps_pd(_mm256_unpackhi_ps(r[2], r[3]));
        _mm256_storeu_ps(out, _mm256_castpd_ps(_mm256_unpacklo_pd(t0, t2)));
        _mm256_storeu_ps(out.add(8), _mm256_castpd_ps(_mm256_unpackhi_pd(t0, t2)));
        _mm256_storeu_ps(out.add(16), _mm256_castpd_ps(_mm256_unpacklo_pd(t1, t3)));
        _mm256_storeu_ps(out.add(24), _mm256_castpd_ps(_mm256_unpackhi_pd(t1, t3)));
    }
}

/// Philox4x32-10 on `G` groups of `LANES` counters starting at `base`, where
/// `LANES` is what `V` holds (lane permutation as in the module doc); returns
/// words [group][word]. `G` groups are in flight to hide multiply latency;
/// each group's state is 8 registers, so `G` is chosen per width to keep the
/// state, the multipliers and the round keys in registers (2 for AVX-512's 32
/// zmm, 1 for AVX2's 16 ymm). With 4 on AVX-512 the loop spilled to a stack
/// that is not 64-byte aligned, and uniform ran at 1.25 or 1.9 G/s per core on
/// this AMD EPYC depending on the calling thread's stack address; with 2 it
/// runs at 2.3 G/s on any thread.
#[inline(always)]
unsafe fn philox<V: Vector, const G: usize>(base: u64, tag: u32, key: [u32; 2]) -> [[V::I; 4]; G] {
    let (off_e, off_o) = V::offsets();
    // [group][half] -> four state words
    let mut s = [[[V::zero(); 4]; 2]; G];
    for (g, halves) in s.iter_mut().enumerate() {
        let b = V::splat64(base + (g * V::LANES) as u64);
        for (h, st) in halves.iter_mut().enumerate() {
            let c = V::add64(b, if h == 0 { off_e } else { off_o });
            // the layout of `rng::counter`: [index lo, index hi, sub = 0, tag]
            *st = [c, V::shr64_32(c), V::zero(), V::splat64(tag as u64)];
        }
    }
    let (m0, m1) = (V::splat64(PHILOX_M0 as u64), V::splat64(PHILOX_M1 as u64));
    let (mut k0, mut k1) = (key[0], key[1]);
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        let (kv0, kv1) = (V::splat(k0), V::splat(k1));
        // two nested loops, not `.flatten()`: through `flatten` LLVM kept the
        // state on the stack (uniform at half speed)
        for halves in s.iter_mut() {
            for st in halves.iter_mut() {
                let p0 = V::mul_epu32(st[0], m0);
                let p1 = V::mul_epu32(st[2], m1);
                let n0 = V::xor3(V::shr64_32(p1), st[1], kv0);
                let n2 = V::xor3(V::shr64_32(p0), st[3], kv1);
                *st = [n0, p1, n2, p0];
            }
        }
    }
    let mut out = [[V::zero(); 4]; G];
    for (o, [e, od]) in out.iter_mut().zip(s.iter()) {
        for w in 0..4 {
            o[w] = V::blend_odd(e[w], V::shl64_32(od[w]));
        }
    }
    out
}

/// Top 24 bits times 2^-24: [0, 1), exact.
#[inline(always)]
unsafe fn unit<V: Vector>(w: V::I) -> V::F {
    V::mul(V::to_f32(V::shr32_8(w)), V::fsplat(1.0 / 16_777_216.0))
}

/// `dist::math::ln_f32`, lane by lane.
#[inline(always)]
#[allow(clippy::excessive_precision)]
unsafe fn ln<V: Vector>(x: V::F) -> V::F {
    let ps = V::fsplat;
    let ix = V::add32(V::as_i(x), V::splat(0x3f80_0000 - 0x3f35_04f3));
    let k = V::sub32(V::shr32_23(ix), V::splat(0x7f));
    let m = V::as_f(V::add32(
        V::and(ix, V::splat(0x007f_ffff)),
        V::splat(0x3f35_04f3),
    ));
    let f = V::sub(m, ps(1.0));
    let s = V::div(f, V::add(ps(2.0), f));
    let z = V::mul(s, s);
    let w = V::mul(z, z);
    let t1 = V::mul(
        w,
        V::add(ps(0.400_009_721_52), V::mul(w, ps(0.242_790_788_41))),
    );
    let t2 = V::mul(
        z,
        V::add(ps(0.666_666_626_93), V::mul(w, ps(0.284_987_866_88))),
    );
    let r = V::add(t2, t1);
    let hfsq = V::mul(V::mul(ps(0.5), f), f);
    let dk = V::to_f32(k);
    let a = V::add(
        V::mul(s, V::add(hfsq, r)),
        V::mul(dk, ps(9.058_000_614_5e-6)),
    );
    let b = V::add(V::sub(a, hfsq), f);
    V::add(b, V::mul(dk, ps(6.931_381_225_6e-1)))
}

/// `c0 + p2 * (c1 + p2 * (c2 + p2 * (c3 + p2 * last)))`.
#[inline(always)]
unsafe fn poly<V: Vector>(p2: V::F, c: [f32; 4], last: f32) -> V::F {
    let ps = V::fsplat;
    let mut acc = V::add(ps(c[3]), V::mul(p2, ps(last)));
    acc = V::add(ps(c[2]), V::mul(p2, acc));
    acc = V::add(ps(c[1]), V::mul(p2, acc));
    V::add(ps(c[0]), V::mul(p2, acc))
}

/// `dist::math::box_muller_f32`, lane by lane.
#[inline(always)]
unsafe fn box_muller<V: Vector>(wa: V::I, wb: V::I) -> (V::F, V::F) {
    let ps = V::fsplat;
    let u = V::mul(
        V::to_f32(V::add32(V::shr32_8(wa), V::splat(1))),
        ps(1.0 / 16_777_216.0),
    );
    let r = V::sqrt(V::mul(ps(-2.0), ln::<V>(u)));
    let p = V::mul(unit::<V>(wb), ps(std::f32::consts::FRAC_PI_4));
    let p2 = V::mul(p, p);
    let s = V::mul(
        p,
        poly::<V>(
            p2,
            [1.0, -1.0 / 6.0, 1.0 / 120.0, -1.0 / 5040.0],
            1.0 / 362_880.0,
        ),
    );
    let c = poly::<V>(p2, [1.0, -0.5, 1.0 / 24.0, -1.0 / 720.0], 1.0 / 40_320.0);
    let x = V::select_bit0(wb, s, c);
    let y = V::select_bit0(wb, c, s);
    let sx = V::shl32_30(V::and(wb, V::splat(2)));
    let sy = V::shl32_29(V::and(wb, V::splat(4)));
    let x = V::as_f(V::xor(V::as_i(x), sx));
    let y = V::as_f(V::xor(V::as_i(y), sy));
    (V::mul(r, x), V::mul(r, y))
}

/// Shared driver: `out.len()` is a multiple of `4 * V::LANES`; `f` maps a
/// group's four words to four value registers.
#[inline(always)]
unsafe fn drive<V: Vector, const G: usize>(
    key: [u32; 2],
    tag: u32,
    c0: u64,
    out: &mut [f32],
    f: impl Fn([V::I; 4]) -> [V::F; 4],
) {
    let lanes = V::LANES;
    debug_assert!(out.len().is_multiple_of(4 * lanes), "whole groups only");
    let groups = out.len() / (4 * lanes);
    let ptr = out.as_mut_ptr();
    let mut g = 0;
    while g < groups {
        let s = philox::<V, G>(c0 + (g * lanes) as u64, tag, key);
        let take = G.min(groups - g);
        for (i, words) in s.iter().enumerate().take(take) {
            // SAFETY: the store writes `4 * lanes` floats from element
            // `(g + i) * 4 * lanes`; `g + i < groups = out.len() / (4 * lanes)`
            // (rounded down), so they end at or before `out.len()`, inside
            // the exclusively borrowed `out`, whatever its length.
            V::store4(ptr.add((g + i) * 4 * lanes), f(*words));
        }
        g += take;
    }
}

/// The uniform transform of one group: `lo + width * unit(word)`.
#[inline(always)]
unsafe fn uniform_group<V: Vector>(w: [V::I; 4], lo: V::F, width: V::F) -> [V::F; 4] {
    [
        V::add(lo, V::mul(width, unit::<V>(w[0]))),
        V::add(lo, V::mul(width, unit::<V>(w[1]))),
        V::add(lo, V::mul(width, unit::<V>(w[2]))),
        V::add(lo, V::mul(width, unit::<V>(w[3]))),
    ]
}

/// The normal transform of one group: Box-Muller on words (0, 1) and (2, 3).
#[inline(always)]
unsafe fn normal_group<V: Vector>(w: [V::I; 4], mean: V::F, std: V::F) -> [V::F; 4] {
    let (a, b) = box_muller::<V>(w[0], w[1]);
    let (d, e) = box_muller::<V>(w[2], w[3]);
    [
        V::add(mean, V::mul(std, a)),
        V::add(mean, V::mul(std, b)),
        V::add(mean, V::mul(std, d)),
        V::add(mean, V::mul(std, e)),
    ]
}

// The closures passed to `drive` are written in the `#[target_feature]`
// entry points below, so that they inherit the features: a closure defined
// in a generic helper would be compiled without them and every intrinsic in
// it would become a call (10x slower).

/// AVX-512 body of the uniform kernel (same contract as `kernels::uniform_body`).
///
/// # Safety
/// The CPU must support AVX-512 F, VL, DQ and BW; `out.len()` must be a multiple of 64.
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
pub(crate) unsafe fn uniform_avx512(key: [u32; 2], c0: u64, out: &mut [f32], lo: f32, w: f32) {
    debug_assert!(out.len().is_multiple_of(64), "whole groups only");
    // SAFETY: the intrinsics need AVX-512 F/VL/DQ/BW, which this function's
    // `#[target_feature]` enables and its caller guarantees the CPU has;
    // `drive` keeps every store inside `out` (see there).
    unsafe {
        let (lo, w) = (Avx512::fsplat(lo), Avx512::fsplat(w));
        drive::<Avx512, 2>(key, Tag::Uniform as u32, c0, out, |x| {
            uniform_group::<Avx512>(x, lo, w)
        })
    }
}

/// AVX-512 body of the normal kernel (same contract as `kernels::normal_body`).
///
/// # Safety
/// As [`uniform_avx512`].
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
pub(crate) unsafe fn normal_avx512(key: [u32; 2], c0: u64, out: &mut [f32], mean: f32, std: f32) {
    debug_assert!(out.len().is_multiple_of(64), "whole groups only");
    // SAFETY: as in `uniform_avx512`.
    unsafe {
        let (m, s) = (Avx512::fsplat(mean), Avx512::fsplat(std));
        drive::<Avx512, 2>(key, Tag::Normal as u32, c0, out, |x| {
            normal_group::<Avx512>(x, m, s)
        })
    }
}

/// AVX2 body of the uniform kernel (same contract as `kernels::uniform_body`).
///
/// # Safety
/// The CPU must support AVX2; `out.len()` must be a multiple of 64.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn uniform_avx2(key: [u32; 2], c0: u64, out: &mut [f32], lo: f32, w: f32) {
    debug_assert!(out.len().is_multiple_of(64), "whole groups only");
    // SAFETY: the intrinsics need AVX2, which this function's
    // `#[target_feature]` enables and its caller guarantees the CPU has;
    // `drive` keeps every store inside `out` (see there).
    unsafe {
        let (lo, w) = (Avx2::fsplat(lo), Avx2::fsplat(w));
        drive::<Avx2, 1>(key, Tag::Uniform as u32, c0, out, |x| {
            uniform_group::<Avx2>(x, lo, w)
        })
    }
}

/// AVX2 body of the normal kernel (same contract as `kernels::normal_body`).
///
/// # Safety
/// As [`uniform_avx2`].
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn normal_avx2(key: [u32; 2], c0: u64, out: &mut [f32], mean: f32, std: f32) {
    debug_assert!(out.len().is_multiple_of(64), "whole groups only");
    // SAFETY: as in `uniform_avx2`.
    unsafe {
        let (m, s) = (Avx2::fsplat(mean), Avx2::fsplat(std));
        drive::<Avx2, 1>(key, Tag::Normal as u32, c0, out, |x| {
            normal_group::<Avx2>(x, m, s)
        })
    }
}
