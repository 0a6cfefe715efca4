//! The simulation's pending messages, earliest first.
//!
//! A message is due hours or days after it is scheduled, so tens of
//! thousands wait at a time, and a binary heap of all of them took 3 % of
//! the demo's engine thread to pop: every pop walked a path of cold cache
//! lines through it. Here only the messages of the current hour are in a
//! heap (a few hundred, which stay in the cache); later ones wait in a
//! bucket per hour and come into the heap when their hour does.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::engine::InboundMessage;

/// Width of a bucket, in nanoseconds: one simulated hour.
const BUCKET_NANOS: i64 = 3_600_000_000_000;

/// Pending messages in the order of their time and, at equal times, of
/// their scheduling.
#[derive(Default)]
pub(super) struct MessageQueue {
    /// The messages due before `window_end`, earliest first.
    near: BinaryHeap<Reverse<Pending>>,
    /// Nanoseconds; no message in `far` is due before it.
    window_end: i64,
    /// The messages due at or after `window_end`, by the hour they are due in.
    far: BTreeMap<i64, Vec<Pending>>,
    /// How many messages were scheduled: orders those due at the same time.
    scheduled: u64,
}

impl MessageQueue {
    /// Adds `message`, due at `nanos`.
    pub fn push(&mut self, nanos: i64, message: InboundMessage) {
        self.scheduled += 1;
        let pending = Pending {
            nanos,
            sequence: self.scheduled,
            message: Box::new(message),
        };
        if nanos < self.window_end {
            self.near.push(Reverse(pending));
        } else {
            self.far
                .entry(nanos.div_euclid(BUCKET_NANOS))
                .or_default()
                .push(pending);
            self.refill();
        }
    }

    /// When the earliest message is due (nanoseconds).
    pub fn next_due(&self) -> Option<i64> {
        self.near.peek().map(|Reverse(pending)| pending.nanos)
    }

    /// Takes the earliest message.
    pub fn pop(&mut self) -> Option<InboundMessage> {
        let Reverse(pending) = self.near.pop()?;
        self.refill();
        Some(*pending.message)
    }

    /// Keeps the earliest message in `near`: when that is empty, the
    /// earliest bucket moves in and the window ends with its hour.
    fn refill(&mut self) {
        if !self.near.is_empty() {
            return;
        }
        if let Some((hour, bucket)) = self.far.pop_first() {
            self.window_end = (hour + 1).saturating_mul(BUCKET_NANOS);
            self.near.extend(bucket.into_iter().map(Reverse));
        }
    }
}

/// A message and its place in the queue.
struct Pending {
    nanos: i64,
    sequence: u64,
    message: Box<InboundMessage>,
}

impl Pending {
    fn key(&self) -> (i64, u64) {
        (self.nanos, self.sequence)
    }
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: u128) -> InboundMessage {
        InboundMessage {
            message_id: uuid::Uuid::from_u128(id),
            message_type: "Ping".to_string(),
            process_type: None,
            stream_id: None,
            correlation_key: None,
            dedup_key: None,
            sender: None,
            causation_id: None,
            correlation_id: None,
            payload: serde_json::Value::Null,
            received_at: time::OffsetDateTime::UNIX_EPOCH,
            metadata: serde_json::Value::Null,
        }
    }

    #[test]
    fn messages_come_out_by_time_then_by_scheduling_across_hours() {
        let hour = BUCKET_NANOS;
        let mut queue = MessageQueue::default();
        // (due, id): pushed out of order, some at equal times, some in
        // hours far apart, one before the window once it has moved on.
        let pushes = [
            (5 * hour + 10, 1),
            (hour / 2, 2),
            (5 * hour + 10, 3),
            (-hour, 4),
            (40 * hour, 5),
            (hour / 2, 6),
        ];
        for (due, id) in pushes {
            queue.push(due, message(id));
        }
        let mut taken = Vec::new();
        while let Some(next) = queue.next_due() {
            let popped = queue.pop().unwrap().message_id.as_u128();
            taken.push((next, popped));
            if popped == 6 {
                queue.push(hour, message(7));
                queue.push(5 * hour + 10, message(8));
            }
        }
        assert_eq!(
            taken,
            [
                (-hour, 4),
                (hour / 2, 2),
                (hour / 2, 6),
                (hour, 7),
                (5 * hour + 10, 1),
                (5 * hour + 10, 3),
                (5 * hour + 10, 8),
                (40 * hour, 5),
            ]
        );
        assert!(queue.pop().is_none());
    }
}
