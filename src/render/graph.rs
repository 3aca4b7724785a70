//! The revision graph as Mermaid (`rmig graph`, renders on GitHub), DOT (`rmig graph --format
//! dot`, for Graphviz) or ASCII lanes (`rmig history --graph`).
//!
//! Mermaid and DOT draw every revision, base at the top, with an arrow from each
//! `down_revision` to its child and a dashed arrow for each `depends_on`. Each node names its
//! revision, then its marks, then its message: `(head)`, `(branchpoint)`, `(mergepoint)`,
//! `(current)` when the database is at it, and `(branch: label)` for the branch labels it
//! declares. The marks are also styles (a thick border for heads, green for current, a
//! hexagon for merge points), but the text alone says everything, so a black-and-white
//! rendering loses nothing.

#![warn(missing_docs)]

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::graph::{RevIdx, RevisionMap};
use crate::term::printable_lines;

/// Which picture `rmig graph` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart: paste it in a ```mermaid block and GitHub draws it.
    Mermaid,
    /// Graphviz DOT: `rmig graph --format dot | dot -Tsvg > revisions.svg`.
    Dot,
}

/// The words after a revision's id: its labels and marks.
fn marks(map: &RevisionMap, index: RevIdx, current: &HashSet<&str>) -> Vec<String> {
    let revision = map.revision(index);
    let mut marks = Vec::new();
    for label in &revision.branch_labels {
        marks.push(format!("(branch: {label})"));
    }
    if map.is_head(index) {
        marks.push("(head)".to_string());
    }
    if map.is_branch_point(index) {
        marks.push("(branchpoint)".to_string());
    }
    if map.is_merge_point(index) {
        marks.push("(mergepoint)".to_string());
    }
    if current.contains(revision.id.as_str()) {
        marks.push("(current)".to_string());
    }
    marks
}

/// The first line of a node: the id and its marks.
fn title(map: &RevisionMap, index: RevIdx, current: &HashSet<&str>) -> String {
    let mut title = map.id(index).to_string();
    for mark in marks(map, index, current) {
        title.push(' ');
        title.push_str(&mark);
    }
    title
}

/// Every revision, base first (ties in load order), so the output is stable.
fn nodes(map: &RevisionMap) -> Vec<RevIdx> {
    map.topological_order()
}

/// The `depends_on` edges: (dependency, dependent).
fn dependency_edges(
    map: &RevisionMap,
    index: RevIdx,
) -> impl Iterator<Item = (RevIdx, RevIdx)> + '_ {
    map.dependencies(index).iter().map(move |&d| (d, index))
}

/// The graph as a Mermaid flowchart. `current` are the database's version rows (may be
/// empty).
pub fn mermaid(map: &RevisionMap, current: &[String]) -> String {
    let current: HashSet<&str> = current.iter().map(String::as_str).collect();
    let order = nodes(map);
    let mut out = String::from("flowchart TD\n");
    for &index in &order {
        let mut text = mermaid_escape(&title(map, index, &current));
        if let Some(message) = &map.revision(index).message {
            text.push_str("<br/>");
            text.push_str(&mermaid_escape(message));
        }
        let node = node_id(map, index);
        let _ = if map.is_merge_point(index) {
            writeln!(out, "    {node}{{{{\"{text}\"}}}}")
        } else {
            writeln!(out, "    {node}[\"{text}\"]")
        };
    }
    for &index in &order {
        for &parent in map.down_revisions(index) {
            let _ = writeln!(
                out,
                "    {} --> {}",
                node_id(map, parent),
                node_id(map, index)
            );
        }
        for (dependency, dependent) in dependency_edges(map, index) {
            let _ = writeln!(
                out,
                "    {} -. depends on .-> {}",
                node_id(map, dependency),
                node_id(map, dependent)
            );
        }
    }
    let classes = [
        ("head", "stroke-width:3px"),
        ("branchpoint", "stroke-dasharray:4 2"),
        ("current", "fill:#d4edda,stroke:#28a745"),
    ];
    for (name, style) in classes {
        let applies = |i: RevIdx| match name {
            "head" => map.is_head(i),
            "branchpoint" => map.is_branch_point(i),
            _ => current.contains(map.id(i)),
        };
        let members: Vec<String> = order
            .iter()
            .filter(|&&i| applies(i))
            .map(|&i| node_id(map, i))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "    classDef {name} {style}");
            let _ = writeln!(out, "    class {} {name}", members.join(","));
        }
    }
    out
}

/// Revision ids are letters, digits and `_`; the prefix keeps a numeric id or a Mermaid word
/// (`end`, `graph`) from being read as syntax.
fn node_id(map: &RevisionMap, index: RevIdx) -> String {
    format!("r_{}", map.id(index))
}

/// Mermaid's entity codes for the characters that end or confuse a quoted label. A newline
/// becomes a space; other control characters are shown escaped, as on the terminal, since the
/// picture is often printed there.
fn mermaid_escape(text: &str) -> String {
    let text = printable_lines(text);
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("#quot;"),
            '#' => escaped.push_str("#35;"),
            '<' => escaped.push_str("#lt;"),
            '>' => escaped.push_str("#gt;"),
            '\n' => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The graph in Graphviz DOT. `current` are the database's version rows (may be empty).
pub fn dot(map: &RevisionMap, current: &[String]) -> String {
    let current: HashSet<&str> = current.iter().map(String::as_str).collect();
    let order = nodes(map);
    let mut out =
        String::from("digraph revisions {\n    node [shape=box, fontname=\"Helvetica\"];\n");
    for &index in &order {
        let mut label = dot_escape(&title(map, index, &current));
        if let Some(message) = &map.revision(index).message {
            label.push_str("\\n");
            label.push_str(&dot_escape(message));
        }
        let mut attributes = vec![format!("label=\"{label}\"")];
        let mut styles = Vec::new();
        if map.is_merge_point(index) {
            attributes.push("shape=hexagon".to_string());
        }
        if map.is_head(index) {
            attributes.push("penwidth=3".to_string());
        }
        if map.is_branch_point(index) {
            styles.push("dashed");
        }
        if current.contains(map.id(index)) {
            styles.push("filled");
            attributes.push("fillcolor=\"#d4edda\"".to_string());
        }
        if !styles.is_empty() {
            attributes.push(format!("style=\"{}\"", styles.join(",")));
        }
        let _ = writeln!(
            out,
            "    \"{}\" [{}];",
            map.id(index),
            attributes.join(", ")
        );
    }
    for &index in &order {
        for &parent in map.down_revisions(index) {
            let _ = writeln!(out, "    \"{}\" -> \"{}\";", map.id(parent), map.id(index));
        }
        for (dependency, dependent) in dependency_edges(map, index) {
            let _ = writeln!(
                out,
                "    \"{}\" -> \"{}\" [style=dashed, label=\"depends on\"];",
                map.id(dependency),
                map.id(dependent)
            );
        }
    }
    out.push_str("}\n");
    out
}

/// DOT's escapes for a quoted label; control characters as in [`mermaid_escape`].
fn dot_escape(text: &str) -> String {
    let text = printable_lines(text);
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// An ASCII graph like `git log --graph`: one row per revision of `order` (children before
/// parents, as `history` lists them), `*` on the revision's lane, `|` for the other open
/// lanes, `|\` where a merge opens a lane for its second parent and `|/` where a branch
/// point's lanes join. `text` gives each revision's lines; lines after the first are drawn
/// beside the lanes below the revision (end the text with an empty line to leave a gap).
/// Parents outside `order` (a `-r` range) end the lane.
pub fn ascii(map: &RevisionMap, order: &[RevIdx], text: impl Fn(RevIdx) -> String) -> String {
    let shown: HashSet<RevIdx> = order.iter().copied().collect();
    let mut drawn: HashSet<RevIdx> = HashSet::new();
    // lanes[i]: the revision lane i leads to (a parent still to be drawn).
    let mut lanes: Vec<RevIdx> = Vec::new();
    let mut out = String::new();
    for &index in order {
        let mut positions: Vec<usize> = (0..lanes.len()).filter(|&i| lanes[i] == index).collect();
        if positions.is_empty() {
            lanes.push(index);
            positions.push(lanes.len() - 1);
        }
        let col = positions[0];
        // Several children led here (a branch point): their lanes join this one.
        for &lane in positions[1..].iter().rev() {
            push_row(&mut out, &converge_row(lanes.len(), col, lane), "", 0);
            lanes.remove(lane);
        }
        let entry = text(index);
        let mut lines = entry.strip_suffix('\n').unwrap_or(&entry).split('\n');
        let mut node_row = lane_row(lanes.len());
        node_row[2 * col] = '*';
        let indent = push_row(&mut out, &node_row, lines.next().unwrap_or(""), 0);
        drawn.insert(index);

        let parents: Vec<RevIdx> = map
            .down_revisions(index)
            .iter()
            .copied()
            .filter(|p| shown.contains(p) && !drawn.contains(p))
            .collect();
        let mut transitions = Vec::new();
        match parents.split_first() {
            None => {
                let before = lanes.len();
                lanes.remove(col);
                if col < lanes.len() {
                    transitions.push(shift_left_row(before, col));
                }
            }
            Some((&first, others)) => {
                lanes[col] = first;
                for (offset, &parent) in others.iter().enumerate() {
                    let position = col + 1 + offset;
                    transitions.push(diverge_row(lanes.len(), position));
                    lanes.insert(position, parent);
                }
            }
        }
        // The entry's further lines run beside the transition rows, then beside the lanes.
        for row in transitions {
            push_row(&mut out, &row, lines.next().unwrap_or(""), indent);
        }
        for line in lines {
            push_row(&mut out, &lane_row(lanes.len()), line, indent);
        }
    }
    out
}

/// `|` on every lane, spaces between.
fn lane_row(lanes: usize) -> Vec<char> {
    let mut row = vec![' '; 2 * lanes];
    for i in 0..lanes {
        row[2 * i] = '|';
    }
    row
}

/// Lane `from` joins lane `to` (to < from); the lanes right of it move one to the left. Lanes
/// in between are crossed with `_`: `|/`, `|_|/`.
fn converge_row(lanes: usize, to: usize, from: usize) -> Vec<char> {
    let mut row = vec![' '; 2 * lanes];
    for i in 0..from {
        row[2 * i] = '|';
    }
    for i in from..lanes {
        row[2 * i - 1] = '/';
    }
    for cell in row.iter_mut().take(2 * from - 1).skip(2 * to + 1) {
        if *cell == ' ' {
            *cell = '_';
        }
    }
    row
}

/// A new lane opens at `at`; the lanes from `at` on move one to the right: `|\`, `|\ \`.
fn diverge_row(lanes: usize, at: usize) -> Vec<char> {
    let mut row = vec![' '; 2 * (lanes + 1)];
    for i in 0..at {
        row[2 * i] = '|';
    }
    row[2 * at - 1] = '\\';
    for i in at..lanes {
        row[2 * i + 1] = '\\';
    }
    row
}

/// Lane `ended` stops (a base); the lanes right of it move one to the left: ` /`, `| /`.
fn shift_left_row(lanes: usize, ended: usize) -> Vec<char> {
    let mut row = vec![' '; 2 * lanes];
    for i in 0..ended {
        row[2 * i] = '|';
    }
    for i in ended + 1..lanes {
        row[2 * i - 1] = '/';
    }
    row
}

/// Writes one row: the lanes, then `text` at column `indent` or one space after the lanes,
/// whichever is further right. Returns the column the text started at.
fn push_row(out: &mut String, row: &[char], text: &str, indent: usize) -> usize {
    let graph: String = row.iter().collect();
    let graph = graph.trim_end();
    if text.is_empty() {
        out.push_str(graph);
        out.push('\n');
        return graph.len() + 1;
    }
    let column = indent.max(graph.len() + 1);
    let _ = writeln!(out, "{graph:column$}{text}");
    column
}

#[cfg(test)]
mod tests;
