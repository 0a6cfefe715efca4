//! The command line (ARCHITECTURE.md's CLI contract). No subcommand starts the GUI;
//! every other subcommand is headless and calls the same library functions as
//! the GUI does.
//!
//! Exit status: 0 ok, 1 the check found problems, 2 bad input or a file that
//! can't be opened (one clear line on stderr).

mod actions_cmd;
mod commands;
mod filter_cmd;
mod graph_cmd;
mod import_cmd;
mod map_cmd;
mod queues_cmd;
mod replay_cmd;
mod search_cmd;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use process_workbench_core::actions::{Action, EventSelection, GraphFormat, LogFormat};
use process_workbench_core::store::{OpenError, StoreError};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "process-workbench",
    version,
    about = "See and repair what event-sourced business processes did"
)]
pub struct Cli {
    /// A store to open in the window (default: the demo store).
    pub file: Option<PathBuf>,
    /// The user recorded in the audit trail (default: the logged-in user).
    #[arg(long, global = true)]
    pub user: Option<String>,
    /// Open the window with the saved process filter NAME applied (see `filters`).
    #[arg(long, value_name = "NAME")]
    pub filter: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The headless subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a realistic demo store by running the engine over simulated time.
    Demo {
        out: PathBuf,
        #[arg(long, default_value_t = 200)]
        processes: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Counts: streams, events, variants, queues, dead letters, audit.
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// State of a stream at a version, and the diff from the version before;
    /// with --validate, whether a replay under the definition stored now agrees
    /// with the stored state (exit 1 when not), and the failure point.
    Replay {
        file: PathBuf,
        #[arg(long)]
        stream: String,
        #[arg(long, conflicts_with = "validate")]
        to: Option<u64>,
        /// Replay the whole stream under the definition stored now and compare.
        #[arg(long)]
        validate: bool,
        #[arg(long)]
        json: bool,
    },
    /// Events matching a JSONPath and other filters, in log order.
    Search {
        file: PathBuf,
        /// A JSONPath (RFC 9535) that must find a node, e.g. '$.malo_id' or "$..[?@.type == 'household']".
        #[arg(long = "jsonpath")]
        json_path: Option<String>,
        /// Where the JSONPath looks.
        #[arg(long = "in", value_parser = ["payload", "metadata", "both"], default_value = "both")]
        scope: String,
        /// An event type (repeatable: any of them).
        #[arg(long = "type")]
        event_type: Vec<String>,
        /// Events of this stream.
        #[arg(long)]
        stream: Option<String>,
        /// Events whose stream is of this process type.
        #[arg(long)]
        process_type: Option<String>,
        /// Events of this conversation (correlation id).
        #[arg(long)]
        correlation: Option<String>,
        /// Occurred at or after (RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM in UTC).
        #[arg(long)]
        from: Option<String>,
        /// Occurred at or before (RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM in UTC).
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The processes (streams) a process filter keeps: a count line and their
    /// ids, or JSON. The same filter as the window's filter bar.
    Filter {
        file: PathBuf,
        /// Start from the saved filter NAME (the parts given replace its parts).
        #[arg(long, value_name = "NAME")]
        saved: Option<String>,
        #[command(flatten)]
        parts: FilterParts,
        /// Save the filter under this name (in the app's data folder; the store is not written).
        #[arg(long, value_name = "NAME")]
        save: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The saved process filters (`filter --save` saves one; the window's
    /// filter bar too; `process-workbench FILE --filter NAME` opens one).
    Filters {
        /// Forget the saved filter NAME.
        #[arg(long, value_name = "NAME")]
        delete: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Causal closure of an event: nodes and edges.
    Graph {
        file: PathBuf,
        #[arg(long)]
        event: String,
        #[arg(long)]
        json: bool,
        /// Events shown before the farthest are collapsed into "N more" groups.
        #[arg(long, default_value_t = process_workbench_core::graph::DEFAULT_MAX_NODES)]
        max_nodes: usize,
        /// Also include every event of the event's correlation (conversation).
        #[arg(long)]
        correlation: bool,
        /// Save the graph as SVG (laid out as the window draws it).
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Save the graph as PNG.
        #[arg(long)]
        png: Option<PathBuf>,
        /// The layout of a saved picture.
        #[arg(long, value_parser = ["layered", "lanes"], default_value = "layered")]
        layout: String,
    },
    /// The process map (directly-follows graph): activities, edges with
    /// their count and mean and median time, start and end activities.
    Map {
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Only the streams of this object type (OCEL) or process type.
        #[arg(long)]
        object_type: Option<String>,
        /// Only these streams (repeat for several).
        #[arg(long)]
        stream: Vec<String>,
        /// Save the map as SVG (laid out as the window draws it).
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Save the map as PNG.
        #[arg(long)]
        png: Option<PathBuf>,
        /// What a saved picture's edges show: counts or times.
        #[arg(long, value_parser = ["frequency", "performance"], default_value = "frequency")]
        mode: String,
        /// Share of the activities a saved picture shows (0 to 1, the most frequent).
        #[arg(long, default_value_t = 1.0)]
        activities: f32,
        /// Share of the paths a saved picture shows (0 to 1, the most frequent).
        #[arg(long, default_value_t = 1.0)]
        paths: f32,
    },
    /// Import a log (XES, OCEL as JSON, XML or SQLite, CSV, JSONL) or an engine's store directory (mako, batpak) into a store.
    Import {
        file: PathBuf,
        #[arg(long, value_parser = process_workbench_core::import::Format::ALL.map(process_workbench_core::import::Format::as_str))]
        from: String,
        input: PathBuf,
        /// CSV: the case id column (default case:concept:name).
        #[arg(long)]
        case: Option<String>,
        /// CSV: the activity column (default concept:name).
        #[arg(long)]
        activity: Option<String>,
        /// CSV: the timestamp column (default time:timestamp).
        #[arg(long)]
        timestamp: Option<String>,
        /// The UTC offset of times written without one: +HH:MM, -HH:MM or Z
        /// (default Z, as pm4py reads them). Times with an offset keep it.
        #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
        utc_offset: Option<String>,
    },
    /// Export events as JSONL, or streams as a XES or OCEL 2.0 JSON log.
    ///
    /// --xes and --ocel write every stream, the listed ones (--stream), or
    /// the processes a process filter keeps (--filter NAME and/or the
    /// filter's parts below, evaluated as `filter` evaluates them; the
    /// window's File > Export of the processes shown writes the same file).
    /// With both --stream and a filter: the listed streams the filter keeps.
    /// An unknown filter name, a bad filter part or an unknown stream writes
    /// nothing (exit 2).
    #[command(group(clap::ArgGroup::new("out").required(true).args(["jsonl", "xes", "ocel"])))]
    Export {
        file: PathBuf,
        /// Events as JSONL ('-': standard output).
        #[arg(long)]
        jsonl: Option<PathBuf>,
        /// A XES log, a trace per stream.
        #[arg(long)]
        xes: Option<PathBuf>,
        /// An OCEL 2.0 JSON log, an object per stream.
        #[arg(long)]
        ocel: Option<PathBuf>,
        /// Only this stream (repeatable for --xes and --ocel).
        #[arg(long)]
        stream: Vec<String>,
        /// Only the processes the saved filter NAME keeps (see `filters`;
        /// --xes and --ocel); the parts given below replace its parts.
        #[arg(long, value_name = "NAME", help_heading = "Process filter")]
        filter: Option<String>,
        #[command(flatten)]
        parts: FilterParts,
    },
    /// Build replay checkpoints for every stream that lacks them (audited).
    Checkpoints {
        file: PathBuf,
        #[arg(long, default_value = "build replay checkpoints")]
        reason: String,
    },
    /// Integrity check: exit 1 when an invariant is broken.
    Check { file: PathBuf },
    /// Repair a store that was not closed cleanly (rewrites the file).
    Repair { file: PathBuf },
    /// List dead letters, or their failure groups (reason × message type).
    DeadLetters {
        file: PathBuf,
        #[arg(long, value_parser = ["open", "resubmitted", "discarded"])]
        status: Option<String>,
        /// Failure groups with their counts instead of the dead letters.
        #[arg(long)]
        groups: bool,
        #[arg(long)]
        json: bool,
    },
    /// Resubmit a dead letter, as it is or with an edited payload.
    Resubmit {
        file: PathBuf,
        #[arg(long)]
        dead_letter: String,
        /// A JSON file with the edited payload.
        #[arg(long)]
        payload: Option<PathBuf>,
        #[arg(long)]
        reason: String,
    },
    /// Discard a dead letter with a reason.
    Discard {
        file: PathBuf,
        #[arg(long)]
        dead_letter: String,
        #[arg(long)]
        reason: String,
    },
    /// The audit trail.
    Audit {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// List pending outbox messages by due time.
    Outbox {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Act on one outbox message.
    OutboxAction {
        file: PathBuf,
        #[arg(long)]
        message: String,
        #[command(subcommand)]
        action: OutboxActionArg,
    },
    /// List pending deadlines by due time.
    Deadlines {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Act on one deadline.
    DeadlineAction {
        file: PathBuf,
        #[arg(long)]
        deadline: String,
        #[command(subcommand)]
        action: DeadlineActionArg,
    },
    /// Retry the failed step of a failed process (under the definition stored now).
    Retry {
        file: PathBuf,
        #[arg(long)]
        stream: String,
        #[arg(long)]
        reason: String,
    },
    /// Resubmit or discard many dead letters: a failure group or listed ids,
    /// each in its own transaction (dry-run count first; run again for the rest).
    Bulk {
        file: PathBuf,
        #[arg(long, value_parser = ["resubmit", "discard"])]
        action: String,
        /// The group's reason label.
        #[arg(long)]
        group_reason: Option<String>,
        /// The group's message type.
        #[arg(long)]
        group_type: Option<String>,
        /// A dead letter to act on (repeatable).
        #[arg(long)]
        dead_letter: Vec<String>,
        #[arg(long)]
        reason: String,
        /// Only count what would be done.
        #[arg(long)]
        dry_run: bool,
    },
}

/// The parts of a process filter given on the command line (`filter`, and
/// `export --xes | --ocel`): each part that is given must hold.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Process filter")]
pub struct FilterParts {
    /// Processes of this process type (an object type of an OCEL log).
    #[arg(long)]
    pub process_type: Option<String>,
    /// Processes of this status.
    #[arg(long, value_parser = ["running", "completed", "failed"])]
    pub status: Option<String>,
    /// A variant (32 hex digits, as `inspect` and the window show them).
    #[arg(long)]
    pub variant: Option<String>,
    /// The time window's start (RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM in UTC).
    #[arg(long)]
    pub from: Option<String>,
    /// The time window's end (included).
    #[arg(long)]
    pub to: Option<String>,
    /// How a process's first and last event meet the window.
    #[arg(long, value_parser = ["intersecting", "contained", "started"])]
    pub time: Option<String>,
    /// An activity (event type) the process has (repeatable: all of them).
    #[arg(long = "with", value_name = "ACTIVITY")]
    pub with: Vec<String>,
    /// An activity the process does not have (repeatable: none of them).
    #[arg(long = "without", value_name = "ACTIVITY")]
    pub without: Vec<String>,
    /// A JSONPath (RFC 9535) that must find a node.
    #[arg(long = "jsonpath")]
    pub json_path: Option<String>,
    /// Where the JSONPath looks (default: anywhere).
    #[arg(long = "in", value_parser = ["anywhere", "payload", "event_metadata", "stream_metadata"])]
    pub scope: Option<String>,
}

/// What to do with an outbox message.
#[derive(Debug, Subcommand)]
pub enum OutboxActionArg {
    /// Make it due now (the next delivery run sends it).
    DeliverNow {
        #[arg(long)]
        reason: String,
    },
    /// Set a new due time (RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM in UTC).
    Reschedule {
        #[arg(long)]
        at: String,
        #[arg(long)]
        reason: String,
    },
    /// Remove it without sending.
    Cancel {
        #[arg(long)]
        reason: String,
    },
    /// Move it to the dead letters.
    DeadLetter {
        #[arg(long)]
        reason: String,
    },
}

/// What to do with a deadline.
#[derive(Debug, Subcommand)]
pub enum DeadlineActionArg {
    /// Expire it now: its expiry event is appended.
    Fire {
        #[arg(long)]
        reason: String,
    },
    /// Set a new due time (RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM in UTC).
    Reschedule {
        #[arg(long)]
        at: String,
        #[arg(long)]
        reason: String,
    },
    /// Remove it without firing.
    Cancel {
        #[arg(long)]
        reason: String,
    },
}

/// A failed command: its exit status and the one line said on stderr.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    /// Bad input or a file that can't be opened: exit 2.
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }

    /// The check found problems: exit 1.
    pub fn problems(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<OpenError> for CliError {
    fn from(error: OpenError) -> Self {
        CliError::input(error.to_string())
    }
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        CliError::input(error.to_string())
    }
}

/// Runs a headless subcommand, writing its output to stdout. `user` is the
/// user the audit trail records (`--user`).
pub fn run(command: Command, user: Option<&str>) -> Result<(), CliError> {
    let act = |file: &std::path::Path, action: Action, reason: &str| {
        actions_cmd::run(file, action, reason, user)
    };
    match command {
        Command::Demo {
            out,
            processes,
            seed,
        } => commands::demo(&out, processes, seed),
        Command::Inspect { file, json } => commands::inspect(&file, json),
        Command::Replay {
            file,
            stream,
            to,
            validate,
            json,
        } => {
            if validate {
                return replay_cmd::validate(&file, &stream, json);
            }
            replay_cmd::replay(&file, &stream, to, json)
        }
        Command::Search {
            file,
            json_path,
            scope,
            event_type,
            stream,
            process_type,
            correlation,
            from,
            to,
            json,
        } => {
            let args = search_cmd::SearchArgs {
                json_path: json_path.as_deref(),
                scope: &scope,
                event_types: &event_type,
                stream: stream.as_deref(),
                process_type: process_type.as_deref(),
                correlation: correlation.as_deref(),
                from: from.as_deref(),
                to: to.as_deref(),
            };
            search_cmd::search(&file, &args, json)
        }
        Command::Graph {
            file,
            event,
            json,
            max_nodes,
            correlation,
            svg,
            png,
            layout,
        } => {
            let pictures = [(svg, GraphFormat::Svg), (png, GraphFormat::Png)];
            if pictures.iter().all(|(out, _)| out.is_none()) {
                return graph_cmd::graph(&file, &event, json, max_nodes, correlation);
            }
            for (out, format) in pictures {
                let Some(out) = out else { continue };
                let request = graph_cmd::request(&event, max_nodes, correlation, &layout)?;
                act(
                    &file,
                    Action::ExportGraph {
                        request,
                        format,
                        out,
                    },
                    "",
                )?;
            }
            Ok(())
        }
        Command::Filter {
            file,
            saved,
            parts,
            save,
            json,
        } => {
            let args = filter_cmd::FilterArgs {
                saved: saved.as_deref(),
                parts: &parts,
            };
            filter_cmd::filter(&file, &args, save.as_deref(), json, user)
        }
        Command::Filters { delete, json } => filter_cmd::filters(delete.as_deref(), json, user),
        Command::Map {
            file,
            json,
            object_type,
            stream,
            svg,
            png,
            mode,
            activities,
            paths,
        } => {
            let request = map_cmd::request(object_type, stream, &mode, activities, paths)?;
            let pictures = [(svg, GraphFormat::Svg), (png, GraphFormat::Png)];
            if pictures.iter().all(|(out, _)| out.is_none()) {
                return map_cmd::map(&file, &request, json);
            }
            for (out, format) in pictures {
                let Some(out) = out else { continue };
                act(
                    &file,
                    Action::ExportMap {
                        request: request.clone(),
                        format,
                        out,
                    },
                    "",
                )?;
            }
            Ok(())
        }
        Command::Import {
            file,
            from,
            input,
            case,
            activity,
            timestamp,
            utc_offset,
        } => {
            let mapping = import_cmd::CsvColumns {
                case,
                activity,
                timestamp,
            };
            import_cmd::import(&file, &from, &input, &mapping, utc_offset.as_deref(), user)
        }
        Command::Export {
            file,
            jsonl,
            xes,
            ocel,
            stream,
            filter,
            parts,
        } => {
            let filter = filter_cmd::FilterArgs {
                saved: filter.as_deref(),
                parts: &parts,
            };
            let log = xes
                .map(|out| (LogFormat::Xes, out))
                .or(ocel.map(|out| (LogFormat::Ocel, out)));
            if let Some((format, out)) = log {
                // The filter is read (and a bad one refused) before the store
                // is opened or anything written.
                let filter = filter.load()?;
                return act(
                    &file,
                    Action::ExportLog {
                        format,
                        streams: stream,
                        filter,
                        out,
                    },
                    "",
                );
            }
            let Some(jsonl) = jsonl else {
                return Err(CliError::input("export needs --jsonl, --xes or --ocel"));
            };
            if filter.is_given() {
                return Err(CliError::input(
                    "export --jsonl takes no process filter (--filter and its parts go with --xes and --ocel)",
                ));
            }
            if stream.len() > 1 {
                return Err(CliError::input(
                    "export --jsonl takes one --stream (--xes and --ocel take several)",
                ));
            }
            let selection = stream
                .into_iter()
                .next()
                .map_or(EventSelection::All, EventSelection::Stream);
            if jsonl == std::path::Path::new("-") {
                return import_cmd::export_to_stdout(&file, &selection);
            }
            act(
                &file,
                Action::ExportJsonl {
                    selection,
                    out: jsonl,
                },
                "",
            )
        }
        Command::Checkpoints { file, reason } => act(&file, Action::BuildCheckpoints, &reason),
        Command::Check { file } => commands::check(&file),
        Command::Repair { file } => commands::repair(&file, user),
        Command::DeadLetters {
            file,
            status,
            groups,
            json,
        } => {
            if groups {
                return queues_cmd::groups(&file, status.as_deref(), json);
            }
            commands::dead_letters(&file, status.as_deref(), json)
        }
        Command::Resubmit {
            file,
            dead_letter,
            payload,
            reason,
        } => {
            let dead_letter = actions_cmd::parse_id(&dead_letter, "dead letter")?;
            let payload = payload.as_deref().map(actions_cmd::read_json).transpose()?;
            act(
                &file,
                Action::Resubmit {
                    dead_letter,
                    payload,
                },
                &reason,
            )
        }
        Command::Discard {
            file,
            dead_letter,
            reason,
        } => {
            let dead_letter = actions_cmd::parse_id(&dead_letter, "dead letter")?;
            act(&file, Action::Discard { dead_letter }, &reason)
        }
        Command::Audit { file, json } => commands::audit(&file, json),
        Command::Outbox { file, json } => commands::outbox(&file, json),
        Command::OutboxAction {
            file,
            message,
            action,
        } => {
            let (action, reason) = actions_cmd::outbox_action(&message, action)?;
            act(&file, action, &reason)
        }
        Command::Deadlines { file, json } => commands::deadlines(&file, json),
        Command::DeadlineAction {
            file,
            deadline,
            action,
        } => {
            let (action, reason) = actions_cmd::deadline_action(&deadline, action)?;
            act(&file, action, &reason)
        }
        Command::Retry {
            file,
            stream,
            reason,
        } => act(&file, Action::RetryFailedStep { stream }, &reason),
        Command::Bulk {
            file,
            action,
            group_reason,
            group_type,
            dead_letter,
            reason,
            dry_run,
        } => {
            let target = queues_cmd::BulkTarget {
                reason_label: group_reason.as_deref(),
                message_type: group_type.as_deref(),
                ids: &dead_letter,
            };
            let Some(action) = queues_cmd::bulk_action(&file, &action, &target, dry_run)? else {
                return Ok(());
            };
            act(&file, action, &reason)
        }
    }
}
