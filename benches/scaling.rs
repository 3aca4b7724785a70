//! How rmig scales with the size of the revision graph: load + graph build, planning an upgrade
//! base -> heads, planning a downgrade heads -> base, and rendering the offline script, on
//! generated graphs (see examples/generate_revisions.rs) of 1,000 to 20,000 revisions, plus
//! the graph build alone (`graph_build`, no file reading). Every group samples flat (the same
//! iteration count per sample) over 10 samples.
//!
//! `cargo bench --bench scaling --features __internals` runs it (`make bench` too); `RMIG_BENCH_SIZES=2000,4000` picks
//! other sizes. After criterion's own report it prints each measurement's median time, time per
//! revision and the growth exponent between sizes: log(t2/t1) / log(n2/n1), about 1 for linear
//! work and 2 for quadratic. Run without `--bench` (as `cargo test --benches --features __internals` does) it checks one small
//! graph once.

#[allow(dead_code)]
#[path = "../examples/generate_revisions.rs"]
mod generate_revisions;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};
use rmig::dialect::Dialect;
use rmig::graph::RevisionMap;
use rmig::offline::{render_script, ScriptOptions};
use rmig::plan;
use rmig::revision::load_dir;
use rmig::version_table::VersionTable;

const SEED: u64 = 1;
const DEFAULT_SIZES: [usize; 4] = [1_000, 5_000, 10_000, 20_000];
const GROUPS: [&str; 5] = [
    "load_and_graph",
    "graph_build",
    "plan_upgrade",
    "plan_downgrade",
    "render_upgrade",
];

fn sizes(bench_mode: bool) -> Vec<usize> {
    if !bench_mode {
        return vec![300];
    }
    match std::env::var("RMIG_BENCH_SIZES") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .expect("RMIG_BENCH_SIZES: comma-separated counts")
            })
            .collect(),
        _ => DEFAULT_SIZES.to_vec(),
    }
}

fn load(dir: &Path) -> RevisionMap {
    RevisionMap::new(load_dir(dir).expect("generated revisions load")).expect("graph builds")
}

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let started = SystemTime::now();
    let workdir = tempfile::tempdir().expect("temp dir");
    let sizes = sizes(bench_mode);

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .nresamples(10_000)
        .configure_from_args();

    let options = ScriptOptions {
        dialect: Dialect::Postgresql,
        version_table: VersionTable::default(),
        transaction_per_migration: true,
    };

    for &n in &sizes {
        let dir = workdir.path().join(format!("revs{n}"));
        let generated = generate_revisions::generate(n, SEED, 1).expect("generate");
        generated.write_dir(&dir).expect("write revisions");
        println!("graph {}", generated.summary());

        // Everything the timed parts need, built once; each is checked to cover every revision.
        let map = load(&dir);
        let upgrade = plan::upgrade(&map, &[], "heads").expect("upgrade plan");
        assert_eq!(upgrade.steps.len(), n, "the upgrade runs every revision");
        let heads: Vec<String> = upgrade.end_heads.clone();
        let downgrade = plan::downgrade(&map, &heads, "base").expect("downgrade plan");
        assert_eq!(
            downgrade.steps.len(),
            n,
            "the downgrade undoes every revision"
        );

        let mut group = criterion.benchmark_group("load_and_graph");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &dir, |b, dir| {
            b.iter(|| load(black_box(dir)))
        });
        group.finish();

        // The graph alone, without reading and parsing files.
        let revisions = load_dir(&dir).expect("generated revisions load");
        let mut group = criterion.benchmark_group("graph_build");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(n),
            &revisions,
            |b, revisions| {
                b.iter_batched(
                    || revisions.clone(),
                    |revisions| RevisionMap::new(revisions).unwrap(),
                    BatchSize::LargeInput,
                )
            },
        );
        group.finish();
        drop(revisions);

        let mut group = criterion.benchmark_group("plan_upgrade");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &map, |b, map| {
            b.iter(|| plan::upgrade(black_box(map), &[], "heads").unwrap())
        });
        group.finish();

        let mut group = criterion.benchmark_group("plan_downgrade");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &map, |b, map| {
            b.iter(|| plan::downgrade(black_box(map), &heads, "base").unwrap())
        });
        group.finish();

        let mut group = criterion.benchmark_group("render_upgrade");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &upgrade, |b, upgrade| {
            b.iter(|| render_script(&map, black_box(upgrade), &options).unwrap())
        });
        group.finish();

        std::fs::remove_dir_all(&dir).ok();
    }

    criterion.final_summary();
    if bench_mode {
        print_scaling(&sizes, started);
    }
}

/// Where criterion writes its estimates: as criterion itself decides, `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the target folder this bench was built in.
fn criterion_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(target).join("criterion"));
    }
    // target/release/deps/scaling-<hash>
    let exe = std::env::current_exe().ok()?;
    Some(exe.ancestors().nth(3)?.join("criterion"))
}

/// The median time in nanoseconds of one measurement made by this run (older files are
/// skipped). The median, not the mean, so that a sample slowed by other work on the machine
/// moves the ratio less.
fn median_ns(home: &Path, group: &str, n: usize, since: SystemTime) -> Option<f64> {
    let path = home
        .join(group)
        .join(n.to_string())
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value["median"]["point_estimate"].as_f64()
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} us", ns / 1e3)
    }
}

/// The scaling table: time, time per revision, and the growth exponent from the previous size.
fn print_scaling(sizes: &[usize], since: SystemTime) {
    let Some(home) = criterion_home() else {
        println!("scaling: cannot find criterion's output folder");
        return;
    };
    println!();
    println!("scaling (median time; exponent = log(t2/t1)/log(n2/n1): 1 = linear, 2 = quadratic)");
    println!(
        "{:<16} {:>7} {:>12} {:>12} {:>9} {:>9}",
        "measurement", "N", "time", "per rev", "ratio", "exponent"
    );
    for group in GROUPS {
        let mut previous: Option<(usize, f64)> = None;
        for &n in sizes {
            let Some(ns) = median_ns(&home, group, n, since) else {
                continue;
            };
            let (ratio, exponent) = match previous {
                Some((pn, pns)) if pn != n => {
                    let ratio = ns / pns;
                    (
                        format!("{ratio:.2}x"),
                        format!("{:.2}", ratio.ln() / (n as f64 / pn as f64).ln()),
                    )
                }
                _ => (String::new(), String::new()),
            };
            println!(
                "{:<16} {:>7} {:>12} {:>12} {:>9} {:>9}",
                group,
                n,
                human(ns),
                human(ns / n as f64),
                ratio,
                exponent
            );
            previous = Some((n, ns));
        }
    }
}
