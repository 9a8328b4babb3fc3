//! The element kernels: element `e` of a tensor comes from Philox block
//! `e / 4` (f32 paths, one word per value) or `e / 2` (f64 paths, two words per
//! value). Each kernel accepts any starting element, so a shard or a parallel
//! block gives exactly the values of the whole tensor at those positions.
//!
//! The bulk of an f32 fill runs 16 counters at a time in plain lane arrays
//! (`philox_lanes`), compiled three times by [`crate::simd`]: AVX-512, AVX2 and
//! portable. The three builds use the same IEEE operations in the same order
//! and no FMA, so their outputs are bit-identical (tested).

use super::math::{box_muller_f32, ln_f64, unit_f32, unit_f64, unit_open0_f64};
use crate::rng::{philox4x32_10, philox_lanes, Tag};

/// Counters per vector group.
pub(crate) const LANES: usize = 16;
/// f32 elements per vector group.
pub(crate) const GROUP: usize = LANES * 4;

#[inline(always)]
fn block(key: [u32; 2], tag: Tag, c: u64) -> [u32; 4] {
    philox4x32_10(crate::rng::counter(c, 0, tag as u32), key)
}

/// The four f32 uniforms `lo + width * u` of counter `c`.
#[inline(always)]
pub(crate) fn uniform4(key: [u32; 2], c: u64, lo: f32, width: f32) -> [f32; 4] {
    block(key, Tag::Uniform, c).map(|w| lo + width * unit_f32(w))
}

/// The four f32 normals `mean + std * z` of counter `c`.
#[inline(always)]
pub(crate) fn normal4(key: [u32; 2], c: u64, mean: f32, std: f32) -> [f32; 4] {
    let w = block(key, Tag::Normal, c);
    let (a, b) = box_muller_f32(w[0], w[1]);
    let (d, e) = box_muller_f32(w[2], w[3]);
    [
        mean + std * a,
        mean + std * b,
        mean + std * d,
        mean + std * e,
    ]
}

/// Vector body: `out.len()` is a multiple of [`GROUP`], first element is word 0 of counter `c0`.
#[inline(always)]
pub(crate) fn uniform_body(key: [u32; 2], c0: u64, out: &mut [f32], lo: f32, width: f32) {
    for (g, chunk) in out.chunks_exact_mut(GROUP).enumerate() {
        let w = philox_lanes::<LANES>(c0 + (g * LANES) as u64, 0, Tag::Uniform as u32, key);
        for l in 0..LANES {
            for j in 0..4 {
                chunk[4 * l + j] = lo + width * unit_f32(w[j][l]);
            }
        }
    }
}

/// Vector body of the normal kernel (see [`uniform_body`]).
#[inline(always)]
pub(crate) fn normal_body(key: [u32; 2], c0: u64, out: &mut [f32], mean: f32, std: f32) {
    for (g, chunk) in out.chunks_exact_mut(GROUP).enumerate() {
        let w = philox_lanes::<LANES>(c0 + (g * LANES) as u64, 0, Tag::Normal as u32, key);
        let mut z = [[0f32; LANES]; 4];
        for l in 0..LANES {
            let (a, b) = box_muller_f32(w[0][l], w[1][l]);
            let (d, e) = box_muller_f32(w[2][l], w[3][l]);
            z[0][l] = a;
            z[1][l] = b;
            z[2][l] = d;
            z[3][l] = e;
        }
        for l in 0..LANES {
            for j in 0..4 {
                chunk[4 * l + j] = mean + std * z[j][l];
            }
        }
    }
}

/// Drive an f32 kernel over `out`, whose first element is element `first` of
/// the tensor: scalar head and tail around a vector body.
#[inline(always)]
pub(crate) fn drive_f32(
    first: u64,
    out: &mut [f32],
    scalar: impl Fn(u64) -> [f32; 4],
    body: impl Fn(u64, &mut [f32]),
) {
    let mut e = first;
    let mut rest = out;
    // head: up to the next counter boundary
    while !e.is_multiple_of(4) && !rest.is_empty() {
        let v = scalar(e / 4);
        rest[0] = v[(e % 4) as usize];
        rest = &mut rest[1..];
        e += 1;
    }
    let n_body = rest.len() / GROUP * GROUP;
    let (b, tail) = rest.split_at_mut(n_body);
    if !b.is_empty() {
        body(e / 4, b);
    }
    e += n_body as u64;
    for chunk in tail.chunks_mut(4) {
        let v = scalar(e / 4);
        chunk.copy_from_slice(&v[..chunk.len()]);
        e += chunk.len() as u64;
    }
}

/// f64 values per vector group (two per counter).
pub(crate) const GROUP_F64: usize = LANES * 2;

/// f64 kernels: two words per value, two values per counter. A scalar head
/// (an odd first element) and tail around a vector body of whole groups
/// ([`GROUP_F64`]) whose first element is value 0 of counter `c`.
#[inline(always)]
fn drive_f64(
    first: u64,
    out: &mut [f64],
    pair: impl Fn(u64) -> [f64; 2],
    body: impl Fn(u64, &mut [f64]),
) {
    let mut e = first;
    let mut rest = out;
    if e % 2 == 1 && !rest.is_empty() {
        rest[0] = pair(e / 2)[1];
        rest = &mut rest[1..];
        e += 1;
    }
    let n_body = rest.len() / GROUP_F64 * GROUP_F64;
    let (b, tail) = rest.split_at_mut(n_body);
    if !b.is_empty() {
        body(e / 2, b);
    }
    e += n_body as u64;
    for chunk in tail.chunks_mut(2) {
        let v = pair(e / 2);
        chunk.copy_from_slice(&v[..chunk.len()]);
        e += 2;
    }
}

/// Uniform f64: `lo + width * u`, `u` a 53-bit uniform in [0, 1).
pub(crate) fn uniform_f64(key: [u32; 2], first: u64, out: &mut [f64], lo: f64, width: f64) {
    drive_f64(
        first,
        out,
        |c| {
            let w = block(key, Tag::Uniform, c);
            [
                lo + width * unit_f64(w[0], w[1]),
                lo + width * unit_f64(w[2], w[3]),
            ]
        },
        |c, b| crate::simd::uniform_f64_body(key, c, b, lo, width),
    );
}

/// Vector body of [`uniform_f64`]: `out.len()` a multiple of [`GROUP_F64`].
#[inline(always)]
pub(crate) fn uniform_f64_body(key: [u32; 2], c0: u64, out: &mut [f64], lo: f64, width: f64) {
    for (g, chunk) in out.chunks_exact_mut(GROUP_F64).enumerate() {
        let w = philox_lanes::<LANES>(c0 + (g * LANES) as u64, 0, Tag::Uniform as u32, key);
        for l in 0..LANES {
            chunk[2 * l] = lo + width * unit_f64(w[0][l], w[1][l]);
            chunk[2 * l + 1] = lo + width * unit_f64(w[2][l], w[3][l]);
        }
    }
}

/// Normal f64 by Box-Muller on two 53-bit uniforms: the radius
/// `sqrt(-2 ln u)` with FreeBSD's `log` (`math::ln_f64`, bit for bit the
/// pure-Rust `libm` crate's, without its special-case branches so that it
/// vectorizes), the angle with `libm`'s `sincos`, and the correctly rounded
/// `sqrt`: the same bits on every platform, unlike the system libm behind
/// std's `ln`/`sin_cos`.
pub(crate) fn normal_f64(key: [u32; 2], first: u64, out: &mut [f64], mean: f64, std: f64) {
    drive_f64(
        first,
        out,
        |c| {
            let w = block(key, Tag::Normal, c);
            let (z0, z1) = box_muller_f64(&w);
            [mean + std * z0, mean + std * z1]
        },
        |c, b| crate::simd::normal_f64_body(key, c, b, mean, std),
    );
}

/// Vector body of [`normal_f64`]: `out.len()` a multiple of [`GROUP_F64`].
/// Philox, the uniforms, the log and the square root run lane-wise (they
/// vectorize); `sincos` runs per lane.
#[inline(always)]
pub(crate) fn normal_f64_body(key: [u32; 2], c0: u64, out: &mut [f64], mean: f64, std: f64) {
    for (g, chunk) in out.chunks_exact_mut(GROUP_F64).enumerate() {
        let w = philox_lanes::<LANES>(c0 + (g * LANES) as u64, 0, Tag::Normal as u32, key);
        let mut r = [0f64; LANES];
        let mut angle = [0f64; LANES];
        for l in 0..LANES {
            let u = unit_open0_f64(w[0][l], w[1][l]);
            r[l] = (-2.0 * ln_f64(u)).sqrt();
            angle[l] = std::f64::consts::TAU * unit_f64(w[2][l], w[3][l]);
        }
        let mut sin = [0f64; LANES];
        let mut cos = [0f64; LANES];
        for l in 0..LANES {
            (sin[l], cos[l]) = libm::sincos(angle[l]);
        }
        for l in 0..LANES {
            chunk[2 * l] = mean + std * (r[l] * cos[l]);
            chunk[2 * l + 1] = mean + std * (r[l] * sin[l]);
        }
    }
}

/// Two N(0, 1) from four words.
#[inline]
pub(crate) fn box_muller_f64(w: &[u32; 4]) -> (f64, f64) {
    let u = unit_open0_f64(w[0], w[1]);
    let t = unit_f64(w[2], w[3]);
    let r = (-2.0 * ln_f64(u)).sqrt();
    let (s, c) = libm::sincos(std::f64::consts::TAU * t);
    (r * c, r * s)
}
