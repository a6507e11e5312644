//! Logs on stderr: plain text (coloured only on a terminal, `NO_COLOR` and `CLICOLOR_FORCE`
//! honoured) or JSON Lines (`--log-format json`: one object per line with `time`, `level`,
//! `target`, `message` and `fields`). Messages meant for the user go through [`say`], so
//! that with JSON logs every line of stderr is JSON.

use std::fmt::Debug;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The format of the logs on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal only).
    #[default]
    Text,
    /// One JSON object per line: time, level, target, message, fields.
    Json,
}

static JSON_LOGS: AtomicBool = AtomicBool::new(false);

/// Whether log lines may carry ANSI colours: never with `NO_COLOR` set (non-empty),
/// always with `CLICOLOR_FORCE` set (not `0`), otherwise when stderr is a terminal.
pub fn colour_wanted(no_color: Option<&str>, clicolor_force: Option<&str>, terminal: bool) -> bool {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    if clicolor_force.is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    terminal
}

/// Installs the global logger: `default_filter` unless `GLANEUR_LOG` says otherwise.
pub fn init(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_env("GLANEUR_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => {
            let colour = colour_wanted(
                std::env::var("NO_COLOR").ok().as_deref(),
                std::env::var("CLICOLOR_FORCE").ok().as_deref(),
                std::io::stderr().is_terminal(),
            );
            builder.with_target(false).with_ansi(colour).init();
        }
        LogFormat::Json => {
            JSON_LOGS.store(true, Ordering::Relaxed);
            builder.with_ansi(false).event_format(JsonLines).init();
        }
    }
}

/// A message for the user on stderr: a plain line, or an `info` log event with JSON logs.
pub fn say(message: &str) {
    if JSON_LOGS.load(Ordering::Relaxed) {
        tracing::info!(target: "glaneur", "{message}");
    } else {
        eprintln!("{message}");
    }
}

/// A warning for the user on stderr (`warning: …`, or a `warn` event with JSON logs).
pub fn warn(message: &str) {
    if JSON_LOGS.load(Ordering::Relaxed) {
        tracing::warn!(target: "glaneur", "{message}");
    } else {
        eprintln!("warning: {message}");
    }
}

/// An error for the user on stderr (`error: …`, or an `error` event with JSON logs).
pub fn error(message: &str) {
    if JSON_LOGS.load(Ordering::Relaxed) {
        tracing::error!(target: "glaneur", "{message}");
    } else {
        eprintln!("error: {message}");
    }
}

/// The JSON Lines event format.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut fields = FieldsToJson::default();
        event.record(&mut fields);
        let metadata = event.metadata();
        let line = json_line(
            chrono::Utc::now(),
            metadata.level(),
            metadata.target(),
            fields,
        );
        writeln!(writer, "{line}")
    }
}

fn json_line(
    time: chrono::DateTime<chrono::Utc>,
    level: &Level,
    target: &str,
    fields: FieldsToJson,
) -> Value {
    serde_json::json!({
        "time": time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "level": level.as_str(),
        "target": target,
        "message": fields.message,
        "fields": Value::Object(fields.fields),
    })
}

/// Collects an event's message and fields as JSON values.
#[derive(Default)]
struct FieldsToJson {
    message: String,
    fields: Map<String, Value>,
}

impl FieldsToJson {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
        } else {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

impl Visit for FieldsToJson {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
}

#[cfg(test)]
mod tests {
    use super::colour_wanted;

    #[test]
    fn colour_follows_the_terminal_and_the_conventions() {
        assert!(colour_wanted(None, None, true));
        assert!(!colour_wanted(None, None, false));
        assert!(!colour_wanted(Some("1"), None, true));
        assert!(!colour_wanted(Some("1"), Some("1"), true));
        assert!(colour_wanted(Some(""), None, true));
        assert!(colour_wanted(None, Some("1"), false));
        assert!(!colour_wanted(None, Some("0"), false));
    }
}
