//! Pictures of the revision graph: Mermaid and DOT for documents, an ASCII graph like
//! `git log --graph` for the terminal. Pure functions of the revision map, so their output is
//! snapshot-tested.

pub mod graph;
