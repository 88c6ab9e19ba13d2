//! Backends: what relc produces from a checked [`crate::ir::Pipeline`].
//!
//! - [`azure`]: `azure-pipelines.yml`, written straight from the IR;
//! - [`yaml`]: the YAML writer it uses: block collections and the one scalar
//!   writer that makes every string read back as written;
//! - [`checks`]: the checks manifest, JSON in the shape of Azure DevOps'
//!   check-configuration REST payloads, for the gates Azure keeps outside YAML;
//! - [`expr`]: conditions printed in Azure's expression syntax;
//! - [`graph`]: the stage and job graph, as Mermaid or Graphviz dot.

pub mod azure;
pub mod checks;
pub mod expr;
pub mod graph;
pub mod yaml;
