//! The few header fields of a stored event that an analysis needs (stream,
//! version, event type, time), read without decoding the rest of the record:
//! the bulk reading beside [`super::EventRecord`], kept in the store because
//! it relies on the order in which the store writes an event's fields.
//!
//! A bulk analysis reads every event of the store; a full decode would spend
//! most of its time skipping payloads it never looks at. The fast path reads
//! the record's top-level fields from the start and stops as soon as it has
//! the ones asked for (the writer puts them before the payload). Anything it
//! does not expect — an escaped string, a nested value before the fields, a
//! time in another form — sends the record to serde ([`decode_slow`]), which
//! reads any valid record whatever the order of its fields.

use std::borrow::Cow;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{StoreError, rfc3339};

/// What an analysis reads of one event. Text stays bytes (UTF-8 as stored,
/// checked by the reader when it keeps a new name): a bulk reader compares
/// names far more often than it keeps one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// Empty unless asked for.
    pub stream_id: Cow<'a, [u8]>,
    /// 0 unless asked for.
    pub version: u64,
    pub event_type: Cow<'a, [u8]>,
    /// Unix nanoseconds.
    pub occurred_at: i64,
}

/// Reads the header of an event record; `with_stream` also reads its stream
/// and version. `place` names the record in an error.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    with_stream: bool,
    place: impl FnOnce() -> String,
) -> Result<Header<'a>, StoreError> {
    match decode_fast(bytes, with_stream) {
        Some(header) => Ok(header),
        None => decode_slow(bytes, place),
    }
}

/// The serde reading of the fields: any valid record, fields in any order.
fn decode_slow<'a>(
    bytes: &'a [u8],
    place: impl FnOnce() -> String,
) -> Result<Header<'a>, StoreError> {
    #[derive(Deserialize)]
    struct Fields<'a> {
        #[serde(borrow)]
        stream_id: Cow<'a, str>,
        version: u64,
        #[serde(borrow)]
        event_type: Cow<'a, str>,
        #[serde(with = "rfc3339")]
        occurred_at: OffsetDateTime,
    }
    let fields: Fields = serde_json::from_slice(bytes)
        .map_err(|error| StoreError::Corrupt(format!("{}: {error}", place())))?;
    Ok(Header {
        stream_id: bytes_of(fields.stream_id),
        version: fields.version,
        event_type: bytes_of(fields.event_type),
        occurred_at: nanos(fields.occurred_at),
    })
}

fn bytes_of(text: Cow<'_, str>) -> Cow<'_, [u8]> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    }
}

/// Unix nanoseconds of a time, saturating outside ±292 years of 1970.
fn nanos(at: OffsetDateTime) -> i64 {
    let nanos = at.unix_timestamp_nanos();
    nanos.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// The fast path: `None` when the record is not in the plain form it expects.
fn decode_fast(bytes: &[u8], with_stream: bool) -> Option<Header<'_>> {
    let mut scanner = Scanner { bytes, at: 0 };
    let mut stream_id = None;
    let mut version = None;
    let mut event_type = None;
    let mut occurred_at = None;
    scanner.skip_space();
    scanner.expect(b'{')?;
    loop {
        scanner.skip_space();
        let key = scanner.plain_string()?;
        scanner.skip_space();
        scanner.expect(b':')?;
        scanner.skip_space();
        match key {
            b"stream_id" if with_stream => stream_id = Some(scanner.plain_string()?),
            b"version" if with_stream => version = Some(scanner.unsigned()?),
            b"event_type" => event_type = Some(scanner.plain_string()?),
            b"occurred_at" => occurred_at = Some(parse_rfc3339(scanner.plain_string()?)?),
            _ => scanner.skip_scalar()?,
        }
        if let (Some(event_type), Some(occurred_at)) = (event_type, occurred_at) {
            if !with_stream {
                return Some(Header {
                    stream_id: Cow::Borrowed(b""),
                    version: 0,
                    event_type: Cow::Borrowed(event_type),
                    occurred_at,
                });
            }
            if let (Some(stream_id), Some(version)) = (stream_id, version) {
                return Some(Header {
                    stream_id: Cow::Borrowed(stream_id),
                    version,
                    event_type: Cow::Borrowed(event_type),
                    occurred_at,
                });
            }
        }
        scanner.skip_space();
        scanner.expect(b',')?;
    }
}

/// A cursor over the bytes of a record.
struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// A string without escapes (or control characters): its bytes.
    fn plain_string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.at;
        let length = self.bytes[start..]
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
        let end = start + length;
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        Some(&self.bytes[start..end])
    }

    fn unsigned(&mut self) -> Option<u64> {
        let start = self.at;
        let mut value: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
            self.at += 1;
        }
        (self.at > start).then_some(value)
    }

    /// Skips a string, number, `true`, `false` or `null`; `None` on an object
    /// or array (left to serde).
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.at += 1;
                loop {
                    let length = self.bytes[self.at..]
                        .iter()
                        .position(|&byte| byte == b'"' || byte == b'\\')?;
                    self.at += length;
                    if self.bytes[self.at] == b'"' {
                        self.at += 1;
                        return Some(());
                    }
                    self.at += 2;
                }
            }
            b'-' | b'0'..=b'9' => {
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.at += 1;
                }
                Some(())
            }
            b'n' | b't' | b'f' => {
                while matches!(self.peek(), Some(b'a'..=b'z')) {
                    self.at += 1;
                }
                Some(())
            }
            _ => None,
        }
    }
}

/// Unix nanoseconds of an RFC 3339 time. The plain form the store writes
/// (`2012-10-09T14:50:17.25Z`, `…+02:00`) is read directly, anything else by
/// the `time` crate; `None` when it is not RFC 3339.
fn parse_rfc3339(text: &[u8]) -> Option<i64> {
    parse_plain(text).or_else(|| {
        let text = std::str::from_utf8(text).ok()?;
        OffsetDateTime::parse(text, &Rfc3339).ok().map(nanos)
    })
}

fn parse_plain(text: &[u8]) -> Option<i64> {
    fn digits(text: &[u8], from: usize, count: usize) -> Option<i64> {
        let mut value = 0i64;
        for &byte in text.get(from..from + count)? {
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(byte - b'0');
        }
        Some(value)
    }
    if text.len() < 20
        || text[4] != b'-'
        || text[7] != b'-'
        || !matches!(text[10], b'T' | b't')
        || text[13] != b':'
        || text[16] != b':'
    {
        return None;
    }
    let year = digits(text, 0, 4)?;
    let month = digits(text, 5, 2)?;
    let day = digits(text, 8, 2)?;
    let hour = digits(text, 11, 2)?;
    let minute = digits(text, 14, 2)?;
    let second = digits(text, 17, 2)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        // (a leap second, `:60`, is left to the time crate)
        return None;
    }
    let mut at = 19;
    let mut fraction = 0i64;
    if text[at] == b'.' {
        at += 1;
        let start = at;
        while at < text.len() && text[at].is_ascii_digit() {
            if at - start < 9 {
                fraction = fraction * 10 + i64::from(text[at] - b'0');
            }
            at += 1;
        }
        let count = at - start;
        if count == 0 {
            return None;
        }
        for _ in count..9 {
            fraction *= 10;
        }
    }
    let offset = match text.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let hours = digits(rest, 0, 2)?;
            let minutes = digits(rest, 3, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    seconds.checked_mul(1_000_000_000)?.checked_add(fraction)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn slow(text: &str) -> Option<i64> {
        OffsetDateTime::parse(text, &Rfc3339).ok().map(nanos)
    }

    #[test]
    fn plain_times_read_as_the_time_crate_reads_them() {
        for text in [
            "2012-10-09T14:50:17Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "2000-02-29T12:00:00.5+02:00",
            "2026-12-07T11:55:37.123456789-07:30",
            "1700-03-01T00:00:00.000001Z",
            "2200-12-31T23:59:59.1234567891Z",
        ] {
            assert_eq!(parse_plain(text.as_bytes()), slow(text), "{text}");
            assert_eq!(parse_rfc3339(text.as_bytes()), slow(text), "{text}");
        }
        for text in [
            "2012-02-30T00:00:00Z",
            "2012-10-09 14:50:17Z",
            "2012-10-09T14:50:17",
        ] {
            assert_eq!(parse_plain(text.as_bytes()), None, "{text}");
        }
        assert_eq!(
            parse_rfc3339(b"2016-12-31T23:59:60Z"),
            slow("2016-12-31T23:59:60Z")
        );
    }

    #[test]
    fn the_fast_path_and_serde_agree_and_odd_records_go_to_serde() {
        let record = json!({
            "event_id": "x", "stream_id": "Case 1", "version": 3, "position": 9,
            "event_type": "Resolve ticket", "occurred_at": "2012-10-09T14:50:17.5Z",
            "payload": {"a": [1, 2]}, "metadata": null
        });
        let bytes = serde_json::to_vec(&record).expect("encode");
        let fast = decode_fast(&bytes, true).expect("plain record");
        assert_eq!(fast, decode_slow(&bytes, String::new).expect("serde"));
        assert_eq!(fast.stream_id.as_ref(), b"Case 1");
        assert_eq!(fast.version, 3);

        // Escapes, and the payload before the header: serde reads them.
        let odd = br#"{"payload": {"x": 1}, "stream_id": "a\"b", "version": 1,
            "event_type": "T", "occurred_at": "yesterday"}"#;
        assert_eq!(decode_fast(odd, true), None);
        let error = decode(odd, true, || "the odd one".to_string()).expect_err("not rfc 3339");
        assert!(error.to_string().contains("the odd one"), "{error}");
        let escaped = br#"{"stream_id": "a\"b", "version": 1, "event_type": "T", "occurred_at": "2012-10-09T14:50:17Z"}"#;
        let header = decode(escaped, true, String::new).expect("serde reads it");
        assert_eq!(header.stream_id.as_ref(), b"a\"b");
    }
}
