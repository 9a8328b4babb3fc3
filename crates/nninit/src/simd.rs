//! Run-time CPU dispatch for the f32 kernels: hand-written AVX-512 and AVX2
//! kernels (`simd_x86`, one generic body for both widths) and a portable
//! baseline, picked with `is_x86_feature_detected!`; and hardware-FMA builds
//! of the PyTorch-stream kernels (`fma_dispatch!`: same bits, faster). No
//! special build flags are needed.
//!
//! The only `unsafe` in the crate lives here: calling a `#[target_feature]`
//! function is unsafe because running it on a CPU without the feature is
//! undefined behaviour. Each call is guarded by the matching detection.

#![allow(unsafe_code)]

use crate::dist::kernels::{normal_body, uniform_body};
use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set level for the f32 kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimdLevel {
    /// Whatever the compiler's baseline target allows (SSE2 on x86_64).
    Portable,
    /// AVX2 (256-bit integer multiplies).
    Avx2,
    /// AVX-512 F/VL/DQ/BW.
    Avx512,
}

const AUTO: u8 = 0;
static FORCED: AtomicU8 = AtomicU8::new(AUTO);

/// The best level this CPU supports.
pub fn detected() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx512dq")
            && is_x86_feature_detected!("avx512bw")
        {
            return SimdLevel::Avx512;
        }
        if is_x86_feature_detected!("avx2") {
            return SimdLevel::Avx2;
        }
    }
    SimdLevel::Portable
}

/// The level in use: forced by `force` (feature `internals`), else [`detected`].
pub fn active() -> SimdLevel {
    match FORCED.load(Ordering::Relaxed) {
        1 => SimdLevel::Portable,
        2 => SimdLevel::Avx2,
        3 => SimdLevel::Avx512,
        _ => detected(),
    }
}

/// Force a level (for benchmarks and the cross-path identity tests); levels the
/// CPU lacks fall back to [`detected`]. `None` restores automatic choice.
/// Output values never depend on the level: only speed does. A benchmark
/// hook behind the `internals` feature, not part of the stable API.
#[cfg(feature = "internals")]
pub fn force(level: Option<SimdLevel>) {
    let v = match level {
        None => AUTO,
        Some(SimdLevel::Portable) => 1,
        Some(SimdLevel::Avx2) => 2,
        Some(SimdLevel::Avx512) => 3,
    };
    FORCED.store(v, Ordering::Relaxed);
}

#[cfg(target_arch = "x86_64")]
fn usable(level: SimdLevel) -> SimdLevel {
    let d = detected();
    match (level, d) {
        (SimdLevel::Avx512, SimdLevel::Avx512) => SimdLevel::Avx512,
        (SimdLevel::Avx512, _) => d,
        (SimdLevel::Avx2, SimdLevel::Portable) => SimdLevel::Portable,
        (l, _) => l,
    }
}

macro_rules! dispatch {
    ($name:ident, $body:ident, $avx512:path, $avx2:path) => {
        pub(crate) fn $name(key: [u32; 2], c0: u64, out: &mut [f32], p: f32, q: f32) {
            #[cfg(target_arch = "x86_64")]
            match usable(active()) {
                // SAFETY: the one precondition that matters for soundness is the
                // CPU feature set: `usable` returns Avx512 only when `detected()`
                // (std's runtime detection) reported AVX-512 F, VL, DQ and BW.
                // The kernels' stores stay inside `out` for any length.
                SimdLevel::Avx512 => {
                    debug_assert_eq!(detected(), SimdLevel::Avx512);
                    return unsafe { $avx512(key, c0, out, p, q) };
                }
                // SAFETY: `usable` returns Avx2 only when `detected()` reported
                // at least AVX2; stores as above.
                SimdLevel::Avx2 => {
                    debug_assert_ne!(detected(), SimdLevel::Portable);
                    return unsafe { $avx2(key, c0, out, p, q) };
                }
                SimdLevel::Portable => {}
            }
            $body(key, c0, out, p, q)
        }
    };
}

dispatch!(
    uniform_f32_body,
    uniform_body,
    crate::simd_x86::uniform_avx512,
    crate::simd_x86::uniform_avx2
);
dispatch!(
    normal_f32_body,
    normal_body,
    crate::simd_x86::normal_avx512,
    crate::simd_x86::normal_avx2
);

/// Compile an f64 kernel body twice: with AVX2 enabled (so the compiler
/// vectorizes its lane loops: Philox, the uniforms, the log) and portably.
/// No FMA is enabled and Rust never contracts `a * b + c`, so both builds
/// perform the same IEEE operations: the same bits.
macro_rules! avx2_f64_dispatch {
    ($(#[$m:meta])* $name:ident => $body:path) => {
        $(#[$m])*
        pub(crate) fn $name(key: [u32; 2], c0: u64, out: &mut [f64], p: f64, q: f64) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn fast(key: [u32; 2], c0: u64, out: &mut [f64], p: f64, q: f64) {
                    $body(key, c0, out, p, q)
                }
                if usable(active()) != SimdLevel::Portable {
                    // SAFETY: `fast` only needs AVX2, which `detected()`
                    // reported (Avx2 or Avx512); it touches memory only
                    // through its safe arguments.
                    return unsafe { fast(key, c0, out, p, q) };
                }
            }
            $body(key, c0, out, p, q)
        }
    };
}

avx2_f64_dispatch!(
    /// f64 uniform over whole groups ([`crate::dist::kernels::GROUP_F64`]).
    uniform_f64_body => crate::dist::kernels::uniform_f64_body
);
avx2_f64_dispatch!(
    /// f64 normal over whole groups ([`crate::dist::kernels::GROUP_F64`]).
    normal_f64_body => crate::dist::kernels::normal_f64_body
);

/// Whether the CPU has hardware fused multiply-add (with AVX2).
#[cfg(target_arch = "x86_64")]
fn has_fma() -> bool {
    is_x86_feature_detected!("fma") && is_x86_feature_detected!("avx2")
}

/// Compile `$body` (a call of `#[inline(always)]` code using `mul_add`) twice:
/// with hardware FMA (and AVX2, so the compiler may vectorize it) and
/// portably (where `mul_add` is the C library's `fma`). An FMA is exactly
/// rounded, so both give the same bits; only the speed differs.
macro_rules! fma_dispatch {
    ($(#[$m:meta])* $name:ident ($($arg:ident : $ty:ty),*) => $body:expr) => {
        $(#[$m])*
        pub(crate) fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn fast($($arg: $ty),*) {
                    $body
                }
                if has_fma() {
                    // SAFETY: `fast` only needs AVX2 and FMA, which the CPU
                    // reported just above; it touches memory only through its
                    // safe arguments.
                    return unsafe { fast($($arg),*) };
                }
            }
            $body
        }
    };
}

/// tanh (`tanh` true) or the logistic of `z` in place, and its derivative
/// into `d`, bit for bit the f64 reference rounded to f32
/// (`activation_f32.rs`). The fast pass needs hardware FMA: without it,
/// `mul_add` would be a libm call and the reference itself is quicker.
pub(crate) fn activation_f32(tanh: bool, z: &mut [f32], d: Option<&mut [f32]>) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn fast(tanh: bool, z: &mut [f32], d: Option<&mut [f32]>) {
            crate::activation_f32::blocks(tanh, z, d)
        }
        if has_fma() {
            // SAFETY: `fast` only needs AVX2 and FMA, which the CPU reported
            // just above; it touches memory only through its safe arguments.
            return unsafe { fast(tanh, z, d) };
        }
    }
    let act = if tanh {
        crate::Activation::Tanh
    } else {
        crate::Activation::Sigmoid
    };
    act.apply_f32_reference(z, d);
}

fma_dispatch!(
    /// torch's f32 Box-Muller over whole blocks of 16 (`d.len() % 16 == 0`).
    torch_normal_f32(d: &mut [f32], mean: f32, std: f32) => {
        for b in d.chunks_exact_mut(16) {
            crate::rng::torch_normal16_f32(b, mean, std)
        }
    }
);
fma_dispatch!(
    /// torch's f64 Box-Muller over whole blocks of 16.
    torch_normal_f64(d: &mut [f64], mean: f64, std: f64) => {
        for b in d.chunks_exact_mut(16) {
            crate::rng::torch_normal16_f64(b, mean, std)
        }
    }
);
fma_dispatch!(
    /// torch's uniform transform in place: `x` in [0, 1) to `fma(x, to - from, from)`, `from` where that reached `to`.
    torch_uniform_f32(d: &mut [f32], from: f32, to: f32) => {
        for x in d.iter_mut() {
            *x = crate::rng::torch_affine_f32(*x, from, to)
        }
    }
);
fma_dispatch!(
    /// [`torch_uniform_f32`] in f64.
    torch_uniform_f64(d: &mut [f64], from: f64, to: f64) => {
        for x in d.iter_mut() {
            *x = crate::rng::torch_affine_f64(*x, from, to)
        }
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::kernels::GROUP;

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// The f64 bodies (AVX2 where the CPU has it) give the portable build's
    /// bits and the scalar per-counter kernel's.
    #[test]
    fn f64_bodies_give_the_portable_and_scalar_bits() {
        use crate::dist::kernels::{self, GROUP_F64};
        let key = crate::Stream::new(3, "w64").key();
        let n = 32 * GROUP_F64;
        type Kernel = fn([u32; 2], u64, &mut [f64], f64, f64);
        let cases: [(&str, Kernel, Kernel); 2] = [
            ("uniform", uniform_f64_body, kernels::uniform_f64_body),
            ("normal", normal_f64_body, kernels::normal_f64_body),
        ];
        for (name, dispatched, portable) in cases {
            for c0 in [0u64, (1 << 32) - 8] {
                let (mut a, mut b) = (vec![0f64; n], vec![0f64; n]);
                dispatched(key, c0, &mut a, 0.25, 1.5);
                portable(key, c0, &mut b, 0.25, 1.5);
                assert_eq!(
                    a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    b.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    "{name} at {c0}"
                );
                // the scalar path: an unaligned start goes head, body, tail
                let mut c = vec![0f64; n - 1];
                if name == "uniform" {
                    kernels::uniform_f64(key, 2 * c0 + 1, &mut c, 0.25, 1.5);
                } else {
                    kernels::normal_f64(key, 2 * c0 + 1, &mut c, 0.25, 1.5);
                }
                assert_eq!(
                    c.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    b[1..].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    "{name} at {c0}, from an odd element"
                );
            }
        }
    }

    /// Each level's kernel called directly (no global switch, so no race
    /// with other tests, and no silent fallback: a level this CPU lacks is
    /// reported as not run, never replaced by another).
    #[test]
    fn every_level_gives_the_portable_bits() {
        let key = crate::Stream::new(1, "w").key();
        let n = 64 * GROUP;
        type Kernel = fn([u32; 2], u64, &mut [f32], f32, f32);
        let cases: [(&str, Kernel, f32, f32); 3] = [
            ("uniform", uniform_body, -1.0, 2.0),
            ("normal", normal_body, 0.0, 1.0),
            ("normal(0.1, 3)", normal_body, 0.1, 3.0),
        ];
        let mut ran = Vec::new();
        for (name, portable, p, q) in cases {
            // counters far from 0 too: the 64-bit counter's high word is used
            for c0 in [0u64, (1 << 32) - 8] {
                let mut want = vec![0f32; n];
                portable(key, c0, &mut want, p, q);
                #[cfg(target_arch = "x86_64")]
                {
                    let normal = name.starts_with("normal");
                    if detected() == SimdLevel::Avx512 {
                        let mut got = vec![0f32; n];
                        // SAFETY: the CPU reports AVX-512 F/VL/DQ/BW; n is a multiple of 64.
                        unsafe {
                            if normal {
                                crate::simd_x86::normal_avx512(key, c0, &mut got, p, q)
                            } else {
                                crate::simd_x86::uniform_avx512(key, c0, &mut got, p, q)
                            }
                        }
                        assert_eq!(
                            bits(&got),
                            bits(&want),
                            "{name} at {c0}: avx512 vs portable"
                        );
                        ran.push("avx512");
                    }
                    if detected() != SimdLevel::Portable {
                        let mut got = vec![0f32; n];
                        // SAFETY: the CPU reports AVX2; n is a multiple of 64.
                        unsafe {
                            if normal {
                                crate::simd_x86::normal_avx2(key, c0, &mut got, p, q)
                            } else {
                                crate::simd_x86::uniform_avx2(key, c0, &mut got, p, q)
                            }
                        }
                        assert_eq!(bits(&got), bits(&want), "{name} at {c0}: avx2 vs portable");
                        ran.push("avx2");
                    }
                }
            }
        }
        ran.dedup();
        // say which levels were compared, so a CPU without them is visible in the log
        println!(
            "compared with the portable kernel: {ran:?} (detected {:?})",
            detected()
        );
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            assert!(
                ran.contains(&"avx2"),
                "AVX2 is available but its kernel did not run"
            );
        }
    }

    /// The dispatcher picks the best level the CPU has when nothing is forced.
    #[test]
    fn dispatch_uses_the_detected_level() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(usable(detected()), detected());
        assert_eq!(FORCED.load(Ordering::Relaxed), AUTO);
    }
}
fma_dispatch!(
    /// JAX's f32 draws in the partitionable mode (`rng::threefry`).
    jax_f32_fill(key: crate::rng::threefry::JaxKey, draw: crate::rng::threefry::F32Draw, start: u64, out: &mut [f32]) => {
        crate::rng::threefry::fill_body(key, draw, start, out)
    }
);
fma_dispatch!(
    /// JAX's f32 draws from given bits (`rng::threefry`).
    jax_f32_map(draw: crate::rng::threefry::F32Draw, bits: &[u32], out: &mut [f32]) => {
        crate::rng::threefry::map_body(draw, bits, out)
    }
);

/// Attempt 0 of an f32 truncated normal over a block
/// ([`crate::dist::trunc_normal::accept_f32_body`]), compiled with AVX-512 or
/// AVX2 where the CPU has them: no FMA, so the same IEEE operations and the
/// same bits.
pub(crate) fn trunc_accept_f32(
    p: crate::dist::trunc_normal::Accept,
    z: &[f32],
    out: &mut [f32],
    ok: &mut [u8],
) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn fast(
            p: crate::dist::trunc_normal::Accept,
            z: &[f32],
            out: &mut [f32],
            ok: &mut [u8],
        ) {
            crate::dist::trunc_normal::accept_f32_body(p, z, out, ok)
        }
        #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw")]
        unsafe fn wide(
            p: crate::dist::trunc_normal::Accept,
            z: &[f32],
            out: &mut [f32],
            ok: &mut [u8],
        ) {
            crate::dist::trunc_normal::accept_f32_body(p, z, out, ok)
        }
        let level = usable(active());
        if level == SimdLevel::Avx512 {
            // SAFETY: `usable` returns Avx512 only when `detected()` reported
            // AVX-512 F, VL, DQ and BW; memory only through safe arguments.
            return unsafe { wide(p, z, out, ok) };
        }
        if level != SimdLevel::Portable {
            // SAFETY: `fast` only needs AVX2, which `detected()` reported
            // (Avx2 or Avx512); it touches memory only through its safe
            // arguments.
            return unsafe { fast(p, z, out, ok) };
        }
    }
    crate::dist::trunc_normal::accept_f32_body(p, z, out, ok)
}

/// Attempt 1 of rejected truncated-normal elements, side by side
/// ([`crate::dist::trunc_normal::retry_lanes_body`]), compiled with AVX2
/// where the CPU has it: no FMA, so the same IEEE operations and bits.
pub(crate) fn trunc_retry_lanes(
    idx: &[u64; crate::dist::trunc_normal::RETRY_LANES],
    key: [u32; 2],
    z: &mut [f64; crate::dist::trunc_normal::RETRY_LANES],
) {
    use crate::dist::trunc_normal::{retry_lanes_body, RETRY_LANES};
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn fast(idx: &[u64; RETRY_LANES], key: [u32; 2], z: &mut [f64; RETRY_LANES]) {
            retry_lanes_body(idx, key, z)
        }
        if usable(active()) != SimdLevel::Portable {
            // SAFETY: `fast` only needs AVX2, which `detected()` reported
            // (Avx2 or Avx512); it touches memory only through its safe
            // arguments.
            return unsafe { fast(idx, key, z) };
        }
    }
    retry_lanes_body(idx, key, z)
}
