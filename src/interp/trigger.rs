//! Simulated triggers: what starts a run, and the predefined variables it sets.
//!
//! A push is matched against the CI `trigger`, a pull request against `pr`, a
//! scheduled run picks the schedule whose cron fires at the simulated minute
//! and whose branch filter takes the branch (SEMANTICS.md §5). Branch patterns
//! are Azure's: a name without `refs/` means `refs/heads/<name>`, `*` is any
//! run of characters and `?` one character.

use crate::check::cron::DateTime;
use crate::ir::{self, Filter};
use serde::{Deserialize, Serialize};

/// How the run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Push,
    Pr,
    Schedule,
    Manual,
}

/// The trigger options of `relc plan` and `relc run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Simulation {
    pub kind: Kind,
    /// The branch pushed, the pull request's target, or the scheduled branch: `main`
    /// or a full ref (`refs/heads/main`, `refs/tags/v1`).
    pub branch: String,
    /// The simulated start of the run (UTC).
    pub at: DateTime,
    /// Only this schedule (by name) may fire.
    pub schedule: Option<String>,
    /// Who asked for the run (`Build.RequestedFor`): the requester cannot approve
    /// where an approval says so.
    pub requested_for: String,
}

/// Whether the simulated event starts a run, and with which predefined variables.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Start {
    /// `None`: a run starts. `Some(why)`: nothing runs, and why.
    pub not_started: Option<String>,
    /// What started it, in words ("push to refs/heads/main").
    pub cause: String,
    /// The schedule that fired, for a scheduled run.
    pub schedule: Option<String>,
    /// `Build.Reason`, `Build.SourceBranch`, … (names as Azure spells them).
    pub variables: Vec<(String, String)>,
}

/// A branch name as a full ref.
pub fn full_ref(branch: &str) -> String {
    if branch.starts_with("refs/") {
        branch.to_string()
    } else {
        format!("refs/heads/{branch}")
    }
}

/// Whether a ref passes an include/exclude filter: includes first (none means
/// all), then excludes removed.
pub fn filter_takes(filter: &Filter, reference: &str) -> bool {
    let hit = |p: &String| wildcard(&full_ref(p), reference);
    (filter.include.is_empty() || filter.include.iter().any(hit)) && !filter.exclude.iter().any(hit)
}

/// Azure's branch wildcards, case-insensitive as Git refs on Azure Repos are:
/// `*` any run of characters, `?` exactly one. Linear in the lengths (greedy
/// matching with one backtrack point), so a hostile pattern cannot stall it.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// What the simulated event does to this pipeline.
pub fn start(p: &ir::Pipeline, sim: &Simulation) -> Start {
    let reference = full_ref(&sim.branch);
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut not_started = None;
    let mut schedule = None;
    let (reason, source_ref, cause) = match sim.kind {
        Kind::Push => {
            let (fires, batch) = match &p.trigger {
                ir::Trigger::Default => (true, false),
                ir::Trigger::None => (false, false),
                ir::Trigger::Filter(f) => (
                    filter_takes(&f.branches, &reference)
                        || f.tags.as_ref().is_some_and(|t| {
                            reference.starts_with("refs/tags/") && filter_takes(t, &reference)
                        }),
                    f.batch == Some(true),
                ),
            };
            if !fires {
                not_started = Some(match &p.trigger {
                    ir::Trigger::None => "the pipeline has no CI trigger (`trigger none`)".into(),
                    _ => format!("the CI trigger does not take {reference}"),
                });
            }
            let reason = if batch { "BatchedCI" } else { "IndividualCI" };
            (reason, reference.clone(), format!("push to {reference}"))
        }
        Kind::Pr => {
            let fires = match &p.pr {
                None => true,
                Some(ir::Trigger::Default) => true,
                Some(ir::Trigger::None) => false,
                Some(ir::Trigger::Filter(f)) => filter_takes(&f.branches, &reference),
            };
            if !fires {
                not_started = Some(format!(
                    "the pull-request trigger does not take the target {reference}"
                ));
            }
            vars.push(("System.PullRequest.PullRequestId".into(), "1".into()));
            vars.push(("System.PullRequest.TargetBranch".into(), reference.clone()));
            vars.push((
                "System.PullRequest.targetBranchName".into(),
                last_segment(&reference).into(),
            ));
            vars.push((
                "System.PullRequest.SourceBranch".into(),
                "refs/heads/topic".into(),
            ));
            vars.push(("System.PullRequest.IsFork".into(), "False".into()));
            (
                "PullRequest",
                "refs/pull/1/merge".to_string(),
                format!("pull request into {reference}"),
            )
        }
        Kind::Schedule => {
            match firing_schedule(p, sim, &reference) {
                Ok(s) => {
                    vars.push((
                        "Build.CronSchedule.DisplayName".into(),
                        s.display.clone().unwrap_or_else(|| s.name.clone()),
                    ));
                    schedule = Some(s.name.clone());
                }
                Err(why) => not_started = Some(why),
            }
            let cause = match &schedule {
                Some(s) => format!("schedule `{s}` at {} UTC on {reference}", sim.at),
                None => format!("schedule at {} UTC on {reference}", sim.at),
            };
            ("Schedule", reference.clone(), cause)
        }
        Kind::Manual => (
            "Manual",
            reference.clone(),
            format!("manual run of {reference}"),
        ),
    };
    let mut variables = vec![
        ("Build.Reason".to_string(), reason.to_string()),
        ("Build.SourceBranch".to_string(), source_ref.clone()),
        (
            "Build.SourceBranchName".to_string(),
            last_segment(&source_ref).to_string(),
        ),
        ("Build.RequestedFor".to_string(), sim.requested_for.clone()),
        ("Build.QueuedBy".to_string(), sim.requested_for.clone()),
    ];
    variables.extend(vars);
    Start {
        not_started,
        cause,
        schedule,
        variables,
    }
}

/// `refs/heads/feature/tools` → `tools` (Azure's `Build.SourceBranchName`).
fn last_segment(reference: &str) -> &str {
    reference.rsplit('/').next().unwrap_or(reference)
}

/// The schedule that fires at `sim.at` for this branch, or why none does.
fn firing_schedule<'p>(
    p: &'p ir::Pipeline,
    sim: &Simulation,
    reference: &str,
) -> Result<&'p ir::Schedule, String> {
    let candidates: Vec<&ir::Schedule> = p
        .schedules
        .iter()
        .filter(|s| sim.schedule.as_deref().is_none_or(|n| n == s.name))
        .collect();
    if candidates.is_empty() {
        return Err(match &sim.schedule {
            Some(n) => format!("the pipeline has no schedule named `{n}`"),
            None => "the pipeline has no schedules".into(),
        });
    }
    let at = sim.at;
    let mut why = Vec::new();
    for s in candidates {
        let fires_now = s.cron.fires_at(at);
        let takes = filter_takes(&s.branches, reference);
        if fires_now && takes {
            return Ok(s);
        }
        let earlier = DateTime::from_unix(at.to_unix() - 60);
        let next = s
            .cron
            .next_after(earlier)
            .map_or("never".to_string(), |n| format!("next at {n} UTC"));
        why.push(if !fires_now {
            format!(
                "`{}` ({}) does not fire at {at} UTC ({next})",
                s.name, s.cron.text
            )
        } else {
            format!("`{}` fires at {at} UTC but not for {reference}", s.name)
        });
    }
    Err(why.join("; "))
}

/// `--at`: `2026-12-03T03:00`, `2026-12-03 03:00[:ss][Z]`, or `03:00` (today, UTC).
pub fn parse_time(text: &str, today: DateTime) -> Option<DateTime> {
    let t = text.trim().trim_end_matches(['Z', 'z']);
    let (date, time) = match t.split_once(['T', ' ']) {
        Some((d, h)) => (Some(d), h),
        None if t.contains(':') => (None, t),
        None => (Some(t), "00:00"),
    };
    let num = |s: &str| s.parse::<u32>().ok();
    let mut hm = time.split(':');
    let hour = num(hm.next()?)?;
    let minute = num(hm.next()?)?;
    if let Some(sec) = hm.next() {
        num(sec)?;
    }
    let (year, month, day) = match date {
        None => (today.year, u32::from(today.month), u32::from(today.day)),
        Some(d) => {
            let mut ymd = d.split('-');
            let y = ymd.next()?.parse::<i32>().ok()?;
            let m = num(ymd.next()?)?;
            let dd = num(ymd.next()?)?;
            if ymd.next().is_some() {
                return None;
            }
            (y, m, dd)
        }
    };
    DateTime::new(
        year,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_azure() {
        assert!(wildcard("refs/heads/*", "refs/heads/feature/x"));
        assert!(wildcard("refs/heads/rel?ase", "refs/heads/release"));
        assert!(!wildcard("refs/heads/release", "refs/heads/releases"));
        assert!(wildcard("refs/heads/Main", "refs/heads/main"));
        let hostile = "*a".repeat(2000);
        assert!(!wildcard(&hostile, &"a".repeat(1999)));
    }

    #[test]
    fn filters_take_includes_then_remove_excludes() {
        let f = Filter {
            include: vec!["releases/*".into()],
            exclude: vec!["releases/old*".into()],
        };
        assert!(filter_takes(&f, "refs/heads/releases/2"));
        assert!(!filter_takes(&f, "refs/heads/releases/old-1"));
        assert!(!filter_takes(&f, "refs/heads/main"));
        let only_exclude = Filter {
            include: vec![],
            exclude: vec!["wip".into()],
        };
        assert!(filter_takes(&only_exclude, "refs/heads/main"));
    }

    #[test]
    fn times_parse_in_the_forms_the_cli_takes() {
        let today = DateTime::new(2026, 12, 3, 10, 0).unwrap();
        assert_eq!(parse_time("03:00", today), DateTime::new(2026, 12, 3, 3, 0));
        assert_eq!(
            parse_time("2026-12-04T03:15:00Z", today),
            DateTime::new(2026, 12, 4, 3, 15)
        );
        assert_eq!(parse_time("2026-02-30 00:00", today), None);
        assert_eq!(parse_time("soon", today), None);
    }
}
