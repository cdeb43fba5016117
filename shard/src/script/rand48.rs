//! Redis's math.random generator (rand.c): the 48-bit linear congruential generator of
//! lrand48, so that scripts see the same sequence on every platform.

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// REDIS_LRAND48_MAX.
const MAX: u64 = i32::MAX as u64;

#[derive(Clone, Copy, Debug)]
pub struct Rand48(u64);

impl Default for Rand48 {
    /// The state before any seeding (X2 X1 X0 = 0x1234 0xABCD 0x330E).
    fn default() -> Self {
        Rand48(0x1234_ABCD_330E)
    }
}

impl Rand48 {
    /// redisSrand48: the seed's low 32 bits become the high bits of the state.
    pub fn seed(&mut self, seed: i32) {
        self.0 = ((seed as u32 as u64) << 16) | 0x330E;
    }

    /// redisLrand48: the next 31-bit value.
    pub fn next(&mut self) -> u32 {
        self.0 = (A.wrapping_mul(self.0).wrapping_add(C)) & MASK;
        (self.0 >> 17) as u32
    }

    /// The number in [0, 1) math.random() builds from the next value.
    pub fn next_unit(&mut self) -> f64 {
        (u64::from(self.next()) % MAX) as f64 / MAX as f64
    }
}
