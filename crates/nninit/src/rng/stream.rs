//! How a tensor's random stream is keyed.
//!
//! The Philox key is derived from the user's seed and the tensor's name, so a
//! tensor's values never depend on which other tensors exist or in which order
//! they are generated (adding a layer leaves `w1` unchanged). The 128-bit
//! counter is `[index lo, index hi, sub, tag]`: `index` counts 4-word blocks
//! along the tensor, `sub` numbers rejection-sampling attempts, and `tag`
//! separates distributions so that, say, the uniform and normal streams of the
//! same tensor are unrelated.

use super::philox::philox4x32_10;

/// Which distribution a counter belongs to (the counter's last word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Tag {
    /// Uniform values.
    Uniform = 0,
    /// Normal values (Box-Muller).
    Normal = 1,
    /// Truncated normal (per-element rejection sampling).
    TruncNormal = 2,
    /// Selection keys of `sparse`.
    Sparse = 3,
    /// Words of `Stream::rng` (feature `rand_core`); no initializer uses it.
    Raw = 4,
}

/// The Philox counter of block `index` of distribution `tag`, attempt `sub`:
/// `[index lo, index hi, sub, tag]`. The one definition of the counter
/// layout: the scalar path ([`Stream::block`]), the lane-array path
/// (`philox_lanes`) and the hand-written SIMD kernels (`simd_x86::philox`,
/// checked bit for bit against the lane-array path by the `simd` tests) all
/// follow it. Part of the value-stability contract.
#[inline(always)]
pub(crate) const fn counter(index: u64, sub: u32, tag: u32) -> [u32; 4] {
    [index as u32, (index >> 32) as u32, sub, tag]
}

/// A keyed random stream: the Philox key for one (seed, tensor name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    key: [u32; 2],
}

/// SplitMix64 finalizer (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, 64-bit: a stable hash of the tensor name (never `std`'s randomized hasher).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

impl Stream {
    /// The stream of tensor `name` under `seed`:
    /// `key = splitmix64(splitmix64(seed) ^ fnv1a64(name))`, split into two words.
    /// Part of the value-stability contract: changing it changes every output.
    pub fn new(seed: u64, name: &str) -> Self {
        let k = splitmix64(splitmix64(seed) ^ fnv1a64(name.as_bytes()));
        Stream::from_key([k as u32, (k >> 32) as u32])
    }

    /// A stream with an explicit Philox key (for known-answer tests and interop).
    pub fn from_key(key: [u32; 2]) -> Self {
        Stream { key }
    }

    /// The Philox key.
    pub fn key(&self) -> [u32; 2] {
        self.key
    }

    /// The four words of block `index` of distribution `tag`, attempt `sub`.
    #[inline]
    pub fn block(&self, tag: Tag, index: u64, sub: u32) -> [u32; 4] {
        philox4x32_10(counter(index, sub, tag as u32), self.key)
    }
}
