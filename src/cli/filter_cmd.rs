//! `filter FILE [parts…] [--saved NAME] [--save NAME] [--json]`: the processes
//! a process filter keeps, evaluated by the same core function as the
//! window's filter bar (`search::select_processes`), optionally saved by
//! name; `filters [--delete NAME] [--json]`: the saved filters.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde_json::json;

use process_workbench_core::actions::{self, Action, Request, parse_time_input};
use process_workbench_core::search::{
    ProcessFilter, ProcessPathScope, SavedFilters, TimeWindowMode, select_processes,
};
use process_workbench_core::store::{Store, StreamStatus};

use super::{CliError, FilterParts};
use crate::state::filter::saved_filters_file;

/// A filter as typed: the saved filter `saved`, if named, with each part
/// given replacing that part of it.
#[derive(Debug)]
pub struct FilterArgs<'a> {
    pub saved: Option<&'a str>,
    pub parts: &'a FilterParts,
}

/// The saved-filters file (in the app's data folder).
fn saved_file() -> Result<PathBuf, CliError> {
    Ok(saved_filters_file(
        &crate::app::data_dir().map_err(CliError::input)?,
    ))
}

fn load_saved(file: &Path) -> Result<SavedFilters, CliError> {
    SavedFilters::load(file).map_err(|error| CliError::input(error.to_string()))
}

impl FilterArgs<'_> {
    /// Whether a saved filter or any part is given.
    pub fn is_given(&self) -> bool {
        let parts = self.parts;
        self.saved.is_some()
            || parts.process_type.is_some()
            || parts.status.is_some()
            || parts.variant.is_some()
            || parts.from.is_some()
            || parts.to.is_some()
            || parts.time.is_some()
            || !parts.with.is_empty()
            || !parts.without.is_empty()
            || parts.json_path.is_some()
            || parts.scope.is_some()
    }

    /// The filter the arguments describe, reading the saved filters only
    /// when one is named (no filter given: the empty filter, which keeps
    /// every process); exit 2 with one line for an unknown name or a bad part.
    pub fn load(&self) -> Result<ProcessFilter, CliError> {
        if !self.is_given() {
            return Ok(ProcessFilter::default());
        }
        let saved = match self.saved {
            Some(_) => load_saved(&saved_file()?)?,
            None => SavedFilters::default(),
        };
        self.filter(&saved)
    }

    /// The filter the arguments describe; exit 2 with one line for a bad part.
    pub fn filter(&self, saved: &SavedFilters) -> Result<ProcessFilter, CliError> {
        let parts = self.parts;
        let mut filter = match self.saved {
            Some(name) => saved
                .get(name)
                .map_err(|error| CliError::input(error.to_string()))?
                .clone(),
            None => ProcessFilter::default(),
        };
        let time = |flag: &str, text: &str| {
            parse_time_input(text).map_err(|error| CliError::input(format!("{flag}: {error}")))
        };
        if let Some(text) = parts.from.as_deref() {
            filter.from = Some(time("--from", text)?);
        }
        if let Some(text) = parts.to.as_deref() {
            filter.to = Some(time("--to", text)?);
        }
        if let Some(text) = parts.time.as_deref() {
            filter.time_mode = TimeWindowMode::parse(text).ok_or_else(|| {
                CliError::input(format!(
                    "--time: {text:?} is not intersecting, contained or started"
                ))
            })?;
        }
        if let Some(kind) = parts.process_type.as_deref() {
            filter.process_type = Some(kind.to_string());
        }
        if let Some(text) = parts.status.as_deref() {
            filter.status = Some(StreamStatus::parse(text).ok_or_else(|| {
                CliError::input(format!(
                    "--status: {text:?} is not running, completed or failed"
                ))
            })?);
        }
        if let Some(text) = parts.variant.as_deref() {
            filter.variant = Some(u128::from_str_radix(text.trim(), 16).map_err(|_| {
                CliError::input(format!(
                    "--variant: {text:?} is not a variant (32 hex digits)"
                ))
            })?);
        }
        filter.with_activities.extend(parts.with.iter().cloned());
        filter
            .without_activities
            .extend(parts.without.iter().cloned());
        if let Some(path) = parts.json_path.as_deref() {
            filter.json_path = Some(path.to_string());
        }
        if let Some(text) = parts.scope.as_deref() {
            filter.json_path_in = ProcessPathScope::parse(text).ok_or_else(|| {
                CliError::input(format!(
                    "--in: {text:?} is not anywhere, payload, event_metadata or stream_metadata"
                ))
            })?;
        }
        filter
            .validate()
            .map_err(|error| CliError::input(error.to_string()))?;
        Ok(filter)
    }
}

/// `filter`: prints the kept processes (ids, one a line, after a count line;
/// or JSON), and saves the filter as `save` when asked.
pub fn filter(
    path: &Path,
    args: &FilterArgs<'_>,
    save: Option<&str>,
    json: bool,
    user: Option<&str>,
) -> Result<(), CliError> {
    let file = saved_file()?;
    let saved = load_saved(&file)?;
    let filter = args.filter(&saved)?;
    let store = Store::open(path)?;
    let reader = store.read()?;
    let interactive = std::io::stderr().is_terminal();
    let selection = select_processes(&reader, &filter, &mut |progress| {
        if interactive && progress.total > 0 {
            eprint!("\r{} / {}", progress.done, progress.total);
        }
        ControlFlow::Continue(())
    })
    .map_err(|error| CliError::input(error.to_string()))?;
    if interactive {
        eprint!("\r");
    }
    let total = reader.stream_count()?;
    drop(reader);
    let mut out = std::io::stdout().lock();
    let written = if json {
        let value = json!({
            "filter": filter,
            "description": filter.describe(),
            "count": selection.counts.streams,
            "of": total,
            "counts": selection.counts,
            "unreadable": selection.unreadable,
            "streams": selection.ids,
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        )
    } else {
        let mut text = format!(
            "{} of {} streams: {}\n",
            selection.counts.streams,
            total,
            filter.describe()
        );
        for id in &selection.ids {
            text.push_str(id);
            text.push('\n');
        }
        out.write_all(text.as_bytes())
    };
    written.map_err(|error| CliError::input(format!("standard output: {error}")))?;
    drop(out);
    if let Some(name) = save {
        let action = Action::SaveFilter {
            file,
            name: name.to_string(),
            filter,
        };
        // Saving writes the user's filters file, not the store: no reason is
        // asked. With --json, standard output holds the JSON only.
        let mut request = Request::now(action, "");
        request.operator = super::actions_cmd::operator(user);
        let outcome = actions::execute_without_store(&request)?;
        if json {
            eprintln!("{}", outcome.line);
        } else {
            println!("{}", outcome.line);
        }
    }
    Ok(())
}

/// `filters`: the saved filters by name (or forgets one).
pub fn filters(delete: Option<&str>, json: bool, user: Option<&str>) -> Result<(), CliError> {
    let file = saved_file()?;
    if let Some(name) = delete {
        let action = Action::DeleteFilter {
            file,
            name: name.to_string(),
        };
        return super::actions_cmd::run_without_store(action, user);
    }
    let saved = load_saved(&file)?;
    if json {
        let list: Vec<_> = saved
            .iter()
            .map(|(name, filter)| {
                json!({"name": name, "description": filter.describe(), "filter": filter})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        return Ok(());
    }
    if saved.is_empty() {
        println!("No saved filters ({}).", file.display());
    }
    let names: BTreeSet<&str> = saved.iter().map(|(name, _)| name).collect();
    let width = names
        .iter()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0);
    for (name, filter) in saved.iter() {
        println!("{name:width$}  {}", filter.describe());
    }
    Ok(())
}
