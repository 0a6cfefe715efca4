//! The engine: runs process definitions into the store. Dispatch of inbound
//! messages, outbox delivery, deadlines, dead letters and operator actions —
//! each one write transaction. No egui here.

pub mod actions;
mod delivery;
mod dispatch;
mod ids;
pub mod preview;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub use crate::definition::{Definition, Rejection, Transition};
pub use actions::{ActionError, Operator, ResubmitOutcome};
pub use delivery::{DeliveryReport, Transport};
pub use dispatch::{DispatchOutcome, deadline_id_of};
pub use ids::IdSource;
pub use preview::{Preview, PreviewOutcome};

use crate::store::{Store, StoreError, rfc3339};

/// A message arriving from a market partner (or from the engine itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub message_id: Uuid,
    pub message_type: String,
    /// Needed to start a new process; an existing stream knows its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_type: Option<String>,
    /// Route to this stream (created when it does not exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    /// Route by business key (e.g. a market location id) when no stream id is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_key: Option<String>,
    /// A message with a key seen before is taken in once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// The event or message that caused this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    pub payload: Value,
    #[serde(with = "rfc3339")]
    pub received_at: OffsetDateTime,
    /// Copied into the event's metadata (e.g. which dead letter it was resubmitted from).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub metadata: Value,
}

/// How failed deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubled after each further one.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Attempts before an outbox message becomes a dead letter.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_backoff: Duration::minutes(5),
            max_backoff: Duration::hours(6),
            max_attempts: 5,
        }
    }
}

impl RetryPolicy {
    /// Delay before the next try after `attempts` failures.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2i32.saturating_pow(attempts.saturating_sub(1).min(20));
        (self.base_backoff * factor).min(self.max_backoff)
    }
}

/// Errors of the engine's own operations (dispatch, delivery, deadlines).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("definition of {process_type} is invalid: {detail}")]
    InvalidDefinition {
        process_type: String,
        detail: String,
    },
}

/// The engine: process definitions, id source and retry policy.
pub struct Engine {
    /// Shared so that a dispatch holds its definition without copying it.
    definitions: BTreeMap<String, Arc<Definition>>,
    ids: IdSource,
    policy: RetryPolicy,
}

impl Engine {
    /// An engine with the definitions stored in `store`, system ids and the default policy.
    pub fn load(store: &Store) -> Result<Engine, EngineError> {
        let mut definitions = BTreeMap::new();
        for (process_type, json) in store.read()?.definitions()? {
            let definition =
                Definition::from_json(&json).map_err(|error| EngineError::InvalidDefinition {
                    process_type: process_type.clone(),
                    detail: error.to_string(),
                })?;
            definitions.insert(process_type, Arc::new(definition));
        }
        Ok(Engine {
            definitions,
            ids: IdSource::System,
            policy: RetryPolicy::default(),
        })
    }

    /// Uses `ids` for every id the engine makes (seeded ids make the demo deterministic).
    pub fn with_ids(mut self, ids: IdSource) -> Self {
        self.ids = ids;
        self
    }

    /// Uses `policy` for delivery retries.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The definition of a process type, as loaded.
    pub fn definition(&self, process_type: &str) -> Option<&Definition> {
        self.definitions.get(process_type).map(Arc::as_ref)
    }

    /// Stores a definition (replacing the one of the same type) and uses it from now on.
    pub fn install_definition(
        &mut self,
        store: &Store,
        definition: Definition,
    ) -> Result<(), EngineError> {
        store.write(|writer| {
            writer.put_definition(&definition.process_type, &definition.to_json())
        })?;
        self.definitions
            .insert(definition.process_type.clone(), Arc::new(definition));
        Ok(())
    }

    /// Takes in one message in its own write transaction: events, outbox
    /// messages and deadlines — or a dead letter — all or nothing.
    pub fn dispatch(
        &mut self,
        store: &Store,
        message: InboundMessage,
        now: OffsetDateTime,
    ) -> Result<DispatchOutcome, EngineError> {
        Ok(store.write(|writer| self.dispatch_in(writer, message, now))?)
    }

    /// Delivers due outbox messages (at most `limit`) in one write transaction.
    pub fn deliver_due(
        &mut self,
        store: &Store,
        transport: &mut dyn Transport,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<DeliveryReport, EngineError> {
        Ok(store.write(|writer| self.deliver_due_in(writer, transport, now, limit))?)
    }

    /// Fires due deadlines (at most `limit`) in one write transaction; returns how many fired.
    pub fn fire_due(
        &mut self,
        store: &Store,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<usize, EngineError> {
        Ok(store.write(|writer| self.fire_due_in(writer, now, limit))?)
    }

    /// A fresh id.
    pub fn next_id(&mut self, at: OffsetDateTime) -> Uuid {
        self.ids.next(at)
    }
}
