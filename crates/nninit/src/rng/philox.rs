//! Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy
//! as 1, 2, 3", SC 2011), the generator of Random123, JAX's `rbg`-free paths,
//! PyTorch's CUDA and cuRAND. Checked against the Random123 known-answer vectors
//! in `tests/value_stability.rs`.
//!
//! A 128-bit counter and a 64-bit key go in, 128 random bits come out. Ten
//! rounds of two 32x32->64 multiplies and xors; the key is bumped by the Weyl
//! constants between rounds.

/// First round multiplier.
pub(crate) const PHILOX_M0: u32 = 0xD251_1F53;
/// Second round multiplier.
pub(crate) const PHILOX_M1: u32 = 0xCD9E_8D57;
/// Weyl key increment, word 0 (golden ratio).
pub(crate) const PHILOX_W0: u32 = 0x9E37_79B9;
/// Weyl key increment, word 1 (sqrt(3) - 1).
pub(crate) const PHILOX_W1: u32 = 0xBB67_AE85;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = (a as u64) * (b as u64);
    ((p >> 32) as u32, p as u32)
}

/// One Philox4x32-10 evaluation: `counter`, `key` -> four 32-bit words.
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        let (hi0, lo0) = mulhilo(PHILOX_M0, c0);
        let (hi1, lo1) = mulhilo(PHILOX_M1, c2);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    [c0, c1, c2, c3]
}

/// `N` Philox evaluations side by side, written as plain lane arrays so that
/// the compiler vectorizes it (one lane per counter). Counters are
/// `[base + lane as 64-bit, sub, tag]`. Bit-identical to [`philox4x32_10`].
#[inline(always)]
pub(crate) fn philox_lanes<const N: usize>(
    base: u64,
    sub: u32,
    tag: u32,
    key: [u32; 2],
) -> [[u32; N]; 4] {
    let mut idx = [0u64; N];
    for (l, i) in idx.iter_mut().enumerate() {
        *i = base.wrapping_add(l as u64);
    }
    philox_lanes_at(&idx, sub, tag, key)
}

/// [`philox_lanes`] for any `N` element indices: counters `[idx[lane], sub, tag]`.
#[inline(always)]
pub(crate) fn philox_lanes_at<const N: usize>(
    idx: &[u64; N],
    sub: u32,
    tag: u32,
    key: [u32; 2],
) -> [[u32; N]; 4] {
    let (mut c0, mut c1, mut c2, mut c3) = ([0u32; N], [0u32; N], [0u32; N], [0u32; N]);
    for l in 0..N {
        [c0[l], c1[l], c2[l], c3[l]] = super::stream::counter(idx[l], sub, tag);
    }
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        for l in 0..N {
            let p0 = (PHILOX_M0 as u64) * (c0[l] as u64);
            let p1 = (PHILOX_M1 as u64) * (c2[l] as u64);
            let n0 = ((p1 >> 32) as u32) ^ c1[l] ^ k0;
            let n2 = ((p0 >> 32) as u32) ^ c3[l] ^ k1;
            c1[l] = p1 as u32;
            c3[l] = p0 as u32;
            c0[l] = n0;
            c2[l] = n2;
        }
    }
    [c0, c1, c2, c3]
}
