//! Writes a large, realistic revision graph for scale tests and benchmarks.
//!
//! ```text
//! cargo run --release --example generate_revisions -- <DIR> <N> [--seed S] [--heads K]
//!     [--label-every B] [--depends-one-in D] [--linear]
//! ```
//!
//! The graph is deterministic from the seed. Its shape:
//!
//! - one base, then a long trunk;
//! - branch points on the trunk at random intervals (about one every 20 steps while fewer than
//!   four branches are open); a trunk revision can grow two or three branches;
//! - each branch runs 5 to 60 revisions and then merges back into the trunk, in a merge with two
//!   down_revisions, or three when another branch is nearly done too;
//! - a few branches (one in 40: the 1st, the 41st, ...) carry a branch label, `feature_<n>`;
//! - sparse `depends_on` (about one revision in 200) from one open line onto the tip of
//!   another, by id or, for a labelled branch, sometimes by label;
//! - at the end every branch is merged, leaving exactly one head, unless `--heads K` asks for
//!   K open heads (the trunk plus K - 1 unmerged branches).
//!
//! `--linear` draws no branches at all: one chain from the base to the single head (so no
//! merges, labels or `depends_on` either), the other shape the benchmarks compare.
//!
//! Each revision has a message and one or two operations: `create_table` where a line starts,
//! then `add_column` and now and then `execute` (with an explicit downgrade, since `execute`
//! cannot be reversed).
//!
//! The benches include this file with `#[path]`, so that the generator stays out of the
//! library's public API.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// xorshift64*: small, deterministic, no external crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that seeds 0, 1, 2 ... start far apart (and never at 0).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0); the tiny modulo bias does not matter here.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// How the graph is drawn; `Shape::default()` is what the command line uses.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Chance (1 in this) that a step opens a branch, while fewer than `max_open` are open.
    pub branch_one_in: usize,
    pub max_open: usize,
    pub branch_len: (usize, usize),
    /// Every this many branches, one carries a branch label (the 1st, 41st, ...).
    pub label_one_in: usize,
    /// Chance (1 in this) that a revision depends on another line's tip.
    pub depends_one_in: usize,
}

impl Default for Shape {
    fn default() -> Shape {
        Shape {
            branch_one_in: 20,
            max_open: 4,
            branch_len: (5, 60),
            label_one_in: 40,
            depends_one_in: 200,
        }
    }
}

/// One operation as written to the file.
#[derive(Debug, Clone, PartialEq)]
pub enum GenOp {
    CreateTable { table: String },
    AddColumn { table: String, column: String },
    Execute,
}

/// A `depends_on` entry: a revision (by index) or a branch label.
#[derive(Debug, Clone, PartialEq)]
pub enum GenDep {
    Revision(usize),
    Label(String),
}

/// One generated revision; `down` and `GenDep::Revision` are indexes into `Generated::revisions`.
#[derive(Debug, Clone)]
pub struct GenRevision {
    pub id: String,
    pub message: String,
    pub down: Vec<usize>,
    pub branch_labels: Vec<String>,
    pub depends_on: Vec<GenDep>,
    pub ops: Vec<GenOp>,
}

/// The graph and the counts the summary line prints.
#[derive(Debug, Clone)]
pub struct Generated {
    pub revisions: Vec<GenRevision>,
}

/// Counts describing a generated graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub revisions: usize,
    pub bases: usize,
    pub branch_points: usize,
    pub merge_points: usize,
    pub three_way_merges: usize,
    pub branch_labels: usize,
    pub depends_on: usize,
    pub heads: usize,
}

/// A line of development being grown: the trunk or an open branch.
struct Line {
    tip: usize,
    /// Revisions still to add before the branch wants to merge (unused for the trunk).
    remaining: usize,
    /// The branch's number, for table names and labels (0 for the trunk).
    number: usize,
    table: String,
    /// The revision the branch started from (None for the trunk).
    spawned_from: Option<usize>,
    /// The tip has a child off this line (a new branch or a dependent): merging the line before
    /// it moves on would merge a revision with its own ancestor, so it must grow first.
    fresh: bool,
    label: Option<(String, usize)>,
}

struct Builder {
    rng: Rng,
    shape: Shape,
    revisions: Vec<GenRevision>,
    ids: HashSet<String>,
    trunk: Line,
    open: Vec<Line>,
    branches_made: usize,
    columns_made: usize,
    /// Set once the end game starts: no new dependencies then, so the reserve holds.
    ending: bool,
}

/// Generates `n` revisions from `seed` leaving `heads` open heads (1 = everything merged).
pub fn generate(n: usize, seed: u64, heads: usize) -> Result<Generated, String> {
    generate_with(n, seed, heads, Shape::default())
}

/// `generate` with an explicit shape.
pub fn generate_with(n: usize, seed: u64, heads: usize, shape: Shape) -> Result<Generated, String> {
    if heads == 0 {
        return Err("--heads must be at least 1".to_string());
    }
    let minimum = if heads == 1 { 1 } else { heads + 1 };
    if n < minimum {
        return Err(format!(
            "{n} revisions cannot make {heads} heads; give at least {minimum}"
        ));
    }
    let mut builder = Builder {
        rng: Rng::new(seed),
        shape,
        revisions: Vec::with_capacity(n),
        ids: HashSet::with_capacity(n),
        trunk: Line {
            tip: 0,
            remaining: 0,
            number: 0,
            table: "trunk_events".to_string(),
            spawned_from: None,
            fresh: false,
            label: None,
        },
        open: Vec::new(),
        branches_made: 0,
        columns_made: 0,
        ending: false,
    };
    let base = builder.push(
        "create trunk_events".to_string(),
        Vec::new(),
        vec![GenOp::CreateTable {
            table: "trunk_events".to_string(),
        }],
    );
    builder.trunk.tip = base;
    let keep_open = heads - 1;
    while builder.revisions.len() < n {
        builder.step(n - builder.revisions.len(), keep_open);
    }
    debug_assert_eq!(builder.revisions.len(), n);
    Ok(Generated {
        revisions: builder.revisions,
    })
}

impl Builder {
    fn new_id(&mut self) -> String {
        loop {
            let id = format!("{:012x}", self.rng.next_u64() & 0xFFFF_FFFF_FFFF);
            // All-digit ids are legal, but keep clear of anything that reads as a number.
            if id.bytes().any(|b| b.is_ascii_alphabetic()) && self.ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn push(&mut self, message: String, down: Vec<usize>, ops: Vec<GenOp>) -> usize {
        let id = self.new_id();
        self.revisions.push(GenRevision {
            id,
            message,
            down,
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            ops,
        });
        self.revisions.len() - 1
    }

    /// Merges still needed (or branches still to open) to end with `keep_open` branches.
    fn need(&self, keep_open: usize) -> usize {
        self.open.len().abs_diff(keep_open)
    }

    /// Revisions the end game may need: up to two per branch to merge (grow it past a fresh
    /// tip, then merge), one per branch to open, and one to grow a fresh trunk.
    fn reserve(&self, keep_open: usize) -> usize {
        2 * self.need(keep_open) + 1
    }

    fn step(&mut self, remaining: usize, keep_open: usize) {
        if remaining <= self.reserve(keep_open) {
            self.end_game(keep_open);
            return;
        }
        // A branch that has run its course merges back, once both sides have moved on.
        if let Some(ready) = self.open.iter().position(|b| b.remaining == 0) {
            if self.open[ready].fresh {
                self.extend_branch(ready);
            } else if self.trunk.fresh || self.open[ready].spawned_from == Some(self.trunk.tip) {
                self.extend_trunk();
            } else {
                let mut merging = vec![ready];
                // Now and then a second branch that is nearly done joins the same merge.
                if self.rng.one_in(3) {
                    if let Some(other) = (0..self.open.len()).find(|&i| {
                        i != ready
                            && self.open[i].remaining <= 5
                            && !self.open[i].fresh
                            && self.open[i].spawned_from != Some(self.trunk.tip)
                    }) {
                        merging.push(other);
                    }
                }
                self.merge(merging);
            }
            return;
        }
        let width = if self.rng.one_in(4) { 2 } else { 1 };
        let need_after = (self.open.len() + width).abs_diff(keep_open);
        if self.open.len() < self.shape.max_open
            && self.rng.one_in(self.shape.branch_one_in)
            && remaining > width + 2 * need_after + 1
        {
            for _ in 0..width {
                self.open_branch();
            }
            return;
        }
        // Grow the trunk (weight 2) or one of the open branches (weight 3 each).
        let pick = self.rng.below(2 + 3 * self.open.len());
        if pick < 2 {
            self.extend_trunk();
        } else {
            self.extend_branch((pick - 2) / 3);
        }
    }

    /// The last few revisions: open or merge branches until exactly `keep_open` stay open, then
    /// grow the trunk with whatever is left.
    fn end_game(&mut self, keep_open: usize) {
        self.ending = true;
        if self.open.len() < keep_open {
            self.open_branch();
        } else if self.open.len() > keep_open {
            let last = self.open.len() - 1;
            if self.open[last].fresh {
                self.extend_branch(last);
            } else if self.trunk.fresh || self.open[last].spawned_from == Some(self.trunk.tip) {
                self.extend_trunk();
            } else {
                self.merge(vec![last]);
            }
        } else {
            self.extend_trunk();
        }
    }

    fn next_column(&mut self) -> String {
        self.columns_made += 1;
        format!("c{}", self.columns_made)
    }

    /// One or two simple operations on `table`.
    fn simple_ops(&mut self, table: &str) -> (String, Vec<GenOp>) {
        let column = self.next_column();
        let mut ops = vec![GenOp::AddColumn {
            table: table.to_string(),
            column: column.clone(),
        }];
        let mut message = format!("add {table}.{column}");
        match self.rng.below(6) {
            0 => {
                ops.push(GenOp::Execute);
                message.push_str(" and backfill");
            }
            1 => {
                let second = self.next_column();
                message.push_str(&format!(" and {second}"));
                ops.push(GenOp::AddColumn {
                    table: table.to_string(),
                    column: second,
                });
            }
            _ => {}
        }
        (message, ops)
    }

    fn extend_trunk(&mut self) {
        let table = self.trunk.table.clone();
        let (message, ops) = self.simple_ops(&table);
        let parent = self.trunk.tip;
        let index = self.push(message, vec![parent], ops);
        self.trunk.tip = index;
        self.trunk.fresh = false;
        self.maybe_depend(index, None);
    }

    fn extend_branch(&mut self, which: usize) {
        let table = self.open[which].table.clone();
        let (message, ops) = self.simple_ops(&table);
        let parent = self.open[which].tip;
        let index = self.push(message, vec![parent], ops);
        let branch = &mut self.open[which];
        branch.tip = index;
        branch.fresh = false;
        branch.remaining = branch.remaining.saturating_sub(1);
        self.maybe_depend(index, Some(which));
    }

    /// Sparse cross-branch `depends_on`: the new revision on `own` (None = trunk) depends on
    /// the tip of another line, or on its branch label.
    fn maybe_depend(&mut self, index: usize, own: Option<usize>) {
        if self.ending || !self.rng.one_in(self.shape.depends_one_in) {
            return;
        }
        let spawned_from = own.and_then(|o| self.open[o].spawned_from);
        // Candidates: the trunk (for a branch revision) and every other open branch.
        let mut candidates: Vec<Option<usize>> = Vec::new();
        if own.is_some() && !self.trunk.fresh && Some(self.trunk.tip) != spawned_from {
            candidates.push(None);
        }
        for other in 0..self.open.len() {
            if Some(other) != own && !self.open[other].fresh {
                candidates.push(Some(other));
            }
        }
        if candidates.is_empty() {
            return;
        }
        let target = candidates[self.rng.below(candidates.len())];
        let line = match target {
            None => &mut self.trunk,
            Some(other) => &mut self.open[other],
        };
        let dep = match &line.label {
            Some((label, owner)) if self.rng.one_in(2) => {
                if *owner == line.tip {
                    line.fresh = true;
                }
                GenDep::Label(label.clone())
            }
            _ => {
                line.fresh = true;
                GenDep::Revision(line.tip)
            }
        };
        self.revisions[index].depends_on.push(dep);
    }

    fn open_branch(&mut self) {
        self.branches_made += 1;
        let number = self.branches_made;
        let table = format!("feature_{number}_items");
        let parent = self.trunk.tip;
        let index = self.push(
            format!("start feature {number}: create {table}"),
            vec![parent],
            vec![GenOp::CreateTable {
                table: table.clone(),
            }],
        );
        let label = if number % self.shape.label_one_in == 1 {
            let label = format!("feature_{number}");
            self.revisions[index].branch_labels.push(label.clone());
            Some((label, index))
        } else {
            None
        };
        let (low, high) = self.shape.branch_len;
        let remaining = self.rng.between(low, high);
        self.trunk.fresh = true;
        self.open.push(Line {
            tip: index,
            remaining,
            number,
            table,
            spawned_from: Some(parent),
            fresh: false,
            label,
        });
    }

    /// A merge revision on the trunk with the trunk tip and the named branches' tips as
    /// down_revisions; the branches are closed.
    fn merge(&mut self, mut which: Vec<usize>) {
        which.sort_unstable();
        let mut down = vec![self.trunk.tip];
        let mut names = Vec::new();
        for &w in &which {
            down.push(self.open[w].tip);
            names.push(format!("feature {}", self.open[w].number));
        }
        let index = self.push(
            format!("merge {} into trunk", names.join(" and ")),
            down,
            vec![GenOp::Execute],
        );
        for &w in which.iter().rev() {
            self.open.remove(w);
        }
        self.trunk.tip = index;
        self.trunk.fresh = false;
    }
}

impl Generated {
    pub fn summary(&self) -> Summary {
        let n = self.revisions.len();
        let mut children = vec![0usize; n];
        for revision in &self.revisions {
            for &d in &revision.down {
                children[d] += 1;
            }
        }
        Summary {
            revisions: n,
            bases: self.revisions.iter().filter(|r| r.down.is_empty()).count(),
            branch_points: children.iter().filter(|&&c| c > 1).count(),
            merge_points: self.revisions.iter().filter(|r| r.down.len() > 1).count(),
            three_way_merges: self.revisions.iter().filter(|r| r.down.len() > 2).count(),
            branch_labels: self.revisions.iter().map(|r| r.branch_labels.len()).sum(),
            depends_on: self.revisions.iter().map(|r| r.depends_on.len()).sum(),
            heads: children.iter().filter(|&&c| c == 0).count(),
        }
    }

    /// The file name of revision `index`: `<id>_<slug>.toml`.
    pub fn file_name(&self, index: usize) -> String {
        let revision = &self.revisions[index];
        format!("{}_{}.toml", revision.id, slug(&revision.message))
    }

    /// The TOML text of revision `index` (the README, "The file format").
    pub fn to_toml(&self, index: usize) -> String {
        let revision = &self.revisions[index];
        let id = |i: usize| self.revisions[i].id.as_str();
        let mut out = String::new();
        let _ = writeln!(out, "revision = \"{}\"", revision.id);
        match revision.down.as_slice() {
            [] => {}
            [only] => {
                let _ = writeln!(out, "down_revision = \"{}\"", id(*only));
            }
            many => {
                let list: Vec<String> = many.iter().map(|&d| format!("\"{}\"", id(d))).collect();
                let _ = writeln!(out, "down_revision = [{}]", list.join(", "));
            }
        }
        if !revision.branch_labels.is_empty() {
            let list: Vec<String> = revision
                .branch_labels
                .iter()
                .map(|l| format!("\"{l}\""))
                .collect();
            let _ = writeln!(out, "branch_labels = [{}]", list.join(", "));
        }
        if !revision.depends_on.is_empty() {
            let list: Vec<String> = revision
                .depends_on
                .iter()
                .map(|d| match d {
                    GenDep::Revision(i) => format!("\"{}\"", id(*i)),
                    GenDep::Label(label) => format!("\"{label}\""),
                })
                .collect();
            let _ = writeln!(out, "depends_on = [{}]", list.join(", "));
        }
        let _ = writeln!(out, "message = \"{}\"", revision.message);
        let _ = writeln!(out, "create_date = \"{}\"", create_date(index));
        for op in &revision.ops {
            out.push_str("\n[[upgrade]]\n");
            write_op(&mut out, op);
        }
        // `execute` cannot be reversed, so a revision that has one spells out its downgrade.
        if revision.ops.contains(&GenOp::Execute) {
            for op in revision.ops.iter().rev() {
                out.push_str("\n[[downgrade]]\n");
                match op {
                    GenOp::CreateTable { table } => {
                        let _ = writeln!(out, "op = \"drop_table\"\ntable_name = \"{table}\"");
                    }
                    GenOp::AddColumn { table, column } => {
                        let _ = writeln!(
                            out,
                            "op = \"drop_column\"\ntable_name = \"{table}\"\ncolumn_name = \"{column}\""
                        );
                    }
                    GenOp::Execute => write_op(&mut out, op),
                }
            }
        }
        out
    }

    /// Writes every revision into `dir` (created if missing), which must hold no revision files
    /// yet.
    pub fn write_dir(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "toml" | "yaml" | "yml") {
                return Err(format!(
                    "{} already holds revision files ({}); give an empty or new folder",
                    dir.display(),
                    path.display()
                ));
            }
        }
        for index in 0..self.revisions.len() {
            let path: PathBuf = dir.join(self.file_name(index));
            std::fs::write(&path, self.to_toml(index))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

fn write_op(out: &mut String, op: &GenOp) {
    match op {
        GenOp::CreateTable { table } => {
            let _ = writeln!(
                out,
                "op = \"create_table\"\ntable_name = \"{table}\"\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n]"
            );
        }
        GenOp::AddColumn { table, column } => {
            let _ = writeln!(
                out,
                "op = \"add_column\"\ntable_name = \"{table}\"\ncolumn = {{ name = \"{column}\", type = \"integer\", nullable = true }}"
            );
        }
        GenOp::Execute => {
            let _ = writeln!(out, "op = \"execute\"\nsqltext = \"SELECT 1\"");
        }
    }
}

/// Lower-case words joined by `_`, at most 40 characters.
fn slug(message: &str) -> String {
    let mut out = String::new();
    for word in message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + word.len() + 1 > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// A deterministic RFC 3339 date: an hour apart per revision from 2024-01-01.
fn create_date(index: usize) -> String {
    let seconds = 1_704_067_200 + 3_600 * index as i64;
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
        .unwrap_or_default()
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} revisions: {} base, {} branch points, {} merge points ({} three-way), {} branch labels, {} depends_on, {} head{}",
            self.revisions,
            self.bases,
            self.branch_points,
            self.merge_points,
            self.three_way_merges,
            self.branch_labels,
            self.depends_on,
            self.heads,
            if self.heads == 1 { "" } else { "s" }
        )
    }
}

const USAGE: &str = "usage: generate_revisions <DIR> <N> [--seed S] [--heads K] \
[--label-every B] [--depends-one-in D] [--linear]";

/// The command line: where, how many, and the knobs of the shape.
struct Args {
    dir: PathBuf,
    n: usize,
    seed: u64,
    heads: usize,
    shape: Shape,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    fn number<T: std::str::FromStr>(name: &str, value: Option<&String>) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        let value = value.ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
        value.parse().map_err(|e| format!("{name} '{value}': {e}"))
    }
    let mut positional = Vec::new();
    let mut seed = 1u64;
    let mut heads = 1usize;
    let mut shape = Shape::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--seed" => seed = number(arg, iter.next())?,
            "--heads" => heads = number(arg, iter.next())?,
            "--label-every" => shape.label_one_in = number(arg, iter.next())?,
            "--depends-one-in" => shape.depends_one_in = number(arg, iter.next())?,
            // A branch chance of 1 in 2^64: never, in practice; no branch, no merge.
            "--linear" => shape.branch_one_in = usize::MAX,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other if other.starts_with("--") => {
                return Err(format!("unknown option {other}\n{USAGE}"))
            }
            other => positional.push(other.to_string()),
        }
    }
    if shape.label_one_in == 0 || shape.depends_one_in == 0 {
        return Err("--label-every and --depends-one-in must be at least 1".to_string());
    }
    let [dir, n] = positional.as_slice() else {
        return Err(USAGE.to_string());
    };
    Ok(Args {
        dir: PathBuf::from(dir),
        n: number("N", Some(n))?,
        seed,
        heads,
        shape,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = parse_args(&args).and_then(|args| {
        let generated = generate_with(args.n, args.seed, args.heads, args.shape)?;
        generated.write_dir(&args.dir)?;
        println!(
            "wrote {} to {} (seed {})",
            generated.summary(),
            args.dir.display(),
            args.seed
        );
        Ok(())
    });
    if let Err(message) = result {
        eprintln!("generate_revisions: {message}");
        std::process::exit(2);
    }
}
