//! The JSONL export: one event per line in DESIGN.md's shape, read page by
//! page so that any size of store streams out in bounded memory.

use std::io::{self, Write};

use crate::store::{Event, StoreError, StoreReader};

/// Events read from the store at a time.
const PAGE: usize = 1024;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the store has no stream {0:?}")]
    UnknownStream(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("write error: {0}")]
    Io(#[from] io::Error),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

/// Writes events to `out`, one JSON object per line, and returns how many.
///
/// With `stream`, that stream's events in version order (each line is the
/// event as stored, so an event shared by several streams keeps its own
/// stream and version); without, the global log in position order. Ids are
/// UUID strings, times RFC 3339; `other_causes` and `other_streams` appear
/// when not empty, so importing the lines into a new store gives the same events.
pub fn export_jsonl(
    reader: &StoreReader,
    out: &mut dyn Write,
    stream: Option<&str>,
) -> Result<u64, ExportError> {
    let mut out = io::BufWriter::new(out);
    let mut written = 0u64;
    let mut write = |event: &Event| -> Result<(), ExportError> {
        serde_json::to_writer(&mut out, event)?;
        out.write_all(b"\n")?;
        written += 1;
        Ok(())
    };
    match stream {
        None => {
            let mut from = 1;
            loop {
                let page = reader.log(from, PAGE)?;
                let Some(last) = page.last() else {
                    break;
                };
                from = last.position + 1;
                for event in &page {
                    write(event)?;
                }
            }
        }
        Some(stream_id) => {
            if reader.stream(stream_id)?.is_none() {
                return Err(ExportError::UnknownStream(stream_id.to_string()));
            }
            let mut from = 1;
            loop {
                let page = reader.stream_positions(stream_id, from, PAGE)?;
                let Some(&(last_version, _)) = page.last() else {
                    break;
                };
                from = last_version + 1;
                for (version, position) in page {
                    let event = reader.event_at(position)?.ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "stream {stream_id} version {version} points at missing position {position}"
                        ))
                    })?;
                    write(&event)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(written)
}
