//! Operator work on the queues, headless: dead-letter triage (failure groups
//! and filters), bulk resubmit/discard with progress and cancel, and the audit
//! trail's filters and JSON export. The GUI's queue views and the benchmarks
//! call these; every write goes through the engine's operator actions.

pub mod audit;
pub mod bulk;
pub mod triage;

pub use audit::{AuditFilter, audit_entries, audit_json, export_audit_json};
pub use bulk::{BulkAction, BulkItemOutcome, BulkSummary, DryRun, dry_run, run_bulk};
pub use triage::{DeadLetterFilter, DeadLetterRow, FailureGroup, Triage, triage};
