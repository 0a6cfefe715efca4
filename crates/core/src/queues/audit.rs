//! The audit trail: filters and the JSON export (ARCHITECTURE.md's `audit` shape).

use std::io::Write;

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::store::{AuditEntry, StoreError, StoreReader, format_time};

/// Which audit entries to show. Text parts match as case-insensitive substrings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub action: String,
    pub user: String,
    pub stream: String,
    /// At or after.
    pub from: Option<OffsetDateTime>,
    /// Before.
    pub to: Option<OffsetDateTime>,
}

impl AuditFilter {
    /// Whether an entry passes the filter.
    pub fn matches(&self, entry: &AuditEntry) -> bool {
        contains(&entry.action, &self.action)
            && contains(&entry.user, &self.user)
            && (self.stream.trim().is_empty()
                || entry
                    .stream_id
                    .as_deref()
                    .is_some_and(|stream| contains(stream, &self.stream)))
            && self.from.is_none_or(|from| entry.at >= from)
            && self.to.is_none_or(|to| entry.at < to)
    }
}

fn contains(text: &str, wanted: &str) -> bool {
    let wanted = wanted.trim();
    wanted.is_empty() || text.to_lowercase().contains(&wanted.to_lowercase())
}

/// Every audit entry passing `filter`, oldest first.
pub fn audit_entries(
    reader: &StoreReader,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, StoreError> {
    const PAGE: usize = 4096;
    let mut entries = Vec::new();
    let mut from = 1;
    loop {
        let page = reader.audit(from, PAGE)?;
        let Some(last) = page.last() else {
            break;
        };
        from = last.seq + 1;
        entries.extend(page.into_iter().filter(|entry| filter.matches(entry)));
    }
    Ok(entries)
}

/// One entry in ARCHITECTURE.md's `audit` JSON shape.
pub fn audit_json(entry: &AuditEntry) -> Value {
    json!({
        "seq": entry.seq,
        "at": format_time(entry.at),
        "user": entry.user,
        "action": entry.action,
        "target": entry.target,
        "reason": entry.reason,
        "stream_id": entry.stream_id,
        "before": entry.before,
        "after": entry.after,
    })
}

/// Writes `entries` as one pretty JSON array (the `audit --json` shape).
pub fn export_audit_json(entries: &[AuditEntry], out: &mut dyn Write) -> std::io::Result<()> {
    let shaped: Vec<Value> = entries.iter().map(audit_json).collect();
    serde_json::to_writer_pretty(&mut *out, &shaped)?;
    out.write_all(b"\n")
}
