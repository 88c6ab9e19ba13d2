//! Gates as the interpreter sees them: the checks a stage must pass before it
//! starts (those of the environments its deployments target, SEMANTICS.md §8),
//! and the pure part of deciding them (branch control against the simulated
//! ref, business hours against the simulated clock).

use crate::check::cron::{DateTime, WEEKDAYS};
use crate::ir::{self, CheckKind};

/// A check a stage waits on, with the environment that carries it.
pub struct StageCheck<'p> {
    pub environment: &'p str,
    pub check: &'p ir::Check,
    /// Unique within the run: `<environment>/<kind>[-n]` (what `relc approve` names).
    pub id: String,
}

/// The checks of every environment the stage deploys to, in job order, each
/// environment once.
pub fn stage_checks<'p>(p: &'p ir::Pipeline, stage: &'p ir::Stage) -> Vec<StageCheck<'p>> {
    let mut out: Vec<StageCheck> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for job in stage.jobs.values() {
        let ir::JobKind::Deployment { environment } = &job.kind else {
            continue;
        };
        if seen.contains(&environment.as_str()) {
            continue;
        }
        seen.push(environment);
        let Some(env) = p.environments.get(environment) else {
            continue;
        };
        for check in &env.checks {
            let kind = kind_name(&check.kind);
            let n = out
                .iter()
                .filter(|c| c.environment == environment && kind_name(&c.check.kind) == kind)
                .count();
            let id = if n == 0 {
                format!("{environment}/{kind}")
            } else {
                format!("{environment}/{kind}-{}", n + 1)
            };
            out.push(StageCheck {
                environment,
                check,
                id,
            });
        }
    }
    out
}

pub fn kind_name(k: &CheckKind) -> &'static str {
    match k {
        CheckKind::Approval(_) => "approval",
        CheckKind::BranchControl { .. } => "branch_control",
        CheckKind::BusinessHours { .. } => "business_hours",
        CheckKind::ExclusiveLock { .. } => "lock",
        CheckKind::Http(_) => "http",
    }
}

/// Branch control: `Ok` when the ref is allowed, else why not.
pub fn branch_allowed(allowed: &[String], reference: &str) -> Result<(), String> {
    if allowed
        .iter()
        .any(|p| p == "*" || super::trigger::wildcard(&super::trigger::full_ref(p), reference))
    {
        Ok(())
    } else {
        Err(format!(
            "{reference} is not an allowed branch (allowed: {})",
            allowed.join(", ")
        ))
    }
}

/// Business hours: `Ok` inside them, else the next minute they open (within
/// the coming week). Times are read as UTC; another time zone is named in the
/// explanation, since this machine's rehearsal clock is UTC.
pub fn business_hours(
    days: &[String],
    start: &str,
    end: &str,
    time_zone: &str,
    at: DateTime,
) -> Result<(), (String, Option<DateTime>)> {
    let minutes = |t: &str| -> u32 {
        let (h, m) = t.split_once(':').unwrap_or(("0", "0"));
        h.parse::<u32>().unwrap_or(0) * 60 + m.parse::<u32>().unwrap_or(0)
    };
    let (open, close) = (minutes(start), minutes(end));
    let on = |t: DateTime| {
        days.iter()
            .any(|d| d.eq_ignore_ascii_case(WEEKDAYS[usize::from(t.weekday())]))
    };
    let now = u32::from(at.hour) * 60 + u32::from(at.minute);
    if on(at) && now >= open && now < close {
        return Ok(());
    }
    let midnight = at.to_unix() - i64::from(now) * 60;
    let next = (0..8).find_map(|day| {
        let opens = midnight + day * 86_400 + i64::from(open) * 60;
        let t = DateTime::from_unix(opens);
        (opens > at.to_unix() && on(t)).then_some(t)
    });
    let zone = if time_zone.eq_ignore_ascii_case("UTC") {
        "UTC".to_string()
    } else {
        format!("{time_zone}, read as UTC locally")
    };
    let listed: Vec<&str> = days.iter().map(|d| &d[..d.len().min(3)]).collect();
    Err((
        format!(
            "{at} UTC is outside business hours ({} {start}–{end} {zone})",
            listed.join(",")
        ),
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_hours_open_on_their_days_only() {
        let days: Vec<String> = WEEKDAYS[1..6].iter().map(|d| d.to_string()).collect();
        // 2026-12-03 is a Thursday.
        let thu = |h, m| DateTime::new(2026, 12, 3, h, m).unwrap();
        assert!(business_hours(&days, "09:00", "17:00", "UTC", thu(9, 0)).is_ok());
        assert!(business_hours(&days, "09:00", "17:00", "UTC", thu(17, 0)).is_err());
        let (_, next) = business_hours(&days, "09:00", "17:00", "UTC", thu(3, 0)).unwrap_err();
        assert_eq!(next, DateTime::new(2026, 12, 3, 9, 0));
        let sat = DateTime::new(2026, 12, 5, 12, 0).unwrap();
        let (why, next) = business_hours(&days, "09:00", "17:00", "UTC", sat).unwrap_err();
        assert_eq!(next, DateTime::new(2026, 12, 7, 9, 0), "{why}");
    }

    #[test]
    fn branch_control_takes_wildcards() {
        let allowed = vec!["refs/heads/main".to_string(), "refs/heads/release/*".into()];
        assert!(branch_allowed(&allowed, "refs/heads/release/1.2").is_ok());
        assert!(branch_allowed(&allowed, "refs/heads/topic").is_err());
    }
}
