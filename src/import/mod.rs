//! Readers into a store (JSONL, XES, OCEL) and the JSONL export.
