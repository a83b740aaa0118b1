//! What the client tells a tracing subscriber, captured for the tests that
//! read it: the formatted logs (every level, span fields included) and the
//! spans with their fields.
//!
//! The capture is the process's global subscriber, filtered to the threads
//! that asked for it: a thread-local subscriber (`set_default`) misses
//! events when other tests' threads register the same callsites at the same
//! time.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::span::{Attributes, Id, Record};
use tracing::{Subscriber, field::Field, field::Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

thread_local! {
    /// Whether this thread's events and spans are captured.
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
}

/// One span and its fields, values as they print.
#[derive(Clone, Debug)]
pub(crate) struct CapturedSpan {
    pub(crate) name: &'static str,
    pub(crate) fields: BTreeMap<&'static str, String>,
}

#[derive(Clone, Default)]
struct Sink {
    logs: Arc<Mutex<Vec<u8>>>,
    spans: Arc<Mutex<Vec<CapturedSpan>>>,
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.logs.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a [`Capture`] saw.
pub(crate) struct Captured {
    pub(crate) logs: String,
    pub(crate) spans: Vec<CapturedSpan>,
}

/// Captures this thread's logs and spans until [`stop`](Capture::stop).
pub(crate) struct Capture {
    sink: Sink,
    logs_from: usize,
    spans_from: usize,
}

impl Capture {
    pub(crate) fn start() -> Capture {
        let sink = sink();
        CAPTURING.with(|capturing| capturing.set(true));
        let logs_from = sink.logs.lock().unwrap().len();
        let spans_from = sink.spans.lock().unwrap().len();
        Capture { sink, logs_from, spans_from }
    }

    pub(crate) fn stop(self) -> Captured {
        CAPTURING.with(|capturing| capturing.set(false));
        let logs = self.sink.logs.lock().unwrap()[self.logs_from..].to_vec();
        let spans = self.sink.spans.lock().unwrap()[self.spans_from..].to_vec();
        Captured { logs: String::from_utf8(logs).unwrap(), spans }
    }
}

fn sink() -> Sink {
    static SINK: OnceLock<Sink> = OnceLock::new();
    SINK.get_or_init(|| {
        let sink = Sink::default();
        let writer = sink.clone();
        let only_capturing =
            || tracing_subscriber::filter::filter_fn(|_| CAPTURING.with(Cell::get));
        let logs = tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_filter(only_capturing())
            .with_filter(tracing_subscriber::filter::LevelFilter::TRACE);
        let spans = SpanLayer(sink.spans.clone()).with_filter(only_capturing());
        let subscriber = tracing_subscriber::registry().with(logs).with(spans);
        tracing::subscriber::set_global_default(subscriber).unwrap();
        sink
    })
    .clone()
}

/// Keeps every span's name and fields, updated as fields are recorded.
struct SpanLayer(Arc<Mutex<Vec<CapturedSpan>>>);

/// Where a span's fields live in the capture.
struct Slot(usize);

struct Fields<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SpanLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        attrs.record(&mut Fields(&mut fields));
        let mut spans = self.0.lock().unwrap();
        spans.push(CapturedSpan { name: attrs.metadata().name(), fields });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Slot(spans.len() - 1));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let Some(slot) = span.extensions().get::<Slot>().map(|slot| slot.0) else { return };
        let mut spans = self.0.lock().unwrap();
        values.record(&mut Fields(&mut spans[slot].fields));
    }
}
