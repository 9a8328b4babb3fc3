//! JAX's default PRNG, threefry2x32 (Salmon et al., "Parallel Random
//! Numbers: As Easy as 1, 2, 3", SC 2011; jax `_src/random/threefry2x32.py`,
//! `prng.py`, `random/core.py`), reproduced bit for bit: keys, `split`,
//! `fold_in`, `random_bits` and `uniform`, in both modes of the
//! `jax_threefry_partitionable` flag (True, JAX's default since 0.5.0).
//!
//! - threefry2x32: 20 rounds in 5 blocks of 4, rotations 13, 15, 26, 6 /
//!   17, 29, 16, 24, key schedule `[k0, k1, k0 ^ k1 ^ 0x1BD11BDA]` injected
//!   after each block with the block number added to the second word.
//! - `key(seed)`: `[seed >> 32, seed & 0xFFFFFFFF]` of the seed as a 64-bit
//!   integer with `jax_enable_x64`, of its low 32 bits without (so
//!   `key(2**32 + 5)` is `[0, 5]` there, `key(-1)` is `[0, 0xFFFFFFFF]`).
//! - `fold_in(k, d)` = threefry(k, (0, d)) in both modes.
//! - Partitionable: element `i` (row-major, 64-bit) of a shape is hashed
//!   with the counter `(hi(i), lo(i))`: 32-bit bits are `x0 ^ x1`, 64-bit
//!   `x0 << 32 | x1`, `split(k, n)[i]` is `(x0, x1)` of counter i: random
//!   access, like nninit's own streams.
//! - Original: the counters `0 .. m` (m = the 32-bit words needed, padded to
//!   even) are split in halves, lane 0 hashing the first half with the
//!   second as its partner; the outputs are lane 0's then lane 1's.
//! - `uniform(k, shape, lo, hi)` (f32): `bitcast((bits >> 9) | 0x3F800000) - 1`,
//!   then `fma(u, hi - lo, lo)` (XLA fuses the scaling on CPU), then
//!   `max(lo, .)`; f64 (x64) the same with 64-bit bits `>> 12` and `0x3FF...`.

/// A JAX PRNG key's data (`jax.random.key_data(key)`).
pub type JaxKey = [u32; 2];

/// The threefry2x32 hash of the counter pair `x` under `key`.
#[inline]
pub fn threefry2x32(key: JaxKey, x: [u32; 2]) -> [u32; 2] {
    const ROT: [[u32; 4]; 2] = [[13, 15, 26, 6], [17, 29, 16, 24]];
    let ks = [key[0], key[1], key[0] ^ key[1] ^ 0x1BD1_1BDA];
    let (mut x0, mut x1) = (x[0].wrapping_add(ks[0]), x[1].wrapping_add(ks[1]));
    for block in 0..5usize {
        for &r in &ROT[block % 2] {
            x0 = x0.wrapping_add(x1);
            x1 = x1.rotate_left(r) ^ x0;
        }
        x0 = x0.wrapping_add(ks[(block + 1) % 3]);
        x1 = x1
            .wrapping_add(ks[(block + 2) % 3])
            .wrapping_add(block as u32 + 1);
    }
    [x0, x1]
}

/// `jax.random.key(seed)`'s data; `x64` is `jax_enable_x64`.
pub fn key(seed: i64, x64: bool) -> JaxKey {
    if x64 {
        let s = seed as u64;
        [(s >> 32) as u32, s as u32]
    } else {
        [0, seed as u32]
    }
}

/// `jax.random.fold_in(key, data)`.
pub fn fold_in(key: JaxKey, data: u32) -> JaxKey {
    threefry2x32(key, [0, data])
}

/// The counters of the original (non-partitionable) scheme for `n` words:
/// word `j` is lane 0 of counter pair `(j, j + h)` for `j < h`, else lane 1
/// of `(j - h, j)`, with `h = ceil(n / 2)` and the padding counter 0.
#[inline]
fn original_word(key: JaxKey, n: u64, j: u64) -> u32 {
    let h = n.div_ceil(2);
    let partner = |c: u64| if c < n { c as u32 } else { 0 };
    if j < h {
        threefry2x32(key, [j as u32, partner(j + h)])[0]
    } else {
        threefry2x32(key, [(j - h) as u32, j as u32])[1]
    }
}

/// The 32-bit words the original scheme can address with one key.
const ORIGINAL_MAX: u64 = u32::MAX as u64;

/// `jax.random.split(key, n)`.
pub fn split(key: JaxKey, n: usize, partitionable: bool) -> Vec<JaxKey> {
    let n64 = n as u64;
    (0..n64)
        .map(|i| {
            if partitionable {
                threefry2x32(key, [(i >> 32) as u32, i as u32])
            } else {
                [
                    original_word(key, 2 * n64, 2 * i),
                    original_word(key, 2 * n64, 2 * i + 1),
                ]
            }
        })
        .collect()
}

/// `jax.random.bits(key, shape, uint32)` flattened: `out.len()` elements.
/// The original scheme is refused past 2^32 - 1 words (where JAX splits the
/// key into blocks).
pub fn random_bits_u32(key: JaxKey, partitionable: bool, out: &mut [u32]) -> crate::Result<()> {
    let n = out.len() as u64;
    if !partitionable && n > ORIGINAL_MAX {
        return Err(too_many(n));
    }
    for (i, o) in out.iter_mut().enumerate() {
        let i = i as u64;
        *o = if partitionable {
            let [a, b] = threefry2x32(key, [(i >> 32) as u32, i as u32]);
            a ^ b
        } else {
            original_word(key, n, i)
        };
    }
    Ok(())
}

/// `jax.random.bits(key, shape, uint64)` flattened (with `jax_enable_x64`).
pub fn random_bits_u64(key: JaxKey, partitionable: bool, out: &mut [u64]) -> crate::Result<()> {
    let n = out.len() as u64;
    if !partitionable && 2 * n > ORIGINAL_MAX {
        return Err(too_many(2 * n));
    }
    for (i, o) in out.iter_mut().enumerate() {
        let i = i as u64;
        let (hi, lo) = if partitionable {
            let [a, b] = threefry2x32(key, [(i >> 32) as u32, i as u32]);
            (a, b)
        } else {
            (
                original_word(key, 2 * n, i),
                original_word(key, 2 * n, n + i),
            )
        };
        *o = (u64::from(hi) << 32) | u64::from(lo);
    }
    Ok(())
}

fn too_many(words: u64) -> crate::Error {
    crate::Error::Rng {
        rng: "jax",
        what: format!("{words} random 32-bit words from one key"),
        reason: "with jax_threefry_partitionable=False JAX splits the key past 2^32 - 1 words, which nninit does not replay; use the partitionable mode (JAX's default)".into(),
    }
}

/// `jax.random.uniform(key, shape, float32, lo, hi)` flattened.
pub fn uniform_f32(
    key: JaxKey,
    partitionable: bool,
    lo: f32,
    hi: f32,
    out: &mut [f32],
) -> crate::Result<()> {
    let mut bits = vec![0u32; out.len()];
    random_bits_u32(key, partitionable, &mut bits)?;
    let range = hi - lo;
    for (o, b) in out.iter_mut().zip(bits) {
        let u = f32::from_bits((b >> 9) | 0x3F80_0000) - 1.0;
        *o = u.mul_add(range, lo).max(lo);
    }
    Ok(())
}

/// `jax.random.uniform(key, shape, float64, lo, hi)` flattened (x64).
pub fn uniform_f64(
    key: JaxKey,
    partitionable: bool,
    lo: f64,
    hi: f64,
    out: &mut [f64],
) -> crate::Result<()> {
    let mut bits = vec![0u64; out.len()];
    random_bits_u64(key, partitionable, &mut bits)?;
    let range = hi - lo;
    for (o, b) in out.iter_mut().zip(bits) {
        let u = f64::from_bits((b >> 12) | 0x3FF0_0000_0000_0000) - 1.0;
        *o = u.mul_add(range, lo).max(lo);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threefry_known_answer() {
        // the Random123 known-answer vectors for threefry2x32_20
        assert_eq!(threefry2x32([0, 0], [0, 0]), [0x6b20_0159, 0x99ba_4efe]);
        assert_eq!(
            threefry2x32([u32::MAX, u32::MAX], [u32::MAX, u32::MAX]),
            [0x1cb9_96fc, 0xbb00_2be7]
        );
        assert_eq!(
            threefry2x32([0x1319_8a2e, 0x0370_7344], [0x243f_6a88, 0x85a3_08d3]),
            [0xc492_3a9c, 0x483d_f7a0]
        );
    }
}
