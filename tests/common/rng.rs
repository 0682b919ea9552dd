//! Reproducible randomness for the tests that pick random moments or
//! inputs: a printed seed replays a run.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// xorshift64.
pub struct Rng(pub u64);

impl Rng {
    /// `MINSHENG_SEED` if set, else one from the clock; never zero.
    pub fn seed() -> u64 {
        std::env::var("MINSHENG_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            })
            | 1
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// In `lo..hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
    /// In `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
