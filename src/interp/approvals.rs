//! Approvals: who may give a verdict, and what the verdicts given add up to
//! (distinct approvers, minimum count, one rejection fails).

use super::gates;
use super::state::State;
use crate::ir::{CheckKind, GateWait, JobKind};

/// The verdicts recorded for a gate: those naming its id, its environment or its stage.
pub(crate) fn verdicts_for<'a>(
    state: &'a State,
    stage: &str,
    gate: &str,
    environment: Option<&str>,
) -> Vec<&'a (String, bool, String, Option<String>)> {
    state
        .verdicts
        .iter()
        .filter(|(target, ..)| {
            target.eq_ignore_ascii_case(gate)
                || target.eq_ignore_ascii_case(stage)
                || environment.is_some_and(|e| target.eq_ignore_ascii_case(e))
        })
        .collect()
}

/// What an approval's verdicts add up to.
pub(crate) enum Approval {
    Approved(String),
    Rejected(String),
    Pending(String),
}

pub(crate) fn tally(
    state: &State,
    stage: &str,
    gate: &str,
    environment: Option<&str>,
    approvers: &[String],
    min: u64,
    requester_can_approve: bool,
) -> Approval {
    let needed = if min == 0 {
        approvers.len().max(1)
    } else {
        min as usize
    };
    let mut by: Vec<&str> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut ignored: Vec<String> = Vec::new();
    for (_, approve, person, comment) in verdicts_for(state, stage, gate, environment) {
        // A verdict by someone who may not give one (given with `relc run
        // --approve`, which cannot know the gate yet) does not count.
        if let Err(why) = check_verdict(
            person,
            &state.requested_for,
            approvers,
            requester_can_approve,
        ) {
            if !ignored.contains(&why) {
                ignored.push(why);
            }
            continue;
        }
        if !approve {
            let c = comment.as_ref().map_or(String::new(), |c| format!(": {c}"));
            return Approval::Rejected(format!("rejected by {person}{c}"));
        }
        if !by.iter().any(|b| b.eq_ignore_ascii_case(person)) {
            by.push(person);
            if let Some(c) = comment {
                notes.push(format!("{person}: “{c}”"));
            }
        }
    }
    if by.len() >= needed {
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        Approval::Approved(format!("approved by {}{notes}", by.join(", ")))
    } else {
        let who = if approvers.is_empty() {
            "anyone".to_string()
        } else {
            approvers.join(", ")
        };
        let ignored = if ignored.is_empty() {
            String::new()
        } else {
            format!("; not counted: {}", ignored.join("; "))
        };
        Approval::Pending(format!(
            "waiting for approval by {who} ({} of {needed} given){ignored}",
            by.len()
        ))
    }
}

/// Whether `person` may give a verdict on an approval: one of its approvers
/// (when it names any), and not the requester when the requester may not approve.
pub fn check_verdict(
    person: &str,
    requester: &str,
    approvers: &[String],
    requester_can_approve: bool,
) -> Result<(), String> {
    if !approvers.is_empty() && !approvers.iter().any(|a| a.eq_ignore_ascii_case(person)) {
        return Err(format!(
            "{person} is not an approver here (approvers: {})",
            approvers.join(", ")
        ));
    }
    if !requester_can_approve && person.eq_ignore_ascii_case(requester) {
        return Err(format!(
            "{person} requested this run and may not approve it (requester_can_approve false)"
        ));
    }
    Ok(())
}

/// The approvals of a run that wait for a person: `(gate id, stage, approvers,
/// requester may approve)`.
pub fn waiting_approvals(state: &State) -> Vec<(String, String, Vec<String>, bool)> {
    let mut out = Vec::new();
    for (stage, st) in &state.stages {
        for gate in st.waiting.keys() {
            if let Some((approvers, can)) = approval_of(state, stage, gate) {
                out.push((gate.clone(), stage.clone(), approvers, can));
            }
        }
    }
    out.sort();
    out
}

pub(crate) fn approval_of(state: &State, stage: &str, gate: &str) -> Option<(Vec<String>, bool)> {
    let ir_stage = state.pipeline.stages.get(stage)?;
    if let Some(c) = gates::stage_checks(&state.pipeline, ir_stage)
        .into_iter()
        .find(|c| c.id == gate)
    {
        return match &c.check.kind {
            CheckKind::Approval(a) => Some((a.approvers.clone(), a.requester_can_approve)),
            _ => None,
        };
    }
    let (_, job) = gate.split_once('/')?;
    match &ir_stage.jobs.get(job)?.kind {
        JobKind::Gate {
            wait:
                GateWait::Validation {
                    approvers,
                    requester_can_approve,
                    ..
                },
            ..
        } => Some((approvers.clone(), requester_can_approve.unwrap_or(true))),
        _ => None,
    }
}
