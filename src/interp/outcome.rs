//! Azure's result model (SEMANTICS.md §2.4).

use serde::{Deserialize, Serialize};

/// The result of a step, job, stage or run, in Azure's order of severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Succeeded,
    SucceededWithIssues,
    Failed,
    Canceled,
    Skipped,
}

impl Outcome {
    /// As Azure spells it in `dependencies.X.result` and `Agent.JobStatus`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "Succeeded",
            Outcome::SucceededWithIssues => "SucceededWithIssues",
            Outcome::Failed => "Failed",
            Outcome::Canceled => "Canceled",
            Outcome::Skipped => "Skipped",
        }
    }

    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Succeeded | Outcome::SucceededWithIssues)
    }

    /// The result of a job from its steps', or of a stage from its jobs': the
    /// worst one, where skipped parts do not count unless every part was skipped,
    /// and a canceled part makes the whole canceled.
    pub fn merge(parts: impl IntoIterator<Item = Outcome>) -> Outcome {
        let mut worst: Option<Outcome> = None;
        for o in parts {
            if o == Outcome::Skipped {
                continue;
            }
            worst = Some(worst.map_or(o, |w| w.max(o)));
        }
        worst.unwrap_or(Outcome::Skipped)
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome::*;
    use super::*;

    #[test]
    fn merge_takes_the_worst_and_ignores_skipped_parts() {
        assert_eq!(
            Outcome::merge([Succeeded, SucceededWithIssues]),
            SucceededWithIssues
        );
        assert_eq!(Outcome::merge([Succeeded, Skipped]), Succeeded);
        assert_eq!(Outcome::merge([Skipped, Skipped]), Skipped);
        assert_eq!(Outcome::merge([Failed, Canceled, Succeeded]), Canceled);
        assert_eq!(Outcome::merge([]), Skipped);
    }
}
