//! The Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998), the 32-bit
//! generator behind NumPy's legacy `np.random` (`RandomState`) and PyTorch's
//! CPU default generator. Sequential: one 624-word state that advances.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER: u32 = 0x8000_0000;
const LOWER: u32 = 0x7fff_ffff;

/// MT19937 state, seeded as the reference `init_genrand` does (which is what
/// `np.random.seed(int)` and `torch.manual_seed(int)` both call, with the
/// seed reduced to 32 bits). Words are produced 624 at a time: one twist of
/// the state, then all 624 tempered into `out` (two simple loops the
/// compiler vectorizes), so a draw is a load.
#[derive(Clone)]
pub(crate) struct Mt19937 {
    state: [u32; N],
    out: [u32; N],
    pos: usize,
}

impl std::fmt::Debug for Mt19937 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mt19937")
            .field("pos", &self.pos)
            .finish_non_exhaustive()
    }
}

#[inline(always)]
fn mix(cur: u32, next: u32, far: u32) -> u32 {
    let y = (cur & UPPER) | (next & LOWER);
    far ^ (y >> 1) ^ ((y & 1).wrapping_neg() & MATRIX_A)
}

#[inline(always)]
fn temper(mut y: u32) -> u32 {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^ (y >> 18)
}

impl Mt19937 {
    /// `init_genrand(seed)`: `s[0] = seed`, `s[i] = 1812433253 * (s[i-1] ^ (s[i-1] >> 30)) + i`.
    pub(crate) fn new(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let p = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(p ^ (p >> 30))
                .wrapping_add(i as u32);
        }
        Mt19937 {
            state,
            out: [0; N],
            pos: N,
        }
    }

    /// Regenerate all 624 words (the "twist") and temper them into `out`.
    fn refill(&mut self) {
        let s = &mut self.state;
        for i in 0..N - M {
            s[i] = mix(s[i], s[i + 1], s[i + M]);
        }
        for i in N - M..N - 1 {
            s[i] = mix(s[i], s[i + 1], s[i + M - N]);
        }
        s[N - 1] = mix(s[N - 1], s[0], s[M - 1]);
        for (o, &x) in self.out.iter_mut().zip(s.iter()) {
            *o = temper(x);
        }
        self.pos = 0;
    }

    /// The next tempered 32-bit word.
    #[inline]
    pub(crate) fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.refill();
        }
        let y = self.out[self.pos];
        self.pos += 1;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_outputs() {
        // init_genrand(5489), the reference implementation's default seed:
        // its first output is 3499211612, and the 10000th is 4123659995
        // (the C++ standard's check value for std::mt19937).
        let mut g = Mt19937::new(5489);
        assert_eq!(g.next_u32(), 3_499_211_612);
        let mut g = Mt19937::new(5489);
        let last = (0..10_000).map(|_| g.next_u32()).last().unwrap();
        assert_eq!(last, 4_123_659_995);
    }
}
