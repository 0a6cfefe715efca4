//! Deterministic ids of imported records, and the lenient reading of the
//! timestamps found in real logs.

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
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

/// A timestamp as a log writes it: with an offset, or a local time without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WrittenTime {
    /// The text names its offset (`Z`, `+01:00`, `+0100` …).
    Zoned(OffsetDateTime),
    /// The text names no offset: a reader cannot know the zone.
    Local(PrimitiveDateTime),
}

impl WrittenTime {
    /// The instant, a local time read at `offset`. A zoned time keeps its
    /// own offset; a local one is given in UTC, so that the same instant is
    /// stored the same whichever form of a log it came from.
    pub fn at(self, offset: UtcOffset) -> OffsetDateTime {
        match self {
            WrittenTime::Zoned(at) => at,
            WrittenTime::Local(local) => local.assume_offset(offset).to_offset(UtcOffset::UTC),
        }
    }
}

/// Reads a timestamp as real logs write them: RFC 3339, any ISO 8601 form,
/// a space instead of `T`, with or without an offset, or a date alone (a
/// local midnight).
pub(crate) fn read_time(text: &str) -> Option<WrittenTime> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(WrittenTime::Zoned(at));
    }
    let text = match text.as_bytes().get(10) {
        Some(b' ') => format!("{}T{}", &text[..10], text[11..].trim_start()),
        _ => text.to_string(),
    };
    if let Ok(at) = OffsetDateTime::parse(&text, &Iso8601::DEFAULT) {
        return Some(WrittenTime::Zoned(at));
    }
    if let Ok(at) = PrimitiveDateTime::parse(&text, &Iso8601::DEFAULT) {
        return Some(WrittenTime::Local(at));
    }
    if let Ok(date) = Date::parse(&text, &Iso8601::DEFAULT) {
        return Some(WrittenTime::Local(PrimitiveDateTime::new(
            date,
            Time::MIDNIGHT,
        )));
    }
    None
}

/// Reads a timestamp (see [`read_time`]); a time written without an offset
/// is taken at `offset` (the import's [`super::ImportOptions::utc_offset`]).
/// Importers that read times themselves use this one with their context's
/// offset (`Context::utc_offset`).
pub(crate) fn parse_time_in(text: &str, offset: UtcOffset) -> Option<OffsetDateTime> {
    read_time(text).map(|written| written.at(offset))
}

/// How `--utc-offset` and the import dialog write an offset: `+HH:MM`, `-HH:MM`.
const UTC_OFFSET_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");

/// Reads the offset of times written without one, as the CLI's `--utc-offset`
/// and the import dialog take it: `Z`, `+HH:MM` or `-HH:MM` (hours up to 23).
pub fn parse_utc_offset(text: &str) -> Result<UtcOffset, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("z") {
        return Ok(UtcOffset::UTC);
    }
    UtcOffset::parse(text, UTC_OFFSET_FORMAT)
        .ok()
        .filter(|offset| offset.whole_hours().abs() <= 23)
        .ok_or_else(|| {
            format!("'{text}' is not a UTC offset: write Z, +HH:MM or -HH:MM (e.g. +01:00)")
        })
}

/// The text [`parse_utc_offset`] reads: `+HH:MM` or `-HH:MM` (UTC is `+00:00`).
pub fn format_utc_offset(offset: UtcOffset) -> String {
    offset
        .format(UTC_OFFSET_FORMAT)
        .unwrap_or_else(|_| offset.to_string())
}

/// RFC 3339 text of a time.
pub(crate) fn format_time(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A time without an offset read as UTC.
    fn parse_time(text: &str) -> Option<OffsetDateTime> {
        parse_time_in(text, UtcOffset::UTC)
    }

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

    #[test]
    fn local_times_are_read_at_the_given_offset() {
        let plus_one = UtcOffset::from_hms(1, 0, 0).expect("offset");
        let local = parse_time_in("2022-02-03T07:30:00", plus_one);
        assert_eq!(
            local.map(format_time).as_deref(),
            Some("2022-02-03T06:30:00Z")
        );
        assert_eq!(
            parse_time_in("2022-02-03 07:30", plus_one).map(format_time),
            local.map(format_time)
        );
        // A time with an offset is never shifted.
        for zoned in ["2022-02-03T06:30:00+00:00", "2022-02-03T06:30:00Z"] {
            assert_eq!(parse_time_in(zoned, plus_one), local, "{zoned}");
        }
        assert_eq!(
            parse_time_in("2022-02-03T07:30:00+01:00", plus_one)
                .map(format_time)
                .as_deref(),
            Some("2022-02-03T07:30:00+01:00")
        );
        assert_eq!(
            parse_time("2022-02-03T07:30:00")
                .map(format_time)
                .as_deref(),
            Some("2022-02-03T07:30:00Z")
        );
    }

    #[test]
    fn utc_offsets_are_read_strictly() {
        assert_eq!(parse_utc_offset("Z"), Ok(UtcOffset::UTC));
        assert_eq!(parse_utc_offset("+00:00"), Ok(UtcOffset::UTC));
        assert_eq!(
            parse_utc_offset(" -05:30 "),
            Ok(UtcOffset::from_hms(-5, -30, 0).expect("offset"))
        );
        for offset in ["+01:00", "-05:30", "+00:00", "+14:00"] {
            let parsed = parse_utc_offset(offset).expect(offset);
            assert_eq!(format_utc_offset(parsed), offset);
        }
        for bad in [
            "", "1", "+1", "+01", "+0100", "01:00", "+24:00", "+01:60", "+a1:00", "CET", "++1:00",
        ] {
            let error = parse_utc_offset(bad).expect_err(bad);
            assert!(!error.contains('\n'), "{error}");
        }
    }
}
