//! Times as people type them, read by one rule for the window and the CLI.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// Parses a time a user typed: RFC 3339, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or
/// `YYYY-MM-DD HH:MM:SS` (the last three in UTC).
pub fn parse_time_input(text: &str) -> Result<OffsetDateTime, String> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let with_seconds = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    if let Ok(at) = PrimitiveDateTime::parse(text, &with_seconds) {
        return Ok(at.assume_utc());
    }
    let with_minutes = format_description!("[year]-[month]-[day] [hour]:[minute]");
    if let Ok(at) = PrimitiveDateTime::parse(text, &with_minutes) {
        return Ok(at.assume_utc());
    }
    let day = format_description!("[year]-[month]-[day]");
    if let Ok(date) = Date::parse(text, &day) {
        return Ok(date.midnight().assume_utc());
    }
    Err(format!(
        "{text:?} is not a time: use 2024-03-01, 2024-03-01 10:15 or RFC 3339 (2024-03-01T10:15:00Z)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_the_user_types_are_read_in_utc() {
        let expected = datetime!(2024-03-01 10:15 UTC);
        assert_eq!(parse_time_input("2024-03-01 10:15"), Ok(expected));
        assert_eq!(
            parse_time_input(" 2024-03-01T11:15:00+01:00 "),
            Ok(expected)
        );
        assert_eq!(
            parse_time_input("2024-03-01"),
            Ok(datetime!(2024-03-01 0:00 UTC))
        );
        assert!(parse_time_input("yesterday").is_err());
    }
}
