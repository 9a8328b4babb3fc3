//! A sequential [`rand_core`] generator over Philox4x32-10, for code that
//! wants the `rand` ecosystem (shuffles, `random::<f64>()`, distributions)
//! on the same counter-based generator nninit uses (feature `rand_core`).
//!
//! Word `i` of the output is word `i % 4` of the Philox4x32-10 block with
//! counter `[i / 4 (low), i / 4 (high), stream (low), stream (high)]` under
//! the 64-bit key, so the generator can jump to any position in O(1)
//! ([`PhiloxRng::set_word_pos`]), and with key 0, stream 0 its first four
//! words are Random123's known answer for counter 0, key 0. `next_u64` is
//! two consecutive words, low first; `fill_bytes` writes words little-endian.

use super::philox::philox4x32_10;
use super::stream::{Stream, Tag};
use rand_core::block::{BlockRng, Generator};
use rand_core::{Infallible, SeedableRng, TryRng};

/// Philox blocks produced per refill.
const BLOCKS: usize = 4;

/// The counter half of the state: the next block to produce.
#[derive(Debug, Clone)]
struct Core {
    key: [u32; 2],
    stream: u64,
    block: u64,
}

impl Generator for Core {
    type Output = [u32; 4 * BLOCKS];

    fn generate(&mut self, out: &mut Self::Output) {
        for words in out.chunks_exact_mut(4) {
            let b = self.block;
            let s = self.stream;
            words.copy_from_slice(&philox4x32_10(
                [b as u32, (b >> 32) as u32, s as u32, (s >> 32) as u32],
                self.key,
            ));
            self.block = b.wrapping_add(1);
        }
    }
}

/// Philox4x32-10 as a [`rand_core::Rng`]: see the module documentation for
/// the exact word sequence. `Clone` copies the position too.
#[derive(Debug, Clone)]
pub struct PhiloxRng(BlockRng<Core>);

impl PhiloxRng {
    /// The generator with a 64-bit `key` and a 64-bit `stream` number
    /// (counter words 2 and 3), at word 0.
    pub fn new(key: [u32; 2], stream: u64) -> Self {
        PhiloxRng(BlockRng::new(Core {
            key,
            stream,
            block: 0,
        }))
    }

    /// Words produced so far (the index of the next word).
    pub fn word_pos(&self) -> u128 {
        4 * self.0.core.block as u128 - self.0.remaining_results().len() as u128
    }

    /// Jump to word `pos` (`pos < 2^66`: the block counter is 64 bits; higher
    /// bits are dropped).
    pub fn set_word_pos(&mut self, pos: u128) {
        let per = (4 * BLOCKS) as u128;
        self.0.core.block = ((pos / per) as u64).wrapping_mul(BLOCKS as u64);
        self.0.reset_and_skip((pos % per) as usize);
    }
}

impl TryRng for PhiloxRng {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_word())
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64_from_u32())
    }

    #[inline]
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl SeedableRng for PhiloxRng {
    /// Bytes 0..8: the key (two little-endian words); bytes 8..16: the stream
    /// number (little-endian).
    type Seed = [u8; 16];

    fn from_seed(seed: [u8; 16]) -> Self {
        let w = |i: usize| u32::from_le_bytes([seed[i], seed[i + 1], seed[i + 2], seed[i + 3]]);
        let stream = u64::from(w(8)) | (u64::from(w(12)) << 32);
        PhiloxRng::new([w(0), w(4)], stream)
    }
}

impl Stream {
    /// A [`PhiloxRng`] keyed like this tensor stream, on a counter range
    /// (`Tag::Raw` in the last counter word) that no initializer uses: its
    /// words are unrelated to the tensor's values. Feature `rand_core`.
    pub fn rng(&self) -> PhiloxRng {
        PhiloxRng::new(self.key(), (Tag::Raw as u64) << 32)
    }
}
