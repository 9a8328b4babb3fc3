//! NumPy's modern seeding and bit generator, `np.random.default_rng(seed)`:
//! `SeedSequence` turns the seed into four 64-bit words, which seed PCG64
//! (O'Neill, "PCG: A Family of Simple Fast Space-Efficient Statistically
//! Good Algorithms for Random Number Generation", 2014; NumPy's
//! `numpy/random/bit_generator.pyx` and `src/pcg64/`).
//!
//! - `SeedSequence(entropy)`: the entropy as 32-bit words (an integer's words
//!   low first, `0` as one zero word; a sequence's elements' words
//!   concatenated), hashed into a pool of 4 words (`hashmix` with the
//!   multiplier `0x931e8875` advancing from `0x43b0d7e5`, then every pool word
//!   mixed into every other with `mix(x, y) = (0xca01f9dd x - 0x4973f715 y)
//!   ^ >> 16`, then any entropy beyond 4 words mixed in);
//!   `generate_state(4, uint64)` draws 8 words from the pool in a cycle,
//!   hashed with the multiplier `0x58f38ded` advancing from `0x8b51f9dd`,
//!   paired little-endian into 4 u64.
//! - PCG64 (XSL-RR 128/64): `state` from words 0:1, the increment from words
//!   2:3 as `(inc << 1) | 1`; seeding steps, adds the state, steps. Each draw
//!   steps (`state * 0x2360ed051fc65da44385df649fccf645 + inc`) and outputs
//!   `rotr64(hi ^ lo, state >> 122)`.

/// `SeedSequence(entropy).generate_state(4, np.uint64)`.
pub(super) fn seed_sequence_state(entropy: &[u32]) -> [u64; 4] {
    const POOL: usize = 4;
    const INIT_A: u32 = 0x43b0_d7e5;
    const MULT_A: u32 = 0x931e_8875;
    const INIT_B: u32 = 0x8b51_f9dd;
    const MULT_B: u32 = 0x58f3_8ded;
    const MIX_MULT_L: u32 = 0xca01_f9dd;
    const MIX_MULT_R: u32 = 0x4973_f715;
    let mut hash_const = INIT_A;
    let mut hashmix = |value: u32| {
        let mut v = value ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_A);
        v = v.wrapping_mul(hash_const);
        v ^ (v >> 16)
    };
    let mix = |x: u32, y: u32| {
        let r = MIX_MULT_L
            .wrapping_mul(x)
            .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
        r ^ (r >> 16)
    };
    let mut pool = [0u32; POOL];
    for (i, p) in pool.iter_mut().enumerate() {
        *p = hashmix(entropy.get(i).copied().unwrap_or(0));
    }
    for src in 0..POOL {
        for dst in 0..POOL {
            if src != dst {
                let h = hashmix(pool[src]);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    for &word in entropy.iter().skip(POOL) {
        for p in pool.iter_mut() {
            let h = hashmix(word);
            *p = mix(*p, h);
        }
    }
    let mut hash_const = INIT_B;
    let mut words = [0u32; 2 * POOL];
    for (i, w) in words.iter_mut().enumerate() {
        let mut v = pool[i % POOL] ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_B);
        v = v.wrapping_mul(hash_const);
        *w = v ^ (v >> 16);
    }
    let mut out = [0u64; 4];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u64::from(words[2 * i]) | (u64::from(words[2 * i + 1]) << 32);
    }
    out
}

/// The 32-bit words of a non-negative integer seed, low first (`0` is one
/// zero word): NumPy's `_int_to_uint32_array`.
pub(super) fn seed_words(seed: u128, out: &mut Vec<u32>) {
    if seed == 0 {
        out.push(0);
    }
    let mut n = seed;
    while n > 0 {
        out.push(n as u32);
        n >>= 32;
    }
}

/// PCG64 (XSL-RR 128/64) as NumPy seeds it (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pcg64 {
    state: u128,
    inc: u128,
}

const PCG_MULTIPLIER: u128 = (2_549_297_995_355_413_924u128 << 64) | 4_865_540_595_714_422_341;

impl Pcg64 {
    /// Seeded from `SeedSequence`'s four words: `pcg64_set_seed(words[0:2],
    /// words[2:4])`.
    pub(super) fn from_state_words(w: [u64; 4]) -> Pcg64 {
        let initstate = (u128::from(w[0]) << 64) | u128::from(w[1]);
        let initseq = (u128::from(w[2]) << 64) | u128::from(w[3]);
        let mut g = Pcg64 {
            state: 0,
            inc: (initseq << 1) | 1,
        };
        g.step();
        g.state = g.state.wrapping_add(initstate);
        g.step();
        g
    }

    #[inline]
    fn step(&mut self) {
        self.state = self
            .state
            .wrapping_mul(PCG_MULTIPLIER)
            .wrapping_add(self.inc);
    }

    /// The next 64-bit output.
    #[inline]
    pub(super) fn next_u64(&mut self) -> u64 {
        self.step();
        let hi = (self.state >> 64) as u64;
        let lo = self.state as u64;
        (hi ^ lo).rotate_right((self.state >> 122) as u32)
    }
}
