//! The JSON of event and stream records, written straight into a buffer.
//!
//! Byte for byte what `serde_json::to_writer(out, &record)` writes (tests
//! hold the two together), at a fraction of its cost: serde_json checks
//! every byte of every string against its escape table and walks the
//! payload's maps through its generic serializer. Encoding the events was
//! 8 % of the demo's engine thread that way, and the stream records 2 %.
//! Here ids, times and names, which never need escaping, are written as they
//! are; other strings are checked for a byte that needs escaping in one pass
//! and copied whole, and only a string that has one goes through serde_json.

use std::io::Write;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::records::{Event, StreamInfo};

/// Appends `event` as JSON to `out`, as its `Serialize` derive would.
pub fn write_event(out: &mut Vec<u8>, event: &Event) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"{\"event_id\":");
    write_uuid(out, &event.event_id);
    out.extend_from_slice(b",\"stream_id\":");
    write_str(out, &event.stream_id)?;
    out.extend_from_slice(b",\"version\":");
    write_u64(out, event.version);
    out.extend_from_slice(b",\"position\":");
    write_u64(out, event.position);
    out.extend_from_slice(b",\"event_type\":");
    write_str(out, &event.event_type)?;
    out.extend_from_slice(b",\"occurred_at\":");
    write_time(out, event.occurred_at)?;
    out.extend_from_slice(b",\"recorded_at\":");
    write_time(out, event.recorded_at)?;
    out.extend_from_slice(b",\"correlation_id\":");
    write_optional_uuid(out, event.correlation_id.as_ref());
    out.extend_from_slice(b",\"causation_id\":");
    write_optional_uuid(out, event.causation_id.as_ref());
    if !event.other_causes.is_empty() {
        out.extend_from_slice(b",\"other_causes\":[");
        for (index, cause) in event.other_causes.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_uuid(out, cause);
        }
        out.push(b']');
    }
    if !event.other_streams.is_empty() {
        out.extend_from_slice(b",\"other_streams\":[");
        for (index, member) in event.other_streams.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"stream_id\":");
            write_str(out, &member.stream_id)?;
            out.extend_from_slice(b",\"version\":");
            write_u64(out, member.version);
            out.push(b'}');
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"payload\":");
    write_value(out, &event.payload)?;
    out.extend_from_slice(b",\"metadata\":");
    write_value(out, &event.metadata)?;
    out.push(b'}');
    Ok(())
}

/// Appends `info` as JSON to `out`, as its `Serialize` derive would.
pub fn write_stream(out: &mut Vec<u8>, info: &StreamInfo) -> Result<(), serde_json::Error> {
    out.extend_from_slice(b"{\"stream_id\":");
    write_str(out, &info.stream_id)?;
    out.extend_from_slice(b",\"process_type\":");
    write_str(out, &info.process_type)?;
    out.extend_from_slice(b",\"status\":\"");
    out.extend_from_slice(info.status.as_str().as_bytes());
    out.extend_from_slice(b"\",\"process_state\":");
    write_optional_str(out, info.process_state.as_deref())?;
    out.extend_from_slice(b",\"version\":");
    write_u64(out, info.version);
    out.extend_from_slice(b",\"created_at\":");
    write_time(out, info.created_at)?;
    out.extend_from_slice(b",\"updated_at\":");
    write_time(out, info.updated_at)?;
    out.extend_from_slice(b",\"last_error\":");
    write_optional_str(out, info.last_error.as_deref())?;
    out.extend_from_slice(b",\"correlation_id\":");
    write_optional_uuid(out, info.correlation_id.as_ref());
    // As `hex_u128` writes it.
    write!(out, ",\"variant\":\"{:032x}\"", info.variant).map_err(serde_json::Error::io)?;
    out.extend_from_slice(b",\"metadata\":");
    write_value(out, &info.metadata)?;
    out.push(b'}');
    Ok(())
}

/// A JSON value as serde_json writes it compactly.
fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), serde_json::Error> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => match number.as_u64() {
            Some(number) => write_u64(out, number),
            // Negative and fractional numbers: serde_json's own formatting.
            None => serde_json::to_writer(&mut *out, number)?,
        },
        Value::String(text) => write_str(out, text)?,
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        Value::Object(fields) => {
            out.push(b'{');
            for (index, (key, item)) in fields.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_str(out, key)?;
                out.push(b':');
                write_value(out, item)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// A JSON string. Most strings need no escaping; those that do are left to serde_json.
fn write_str(out: &mut Vec<u8>, text: &str) -> Result<(), serde_json::Error> {
    // One pass without an early exit, so that the compiler can check many
    // bytes at once.
    let needs_escape = text.bytes().fold(false, |found, byte| {
        found | (byte < 0x20) | (byte == b'"') | (byte == b'\\')
    });
    if needs_escape {
        return serde_json::to_writer(&mut *out, text);
    }
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
    Ok(())
}

fn write_u64(out: &mut Vec<u8>, number: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
}

/// A UUID as serde writes it into human-readable formats: hyphenated, lower case.
fn write_uuid(out: &mut Vec<u8>, id: &Uuid) {
    let mut text = Uuid::encode_buffer();
    out.push(b'"');
    out.extend_from_slice(id.hyphenated().encode_lower(&mut text).as_bytes());
    out.push(b'"');
}

fn write_optional_str(out: &mut Vec<u8>, text: Option<&str>) -> Result<(), serde_json::Error> {
    match text {
        Some(text) => write_str(out, text),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

fn write_optional_uuid(out: &mut Vec<u8>, id: Option<&Uuid>) {
    match id {
        Some(id) => write_uuid(out, id),
        None => out.extend_from_slice(b"null"),
    }
}

/// A time as `time::serde::rfc3339` writes it. A time in UTC (every time
/// the engine writes) is put together here; anything else is formatted by
/// `time`.
fn write_time(out: &mut Vec<u8>, at: OffsetDateTime) -> Result<(), serde_json::Error> {
    out.push(b'"');
    if at.offset().is_utc() && (0..=9999).contains(&at.year()) {
        let year = at.year().unsigned_abs();
        let (hour, minute, second) = at.to_hms();
        write_two_digits(out, year / 100);
        write_two_digits(out, year % 100);
        for (separator, value) in [
            (b'-', u8::from(at.month())),
            (b'-', at.day()),
            (b'T', hour),
            (b':', minute),
            (b':', second),
        ] {
            out.push(separator);
            write_two_digits(out, u32::from(value));
        }
        write_fraction(out, at.nanosecond());
        out.push(b'Z');
    } else {
        let text = at.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
        out.extend_from_slice(text.as_bytes());
    }
    out.push(b'"');
    Ok(())
}

/// The fraction of a second as `time` writes it: nothing for none, else a
/// point and nine digits without their trailing zeros.
fn write_fraction(out: &mut Vec<u8>, nanos: u32) {
    if nanos == 0 {
        return;
    }
    let mut digits = [b'0'; 9];
    let mut rest = nanos;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let significant = digits
        .iter()
        .rposition(|&digit| digit != b'0')
        .map_or(0, |last| last + 1);
    out.push(b'.');
    out.extend_from_slice(&digits[..significant]);
}

/// `value` (below 100) with a leading zero.
fn write_two_digits(out: &mut Vec<u8>, value: u32) {
    let [tens, ones] = [value / 10, value % 10].map(|digit| b'0' + digit as u8);
    out.extend_from_slice(&[tens, ones]);
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::store::{StreamStatus, StreamVersion};

    /// What serde_json writes for `record`, and what `write` does.
    fn serde_and<T: serde::Serialize>(
        record: &T,
        write: fn(&mut Vec<u8>, &T) -> Result<(), serde_json::Error>,
    ) -> (String, String) {
        let mut ours = Vec::new();
        write(&mut ours, record).unwrap();
        (
            serde_json::to_string(record).unwrap(),
            String::from_utf8(ours).unwrap(),
        )
    }

    fn serde_and_ours(event: &Event) -> (String, String) {
        serde_and(event, write_event)
    }

    fn event(payload: Value) -> Event {
        Event {
            event_id: Uuid::from_u128(0x019f_d6c7_b4c0_7556_975b_c3d7_d0be_2bc1),
            stream_id: "switch-000001".to_string(),
            version: 2,
            position: 5,
            event_type: "GridResponseOverdue".to_string(),
            occurred_at: datetime!(2026-08-06 11:14:00 UTC),
            recorded_at: datetime!(2026-08-06 11:14:00 UTC),
            correlation_id: Some(Uuid::from_u128(7)),
            causation_id: None,
            other_causes: Vec::new(),
            other_streams: Vec::new(),
            payload,
            metadata: json!({ "sender": "9910259512760", "from_state": "requested" }),
        }
    }

    #[test]
    fn an_engine_event_is_written_as_serde_writes_it() {
        let event = event(json!({
            "malo_id": "59052152618", "value_kwh": 1161, "amount_eur": 665.34,
            "read_at": "2026-08-06", "melo_id": null, "final": true,
        }));
        let (serde, ours) = serde_and_ours(&event);
        assert_eq!(ours, serde);
    }

    #[test]
    fn strings_that_need_escaping_numbers_and_nesting_are_written_as_serde_writes_them() {
        let mut event = event(json!({
            "quote \"inside\"": "back\\slash and \"quotes\"",
            "control": "tab\there\nnew line\r\u{0001}\u{001f}\u{0008}\u{000c}",
            "unicode": "Zählerstand € ✓ 🚀 \u{007f} \u{2028}",
            "numbers": [0, -1, i64::MIN, u64::MAX, 1.5, -0.0, 1e300, 2.5e-8, 100.0],
            "nested": { "empty_object": {}, "empty_array": [], "deeper": [[{ "x": null }]] },
            "": false,
        }));
        event.metadata = json!(["a", 1, null]);
        event.stream_id = "stream with \"quote\"".to_string();
        let (serde, ours) = serde_and_ours(&event);
        assert_eq!(ours, serde);
    }

    #[test]
    fn links_to_other_causes_and_streams_are_written_as_serde_writes_them() {
        let mut event = event(Value::Null);
        event.causation_id = Some(Uuid::max());
        event.other_causes = vec![Uuid::nil(), Uuid::from_u128(42)];
        event.other_streams = vec![
            StreamVersion {
                stream_id: "order-1".to_string(),
                version: 3,
            },
            StreamVersion {
                stream_id: "item\t2".to_string(),
                version: 1,
            },
        ];
        event.metadata = Value::Null;
        let (serde, ours) = serde_and_ours(&event);
        assert_eq!(ours, serde);
    }

    #[test]
    fn times_of_every_kind_are_written_as_serde_writes_them() {
        for at in [
            datetime!(2026-01-01 00:00:00 UTC),
            datetime!(2026-12-31 23:59:59 UTC),
            datetime!(0001-02-03 04:05:06 UTC),
            datetime!(0999-10-09 09:09:09 UTC),
            datetime!(9999-12-31 23:59:59 UTC),
            datetime!(2026-08-06 11:14:00.5 UTC),
            datetime!(2026-08-03 06:55:31.8 UTC),
            datetime!(2026-08-03 06:55:31.123456789 UTC),
            datetime!(2026-08-03 06:55:31.12 UTC),
            datetime!(2026-08-03 06:55:31.000100 UTC),
            datetime!(2026-08-06 11:14:00.000000001 UTC),
            datetime!(2026-08-06 11:14:00 +02:00),
            datetime!(2026-08-06 11:14:00.25 -05:30),
        ] {
            let mut event = event(json!({}));
            event.occurred_at = at;
            event.recorded_at = at;
            let (serde, ours) = serde_and_ours(&event);
            assert_eq!(ours, serde, "{at}");
        }
    }

    #[test]
    fn stream_records_are_written_as_serde_writes_them() {
        let mut info = StreamInfo {
            stream_id: "switch-000001".to_string(),
            process_type: "supplier_switch".to_string(),
            status: StreamStatus::Running,
            process_state: Some("requested".to_string()),
            version: 3,
            created_at: datetime!(2026-08-06 11:14:00 UTC),
            updated_at: datetime!(2026-08-07 09:00:00.25 +02:00),
            last_error: None,
            correlation_id: Some(Uuid::from_u128(7)),
            variant: 0x0123_4567_89ab_cdef_0000_0000_0000_00ff,
            metadata: Value::Null,
        };
        let check = |info: &StreamInfo| {
            let (serde, ours) = serde_and(info, write_stream);
            assert_eq!(ours, serde);
        };
        check(&info);
        info.status = StreamStatus::Failed;
        info.process_state = None;
        info.last_error = Some("DeliveryFailed moved the process to \"failed\"\n".to_string());
        info.correlation_id = None;
        info.variant = u128::MAX;
        info.metadata = json!({ "origin": "import", "attributes": { "concept:name": "A" } });
        check(&info);
        info.status = StreamStatus::Completed;
        info.variant = 0;
        check(&info);
    }

    #[test]
    fn a_time_serde_cannot_write_fails_as_serde_fails() {
        let mut event = event(json!({}));
        event.occurred_at = datetime!(-0001-01-01 00:00:00 UTC);
        assert!(serde_json::to_string(&event).is_err());
        assert!(write_event(&mut Vec::new(), &event).is_err());
    }
}
