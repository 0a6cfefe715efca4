//! Deterministic ids of imported records, and the lenient reading of the
//! timestamps found in real logs.

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};
use uuid::Uuid;

/// A family of UUID v8 ids: 60 bits of a hash of what identifies the import,
/// then a sequence number. Ids of one import are distinct, sort in the order
/// they were made (so redb inserts them at the end of its index, which is
/// fast), and the same input into the same store state gives the same ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdSpace {
    prefix: u64,
}

impl IdSpace {
    /// A space named by `parts` (format, log identity, what the ids are for, salt …).
    pub fn new(parts: &[&[u8]]) -> Self {
        let mut bytes = Vec::new();
        for part in parts {
            bytes.extend_from_slice(part);
            bytes.push(0x1f);
        }
        let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
        IdSpace { prefix: hash }
    }

    /// The `sequence`-th id of this space (sequence below 2^62).
    pub fn id(&self, sequence: u64) -> Uuid {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.prefix.to_be_bytes());
        bytes[8..].copy_from_slice(&sequence.to_be_bytes());
        // The version nibble (byte 6) and the variant bits (byte 8) are
        // overwritten: the hash keeps 60 bits, the sequence 62.
        uuid::Builder::from_custom_bytes(bytes).into_uuid()
    }
}

/// Reads a timestamp as real logs write them: RFC 3339, any ISO 8601 form,
/// a space instead of `T`, no offset (taken as UTC), or a date alone.
pub(crate) fn parse_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at);
    }
    let text = match text.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &text[..10], text[11..].trim_start()),
        _ => text.to_string(),
    };
    if let Ok(at) = OffsetDateTime::parse(&text, &Iso8601::DEFAULT) {
        return Some(at);
    }
    if let Ok(at) = PrimitiveDateTime::parse(&text, &Iso8601::DEFAULT) {
        return Some(at.assume_utc());
    }
    if let Ok(date) = Date::parse(&text, &Iso8601::DEFAULT) {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc());
    }
    None
}

/// RFC 3339 text of a time.
pub(crate) fn format_time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v8_distinct_and_ordered() {
        let space = IdSpace::new(&[b"xes", b"log", b"0"]);
        let first = space.id(1);
        let second = space.id(2);
        assert_eq!(first.get_version_num(), 8);
        assert!(first < second);
        assert_eq!(space.id(1), first);
        assert_ne!(IdSpace::new(&[b"xes", b"log", b"1"]).id(1), first);
    }

    #[test]
    fn real_log_timestamps_are_read() {
        for text in [
            "2010-12-30T14:32:00.000+01:00",
            "2012-10-09T14:50:17+00:00",
            "2011-10-01T00:38:44.546Z",
            "2011-10-01T00:38:44",
            "2019-05-20 09:07:47",
            "2019-05-20T09:07:47.1234567+0100",
            "2020-01-01",
        ] {
            assert!(parse_time(text).is_some(), "{text}");
        }
        for text in ["", "yesterday", "2020-13-01T00:00:00Z", "1"] {
            assert!(parse_time(text).is_none(), "{text}");
        }
        let at = parse_time("2010-12-30T14:32:00.000+01:00");
        assert_eq!(
            at.map(format_time).as_deref(),
            Some("2010-12-30T14:32:00+01:00")
        );
    }
}
