//! CSV event logs: one event a row, a header of column names, as pandas and
//! pm4py write them.
//!
//! Three columns say what an event is ([`CsvMapping`]): its case (the stream),
//! its activity (the event type) and its timestamp; they default to the XES
//! names `case:concept:name`, `concept:name` and `time:timestamp`. Every
//! other column is kept: a `case:`-prefixed one as an attribute of the case
//! (the stream's metadata, without the prefix, from the case's first row),
//! any other as an attribute of the event (its payload, under the column's
//! name). A column that holds only integers gives numbers, one that holds only
//! numbers gives floats (as pandas reads them); empty cells are left out.
//! Timestamps are read as pandas reads them: ISO 8601 with `T` or a space,
//! with or without an offset (none means UTC), or a date alone.
//!
//! A case's events are ordered by time, rows of equal time in file order (as
//! pm4py's `format_dataframe` sorts them); cases come in the order of their
//! first row. The delimiter is found from the header (`,` `;` tab or `|`).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read};

use serde::Serialize;
use serde_json::{Map, Number, Value, json};
use time::OffsetDateTime;

use super::ids::{IdSpace, format_time, parse_time_in};
use super::input::{Emitter, Tracker, pipeline};
use super::{
    Context, Format, ImportError, ImportReport, InputReader, Location, existing_has, new_stream,
    unique_stream_id,
};
use crate::store::{NewEvent, StoreReader, StoreWriter, StreamInfo};

/// Cases handed to the writer at a time.
const CASES_PER_BATCH: usize = 64;
/// The prefix of the columns that are attributes of the case.
const CASE_PREFIX: &str = "case:";

/// Which columns of a CSV log say what an event is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvMapping {
    /// The case id: one stream per distinct value.
    pub case: String,
    /// The activity: the event type.
    pub activity: String,
    /// The time the event occurred.
    pub timestamp: String,
}

impl Default for CsvMapping {
    /// The XES names pm4py uses: `case:concept:name`, `concept:name`, `time:timestamp`.
    fn default() -> Self {
        CsvMapping {
            case: "case:concept:name".to_string(),
            activity: "concept:name".to_string(),
            timestamp: "time:timestamp".to_string(),
        }
    }
}

impl CsvMapping {
    /// The default names where the header has them, else the first column whose
    /// name mentions a case, an activity or a time (for the import dialog's first guess).
    pub fn guess(headers: &[String]) -> CsvMapping {
        let defaults = CsvMapping::default();
        let pick = |default: &str, hints: &[&str]| -> String {
            if headers.iter().any(|header| header == default) {
                return default.to_string();
            }
            headers
                .iter()
                .find(|header| {
                    let lower = header.to_lowercase();
                    hints.iter().any(|hint| lower.contains(hint))
                })
                .cloned()
                .unwrap_or_else(|| default.to_string())
        };
        CsvMapping {
            case: pick(&defaults.case, &["case"]),
            activity: pick(&defaults.activity, &["activity", "event"]),
            timestamp: pick(&defaults.timestamp, &["timestamp", "time", "date"]),
        }
    }
}

/// The header and first rows of a CSV file, for the import dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvPreview {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The delimiter found from the header.
    pub delimiter: u8,
}

/// Reads the header and up to `rows` rows of a CSV file (plain or gzip).
pub fn csv_preview(path: &std::path::Path, rows: usize) -> Result<CsvPreview, ImportError> {
    let opened = super::input::open(path)?;
    let mut reader = opened.reader;
    let delimiter = sniff_delimiter(&mut reader, path)?;
    let mut csv = reader_of(reader, delimiter);
    let headers = read_headers(&mut csv, &opened.name)?;
    let mut preview = Vec::new();
    for record in csv.records().take(rows) {
        let record = record.map_err(|error| csv_error(&opened.name, &error))?;
        preview.push(record.iter().map(str::to_string).collect());
    }
    Ok(CsvPreview {
        headers,
        rows: preview,
        delimiter,
    })
}

/// One case, ready for the store.
struct PreparedCase {
    stream: StreamInfo,
    events: Vec<NewEvent>,
}

/// Imports a CSV log into the transaction of `writer`; `existing` is the store
/// before the import (`None` for a new store).
pub(super) fn import(
    writer: &mut StoreWriter,
    existing: Option<&StoreReader>,
    context: &Context,
    reader: InputReader,
    tracker: &mut Tracker<'_>,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::empty(Format::Csv, context.stem.clone());
    pipeline(
        Format::Csv,
        CASES_PER_BATCH,
        tracker,
        move |emitter| {
            let cases = read_cases(context, reader)?;
            prepare(context, existing, cases, emitter)
        },
        |PreparedCase { mut stream, events }, tracker| {
            let count = events.len() as u64;
            for event in events {
                // A log has no recording time; the event's own time keeps imports reproducible.
                let recorded_at = event.occurred_at;
                writer.insert_event(event, std::slice::from_mut(&mut stream), recorded_at)?;
            }
            writer.put_stream(&stream)?;
            report.streams += 1;
            report.events += count;
            tracker.events_written(count)
        },
    )?;
    Ok(report)
}

/// Reads the whole log, making every check [`import`] makes, writing nothing.
pub(super) fn check(
    context: &Context,
    reader: InputReader,
    tracker: &mut Tracker<'_>,
) -> Result<(), ImportError> {
    let cases = read_cases(context, reader)?;
    let events: usize = cases.iter().map(|case| case.events.len()).sum();
    tracker.events_written(events as u64)
}

// ----- reading ----------------------------------------------------------------------------

/// A case as read: its id, its attributes and its events in order.
struct Case {
    id: String,
    attributes: Map<String, Value>,
    events: Vec<Row>,
}

struct Row {
    activity: String,
    occurred_at: OffsetDateTime,
    payload: Map<String, Value>,
}

/// How a column's values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnType {
    Integer,
    Float,
    Text,
}

fn read_cases(context: &Context, mut reader: InputReader) -> Result<Vec<Case>, ImportError> {
    let file = &context.file;
    let delimiter = sniff_delimiter(&mut reader, &context.path)?;
    let mut csv = reader_of(reader, delimiter);
    let headers = read_headers(&mut csv, file)?;
    let mapping = &context.csv;
    let column = |name: &str, role: &str| -> Result<usize, ImportError> {
        headers
            .iter()
            .position(|header| header == name)
            .ok_or_else(|| {
                ImportError::invalid(
                    file,
                    Location::Line {
                        line: 1,
                        column: None,
                    },
                    format!(
                        "the {role} column '{name}' is not in the header (columns: {})",
                        headers.join(", ")
                    ),
                )
            })
    };
    let case_column = column(&mapping.case, "case")?;
    let activity_column = column(&mapping.activity, "activity")?;
    let time_column = column(&mapping.timestamp, "timestamp")?;

    let mut records = Vec::new();
    for record in csv.records() {
        records.push(record.map_err(|error| csv_error(file, &error))?);
    }
    let types: Vec<ColumnType> = (0..headers.len())
        .map(|index| column_type(records.iter().map(|record| record.get(index).unwrap_or(""))))
        .collect();

    let mut cases: Vec<Case> = Vec::new();
    let mut index_of: HashMap<String, usize> = HashMap::new();
    for (row_index, record) in records.iter().enumerate() {
        let row_number = row_index as u64 + 1;
        let line = record
            .position()
            .map_or(row_number + 1, |position| position.line());
        let at = Location::Line { line, column: None };
        let cell = |index: usize| record.get(index).unwrap_or("");
        let field = |index: usize, role: &str| -> Result<String, ImportError> {
            let value = cell(index);
            if value.trim().is_empty() {
                Err(ImportError::invalid(
                    file,
                    at,
                    format!(
                        "row {row_number}: the {role} ('{}') is empty",
                        headers[index]
                    ),
                ))
            } else {
                Ok(value.to_string())
            }
        };
        let case_id = field(case_column, "case")?;
        let activity = field(activity_column, "activity")?;
        let time_text = field(time_column, "timestamp")?;
        let Some(occurred_at) = parse_time_in(&time_text, context.utc_offset) else {
            return Err(ImportError::invalid(
                file,
                at,
                format!(
                    "row {row_number}: the timestamp ('{}') '{time_text}' is not a time",
                    headers[time_column]
                ),
            ));
        };
        let case_index = *index_of.entry(case_id.clone()).or_insert_with(|| {
            cases.push(Case {
                id: case_id,
                attributes: Map::new(),
                events: Vec::new(),
            });
            cases.len() - 1
        });
        let case = &mut cases[case_index];
        let first_row = case.events.is_empty();
        let mut payload = Map::new();
        for (index, header) in headers.iter().enumerate() {
            if index == case_column {
                continue;
            }
            let text = cell(index);
            if text.is_empty() {
                continue;
            }
            if let Some(name) = header.strip_prefix(CASE_PREFIX) {
                if first_row {
                    case.attributes
                        .insert(name.to_string(), typed(types[index], text));
                }
                continue;
            }
            let value = if index == time_column {
                Value::String(format_time(occurred_at))
            } else {
                typed(types[index], text)
            };
            payload.insert(header.clone(), value);
        }
        case.events.push(Row {
            activity,
            occurred_at,
            payload,
        });
    }
    for case in &mut cases {
        // Stable: rows of equal time stay in file order.
        case.events.sort_by_key(|row| row.occurred_at);
    }
    Ok(cases)
}

/// Makes the cases ready for the store on the parser thread.
fn prepare(
    context: &Context,
    existing: Option<&StoreReader>,
    cases: Vec<Case>,
    emitter: &mut Emitter<PreparedCase>,
) -> Result<(), ImportError> {
    let salt = context.salt.to_le_bytes();
    let process_type = context.stem.clone();
    let events_space = IdSpace::new(&[b"csv", b"event", process_type.as_bytes(), &salt]);
    let mut used: HashSet<String> = HashSet::new();
    let mut event_count = 0u64;
    for case in cases {
        let stream_id = unique_stream_id(&mut used, &case.id, |id| existing_has(existing, id))?;
        let stream = new_stream(
            stream_id,
            process_type.clone(),
            None,
            json!({
                "source": {"format": "csv", "file": context.file},
                "attributes": Value::Object(case.attributes),
            }),
        );
        let mut events = Vec::with_capacity(case.events.len());
        for row in case.events {
            event_count += 1;
            events.push(NewEvent {
                event_id: Some(events_space.id(event_count)),
                event_type: row.activity,
                occurred_at: row.occurred_at,
                // As for XES: a case's order is its stream's, nothing more.
                correlation_id: None,
                causation_id: None,
                other_causes: Vec::new(),
                payload: Value::Object(row.payload),
                metadata: Value::Null,
            });
        }
        if !emitter.emit(PreparedCase { stream, events }) {
            return Ok(());
        }
    }
    Ok(())
}

// ----- cells ------------------------------------------------------------------------------

/// The delimiter of the header line: the most frequent of `,` `;` tab `|` (`,` on a tie).
fn sniff_delimiter(reader: &mut InputReader, path: &std::path::Path) -> Result<u8, ImportError> {
    let head = reader.fill_buf().map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let line_end = head
        .iter()
        .position(|&byte| byte == b'\n')
        .unwrap_or(head.len());
    let line = &head[..line_end];
    let mut best = (b',', 0usize);
    for candidate in [b',', b';', b'\t', b'|'] {
        let count = line.iter().filter(|&&byte| byte == candidate).count();
        if count > best.1 {
            best = (candidate, count);
        }
    }
    Ok(best.0)
}

fn reader_of(reader: impl Read, delimiter: u8) -> ::csv::Reader<impl Read> {
    ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(reader)
}

/// The header's names; an empty one is named as pandas names it (`Unnamed: 0`).
fn read_headers(
    csv: &mut ::csv::Reader<impl Read>,
    file: &str,
) -> Result<Vec<String>, ImportError> {
    let headers = csv.headers().map_err(|error| csv_error(file, &error))?;
    if headers.is_empty() {
        return Err(ImportError::invalid(
            file,
            Location::Whole,
            "the file is empty: no header",
        ));
    }
    Ok(headers
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let name = name.trim_start_matches('\u{feff}');
            if name.is_empty() {
                format!("Unnamed: {index}")
            } else {
                name.to_string()
            }
        })
        .collect())
}

fn csv_error(file: &str, error: &::csv::Error) -> ImportError {
    let at = error
        .position()
        .map_or(Location::Whole, |position| Location::Line {
            line: position.line(),
            column: None,
        });
    let message = match error.kind() {
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("a row of {len} fields where the header has {expected_len}"),
        ::csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
        ::csv::ErrorKind::Io(source) => format!("read error: {source}"),
        _ => format!("CSV error: {error}"),
    };
    ImportError::invalid(file, at, message)
}

/// Integers when every non-empty cell is one, floats when every one is a number, else text.
fn column_type<'a>(cells: impl Iterator<Item = &'a str>) -> ColumnType {
    let mut kind = ColumnType::Integer;
    for cell in cells.filter(|cell| !cell.is_empty()) {
        let cell = cell.trim();
        if kind == ColumnType::Integer && cell.parse::<i64>().is_err() {
            kind = ColumnType::Float;
        }
        if kind == ColumnType::Float && cell.parse::<f64>().map_or(true, |n| !n.is_finite()) {
            return ColumnType::Text;
        }
    }
    kind
}

fn typed(kind: ColumnType, text: &str) -> Value {
    match kind {
        ColumnType::Integer => text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(text.to_string()), Value::from),
        ColumnType::Float => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or_else(|| Value::String(text.to_string()), Value::Number),
        ColumnType::Text => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_guesses_from_the_header() {
        let headers: Vec<String> = ["Case ID", "Activity", "Start Timestamp", "Resource"]
            .iter()
            .map(|name| name.to_string())
            .collect();
        let guess = CsvMapping::guess(&headers);
        assert_eq!(guess.case, "Case ID");
        assert_eq!(guess.activity, "Activity");
        assert_eq!(guess.timestamp, "Start Timestamp");
        let xes: Vec<String> = ["case:concept:name", "concept:name", "time:timestamp"]
            .iter()
            .map(|name| name.to_string())
            .collect();
        assert_eq!(CsvMapping::guess(&xes), CsvMapping::default());
    }

    #[test]
    fn column_types_follow_pandas() {
        assert_eq!(
            column_type(["1", "", "20"].into_iter()),
            ColumnType::Integer
        );
        assert_eq!(column_type(["1", "2.5"].into_iter()), ColumnType::Float);
        assert_eq!(column_type(["1", "x"].into_iter()), ColumnType::Text);
    }
}
