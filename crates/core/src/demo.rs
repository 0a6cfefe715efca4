//! A seeded generator of a realistic store: runs the engine over simulated
//! time with three processes of German energy-market communication between
//! suppliers, grid operators and metering operators:
//!
//! - `supplier_switch` (GPKE supplier switch: UTILMD registration, grid
//!   operator confirmation or rejection, supply start) — starts a
//!   `meter_reading` for the switch date;
//! - `meter_reading` (WiM/MSCONS meter-reading exchange with the metering
//!   operator) — a validated reading opens a `grid_usage_billing`;
//! - `grid_usage_billing` (INVOIC/REMADV grid-usage billing with disputes).
//!
//! Failures happen as in real life: partners reject or send incomplete,
//! duplicate, late or unparseable messages (dead letters of several reasons),
//! some partner endpoints are down and exhaust their retries, some partners
//! never answer and response deadlines expire.

mod queue;

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use queue::MessageQueue;

use crate::definition::{DeadlineSpec, Definition, Emit, Start, Transition, payload_field};
use crate::engine::{
    ActionError, DispatchOutcome, Engine, IdSource, InboundMessage, Operator, RetryPolicy,
    Transport,
};
use crate::store::{
    BULK_CACHE_BYTES, DeadLetterStatus, Durability, Event, OutboxMessage, Store, StoreError,
    StoreWriter,
};

/// `json!({ .. })` for a flat object, built in a map made with room for all
/// of its fields: serde_json's ordered map otherwise grows its table and its
/// entries twice on the way to the ten fields of a switch request. The
/// fields are evaluated and inserted in order, as `json!` does, but each
/// value is converted with `Value::from`, which moves a `String` or `Value`
/// in where `json!` copies it through serde.
macro_rules! object {
    ({ $($key:literal: $value:expr),+ $(,)? }) => {{
        let mut fields = serde_json::Map::with_capacity([$($key),+].len());
        $(fields.insert($key.to_string(), Value::from($value));)+
        Value::Object(fields)
    }};
}

/// How big a demo store to make, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// Number of top-level processes started.
    pub processes: u64,
    /// The same seed gives the same store.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            processes: 200,
            seed: 42,
        }
    }
}

/// Why the demo could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Open(#[from] crate::store::OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error("{}: cannot write the demo store: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cancelled")]
    Cancelled,
}

/// The simulated clock starts here…
pub const DEMO_START: OffsetDateTime = datetime!(2026-08-03 06:00 UTC);
/// …and stops here: what is due later is still pending in the store.
pub const DEMO_NOW: OffsetDateTime = datetime!(2026-11-20 12:00 UTC);

/// Actions simulated per write transaction (bulk, made durable at the end):
/// each commit writes every page its transaction touched, and a page of a
/// stream's record or of an index is touched again and again, so the fewer
/// the commits the less is written. 100,000 processes take about a million
/// actions, so they fit in one. The cap bounds the memory of larger demos.
const ACTIONS_PER_TRANSACTION: usize = 1 << 21;

/// Processes started between two calls of the progress callback.
const PROGRESS_EVERY: u64 = 1000;

/// Creates a new demo store at `out` (which must not exist). `progress` is called
/// with (processes started, processes in total) and returns false to cancel.
/// The store is built in a temporary file beside `out` and moved into place
/// only when complete, so a failed or cancelled run leaves nothing behind.
pub fn generate(
    out: &Path,
    options: DemoOptions,
    mut progress: impl FnMut(u64, u64) -> bool,
) -> Result<(), DemoError> {
    if out.exists() {
        return Err(crate::store::OpenError::AlreadyExists(out.to_path_buf()).into());
    }
    let directory = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io_error = |source| DemoError::Io {
        path: out.to_path_buf(),
        source,
    };
    let temporary = tempfile::Builder::new()
        .prefix(".demo-")
        .suffix(".redb.partial")
        .tempfile_in(&directory)
        .map_err(io_error)?;
    let temporary_path = temporary.path().to_path_buf();
    // redb creates the file itself; the placeholder only reserved a unique name.
    temporary.close().map_err(io_error)?;
    let result = build(&temporary_path, options, &mut progress);
    match result {
        Ok(()) => std::fs::rename(&temporary_path, out).map_err(io_error),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary_path);
            Err(error)
        }
    }
}

fn build(
    path: &Path,
    options: DemoOptions,
    progress: &mut dyn FnMut(u64, u64) -> bool,
) -> Result<(), DemoError> {
    let store = Store::create_with_cache(path, BULK_CACHE_BYTES)?;
    let mut engine = Engine::load(&store)?
        .with_ids(IdSource::seeded(options.seed ^ 0x05ee_d1d5))
        .with_policy(RetryPolicy {
            base_backoff: Duration::minutes(15),
            max_backoff: Duration::hours(24),
            max_attempts: 12,
        });
    for definition in definitions() {
        engine.install_definition(&store, definition)?;
    }
    let mut simulation = Simulation::new(options);
    while !simulation.finished() {
        store.write_with(Durability::None, |writer| {
            simulation.run_batch(&mut engine, writer, progress)
        })?;
    }
    store.write_with(Durability::None, |writer| {
        simulation.drain(&mut engine, writer)
    })?;
    simulation.operator_actions(&mut engine, &store)?;
    store.write(|writer| {
        writer.set_meta("demo_seed", &options.seed.to_string())?;
        writer.set_meta("demo_processes", &options.processes.to_string())?;
        writer.set_meta("demo_now", &crate::store::format_time(DEMO_NOW))
    })?;
    progress(options.processes, options.processes);
    Ok(())
}

// ----- market partners ------------------------------------------------------------------

/// The role a market partner plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Supplier,
    GridOperator,
    MeteringOperator,
}

/// How a partner behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Reliable,
    /// Answers after the response deadline.
    Slow,
    /// Its endpoint refuses every delivery.
    Down,
    /// Its endpoint went down shortly before the end of the simulated period:
    /// messages to it are still being retried.
    Outage,
}

/// When the late outage of [`Behaviour::Outage`] partners begins (their shared
/// AS4 gateway provider failed).
const OUTAGE_FROM: OffsetDateTime = datetime!(2026-11-15 12:00 UTC);

#[derive(Debug, Clone)]
struct Partner {
    id: String,
    name: String,
    behaviour: Behaviour,
}

const TOWNS: [&str; 24] = [
    "Musterstadt",
    "Aachen",
    "Bielefeld",
    "Chemnitz",
    "Darmstadt",
    "Erfurt",
    "Freiburg",
    "Göttingen",
    "Halle",
    "Ingolstadt",
    "Jena",
    "Kassel",
    "Lübeck",
    "Mainz",
    "Nürnberg",
    "Oldenburg",
    "Potsdam",
    "Regensburg",
    "Saarbrücken",
    "Trier",
    "Ulm",
    "Wuppertal",
    "Würzburg",
    "Zwickau",
];

/// A 13-digit market partner id (BDEW code range 99…) with a GS1 mod-10 check digit.
fn market_partner_id(rng: &mut ChaCha8Rng) -> String {
    let mut digits = String::from("99");
    for _ in 0..10 {
        digits.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    digits.push(check_digit(&digits));
    digits
}

/// An 11-digit market location id (MaLo-ID, starting with 5) with its check digit.
fn market_location_id(rng: &mut ChaCha8Rng) -> String {
    let mut digits = String::from("5");
    for _ in 0..9 {
        digits.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    digits.push(check_digit(&digits));
    digits
}

/// A 33-character metering location id (MeLo-ID).
fn metering_location_id(rng: &mut ChaCha8Rng, grid_operator: &str) -> String {
    let mut id = format!("DE{}", &grid_operator[..6]);
    id.push_str(&format!("{:05}", rng.random_range(0..100_000u32)));
    while id.len() < 33 {
        id.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    id
}

fn check_digit(digits: &str) -> char {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| u32::from(byte - b'0') * if index % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from(b'0' + u8::try_from((10 - sum % 10) % 10).unwrap_or(0))
}

fn partners(
    rng: &mut ChaCha8Rng,
    role: Role,
    count: usize,
    down: usize,
    slow: usize,
    outage: usize,
) -> Vec<Partner> {
    (0..count)
        .map(|index| {
            let town = TOWNS[index % TOWNS.len()];
            let name = match role {
                Role::Supplier => format!("{town} Energie Vertrieb {}", index / TOWNS.len() + 1),
                Role::GridOperator => format!("Stadtwerke {town} Netz GmbH"),
                Role::MeteringOperator => format!("Messstellenbetrieb {town}"),
            };
            let behaviour = if index < down {
                Behaviour::Down
            } else if index < down + slow {
                Behaviour::Slow
            } else if index < down + slow + outage {
                Behaviour::Outage
            } else {
                Behaviour::Reliable
            };
            Partner {
                id: market_partner_id(rng),
                name,
                behaviour,
            }
        })
        .collect()
}

// ----- definitions ----------------------------------------------------------------------

fn transition(from: &str, on: &str, to: &str) -> Transition {
    Transition {
        from: from.to_string(),
        on: on.to_string(),
        to: to.to_string(),
        emit: Vec::new(),
        deadline: None,
        require: Vec::new(),
        start: Vec::new(),
    }
}

fn emit(message_type: &str, recipient: &str, fields: &[&str]) -> Emit {
    Emit {
        message_type: message_type.to_string(),
        recipient: recipient.to_string(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
    }
}

fn deadline(days: u64, on_expiry: &str) -> Option<DeadlineSpec> {
    Some(DeadlineSpec {
        after: days * 86_400,
        on_expiry: on_expiry.to_string(),
    })
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

/// The three process definitions of the demo.
pub fn definitions() -> Vec<Definition> {
    let supplier_switch = Definition {
        process_type: "supplier_switch".into(),
        description: "GPKE supplier switch: the new supplier registers a market location with the grid operator".into(),
        stream_prefix: Some("switch".into()),
        states: strings(&["new", "requested", "confirmed", "supplying", "rejected", "failed"]),
        initial: "new".into(),
        terminal: strings(&["supplying", "rejected"]),
        failed: strings(&["failed"]),
        transitions: vec![
            Transition {
                emit: vec![emit("UTILMD_E01_Registration", "$grid_operator", &["malo_id", "new_supplier", "start_date"])],
                deadline: deadline(3, "GridResponseOverdue"),
                require: strings(&["malo_id", "new_supplier", "old_supplier", "grid_operator", "start_date"]),
                ..transition("new", "SwitchRequested", "requested")
            },
            Transition {
                emit: vec![emit("UTILMD_E02_Deregistration", "$old_supplier", &["malo_id", "start_date"])],
                deadline: deadline(21, "SupplyStartOverdue"),
                require: strings(&["malo_id", "start_date", "confirmation_id", "melo_id", "metering_operator"]),
                start: vec![Start {
                    process_type: "meter_reading".into(),
                    message_type: "ReadingRequested".into(),
                    fields: strings(&["malo_id", "melo_id", "metering_operator", "new_supplier", "grid_operator", "start_date"]),
                }],
                ..transition("requested", "GridConfirmation", "confirmed")
            },
            Transition {
                require: strings(&["malo_id", "rejection_code"]),
                ..transition("requested", "GridRejection", "rejected")
            },
            Transition {
                require: strings(&["malo_id", "start_date"]),
                ..transition("confirmed", "SupplyStarted", "supplying")
            },
            transition("*", "GridResponseOverdue", "failed"),
            transition("*", "SupplyStartOverdue", "failed"),
            transition("*", "DeliveryFailed", "failed"),
        ],
    };
    let meter_reading = Definition {
        process_type: "meter_reading".into(),
        description: "Meter-reading exchange: ORDERS to the metering operator, MSCONS back, validation by the supplier".into(),
        stream_prefix: Some("reading".into()),
        states: strings(&["new", "requested", "received", "validated", "implausible", "failed"]),
        initial: "new".into(),
        terminal: strings(&["validated"]),
        failed: strings(&["implausible", "failed"]),
        transitions: vec![
            Transition {
                emit: vec![emit("ORDERS_Z10_ReadingOrder", "$metering_operator", &["malo_id", "melo_id", "start_date", "new_supplier", "grid_operator"])],
                deadline: deadline(2, "ReadingOverdue"),
                require: strings(&["malo_id", "melo_id", "metering_operator", "new_supplier", "grid_operator"]),
                ..transition("new", "ReadingRequested", "requested")
            },
            Transition {
                emit: vec![emit("MSCONS_Reading", "$new_supplier", &["malo_id", "melo_id", "obis", "value_kwh", "read_at", "grid_operator"])],
                deadline: deadline(5, "ValidationOverdue"),
                require: strings(&["melo_id", "obis", "value_kwh", "read_at", "new_supplier"]),
                ..transition("requested", "MeterReadingReceived", "received")
            },
            Transition {
                start: vec![Start {
                    process_type: "grid_usage_billing".into(),
                    message_type: "BillingPeriodOpened".into(),
                    fields: strings(&["malo_id", "new_supplier", "grid_operator", "value_kwh", "read_at"]),
                }],
                require: strings(&["malo_id", "value_kwh", "new_supplier", "grid_operator"]),
                ..transition("received", "ReadingValidated", "validated")
            },
            Transition {
                require: strings(&["reason_code"]),
                ..transition("received", "ReadingImplausible", "implausible")
            },
            transition("*", "ReadingOverdue", "failed"),
            transition("*", "ValidationOverdue", "failed"),
            transition("*", "DeliveryFailed", "failed"),
        ],
    };
    let billing = Definition {
        process_type: "grid_usage_billing".into(),
        description: "Grid-usage billing: INVOIC from the grid operator, check, REMADV payment advice or dispute".into(),
        stream_prefix: Some("billing".into()),
        states: strings(&["new", "open", "invoiced", "checked", "disputed", "paid", "failed"]),
        initial: "new".into(),
        terminal: strings(&["paid"]),
        failed: strings(&["failed"]),
        transitions: vec![
            Transition {
                emit: vec![emit("UTILMD_Z14_MasterData", "$grid_operator", &["malo_id", "value_kwh", "read_at"])],
                deadline: deadline(10, "InvoiceOverdue"),
                require: strings(&["malo_id", "new_supplier", "grid_operator"]),
                ..transition("new", "BillingPeriodOpened", "open")
            },
            Transition {
                deadline: deadline(7, "CheckOverdue"),
                require: strings(&["invoice_no", "amount_eur", "period_start", "period_end", "grid_operator"]),
                ..transition("open", "InvoiceReceived", "invoiced")
            },
            Transition {
                emit: vec![emit("REMADV_PaymentAdvice", "$grid_operator", &["invoice_no", "amount_eur"])],
                deadline: deadline(14, "PaymentOverdue"),
                require: strings(&["invoice_no", "amount_eur", "grid_operator"]),
                ..transition("invoiced", "InvoiceChecked", "checked")
            },
            Transition {
                emit: vec![emit("REMADV_Dispute", "$grid_operator", &["invoice_no", "dispute_reason"])],
                deadline: deadline(10, "CorrectionOverdue"),
                require: strings(&["invoice_no", "dispute_reason", "grid_operator"]),
                ..transition("invoiced", "InvoiceDisputed", "disputed")
            },
            Transition {
                deadline: deadline(7, "CheckOverdue"),
                require: strings(&["invoice_no", "amount_eur", "grid_operator"]),
                ..transition("disputed", "CorrectedInvoiceReceived", "invoiced")
            },
            Transition {
                require: strings(&["invoice_no", "paid_at"]),
                ..transition("checked", "PaymentConfirmed", "paid")
            },
            transition("*", "InvoiceOverdue", "failed"),
            transition("*", "CheckOverdue", "failed"),
            transition("*", "PaymentOverdue", "failed"),
            transition("*", "CorrectionOverdue", "failed"),
            transition("*", "DeliveryFailed", "failed"),
        ],
    };
    vec![supplier_switch, meter_reading, billing]
}

// ----- the simulation -------------------------------------------------------------------

/// Delivers to partners; endpoints of partners that are down refuse.
struct MarketTransport<'a> {
    down: &'a [String],
    outage: &'a [String],
    rng: &'a mut ChaCha8Rng,
    delivered: Vec<OutboxMessage>,
}

impl Transport for MarketTransport<'_> {
    fn deliver(&mut self, message: &OutboxMessage, now: OffsetDateTime) -> Result<(), String> {
        let in_outage = now >= OUTAGE_FROM && self.outage.contains(&message.recipient);
        if in_outage || self.down.contains(&message.recipient) {
            let errors = [
                "AS4 endpoint refused the connection (connection refused)",
                "AS4 endpoint answered HTTP 503 Service Unavailable",
                "no AS4 receipt within 60 s",
            ];
            return Err(errors[self.rng.random_range(0..errors.len())].to_string());
        }
        Ok(())
    }

    fn delivered(&mut self, message: OutboxMessage) {
        self.delivered.push(message);
    }
}

struct Simulation {
    options: DemoOptions,
    rng: ChaCha8Rng,
    suppliers: Vec<Partner>,
    grid_operators: Vec<Partner>,
    metering_operators: Vec<Partner>,
    down: Vec<String>,
    outage: Vec<String>,
    /// Each partner's behaviour, by id: looked up for every delivered message.
    behaviours: foldhash::HashMap<String, Behaviour>,
    /// Pending messages, earliest first.
    queue: MessageQueue,
    /// The messages the partners took in a delivery run, kept between runs
    /// so that it is not grown from nothing each time.
    delivered: Vec<OutboxMessage>,
    /// The metering context of each meter reading ordered (by its stream), for
    /// the reading of the next billing period.
    open_periods: foldhash::HashMap<String, Value>,
    /// The next message reference of each sender: partners number their
    /// messages (the interchange reference), and that is what dedup keys are.
    references: foldhash::HashMap<String, u64>,
    started: u64,
    next_start: OffsetDateTime,
    start_spacing: Duration,
}

impl Simulation {
    fn new(options: DemoOptions) -> Simulation {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        let suppliers = partners(&mut rng, Role::Supplier, 60, 1, 0, 1);
        let grid_operators = partners(&mut rng, Role::GridOperator, 40, 2, 3, 10);
        let metering_operators = partners(&mut rng, Role::MeteringOperator, 24, 1, 1, 6);
        let with = |behaviour: Behaviour| -> Vec<String> {
            suppliers
                .iter()
                .chain(&grid_operators)
                .chain(&metering_operators)
                .filter(|p| p.behaviour == behaviour)
                .map(|p| p.id.clone())
                .collect()
        };
        let down = with(Behaviour::Down);
        let outage = with(Behaviour::Outage);
        let mut behaviours = foldhash::HashMap::default();
        for partner in suppliers
            .iter()
            .chain(&grid_operators)
            .chain(&metering_operators)
        {
            // Ids are random: should two be equal, the first one's behaviour counts.
            behaviours
                .entry(partner.id.clone())
                .or_insert(partner.behaviour);
        }
        // Starts spread over the simulated period, leaving the last days for running processes.
        let span = (DEMO_NOW - DEMO_START) - Duration::days(2);
        let start_spacing = span / i32::try_from(options.processes.max(1)).unwrap_or(i32::MAX);
        Simulation {
            options,
            rng,
            suppliers,
            grid_operators,
            metering_operators,
            down,
            outage,
            behaviours,
            queue: MessageQueue::default(),
            delivered: Vec::new(),
            open_periods: foldhash::HashMap::default(),
            references: foldhash::HashMap::default(),
            started: 0,
            next_start: DEMO_START,
            start_spacing,
        }
    }

    /// When process `index` starts: evenly spaced slots over the simulated
    /// period, each start at a random moment of its slot (at most ten minutes
    /// in), so that every process starts before the demo's "now" however many there are.
    fn start_slot(&mut self, index: u64) -> OffsetDateTime {
        let slot_seconds = self.start_spacing.whole_seconds().max(1);
        let jitter = Duration::seconds(self.rng.random_range(0..slot_seconds.min(600)));
        let index = i32::try_from(index).unwrap_or(i32::MAX);
        DEMO_START + self.start_spacing * index + jitter
    }

    fn finished(&self) -> bool {
        self.started >= self.options.processes && self.next_due().is_none_or(|at| at > DEMO_NOW)
    }

    fn next_due(&self) -> Option<OffsetDateTime> {
        self.queue.next_due().map(|nanos| {
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).unwrap_or(DEMO_NOW)
        })
    }

    fn schedule(&mut self, at: OffsetDateTime, message: InboundMessage) {
        if at > DEMO_NOW {
            return;
        }
        self.queue.push(crate::store::nanos(at), message);
    }

    /// Runs up to a batch of simulated actions in one transaction.
    /// `progress` hears of every [`PROGRESS_EVERY`] processes started; when
    /// it returns false the batch fails with [`DemoError::Cancelled`], which
    /// rolls its transaction back.
    fn run_batch(
        &mut self,
        engine: &mut Engine,
        writer: &mut StoreWriter,
        progress: &mut dyn FnMut(u64, u64) -> bool,
    ) -> Result<(), DemoError> {
        for _ in 0..ACTIONS_PER_TRANSACTION {
            let next_message = self.next_due().filter(|at| *at <= DEMO_NOW);
            let start_due = self.started < self.options.processes;
            let take_start = match next_message {
                Some(at) => start_due && self.next_start <= at,
                None => start_due,
            };
            if take_start {
                let at = self.next_start;
                self.run_engine_until(engine, writer, at)?;
                self.start_process(engine, writer, at)?;
                self.started += 1;
                self.next_start = self.start_slot(self.started);
                if self.started.is_multiple_of(PROGRESS_EVERY)
                    && !progress(self.started, self.options.processes)
                {
                    return Err(DemoError::Cancelled);
                }
            } else if let Some(at) = next_message {
                let Some(message) = self.queue.pop() else {
                    break;
                };
                self.run_engine_until(engine, writer, at)?;
                let outcome = engine.dispatch_in(writer, message, at)?;
                self.react_to(&outcome, at);
            } else {
                break;
            }
        }
        Ok(())
    }

    /// Runs delivery and deadlines up to the end of the simulated period.
    fn drain(&mut self, engine: &mut Engine, writer: &mut StoreWriter) -> Result<(), StoreError> {
        self.run_engine_until(engine, writer, DEMO_NOW)
    }

    /// Delivers what is due and fires expired deadlines up to `at`, feeding partner replies back.
    fn run_engine_until(
        &mut self,
        engine: &mut Engine,
        writer: &mut StoreWriter,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        loop {
            let mut transport = MarketTransport {
                down: &self.down,
                outage: &self.outage,
                rng: &mut self.rng,
                delivered: std::mem::take(&mut self.delivered),
            };
            let report = engine.deliver_due_in(writer, &mut transport, at, 1024)?;
            let mut delivered = std::mem::take(&mut transport.delivered);
            let fired = engine.fire_due_in(writer, at, 1024)?;
            for message in delivered.drain(..) {
                self.reply_to(message, at);
            }
            self.delivered = delivered;
            if report.delivered + report.retried + report.dead_lettered + fired == 0 {
                return Ok(());
            }
        }
    }

    fn behaviour_of(&self, id: &str) -> Behaviour {
        self.behaviours
            .get(id)
            .copied()
            .unwrap_or(Behaviour::Reliable)
    }

    fn message(
        &mut self,
        at: OffsetDateTime,
        message_type: &str,
        stream_id: Option<String>,
        sender: &str,
        payload: Value,
    ) -> InboundMessage {
        // 16 bytes are drawn though the id needs 10, so that a seed still
        // makes the same store as before dedup keys became message references.
        let mut bytes = [0u8; 16];
        self.rng.fill(&mut bytes);
        let millis = u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let mut random = [0u8; 10];
        random.copy_from_slice(&bytes[..10]);
        let reference = match self.references.get_mut(sender) {
            Some(next) => {
                *next += 1;
                *next
            }
            None => {
                self.references.insert(sender.to_string(), 1);
                1
            }
        };
        InboundMessage {
            message_id: uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid(),
            message_type: message_type.to_string(),
            process_type: None,
            stream_id,
            correlation_key: None,
            dedup_key: Some(format!("{sender}:{reference:09}")),
            sender: Some(sender.to_string()),
            causation_id: None,
            correlation_id: None,
            payload,
            received_at: at,
            metadata: Value::Null,
        }
    }

    /// Starts one top-level process: mostly switches, also stand-alone readings,
    /// billing periods, and the odd message for a process nobody defined.
    fn start_process(
        &mut self,
        engine: &mut Engine,
        writer: &mut StoreWriter,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let number = self.started + 1;
        // Borrowed field by field, so that the random source stays free to use.
        let supplier = &self.suppliers[self.rng.random_range(0..self.suppliers.len())];
        let old_supplier = &self.suppliers[self.rng.random_range(0..self.suppliers.len())];
        let grid = &self.grid_operators[self.rng.random_range(0..self.grid_operators.len())];
        let metering =
            &self.metering_operators[self.rng.random_range(0..self.metering_operators.len())];
        let malo = market_location_id(&mut self.rng);
        let melo = metering_location_id(&mut self.rng, &grid.id);
        let start_date = (at + Duration::days(self.rng.random_range(14..42))).date();
        let roll: f64 = self.rng.random();
        let (process_type, stream_id, message_type, payload) = if roll < 0.6 {
            (
                "supplier_switch",
                format!("switch-{number:06}"),
                "SwitchRequested",
                object!({
                    "malo_id": malo, "melo_id": melo,
                    "new_supplier": supplier.id.as_str(), "new_supplier_name": supplier.name.as_str(),
                    "old_supplier": old_supplier.id.as_str(), "grid_operator": grid.id.as_str(), "grid_operator_name": grid.name.as_str(),
                    "metering_operator": metering.id.as_str(), "start_date": start_date.to_string(),
                    "customer": json!({ "type": if self.rng.random_bool(0.8) { "household" } else { "commercial" },
                                  "annual_consumption_kwh": self.rng.random_range(900..60_000) }),
                    "transaction_reason": "E03",
                }),
            )
        } else if roll < 0.85 {
            (
                "meter_reading",
                format!("reading-m{number:06}"),
                "ReadingRequested",
                object!({
                    "malo_id": malo, "melo_id": melo, "metering_operator": metering.id.as_str(),
                    "new_supplier": supplier.id.as_str(), "grid_operator": grid.id.as_str(),
                    "start_date": start_date.to_string(), "reading_reason": "periodic",
                }),
            )
        } else if roll < 0.985 {
            (
                "grid_usage_billing",
                format!("billing-m{number:06}"),
                "BillingPeriodOpened",
                object!({
                    "malo_id": malo, "new_supplier": supplier.id.as_str(), "grid_operator": grid.id.as_str(),
                    "value_kwh": self.rng.random_range(80..4000), "read_at": at.date().to_string(),
                }),
            )
        } else {
            (
                "grid_connection",
                format!("connection-{number:06}"),
                "ConnectionRequested",
                object!({ "malo_id": malo, "grid_operator": grid.id.as_str(), "capacity_kw": self.rng.random_range(5..60) }),
            )
        };
        let sender = supplier.id.clone();
        let mut message = self.message(at, message_type, Some(stream_id), &sender, payload);
        message.process_type = Some(process_type.to_string());
        let outcome = engine.dispatch_in(writer, message, at)?;
        self.react_to(&outcome, at);
        Ok(())
    }

    /// Supplier-side steps that follow an applied event.
    fn react_to(&mut self, outcome: &DispatchOutcome, at: OffsetDateTime) {
        let DispatchOutcome::Applied { stream_id, event } = outcome else {
            return;
        };
        let payload = &event.payload;
        let field = |name: &str| payload_field(payload, name).cloned().unwrap_or(Value::Null);
        match event.event_type.as_str() {
            "PaymentConfirmed" => self.next_billing_cycle(stream_id, event, at),
            "GridConfirmation" => {
                let supplier = payload_field(payload, "new_supplier")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let when = at + Duration::days(self.rng.random_range(3..15));
                let message = self.message(
                    when,
                    "SupplyStarted",
                    Some(stream_id.clone()),
                    supplier,
                    object!({ "malo_id": field("malo_id"), "start_date": field("start_date") }),
                );
                self.schedule(when, message);
            }
            "InvoiceReceived" | "CorrectedInvoiceReceived" => {
                let when = at + Duration::hours(self.rng.random_range(4..96));
                let roll: f64 = self.rng.random();
                let grid = field("grid_operator");
                let (message_type, body) = if roll < 0.88
                    || event.event_type == "CorrectedInvoiceReceived"
                {
                    (
                        "InvoiceChecked",
                        object!({ "invoice_no": field("invoice_no"), "amount_eur": field("amount_eur"), "grid_operator": grid, "checked_by": "billing-robot" }),
                    )
                } else {
                    let reasons = [
                        "price sheet not applicable",
                        "consumption exceeds meter reading",
                        "wrong billing period",
                    ];
                    let reason = reasons[self.rng.random_range(0..reasons.len())];
                    (
                        "InvoiceDisputed",
                        object!({ "invoice_no": field("invoice_no"), "dispute_reason": reason, "grid_operator": grid }),
                    )
                };
                let message = self.message(
                    when,
                    message_type,
                    Some(stream_id.clone()),
                    "supplier-backoffice",
                    body,
                );
                self.schedule(when, message);
            }
            _ => {}
        }
    }

    /// A paid billing period is followed, a month on, by the next period's
    /// meter reading (which opens the next billing period): a chain of
    /// processes across streams, caused by the payment.
    fn next_billing_cycle(&mut self, stream_id: &str, payment: &Event, at: OffsetDateTime) {
        let suffix = stream_id.strip_prefix("billing-").unwrap_or(stream_id);
        let Some(opened) = self.open_periods.remove(&format!("reading-{suffix}")) else {
            return;
        };
        // By scan, as everywhere in the simulation: indexing the map hashes
        // the name with SipHash, and this ran ten lookups a payment.
        let field = |name: &str| payload_field(&opened, name).cloned().unwrap_or(Value::Null);
        let known = |name: &str| payload_field(&opened, name).is_some_and(|value| !value.is_null());
        if ![
            "malo_id",
            "melo_id",
            "metering_operator",
            "new_supplier",
            "grid_operator",
        ]
        .iter()
        .all(|name| known(name))
        {
            return;
        }
        let (base, period) = match suffix.rsplit_once("-p") {
            Some((base, period)) => (base, period.parse::<u32>().unwrap_or(1)),
            None => (suffix, 1),
        };
        let next_stream = format!("reading-{base}-p{}", period + 1);
        let when = at + Duration::days(self.rng.random_range(27..33));
        let new_supplier = field("new_supplier");
        let sender = new_supplier.as_str().unwrap_or("").to_string();
        let payload = object!({
            "malo_id": field("malo_id"), "melo_id": field("melo_id"),
            "metering_operator": field("metering_operator"),
            "new_supplier": new_supplier, "grid_operator": field("grid_operator"),
            "start_date": when.date().to_string(), "reading_reason": "periodic",
        });
        let mut message = self.message(
            when,
            "ReadingRequested",
            Some(next_stream),
            &sender,
            payload,
        );
        message.process_type = Some("meter_reading".to_string());
        message.causation_id = Some(payment.event_id);
        message.correlation_id = payment.correlation_id;
        self.schedule(when, message);
    }

    /// A partner's answer to a message delivered to it.
    fn reply_to(&mut self, delivered: OutboxMessage, at: OffsetDateTime) {
        let OutboxMessage {
            stream_id,
            recipient: sender,
            message_type,
            payload,
            ..
        } = delivered;
        let behaviour = self.behaviour_of(&sender);
        let stream_id = Some(stream_id);
        let payload = &payload;
        let field = |name: &str| payload_field(payload, name).cloned().unwrap_or(Value::Null);
        let delay_hours = match behaviour {
            Behaviour::Slow => self.rng.random_range(80..140),
            _ => self.rng.random_range(1..40),
        };
        let when =
            at + Duration::hours(delay_hours) + Duration::minutes(self.rng.random_range(0..60));
        let roll: f64 = self.rng.random();
        match message_type.as_str() {
            "UTILMD_E01_Registration" => {
                let mut body = object!({
                    "malo_id": field("malo_id"), "start_date": field("start_date"),
                    "confirmation_id": format!("GC{:010}", self.rng.random_range(0..10_000_000_000u64)),
                    "melo_id": Value::Null, "metering_operator": Value::Null,
                });
                let (message_type, body) = if roll < 0.08 {
                    let codes = [
                        "Z01 contract end missing",
                        "E14 market location unknown",
                        "Z08 competing registration",
                    ];
                    let code = codes[self.rng.random_range(0..codes.len())];
                    (
                        "GridRejection",
                        object!({ "malo_id": field("malo_id"), "rejection_code": code }),
                    )
                } else {
                    // The grid operator's answer carries the metering data of the location.
                    let metering = self.metering_operators
                        [self.rng.random_range(0..self.metering_operators.len())]
                    .id
                    .clone();
                    let melo = metering_location_id(&mut self.rng, &sender);
                    body["melo_id"] = json!(melo);
                    body["metering_operator"] = json!(metering);
                    if roll < 0.11 {
                        // An incomplete confirmation: the start date is missing.
                        if let Some(object) = body.as_object_mut() {
                            object.remove("start_date");
                        }
                    }
                    ("GridConfirmation", body)
                };
                let mut message =
                    self.message(when, message_type, stream_id.clone(), &sender, body.clone());
                if let Some(object) = message.payload.as_object_mut() {
                    object.insert("new_supplier".into(), field("new_supplier"));
                    object.insert("grid_operator".into(), json!(sender));
                }
                self.schedule(when, message);
                if message_type == "GridConfirmation" && self.rng.random_bool(0.02) {
                    // A partner system sends its confirmation twice.
                    let later = when + Duration::hours(self.rng.random_range(2..30));
                    let mut duplicate =
                        self.message(later, "GridConfirmation", stream_id, &sender, body);
                    if let Some(object) = duplicate.payload.as_object_mut() {
                        object.insert("new_supplier".into(), field("new_supplier"));
                        object.insert("grid_operator".into(), json!(sender));
                    }
                    self.schedule(later, duplicate);
                }
            }
            "ORDERS_Z10_ReadingOrder" => {
                self.open_periods.insert(
                    stream_id.clone().unwrap_or_default(),
                    object!({
                        "malo_id": field("malo_id"), "melo_id": field("melo_id"),
                        "metering_operator": sender.as_str(), "new_supplier": field("new_supplier"),
                        "grid_operator": field("grid_operator"),
                    }),
                );
                let value = self.rng.random_range(120.0..9_000.0f64);
                let payload = if roll < 0.02 {
                    // A partner sends raw EDIFACT where JSON was agreed.
                    json!(format!(
                        "UNH+1+MSCONS:D:04B:UN:2.4c'BGM+7+{}+9'",
                        self.rng.random_range(100_000..999_999)
                    ))
                } else {
                    object!({
                        "malo_id": field("malo_id"), "melo_id": field("melo_id"),
                        "obis": "1-1:1.8.0", "value_kwh": (value * 10.0).round() / 10.0,
                        "read_at": when.date().to_string(), "quality": if roll < 0.9 { "measured" } else { "estimated" },
                        "new_supplier": field("new_supplier"), "grid_operator": field("grid_operator"),
                    })
                };
                let message =
                    self.message(when, "MeterReadingReceived", stream_id, &sender, payload);
                self.schedule(when, message);
            }
            "MSCONS_Reading" => {
                let when = at + Duration::hours(self.rng.random_range(1..20));
                let (message_type, body) = if roll < 0.04 {
                    (
                        "ReadingImplausible",
                        object!({ "reason_code": "value exceeds expected consumption by more than 300%", "value_kwh": field("value_kwh") }),
                    )
                } else {
                    (
                        "ReadingValidated",
                        object!({
                            "malo_id": field("malo_id"), "value_kwh": field("value_kwh"), "read_at": field("read_at"),
                            "new_supplier": json!(sender), "grid_operator": field("grid_operator"),
                        }),
                    )
                };
                let message = self.message(when, message_type, stream_id, &sender, body);
                self.schedule(when, message);
            }
            "UTILMD_Z14_MasterData" => {
                let kwh = field("value_kwh").as_f64().unwrap_or(1000.0);
                let amount = (kwh * self.rng.random_range(0.07..0.11) * 100.0).round() / 100.0;
                let period_end = at.date();
                let body = object!({
                    "invoice_no": format!("NN-{}-{:07}", at.year(), self.rng.random_range(0..10_000_000)),
                    "amount_eur": amount, "currency": "EUR", "vat_rate": 0.19,
                    "period_start": (period_end - Duration::days(30)).to_string(), "period_end": period_end.to_string(),
                    "grid_operator": json!(sender), "malo_id": field("malo_id"),
                });
                let message = if roll < 0.03 {
                    // An invoice without its amount.
                    let mut body = body;
                    if let Some(object) = body.as_object_mut() {
                        object.remove("amount_eur");
                    }
                    self.message(when, "InvoiceReceived", stream_id, &sender, body)
                } else {
                    self.message(when, "InvoiceReceived", stream_id, &sender, body)
                };
                self.schedule(when, message);
            }
            "REMADV_PaymentAdvice" => {
                let body = object!({ "invoice_no": field("invoice_no"), "paid_at": when.date().to_string(), "amount_eur": field("amount_eur") });
                let message = self.message(when, "PaymentConfirmed", stream_id, &sender, body);
                self.schedule(when, message);
            }
            "REMADV_Dispute" => {
                let body = object!({
                    "invoice_no": format!("{}-K", field("invoice_no").as_str().unwrap_or("NN")),
                    "amount_eur": (self.rng.random_range(40.0..400.0f64) * 100.0).round() / 100.0,
                    "grid_operator": json!(sender), "corrects": field("invoice_no"),
                });
                let message =
                    self.message(when, "CorrectedInvoiceReceived", stream_id, &sender, body);
                self.schedule(when, message);
            }
            _ => {}
        }
    }

    /// A few operator actions so that the audit trail is not empty: duplicates discarded.
    fn operator_actions(&mut self, engine: &mut Engine, store: &Store) -> Result<(), DemoError> {
        let operator = Operator::named("demo.operator");
        let duplicates: Vec<uuid::Uuid> = store
            .read()?
            .dead_letters_by_reason("transition_not_allowed", None, 3)?
            .items
            .into_iter()
            .filter(|letter| letter.status == DeadLetterStatus::Open)
            .map(|letter| letter.id)
            .collect();
        for (index, id) in duplicates.into_iter().enumerate() {
            let at = DEMO_NOW - Duration::hours(3)
                + Duration::minutes(i64::try_from(index).unwrap_or(0) * 7);
            engine.discard_dead_letter(
                store,
                id,
                &operator,
                "duplicate confirmation from the grid operator; the first one was processed",
                at,
            )?;
        }
        Ok(())
    }
}
