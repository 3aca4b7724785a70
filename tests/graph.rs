//! `rmig graph` (Mermaid, DOT) and `rmig history --graph`, snapshot-tested on a project with a
//! branch point, a merge, a branch label and a `depends_on`.

mod common;

use common::Project;

fn revision(id: &str, down: &[&str], extra: &str) -> (String, String) {
    let down = match down {
        [] => String::new(),
        [one] => format!("down_revision = \"{one}\"\n"),
        many => format!(
            "down_revision = [{}]\n",
            many.iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    (
        format!("{id}_rev.toml"),
        format!("revision = \"{id}\"\n{down}message = \"revision {id}\"\n{extra}\n[[upgrade]]\nop = \"execute\"\nsqltext = \"CREATE TABLE r_{id} (x integer)\"\n\n[[downgrade]]\nop = \"execute\"\nsqltext = \"DROP TABLE r_{id}\"\nconfirm_data_loss = \"{id}\"\n"),
    )
}

/// base1 -> b2 -> {c3, c4} -> m5 -> d6, plus a labelled branch x7 -> x8 from base1 with x8
/// depending on c3.
fn project() -> Project {
    let files = [
        revision("base1", &[], ""),
        revision("b2", &["base1"], ""),
        revision("c3", &["b2"], ""),
        revision("c4", &["b2"], ""),
        revision("m5", &["c3", "c4"], ""),
        revision("d6", &["m5"], ""),
        revision("x7", &["base1"], "branch_labels = [\"audit\"]\n"),
        revision("x8", &["x7"], "depends_on = [\"c3\"]\n"),
    ];
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Project::sqlite(&refs)
}

#[test]
fn graph_mermaid() {
    let project = project();
    insta::assert_snapshot!(project.ok(&["graph"]));
}

#[test]
fn graph_dot() {
    let project = project();
    insta::assert_snapshot!(project.ok(&["graph", "--format", "dot"]));
}

#[test]
fn graph_marks_the_current_revisions_from_the_database() {
    let project = project();
    project.ok(&["upgrade", "c4"]);
    project.ok(&["upgrade", "x7"]);
    let mermaid = project.ok(&["graph", "--current"]);
    assert!(mermaid.contains("r_c4[\"c4 (current)"), "{mermaid}");
    assert!(
        mermaid.contains("r_x7[\"x7 (branch: audit) (current)"),
        "{mermaid}"
    );
    assert!(mermaid.contains("class r_c4,r_x7 current"), "{mermaid}");
    project.ok(&["upgrade", "heads"]);
    let dot = project.ok(&["graph", "--format", "dot", "--current"]);
    assert!(dot.contains("\"x8\" [label=\"x8 (head) (current)\\nrevision x8\", penwidth=3, fillcolor=\"#d4edda\", style=\"filled\"]"), "{dot}");
    // Without --current nothing connects and nothing is marked.
    assert!(!project.ok(&["graph"]).contains("(current)"));
}

#[test]
fn history_graph() {
    let project = project();
    project.ok(&["upgrade", "c4"]);
    insta::assert_snapshot!(project.ok(&["history", "--graph", "--indicate-current"]));
}

#[test]
fn history_graph_verbose_and_range() {
    let project = project();
    let verbose = project.ok(&["history", "--graph", "-v", "-r", "m5:d6"]);
    assert!(
        verbose.starts_with("* Rev: d6 (head)\n| Parent: m5\n"),
        "{verbose}"
    );
    assert!(
        verbose.contains("\n* Rev: m5 (mergepoint)\n  Merges: c3, c4\n"),
        "{verbose}"
    );
    let (code, _) = project.fails(&["history", "--graph", "--json"]);
    assert_eq!(code, 2);
}
