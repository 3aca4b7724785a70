//! A project: its settings and the revision map read from its `script_location`.

use crate::config::{self, Overrides, Settings};
use crate::error::Error;
use crate::graph::RevisionMap;
use crate::revision;

/// Settings plus the revisions they point at, loaded once per run.
#[derive(Debug)]
pub struct Project {
    pub settings: Settings,
    pub map: RevisionMap,
}

impl Project {
    /// Reads configuration, then every revision file, then builds the graph.
    pub fn load(overrides: &Overrides) -> Result<Project, Error> {
        let settings = config::load(overrides)?;
        Project::from_settings(settings)
    }

    pub fn from_settings(settings: Settings) -> Result<Project, Error> {
        let revisions = revision::load_dir(&settings.script_location)?;
        let map = RevisionMap::new(revisions)?;
        Ok(Project { settings, map })
    }
}
