//! The `tracing` spans and events of a run (docs/library.md), as a service's subscriber sees
//! them: a real `Migrator` run against a SQLite file (PostgreSQL for the lock retry), recorded
//! by a small subscriber written here, so the test depends on `tracing` alone.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use common::{as_refs, revision, sql_revision, Project, TestDatabase};
use rmig::{MigrateError, Migrator};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_core::span::Current;

/// Field names and values, each value as its `Debug` (a string without quotes).
type Fields = BTreeMap<String, String>;

#[derive(Debug, Clone)]
struct SpanSeen {
    name: &'static str,
    metadata: &'static Metadata<'static>,
    target: String,
    fields: Fields,
}

/// An event with the spans it happened in, outermost first.
#[derive(Debug, Clone)]
struct EventSeen {
    level: Level,
    target: String,
    fields: Fields,
    spans: Vec<SpanSeen>,
}

impl EventSeen {
    fn message(&self) -> &str {
        self.fields.get("message").map_or("", String::as_str)
    }

    fn field(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("no field {name} in {self:#?}"))
    }

    fn span(&self, name: &str) -> &SpanSeen {
        self.spans
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("not in a {name} span: {self:#?}"))
    }
}

struct FieldVisitor<'a>(&'a mut Fields);

impl Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

/// Records every span, and the events of the threads that are [`recorded`]. It is the
/// global default, installed once before any test runs rmig: callsites cache whether anyone
/// listens, and a subscriber set for one thread while other test threads register callsites
/// would have some of them cached as unheard.
#[derive(Default)]
struct Recorder {
    next_id: AtomicU64,
    spans: Mutex<BTreeMap<u64, SpanSeen>>,
}

/// The span a test enters around work that runs on other threads: the events inside it are
/// kept in [`CALLER_EVENTS`], whichever thread emits them.
const CALLER: &str = "test.caller";

static CALLER_EVENTS: Mutex<Vec<EventSeen>> = Mutex::new(Vec::new());

thread_local! {
    /// The spans this thread is in, outermost first.
    static STACK: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// The events of this thread, while it is recorded.
    static EVENTS: RefCell<Option<Vec<EventSeen>>> = const { RefCell::new(None) };
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields::new();
        attributes.record(&mut FieldVisitor(&mut fields));
        let metadata = attributes.metadata();
        self.spans.lock().unwrap().insert(
            id,
            SpanSeen {
                name: metadata.name(),
                metadata,
                target: metadata.target().to_string(),
                fields,
            },
        );
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some(seen) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut FieldVisitor(&mut seen.fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::new();
        event.record(&mut FieldVisitor(&mut fields));
        let spans = self.spans.lock().unwrap();
        let seen = EventSeen {
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            fields,
            spans: STACK.with_borrow(|stack| {
                stack
                    .iter()
                    .filter_map(|id| spans.get(id).cloned())
                    .collect()
            }),
        };
        if seen.spans.first().is_some_and(|span| span.name == CALLER) {
            CALLER_EVENTS.lock().unwrap().push(seen);
        } else {
            EVENTS.with_borrow_mut(|events| events.as_mut().map(|events| events.push(seen)));
        }
    }

    /// What `Span::current()` asks: the innermost span this thread entered.
    fn current_span(&self) -> Current {
        let innermost = STACK.with_borrow(|stack| stack.last().copied());
        let spans = self.spans.lock().unwrap();
        match innermost.and_then(|id| Some((id, spans.get(&id)?.metadata))) {
            Some((id, metadata)) => Current::new(Id::from_u64(id), metadata),
            None => Current::none(),
        }
    }

    fn enter(&self, span: &Id) {
        STACK.with_borrow_mut(|stack| stack.push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        STACK.with_borrow_mut(|stack| {
            if let Some(at) = stack.iter().rposition(|id| *id == span.into_u64()) {
                stack.remove(at);
            }
        });
    }
}

/// Installs the [`Recorder`]; every test calls it before running rmig.
fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(Recorder::default())
            .expect("no other subscriber in this test binary");
    });
}

/// Runs `work` with this thread's events recorded; returns its result and the events.
fn recorded<T>(work: impl FnOnce() -> T) -> (T, Vec<EventSeen>) {
    EVENTS.set(Some(Vec::new()));
    let result = work();
    (result, EVENTS.take().unwrap_or_default())
}

fn with_message<'a>(events: &'a [EventSeen], message: &str) -> Vec<&'a EventSeen> {
    events
        .iter()
        .filter(|event| event.message() == message)
        .collect()
}

fn sqlite_migrator(project: &Project) -> Migrator {
    install();
    Migrator::from_dir(project.path().join("revisions"))
        .unwrap()
        .url(format!("sqlite:///{}", project.sqlite_path().display()))
}

#[test]
fn an_upgrade_tells_its_plan_the_guard_and_each_step() {
    let files = vec![
        sql_revision("t1", &[], "CREATE TABLE t1 (x int)", "DROP TABLE t1"),
        sql_revision("t2", &["t1"], "CREATE TABLE t2 (x int)", "DROP TABLE t2"),
    ];
    let project = Project::sqlite(&as_refs(&files));
    let migrator = sqlite_migrator(&project);
    let (report, events) = recorded(|| migrator.upgrade("head"));
    assert_eq!(report.unwrap().heads, ["t2"]);

    let [planned] = with_message(&events, "planned")[..] else {
        panic!("one plan event: {events:#?}")
    };
    assert_eq!(planned.level, Level::INFO);
    assert_eq!(planned.target, "rmig::exec");
    assert_eq!(planned.field("steps"), "2");
    assert_eq!(planned.field("start_heads"), "base");
    assert_eq!(planned.field("target_heads"), "t2");
    assert_eq!(planned.field("attempt"), "0");
    let run = planned.span("rmig.migrate");
    assert_eq!(run.target, "rmig::exec");
    assert_eq!(run.fields["direction"], "upgrade");
    assert_eq!(run.fields["target"], "head");
    assert_eq!(run.fields["dialect"], "sqlite");

    let [verdict] = with_message(&events, "guard passed")[..] else {
        panic!("one verdict: {events:#?}")
    };
    assert_eq!(
        (verdict.level, verdict.target.as_str()),
        (Level::INFO, "rmig::guard")
    );
    assert_eq!(verdict.field("verdict"), "passed");
    assert_eq!(verdict.field("steps"), "2");
    assert_eq!(verdict.field("confirmed"), "0");
    verdict.span("rmig.migrate");

    let finished = with_message(&events, "step finished");
    assert_eq!(finished.len(), 2, "{events:#?}");
    for (event, (revision, from)) in finished.iter().zip([("t1", "base"), ("t2", "t1")]) {
        assert_eq!(event.level, Level::INFO);
        event.field("elapsed_ms").parse::<u64>().unwrap();
        let step = event.span("rmig.step");
        assert_eq!(step.fields["revision"], revision);
        assert_eq!(step.fields["direction"], "upgrade");
        assert_eq!(step.fields["from"], from);
        assert_eq!(step.fields["to"], revision);
        assert_eq!(
            event.spans[0].name, "rmig.migrate",
            "the step is in the run"
        );
    }
    assert!(
        events.iter().all(|event| event.level != Level::WARN),
        "{events:#?}"
    );

    let (report, events) = recorded(|| migrator.downgrade("base"));
    report.unwrap();
    let planned = with_message(&events, "planned");
    assert_eq!(planned[0].field("target_heads"), "base");
    assert_eq!(
        planned[0].span("rmig.migrate").fields["direction"],
        "downgrade"
    );
    let steps: Vec<&str> = with_message(&events, "step finished")
        .iter()
        .map(|event| event.span("rmig.step").fields["revision"].as_str())
        .collect();
    assert_eq!(steps, ["t2", "t1"]);
}

#[test]
fn a_blocked_plan_is_a_warning_naming_what_it_would_destroy() {
    let files = vec![
        revision(
            "k1",
            None,
            "downgrade = []\n\n[[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE TABLE keep (x int); CREATE TABLE lose (x int); INSERT INTO keep VALUES (1); INSERT INTO lose VALUES (1)\"\n",
        ),
        revision(
            "k2",
            Some("k1"),
            "downgrade = []\n\n[[upgrade]]\nop = \"drop_table\"\ntable_name = \"keep\"\n\n\
             [[upgrade]]\nop = \"drop_table\"\ntable_name = \"lose\"\n",
        ),
    ];
    let project = Project::sqlite(&as_refs(&files));
    let migrator = sqlite_migrator(&project);
    migrator.upgrade("k1").unwrap();
    let (result, events) = recorded(|| migrator.upgrade("head"));
    assert!(
        matches!(result, Err(MigrateError::Blocked(_))),
        "{result:?}"
    );

    let [blocked] = with_message(&events, "guard blocked")[..] else {
        panic!("one verdict: {events:#?}")
    };
    assert_eq!(blocked.level, Level::WARN);
    assert_eq!(blocked.target, "rmig::guard");
    assert_eq!(blocked.field("verdict"), "blocked");
    assert_eq!(blocked.field("stage"), "before_run");
    assert_eq!(blocked.field("findings"), "2");
    assert_eq!(blocked.field("objects"), "keep, lose");
    assert_eq!(blocked.span("rmig.migrate").fields["target"], "head");
    assert_eq!(
        with_message(&events, "planned")[0].field("target_heads"),
        "k2",
        "the refused plan is told too"
    );
    assert!(with_message(&events, "step finished").is_empty());
}

#[test]
fn a_warning_of_the_run_is_a_warn_event() {
    // Not transactional: its first operation stays when the second fails, and the next run
    // warns before running it again.
    let files = vec![revision(
        "w1",
        None,
        "transactional = false\ndowngrade = []\n\n\
         [[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE TABLE w (x int)\"\n\n\
         [[upgrade]]\nop = \"execute\"\nsqltext = \"INSERT INTO no_such_table VALUES (1)\"\n",
    )];
    let project = Project::sqlite(&as_refs(&files));
    let migrator = sqlite_migrator(&project);
    migrator.upgrade("head").unwrap_err();
    let (result, events) = recorded(|| migrator.upgrade("head"));
    result.unwrap_err();
    let warnings: Vec<&EventSeen> = events
        .iter()
        .filter(|event| event.message() == "warning")
        .collect();
    assert_eq!(warnings.len(), 1, "{events:#?}");
    assert_eq!(warnings[0].level, Level::WARN);
    assert_eq!(warnings[0].target, "rmig::exec");
    assert!(
        warnings[0]
            .field("text")
            .starts_with("an earlier upgrade of w1 failed after operation 1 (execute SQL) ran"),
        "{warnings:#?}"
    );
    assert_eq!(warnings[0].span("rmig.step").fields["revision"], "w1");
}

#[test]
fn a_lock_retry_is_a_warn_event_with_its_count_pause_and_reason() {
    let db = TestDatabase::new();
    let files = vec![
        sql_revision(
            "r1",
            &[],
            "CREATE TABLE accounts (id int)",
            "DROP TABLE accounts",
        ),
        revision(
            "r2",
            Some("r1"),
            "[[upgrade]]\nop = \"add_column\"\ntable_name = \"accounts\"\n\
             column = { name = \"note\", type = \"text\" }\n",
        ),
    ];
    let project = Project::new(&db.url, &as_refs(&files));
    install();
    let migrator = Migrator::from_dir(project.path().join("revisions"))
        .unwrap()
        .url(&db.url)
        .lock_timeout(Duration::from_millis(100));
    migrator.upgrade("r1").unwrap();
    // Another session reads the table for a moment: adding the column waits for it.
    let mut client = db.client();
    let (taken, wait) = std::sync::mpsc::channel();
    let holder = thread::spawn(move || {
        let mut transaction = client.transaction().unwrap();
        transaction
            .batch_execute("LOCK TABLE accounts IN ACCESS SHARE MODE")
            .unwrap();
        taken.send(()).unwrap();
        thread::sleep(Duration::from_millis(600));
        transaction.commit().unwrap();
    });
    wait.recv().unwrap();
    let (result, events) = recorded(|| migrator.upgrade("head"));
    holder.join().unwrap();
    assert_eq!(result.unwrap().heads, ["r2"]);
    let retries = with_message(&events, "lock retry");
    assert!(!retries.is_empty(), "{events:#?}");
    for (n, retry) in retries.iter().enumerate() {
        assert_eq!(retry.level, Level::WARN);
        assert_eq!(retry.target, "rmig::exec::retry");
        assert_eq!(retry.field("revision"), "r2");
        assert_eq!(retry.field("retry"), (n + 1).to_string());
        assert_eq!(retry.field("of"), "20");
        let pause: u64 = retry.field("pause_ms").parse().unwrap();
        assert!(pause > 0 && pause < 2_000, "{retry:#?}");
        assert!(retry.field("reason").contains("lock timeout"), "{retry:#?}");
        retry.span("rmig.migrate");
    }
    assert_eq!(with_message(&events, "step finished").len(), 1);
}

/// `AsyncMigrator` runs on a thread of its own; its events are still in the caller's span.
#[cfg(feature = "async")]
#[test]
fn an_async_run_is_told_inside_the_callers_span() {
    use tracing::Instrument;

    let files = vec![sql_revision(
        "s1",
        &[],
        "CREATE TABLE s1 (x int)",
        "DROP TABLE s1",
    )];
    let project = Project::sqlite(&as_refs(&files));
    let migrator = sqlite_migrator(&project).into_async();
    let caller = tracing::info_span!("test.caller", project = %project.path().display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let report = runtime.block_on(migrator.upgrade("head").instrument(caller));
    assert_eq!(report.unwrap().heads, ["s1"]);
    let events = CALLER_EVENTS.lock().unwrap().clone();
    let ours: Vec<&EventSeen> = events
        .iter()
        .filter(|event| event.spans[0].fields["project"] == project.path().display().to_string())
        .collect();
    let [finished] = ours
        .iter()
        .filter(|event| event.message() == "step finished")
        .collect::<Vec<_>>()[..]
    else {
        panic!("one step: {ours:#?}")
    };
    assert_eq!(finished.span("rmig.step").fields["revision"], "s1");
    assert_eq!(finished.spans[1].name, "rmig.migrate");
}
