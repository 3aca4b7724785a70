//! The generated half of the bad-input corpus: tables of mutations applied to good revision
//! files, `rmig.toml` files and command lines, too many to keep as folders (issue 15). Each
//! becomes a case like a folder's, named `gen_<table>_<what>`, and runs through the same
//! checks.

use super::{Case, Run};

/// One file system entry of a generated project, by its path in the project.
pub enum Entry {
    File(String),
    Symlink(&'static str),
    Folder,
    Fifo,
}

/// A generated case: its name, what it checks, and the project it runs in.
pub struct Generated {
    pub name: String,
    pub case: Case,
    pub entries: Vec<(String, Entry)>,
}

const CONFIG: &str = "script_location = \"revisions\"\nurl = \"sqlite:///test.db\"\n";

/// A project on PostgreSQL, for names only PostgreSQL refuses (longer than the 63 bytes it
/// keeps; SQLite keeps them); nothing listens there, as every case fails before connecting.
const POSTGRESQL_CONFIG: &str =
    "script_location = \"revisions\"\nurl = \"postgresql://u@127.0.0.1:1/none\"\n";

/// A good revision with one operation that names things (a create_table the others can act on
/// is not needed: every case fails before any database work).
fn revision(op: &str) -> String {
    format!("revision = \"a1\"\nmessage = \"generated\"\n\n[[upgrade]]\n{op}\n")
}

fn case(note: String, names: Vec<String>, runs: &[&[&str]]) -> Case {
    Case {
        note,
        names,
        absent: Vec::new(),
        project: None,
        generate: None,
        database: None,
        env: Default::default(),
        run: runs
            .iter()
            .map(|args| Run {
                args: args.iter().map(|a| a.to_string()).collect(),
                names: None,
            })
            .collect(),
        max_seconds: None,
        max_rss_mb: None,
    }
}

fn project(revision_text: String, config: String) -> Vec<(String, Entry)> {
    vec![
        ("rmig.toml".to_string(), Entry::File(config)),
        (
            "revisions/a1_x.toml".to_string(),
            Entry::File(revision_text),
        ),
    ]
}

/// Operations with `{N}` where the name under test goes, and the key the message names.
const NAMED: [(&str, &str); 44] = [
    ("op = \"create_table\"\ntable_name = \"{N}\"\ncolumns = [{ name = \"id\", type = \"integer\" }]", "table_name"),
    ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"{N}\", type = \"integer\" }]", "columns[1].name"),
    ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }, { name = \"{N}\", type = \"text\" }]", "columns[2].name"),
    ("op = \"create_table\"\ntable_name = \"t\"\nschema = \"{N}\"\ncolumns = [{ name = \"id\", type = \"integer\" }]", "schema"),
    ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"s\", type = { enum = \"{N}\", values = [\"a\"] } }]", "columns[1].type.enum"),
    ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"u\", type = \"integer\", foreign_key = \"{N}.id\" }]", "columns[1].foreign_key.table"),
    ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\nconstraints = [{ type = \"primary_key\", name = \"{N}\", columns = [\"id\"] }]", "constraints[1].name"),
    ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\nconstraints = [{ type = \"unique\", columns = [\"{N}\"] }]", "constraints[1].columns[1]"),
    ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\nconstraints = [{ type = \"foreign_key\", local_cols = [\"id\"], referent_table = \"{N}\", remote_cols = [\"id\"] }]", "constraints[1].referent_table"),
    ("op = \"drop_table\"\ntable_name = \"{N}\"\nconfirm_data_loss = \"{N}\"\ncolumns = [{ name = \"id\", type = \"integer\" }]", "table_name"),
    ("op = \"drop_table\"\ntable_name = \"t\"\nconfirm_data_loss = \"t\"\ncolumns = [{ name = \"{N}\", type = \"integer\" }]", "columns[1].name"),
    ("op = \"rename_table\"\nold_table_name = \"{N}\"\nnew_table_name = \"u\"", "old_table_name"),
    ("op = \"rename_table\"\nold_table_name = \"t\"\nnew_table_name = \"{N}\"", "new_table_name"),
    ("op = \"rename_index\"\nold_index_name = \"{N}\"\nnew_index_name = \"ix_b\"", "old_index_name"),
    ("op = \"rename_index\"\nold_index_name = \"ix_a\"\nnew_index_name = \"{N}\"", "new_index_name"),
    ("op = \"rename_constraint\"\ntable_name = \"{N}\"\nold_constraint_name = \"a\"\nnew_constraint_name = \"b\"", "table_name"),
    ("op = \"rename_constraint\"\ntable_name = \"t\"\nold_constraint_name = \"{N}\"\nnew_constraint_name = \"b\"", "old_constraint_name"),
    ("op = \"rename_sequence\"\nold_sequence_name = \"s\"\nnew_sequence_name = \"{N}\"", "new_sequence_name"),
    ("op = \"add_column\"\ntable_name = \"{N}\"\ncolumn = { name = \"c\", type = \"integer\" }", "table_name"),
    ("op = \"add_column\"\ntable_name = \"t\"\ncolumn = { name = \"{N}\", type = \"integer\" }", "column.name"),
    ("op = \"add_column\"\ntable_name = \"t\"\nschema = \"{N}\"\ncolumn = { name = \"c\", type = \"integer\" }", "schema"),
    ("op = \"drop_column\"\ntable_name = \"t\"\ncolumn_name = \"{N}\"\nconfirm_data_loss = \"t.c\"\nexisting_column = { name = \"{N}\", type = \"integer\" }", "column_name"),
    ("op = \"drop_column\"\ntable_name = \"{N}\"\ncolumn_name = \"c\"\nexisting_column = { name = \"c\", type = \"integer\" }", "table_name"),
    ("op = \"alter_column\"\ntable_name = \"{N}\"\ncolumn_name = \"c\"\nnullable = true", "table_name"),
    ("op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"{N}\"\nnullable = true", "column_name"),
    ("op = \"alter_column\"\ntable_name = \"t\"\ncolumn_name = \"c\"\nnew_column_name = \"{N}\"", "new_column_name"),
    ("op = \"create_index\"\nindex_name = \"{N}\"\ntable_name = \"t\"\ncolumns = [\"c\"]", "index_name"),
    ("op = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"{N}\"\ncolumns = [\"c\"]", "table_name"),
    ("op = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"t\"\ncolumns = [\"c\", \"{N}\"]", "columns[2]"),
    ("op = \"drop_index\"\nindex_name = \"{N}\"\ntable_name = \"t\"\ncolumns = [\"c\"]", "index_name"),
    ("op = \"create_unique_constraint\"\nconstraint_name = \"{N}\"\ntable_name = \"t\"\ncolumns = [\"c\"]", "constraint_name"),
    ("op = \"create_unique_constraint\"\ntable_name = \"t\"\ncolumns = [\"{N}\"]", "columns[1]"),
    ("op = \"create_foreign_key\"\nconstraint_name = \"{N}\"\nsource_table = \"t\"\nreferent_table = \"u\"\nlocal_cols = [\"u_id\"]\nremote_cols = [\"id\"]", "constraint_name"),
    ("op = \"create_foreign_key\"\nsource_table = \"{N}\"\nreferent_table = \"u\"\nlocal_cols = [\"u_id\"]\nremote_cols = [\"id\"]", "source_table"),
    ("op = \"create_foreign_key\"\nsource_table = \"t\"\nreferent_table = \"{N}\"\nlocal_cols = [\"u_id\"]\nremote_cols = [\"id\"]", "referent_table"),
    ("op = \"create_foreign_key\"\nsource_table = \"t\"\nreferent_table = \"u\"\nlocal_cols = [\"{N}\"]\nremote_cols = [\"id\"]", "local_cols[1]"),
    ("op = \"create_foreign_key\"\nsource_table = \"t\"\nreferent_table = \"u\"\nlocal_cols = [\"u_id\"]\nremote_cols = [\"{N}\"]", "remote_cols[1]"),
    ("op = \"create_check_constraint\"\nconstraint_name = \"{N}\"\ntable_name = \"t\"\ncondition = \"c > 0\"", "constraint_name"),
    ("op = \"create_primary_key\"\nconstraint_name = \"pk\"\ntable_name = \"t\"\ncolumns = [\"{N}\"]", "columns[1]"),
    ("op = \"drop_constraint\"\nconstraint_name = \"{N}\"\ntable_name = \"t\"", "constraint_name"),
    ("op = \"drop_constraint\"\nconstraint_name = \"ck\"\ntable_name = \"{N}\"", "table_name"),
    ("op = \"create_table_comment\"\ntable_name = \"{N}\"\ncomment = \"c\"", "table_name"),
    ("op = \"bulk_insert\"\ntable_name = \"{N}\"\nrows = [{ id = 1 }]", "table_name"),
    ("op = \"bulk_insert\"\ntable_name = \"t\"\nrows = [{ id = 1 }, { \"{N}\" = 2 }]", "rows[2]"),
];

/// Bad names, what the message says of each, a word for the case name, and the config of a
/// database that refuses them.
fn bad_names() -> Vec<(String, &'static str, &'static str, &'static str)> {
    vec![
        (String::new(), "empty", "empty", CONFIG),
        ("n".repeat(64), "64 bytes", "long", POSTGRESQL_CONFIG),
        ("é".repeat(40), "80 bytes", "long_utf8", POSTGRESQL_CONFIG),
        (" lead".to_string(), "whitespace", "leading_space", CONFIG),
        ("trail\\t".to_string(), "whitespace", "trailing_tab", CONFIG),
    ]
}

/// Bad timeouts and what the message says of each.
const BAD_DURATIONS: [(&str, &str); 12] = [
    ("99999999999999999999999h", "longer than"),
    ("600h", "longer than"),
    ("2147483648ms", "longer than"),
    ("0", "less than 1 ms"),
    ("0ms", "less than 1 ms"),
    ("0.4ms", "less than 1 ms"),
    ("soon", "not a duration"),
    ("1.2.3s", "not a duration"),
    ("5 fortnights", "not a unit"),
    ("1e9", "not a unit"),
    ("", "not a duration"),
    ("inf", "not a duration"),
];

/// Every generated case.
pub fn cases() -> Vec<Generated> {
    let mut out = Vec::new();
    let slug = |text: &str| {
        text.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
    };
    // Names an operation gives the database.
    for (index, (template, key)) in NAMED.iter().enumerate() {
        let op_name = template.split('"').nth(1).unwrap_or("op");
        for (name, says, word, config) in bad_names() {
            if name.is_empty() && template.contains("foreign_key = ") {
                continue; // `.id` is refused as a path, with its own message
            }
            let text = revision(&template.replace("{N}", &name));
            out.push(Generated {
                name: format!("gen_name_{index:02}_{op_name}_{}_{word}", slug(key)),
                case: case(
                    format!("{op_name}: `{key}` {word}"),
                    vec!["a1_x.toml".into(), format!("`{key}`"), says.into()],
                    &[&["heads"], &["upgrade", "head"]],
                ),
                entries: project(text, config.to_string()),
            });
        }
    }
    // Name lists an operation needs.
    for (op, key) in [
        ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = []", "columns"),
        ("op = \"create_index\"\nindex_name = \"ix\"\ntable_name = \"t\"\ncolumns = []", "columns"),
        ("op = \"drop_index\"\nindex_name = \"ix\"\ncolumns = []", "columns"),
        ("op = \"create_unique_constraint\"\ntable_name = \"t\"\ncolumns = []", "columns"),
        ("op = \"create_primary_key\"\ntable_name = \"t\"\ncolumns = []", "columns"),
        ("op = \"create_foreign_key\"\nsource_table = \"t\"\nreferent_table = \"u\"\nlocal_cols = []\nremote_cols = [\"id\"]", "local_cols"),
        ("op = \"create_foreign_key\"\nsource_table = \"t\"\nreferent_table = \"u\"\nlocal_cols = [\"id\"]\nremote_cols = []", "remote_cols"),
        ("op = \"create_table\"\ntable_name = \"t\"\ncolumns = [{ name = \"id\", type = \"integer\" }]\nconstraints = [{ type = \"unique\", columns = [] }]", "constraints[1].columns"),
        ("op = \"drop_table\"\ntable_name = \"t\"\nconfirm_data_loss = \"t\"\ncolumns = []", "columns"),
    ] {
        let op_name = op.split('"').nth(1).unwrap_or("op");
        out.push(Generated {
            name: format!("gen_list_{op_name}_{}_empty", slug(key)),
            case: case(
                format!("{op_name} with an empty `{key}`"),
                vec!["a1_x.toml".into(), format!("`{key}` is empty")],
                &[&["heads"], &["upgrade", "head"], &["check", "--lint"]],
            ),
            entries: project(revision(op), CONFIG.to_string()),
        });
    }
    // Header values.
    for (index, date) in [
        "yesterday",
        "",
        "2024-13-01T00:00:00",
        "2024-02-30 10:00:00",
        "2024-01-01",
        "10:00:00",
        "2024-01-01T25:00:00+00:00",
        "2024-01-01T00:00:00+25:00",
        "2024/01/01 00:00:00",
        "now()",
    ]
    .iter()
    .enumerate()
    {
        out.push(Generated {
            name: format!("gen_header_create_date_{index:02}"),
            case: case(
                format!("create_date = {date:?}"),
                vec![
                    "a1_x.toml".into(),
                    "create_date".into(),
                    format!("'{date}'"),
                ],
                &[&["heads"], &["history"]],
            ),
            entries: project(
                format!("revision = \"a1\"\ncreate_date = \"{date}\"\n"),
                CONFIG.to_string(),
            ),
        });
    }
    for (key, value) in [
        ("down_revision", "[\"a0\", \"a0\"]"),
        ("down_revision", "[\"a0\", \"b0\", \"a0\"]"),
        ("depends_on", "[\"a0\", \"a0\"]"),
        ("branch_labels", "[\"lib\", \"lib\"]"),
    ] {
        let mut entries = project(
            format!("revision = \"a1\"\n{key} = {value}\n"),
            CONFIG.to_string(),
        );
        for base in ["a0", "b0"] {
            entries.push((
                format!("revisions/{base}_x.toml"),
                Entry::File(format!("revision = \"{base}\"\n")),
            ));
        }
        out.push(Generated {
            name: format!("gen_header_{key}_twice_{}", slug(value)),
            case: case(
                format!("{key} = {value}"),
                vec!["a1_x.toml".into(), key.into(), "twice".into()],
                &[&["heads"], &["upgrade", "head"]],
            ),
            entries,
        });
    }
    // rmig.toml values.
    let good_revision = || "revision = \"a1\"\n".to_string();
    for key in ["lock_timeout", "statement_timeout"] {
        for (index, (value, says)) in BAD_DURATIONS.iter().enumerate() {
            out.push(Generated {
                name: format!("gen_config_{key}_{index:02}"),
                case: case(
                    format!("rmig.toml: {key} = {value:?}"),
                    vec!["rmig.toml".into(), format!("`{key}`"), (*says).into()],
                    &[&["heads"], &["upgrade", "head"]],
                ),
                entries: project(good_revision(), format!("{CONFIG}{key} = \"{value}\"\n")),
            });
        }
    }
    for key in [
        "version_table",
        "history_table",
        "version_table_schema",
        "history_table_schema",
    ] {
        for (name, says, word, config) in bad_names() {
            out.push(Generated {
                name: format!("gen_config_{key}_{word}"),
                case: case(
                    format!("rmig.toml: {key} {word}"),
                    vec!["rmig.toml".into(), format!("`{key}`"), says.into()],
                    &[&["heads"], &["upgrade", "head"]],
                ),
                entries: project(good_revision(), format!("{config}{key} = \"{name}\"\n")),
            });
        }
    }
    for key in ["version_table_schema", "history_table_schema"] {
        for schema in ["app", "public", "temp"] {
            out.push(Generated {
                name: format!("gen_config_{key}_on_sqlite_{schema}"),
                case: case(
                    format!("rmig.toml: {key} = {schema:?} on SQLite"),
                    vec!["rmig.toml".into(), key.into(), format!("'{schema}'")],
                    &[&["upgrade", "head"], &["current"]],
                ),
                entries: project(good_revision(), format!("{CONFIG}{key} = \"{schema}\"\n")),
            });
        }
    }
    // Command lines.
    for option in ["--lock-timeout", "--statement-timeout"] {
        for (index, (value, says)) in BAD_DURATIONS.iter().enumerate() {
            let flag = format!("{option}={value}");
            out.push(Generated {
                name: format!(
                    "gen_args_{}_{index:02}",
                    slug(option.trim_start_matches('-'))
                ),
                case: case(
                    flag.clone(),
                    vec![option.into(), (*says).into()],
                    &[
                        &["upgrade", "head", &flag],
                        &["downgrade", "base", &flag],
                        &["stamp", "head", &flag],
                    ],
                ),
                entries: project(good_revision(), CONFIG.to_string()),
            });
        }
    }
    for (index, args) in [
        &["upgrade", ""][..],
        &["downgrade", ""],
        &["upgrade", "", "--sql"],
        &["downgrade", "a1:", "--sql"],
        &["upgrade", "", "--url-file", "urls.txt"],
    ]
    .iter()
    .enumerate()
    {
        let mut entries = project(good_revision(), CONFIG.to_string());
        entries.push((
            "urls.txt".to_string(),
            Entry::File("sqlite:///test.db\n".to_string()),
        ));
        out.push(Generated {
            name: format!("gen_args_empty_target_{index}"),
            case: case(
                format!("an empty target: rmig {}", args.join(" ")),
                vec!["target is empty".into()],
                &[args],
            ),
            entries,
        });
    }
    for (index, args) in [
        &["stamp", ""][..],
        &["stamp", "a1", ""],
        &["stamp", "", "--sql"],
        &["show", ""],
    ]
    .iter()
    .enumerate()
    {
        out.push(Generated {
            name: format!("gen_args_empty_revision_{index}"),
            case: case(
                format!("an empty revision: rmig {}", args.join(" ")),
                vec![args[0].to_string(), "argument is empty".into()],
                &[args],
            ),
            entries: project(good_revision(), CONFIG.to_string()),
        });
    }
    // Entries of the revision folder that are not files.
    for extension in ["toml", "yaml", "yml"] {
        for (word, entry, says) in [
            ("dangling", Entry::Symlink("nowhere.toml"), "missing file"),
            ("self_loop", Entry::Symlink("SELF"), "cannot be followed"),
            ("folder", Entry::Folder, "a folder"),
            ("fifo", Entry::Fifo, "a FIFO"),
        ] {
            let file = format!("b1_{word}.{extension}");
            let entry = match entry {
                Entry::Symlink("SELF") => Entry::Symlink(Box::leak(file.clone().into_boxed_str())),
                other => other,
            };
            let mut entries = project(good_revision(), CONFIG.to_string());
            entries.push((format!("revisions/{file}"), entry));
            out.push(Generated {
                name: format!("gen_fs_{word}_{extension}"),
                case: case(
                    format!("revisions/{file} is {word}"),
                    vec![file.clone(), says.into(), "not a revision file".into()],
                    &[&["heads"], &["upgrade", "head"], &["check", "--lint"]],
                ),
                entries,
            });
        }
    }
    out
}
