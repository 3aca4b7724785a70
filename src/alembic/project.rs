//! Finding an Alembic project's parts: `alembic.ini` (through `crate::alembic_ini`), the
//! script folder, the version locations with Alembic's file order (location by location,
//! names sorted, sub-folders only with `recursive_version_locations`), and the settings
//! `env.py` passes to `context.configure`.
//!
//! Relative paths in alembic.ini are taken from the ini file's folder: Alembic takes them from
//! the working directory, which is that folder whenever `alembic` runs without `-c`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::python::{collect_calls, Expr, Module, Scope, Stmt, Value};
use super::ImportError;
use crate::alembic_ini::AlembicIni;
use crate::ops::naming_convention::NamingConvention;

/// The Alembic project as found on disk.
#[derive(Debug)]
pub(super) struct AlembicProject {
    /// alembic.ini, when the project has one.
    pub(super) ini: Option<PathBuf>,
    pub(super) script_dir: PathBuf,
    pub(super) version_locations: Vec<PathBuf>,
    pub(super) recursive: bool,
    pub(super) url: Option<String>,
    /// The folder paths in messages are given relative to.
    pub(super) root: PathBuf,
}

/// Finds the project from an alembic.ini, a folder holding one, or a script folder.
pub(super) fn locate(src: &Path) -> Result<AlembicProject, ImportError> {
    if src.is_file() {
        return from_ini(src);
    }
    if !src.is_dir() {
        return Err(ImportError::Source {
            path: src.to_path_buf(),
            message: "no such file or folder".into(),
        });
    }
    let ini = src.join("alembic.ini");
    if ini.is_file() {
        return from_ini(&ini);
    }
    if src.join("versions").is_dir() || src.join("env.py").is_file() {
        return Ok(AlembicProject {
            ini: None,
            script_dir: src.to_path_buf(),
            version_locations: vec![src.join("versions")],
            recursive: false,
            url: None,
            root: src.to_path_buf(),
        });
    }
    Err(ImportError::Source {
        path: src.to_path_buf(),
        message: "it holds neither alembic.ini nor an Alembic script folder (env.py, versions/)"
            .into(),
    })
}

fn from_ini(path: &Path) -> Result<AlembicProject, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let here = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    // Alembic takes relative paths from the working folder (MLflow's ini, inside its script
    // folder, names it from the project root); an import is often run from elsewhere, so the
    // ini's own folder is the fallback when the working folder holds no such script folder.
    let from_working_folder = AlembicIni::parse(path, &text, Path::new(""))?;
    let ini = if from_working_folder.script_location.is_dir() {
        from_working_folder
    } else {
        AlembicIni::parse(path, &text, &here)?
    };
    let version_locations = ini
        .version_locations
        .unwrap_or_else(|| vec![ini.script_location.join("versions")]);
    Ok(AlembicProject {
        ini: Some(path.to_path_buf()),
        script_dir: ini.script_location,
        version_locations,
        recursive: ini.recursive_version_locations,
        url: ini.url,
        root: here,
    })
}

/// The version scripts in Alembic's load order.
pub(super) fn version_files(project: &AlembicProject) -> Result<Vec<PathBuf>, ImportError> {
    let mut files = Vec::new();
    for location in &project.version_locations {
        if location.is_dir() {
            list_py_dir(location, project.recursive, &mut files)?;
        }
    }
    Ok(files)
}

fn list_py_dir(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let read_error = |source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "__pycache__" {
                dirs.push(path);
            }
        } else if name.ends_with(".py") && !name.starts_with("__init__") && !name.starts_with(".#")
        {
            files.push(path);
        }
    }
    files.sort();
    out.extend(files);
    if recursive {
        dirs.sort();
        for sub in dirs {
            list_py_dir(&sub, recursive, out)?;
        }
    }
    Ok(())
}

/// What env.py passes to `context.configure` that rmig.toml can carry.
#[derive(Debug, Default, PartialEq)]
pub(super) struct EnvSettings {
    pub(super) version_table: Option<String>,
    pub(super) version_table_schema: Option<String>,
    pub(super) transaction_per_migration: bool,
    pub(super) naming: EnvNaming,
    pub(super) notes: Vec<String>,
}

/// The naming convention env.py gives SQLAlchemy's `MetaData`.
#[derive(Debug, Default, PartialEq)]
pub(super) enum EnvNaming {
    /// No `MetaData(naming_convention=...)`: SQLAlchemy's default (`ix_%(column_0_label)s`).
    #[default]
    Default,
    Literal(NamingConvention),
    /// Given by code rmig cannot read (the application's models, say): the line and why.
    Unreadable {
        line: usize,
        reason: String,
    },
}

/// Reads `context.configure(...)` calls in env.py (all of them: offline and online).
pub(super) fn env_settings(script_dir: &Path) -> Result<EnvSettings, ImportError> {
    let path = script_dir.join("env.py");
    let mut settings = EnvSettings::default();
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(settings);
    };
    let module = Module::parse(&text);
    if let Some(error) = module.syntax_error() {
        return Err(ImportError::Python {
            file: path.display().to_string(),
            line: error.line,
            message: error.message.clone(),
        });
    }
    let scope = Scope::of_module(&module);
    settings.naming = env_naming(&module, &scope);
    let mut seen: HashMap<&str, Value> = HashMap::new();
    for (key, value) in module.keyword_arguments(&scope, "alembic.context.configure") {
        if !matches!(
            key,
            "version_table" | "version_table_schema" | "transaction_per_migration"
        ) {
            continue;
        }
        match value {
            Ok(value) => {
                if let Some(earlier) = seen.get(key) {
                    if *earlier != value {
                        settings.notes.push(format!(
                            "env.py passes two values of {key} to context.configure; the last is used"
                        ));
                    }
                }
                seen.insert(key, value);
            }
            Err(reason) => settings.notes.push(format!(
                "env.py's {key} is computed ({reason}); set it in rmig.toml by hand"
            )),
        }
    }
    for (key, value) in seen {
        match (key, value) {
            ("version_table", Value::Str(name)) => settings.version_table = Some(name),
            ("version_table_schema", Value::Str(name)) => {
                settings.version_table_schema = Some(name)
            }
            ("transaction_per_migration", Value::Bool(flag)) => {
                settings.transaction_per_migration = flag
            }
            (_, Value::None) => {}
            (key, other) => settings.notes.push(format!(
                "env.py's {key}={} is not understood; set it in rmig.toml by hand",
                other.describe()
            )),
        }
    }
    Ok(settings)
}

/// The `naming_convention` of a `MetaData(...)` call assigned at module level or made as a
/// statement; else, when `target_metadata` is set from code rmig cannot read, that line.
fn env_naming(module: &Module, scope: &Scope<'_>) -> EnvNaming {
    let mut candidates: Vec<&Expr> = Vec::new();
    collect_calls(&module.body, &mut candidates);
    let mut target_metadata = None;
    for stmt in &module.body {
        if let Stmt::Assign(assign) = stmt {
            candidates.push(&assign.value);
            let targets_metadata = assign
                .targets
                .iter()
                .any(|target| matches!(target, Expr::Name(name) if name.id.as_str() == "target_metadata"));
            if targets_metadata {
                target_metadata = Some(&*assign.value);
            }
        }
    }
    for expr in candidates {
        let Expr::Call(call) = expr else { continue };
        let is_metadata = matches!(
            scope.eval(module, &call.func),
            Ok(Value::Ref(name)) if name.starts_with("sqlalchemy.") && name.ends_with(".MetaData")
        );
        let Some(keyword) = call.arguments.keywords.iter().find(|k| {
            k.arg
                .as_ref()
                .is_some_and(|arg| arg.as_str() == "naming_convention")
        }) else {
            continue;
        };
        if !is_metadata {
            continue;
        }
        let unreadable = |reason: String| EnvNaming::Unreadable {
            line: module.line(&keyword.value),
            reason,
        };
        let pairs = match scope.eval(module, &keyword.value) {
            Ok(Value::Dict(pairs)) => pairs,
            Ok(other) => return unreadable(format!("naming_convention is {}", other.describe())),
            Err(reason) => return unreadable(reason),
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (key, template) in pairs {
            match (key, template) {
                (Value::Str(key), Value::Str(template)) => entries.push((key, template)),
                (key, template) => {
                    return unreadable(format!(
                        "its entry {}: {} is not a key and a template string",
                        key.describe(),
                        template.describe()
                    ))
                }
            }
        }
        return match NamingConvention::parse(entries) {
            Ok(convention) => EnvNaming::Literal(convention),
            Err(error) => unreadable(error.to_string()),
        };
    }
    let plain = |value: &Expr| match scope.eval(module, value) {
        Ok(Value::None) => true,
        Ok(Value::Call(call)) => call.name().is_some_and(|name| name.ends_with(".MetaData")),
        _ => false,
    };
    match target_metadata {
        Some(value) if !plain(value) => EnvNaming::Unreadable {
            line: module.line(value),
            reason: format!(
                "target_metadata = {} comes from code rmig does not read",
                super::python::one_line(module.text(value))
            ),
        },
        _ => EnvNaming::Default,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_py_settings_are_read_from_configure_calls() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("env.py"),
            "from alembic import context\nVT = 'my_versions'\n\ndef run_migrations_online():\n    with connectable.connect() as connection:\n        context.configure(connection=connection, version_table=VT, transaction_per_migration=True)\n        with context.begin_transaction():\n            context.run_migrations()\n",
        )
        .unwrap();
        let settings = env_settings(dir.path()).unwrap();
        assert_eq!(settings.version_table.as_deref(), Some("my_versions"));
        assert!(settings.transaction_per_migration);
        assert!(settings.notes.is_empty(), "{:?}", settings.notes);
    }
}
