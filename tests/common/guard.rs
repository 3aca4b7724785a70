//! Shared support for the guard acceptance tests (`guard_adversarial`, `guard_false_alarms`):
//! revision text, the standard `users` table, and one harness per backend.

use super::{Project, TestDatabase};

/// The setup revision every guard acceptance test applies first.
pub const SETUP: &str = "5e7000000001";

/// The rows of the standard `users` table, as `id|email`.
pub const USERS: [&str; 3] = [
    "1|ada@example.com",
    "2|grace@example.com",
    "3|edsger@example.com",
];

pub const PG_USERS: &str = "CREATE TABLE users (id serial PRIMARY KEY, email text); \
     INSERT INTO users (email) VALUES ('ada@example.com'), ('grace@example.com'), ('edsger@example.com');";

pub const SQLITE_USERS: &str = "CREATE TABLE users (id integer PRIMARY KEY, email text); \
     INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'grace@example.com'), (3, 'edsger@example.com');";

// ---------------------------------------------------------------------------------------------
// Revision text

pub fn revision(id: &str, down: Option<&str>, header: &str, ops: &[String]) -> String {
    let mut text = format!("revision = \"{id}\"\n");
    if let Some(down) = down {
        text.push_str(&format!("down_revision = \"{down}\"\n"));
    }
    text.push_str(&format!("message = \"{id}\"\n{header}downgrade = []\n"));
    for op in ops {
        text.push_str("\n[[upgrade]]\n");
        text.push_str(op);
    }
    text
}

/// An `execute` with the same SQL for every dialect.
pub fn exec(sql: &str) -> String {
    format!("op = \"execute\"\nsqltext = '''{sql}'''\n")
}

/// Any other operation, written as its TOML keys.
pub fn op(keys: &str) -> String {
    format!("{}\n", keys.trim())
}

/// The setup revision, applying `setup_sql`, as a file.
pub fn setup_file(setup_sql: &str) -> (String, String) {
    (
        format!("{SETUP}_setup.toml"),
        revision(SETUP, None, "", &[exec(setup_sql)]),
    )
}

/// Writes revision files into the project's `revisions` folder.
pub fn write_revisions(project: &Project, files: &[(String, String)]) {
    let revisions = project.path().join("revisions");
    for (name, text) in files {
        std::fs::write(revisions.join(name), text).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Harnesses

/// What the guard tests need of a backend: an empty project on it and its rows.
pub trait Harness: Sized {
    /// The setup SQL that creates and fills the standard `users` table.
    const USERS_SETUP: &'static str;

    /// The query that reads the standard `users` table as `id|email`.
    const USERS_QUERY: &'static str;

    /// A fresh database and a project on it without revisions.
    fn empty() -> Self;

    fn project(&self) -> &Project;

    /// Every row of `sql`, in the query's order, NULL as `NULL`.
    fn rows(&self, sql: &str) -> Vec<String>;

    fn users_intact(&self) {
        assert_eq!(self.rows(Self::USERS_QUERY), USERS);
    }
}

/// A project on a fresh PostgreSQL database.
pub struct Pg {
    pub db: TestDatabase,
    pub project: Project,
}

impl Pg {
    pub fn count(&self, sql: &str) -> i64 {
        self.db.count(sql)
    }
}

impl Harness for Pg {
    const USERS_SETUP: &'static str = PG_USERS;
    const USERS_QUERY: &'static str = "SELECT concat_ws('|', id, email) FROM users ORDER BY id";

    fn empty() -> Pg {
        let db = TestDatabase::new();
        let project = Project::new(&db.url, &[]);
        Pg { db, project }
    }

    fn project(&self) -> &Project {
        &self.project
    }

    /// Rows of a one-column text query.
    fn rows(&self, sql: &str) -> Vec<String> {
        self.db.rows(sql)
    }
}

/// A project on a SQLite database in its folder.
pub struct Lite {
    pub project: Project,
}

impl Harness for Lite {
    const USERS_SETUP: &'static str = SQLITE_USERS;
    const USERS_QUERY: &'static str = "SELECT id, email FROM users ORDER BY id";

    fn empty() -> Lite {
        Lite {
            project: Project::sqlite(&[]),
        }
    }

    fn project(&self) -> &Project {
        &self.project
    }

    /// Every row of `sql`, its columns joined with `|`.
    fn rows(&self, sql: &str) -> Vec<String> {
        self.project.sqlite_rows(sql)
    }
}
