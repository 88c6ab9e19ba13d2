//! What conditions see while a run is planned or executed: variables by scope,
//! the results and outputs of dependencies, and whether the run was canceled.

use super::outcome::Outcome;
use crate::ir::eval::{Env, Value};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Variables of one scope, names case-insensitive as Azure's are. Later
/// writes win; the spelling first written is kept for display.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Vars {
    /// Lower-cased name → (name as written, value, secret).
    map: IndexMap<String, (String, String, bool)>,
}

impl Vars {
    pub fn set(&mut self, name: &str, value: impl Into<String>, secret: bool) {
        let key = name.to_ascii_lowercase();
        let value = value.into();
        match self.map.get_mut(&key) {
            Some(entry) => {
                entry.1 = value;
                entry.2 |= secret;
            }
            None => {
                self.map.insert(key, (name.to_string(), value, secret));
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.map
            .get(&name.to_ascii_lowercase())
            .map(|(_, v, _)| v.as_str())
    }

    pub fn is_secret(&self, name: &str) -> bool {
        self.map
            .get(&name.to_ascii_lowercase())
            .is_some_and(|e| e.2)
    }

    /// `(name, value, secret)` in the order first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.map
            .values()
            .map(|(n, v, s)| (n.as_str(), v.as_str(), *s))
    }

    /// These variables with `inner`'s on top (a job's over its stage's).
    pub fn layered(&self, inner: &Vars) -> Vars {
        let mut out = self.clone();
        for (n, v, s) in inner.iter() {
            out.set(n, v, s);
        }
        out
    }
}

/// What a dependency left behind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finished {
    pub outcome: Outcome,
    /// It and everything upstream of it succeeded (what `succeeded()` without
    /// names asks of each direct dependency: SEMANTICS.md §2.3 makes the
    /// default condition transitive).
    pub upstream_succeeded: bool,
    /// It or something upstream of it failed.
    pub upstream_failed: bool,
    /// Output variables by the key Azure reads them with (`step.var` for a job,
    /// `job.step.var` for a stage).
    pub outputs: IndexMap<String, String>,
}

/// The [`Env`] of one stage's or job's condition.
pub struct Scope<'a> {
    pub vars: &'a Vars,
    /// The direct dependencies (what `dependencies.X` may name).
    pub direct: &'a [String],
    pub finished: &'a HashMap<String, Finished>,
    /// For a job: the stages its stage depends on, by name, with their jobs
    /// (`stageDependencies.S.J`), keyed `S/J`.
    pub stage_jobs: Option<&'a HashMap<String, Finished>>,
    pub canceled: bool,
}

impl Env for Scope<'_> {
    fn variable(&self, name: &str) -> Option<Value> {
        Some(
            self.vars
                .get(name)
                .map_or(Value::Null, |v| Value::Str(v.to_string())),
        )
    }

    fn context(&self, root: &str, path: &[String]) -> Option<Value> {
        if root.eq_ignore_ascii_case("dependencies") {
            let (name, rest) = path.split_first()?;
            let name = self.direct.iter().find(|d| d.eq_ignore_ascii_case(name))?;
            return Some(field(self.finished.get(name), rest));
        }
        if root.eq_ignore_ascii_case("stageDependencies") {
            let [stage, job, rest @ ..] = path else {
                return Some(Value::Null);
            };
            let key = format!("{stage}/{job}");
            let f = self
                .stage_jobs?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&key))
                .map(|(_, f)| f);
            return Some(field(f, rest));
        }
        None
    }

    fn status(&self, function: &str, names: &[String]) -> Option<bool> {
        match function {
            "always" => return Some(true),
            "canceled" => return Some(self.canceled),
            _ => {}
        }
        // Named: those nodes themselves. Unnamed: every direct dependency and,
        // through its summary, everything upstream of it.
        let named = !names.is_empty();
        let set = if named { names } else { self.direct };
        let mut all_succeeded = true;
        let mut any_failed = false;
        for n in set {
            let f = self.finished.get(n.as_str())?; // not finished: not known yet
            if named {
                all_succeeded &= f.outcome.is_success();
                any_failed |= f.outcome == Outcome::Failed;
            } else {
                all_succeeded &= f.upstream_succeeded;
                any_failed |= f.upstream_failed;
            }
        }
        Some(match function {
            "succeededOrFailed" => !self.canceled,
            "failed" => !self.canceled && any_failed,
            _ => !self.canceled && all_succeeded,
        })
    }
}

/// `result` or `outputs['key']` of a dependency; null for anything else or
/// for a dependency that left nothing.
fn field(f: Option<&Finished>, path: &[String]) -> Value {
    match path {
        [what] if what.eq_ignore_ascii_case("result") => {
            f.map_or(Value::Null, |f| Value::Str(f.outcome.as_str().into()))
        }
        [what, key] if what.eq_ignore_ascii_case("outputs") => f
            .and_then(|f| {
                f.outputs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| Value::Str(v.clone()))
            })
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

impl Finished {
    /// A node's record, from its own outcome and its direct dependencies'.
    pub fn new<'a>(
        outcome: Outcome,
        outputs: IndexMap<String, String>,
        deps: impl IntoIterator<Item = &'a Finished>,
    ) -> Finished {
        let mut f = Finished {
            outcome,
            upstream_succeeded: outcome.is_success(),
            upstream_failed: outcome == Outcome::Failed,
            outputs,
        };
        for d in deps {
            f.upstream_succeeded &= d.upstream_succeeded;
            f.upstream_failed |= d.upstream_failed;
        }
        f
    }
}
