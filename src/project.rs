//! A project: its settings and the revision map read from its revision folders
//! (`script_location`, or every `version_locations` folder).

use crate::config::{self, Overrides, Settings};
use crate::error::Error;
use crate::graph::RevisionMap;
use crate::revision::{self, LoadDepth};

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

    /// Like [`Project::load`], for commands that only walk the graph (`heads`, `history`,
    /// `branches`, `show`): revisions may come without their operations
    /// ([`LoadDepth::Graph`]).
    pub fn load_graph(overrides: &Overrides) -> Result<Project, Error> {
        Project::load_with(config::load(overrides)?, LoadDepth::Graph)
    }

    pub fn from_settings(settings: Settings) -> Result<Project, Error> {
        Project::load_with(settings, LoadDepth::Operations)
    }

    /// Revisions are read for the database of the URL in force (the default URL is SQLite's),
    /// whether or not the command connects: its name rules decide how long a name may be and
    /// where the naming convention cuts one.
    fn load_with(settings: Settings, depth: LoadDepth) -> Result<Project, Error> {
        let rules = settings.dialect()?.name_rules();
        let revisions = revision::load_dirs(
            &settings.version_locations,
            settings.recursive_version_locations,
            depth,
            settings.naming_convention.for_database(rules),
        )?;
        let map = RevisionMap::new(revisions)?;
        Ok(Project { settings, map })
    }
}
