//! Where the engine's ids come from: UUID v7, from the system or from a seed.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::OffsetDateTime;
use uuid::Uuid;

/// A source of UUID v7 ids.
pub enum IdSource {
    /// The system clock and randomness.
    System,
    /// The given time and a seeded generator: the same seed gives the same ids.
    Seeded(Box<ChaCha8Rng>),
}

impl IdSource {
    /// A deterministic source.
    pub fn seeded(seed: u64) -> Self {
        IdSource::Seeded(Box::new(ChaCha8Rng::seed_from_u64(seed)))
    }

    /// The next id; seeded ids carry `at` as their timestamp.
    pub fn next(&mut self, at: OffsetDateTime) -> Uuid {
        match self {
            IdSource::System => Uuid::now_v7(),
            IdSource::Seeded(rng) => {
                let mut random = [0u8; 10];
                rng.fill_bytes(&mut random);
                let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
                uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
            }
        }
    }
}
