//! Times, ids and figures as the window shows them. Times as the user types
//! them are read by the core's [`parse_time_input`].

pub use process_workbench_core::actions::parse_time_input;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

/// A time in UTC as `2024-03-01 10:15:03` (second precision, sortable).
pub fn format_time(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.to_offset(UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| at.to_string())
}

/// A time as RFC 3339, for tooltips and copying.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// The last 8 hex digits of an id, after an ellipsis: enough to tell ids
/// apart on screen. (The first digits of a UUID v7 are its time, shared by
/// ids made close together; the last are random.)
pub fn short_id(id: Uuid) -> String {
    let text = id.simple().to_string();
    format!("\u{2026}{}", &text[text.len() - 8..])
}

/// A byte count for people: `512 B`, `64 KB`, `5.2 MB`.
pub fn format_bytes(bytes: usize) -> String {
    const KB: f64 = 1024.0;
    let value = bytes as f64;
    if value < KB {
        format!("{bytes} B")
    } else if value < KB * KB {
        format!("{:.0} KB", value / KB)
    } else {
        format!("{:.1} MB", value / (KB * KB))
    }
}

/// A count with thousands separators: `1,000,000`.
pub fn format_count(count: u64) -> String {
    let digits = count.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// How long something took, as precisely as a person reads it: `under 1 ms`,
/// `12 ms`, `1.4 s`. Sub-millisecond figures would only show noise.
pub fn format_took(took: std::time::Duration) -> String {
    let millis = took.as_secs_f64() * 1000.0;
    if millis < 1.0 {
        "under 1 ms".to_string()
    } else if millis < 1000.0 {
        format!("{millis:.0} ms")
    } else {
        format!("{:.1} s", millis / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn durations_are_shown_to_the_millisecond_at_most() {
        use std::time::Duration;
        assert_eq!(format_took(Duration::from_micros(400)), "under 1 ms");
        assert_eq!(format_took(Duration::from_micros(12_400)), "12 ms");
        assert_eq!(format_took(Duration::from_millis(1_440)), "1.4 s");
    }

    #[test]
    fn figures_are_readable() {
        assert_eq!(format_count(1_000_000), "1,000,000");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_bytes(5 * 1024 * 1024 + 300_000), "5.3 MB");
        assert_eq!(
            format_time(datetime!(2024-03-01 11:15:03 +1)),
            "2024-03-01 10:15:03"
        );
    }
}
