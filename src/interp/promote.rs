//! `relc promote`: redeploy the artifacts of an earlier run to one environment.
//!
//! The promoted run is the pipeline cut down to the stage that deploys to the
//! environment: its dependencies dropped (they ran in the earlier run), its
//! condition kept (a branch condition still applies to the earlier run's
//! branch), its gates kept (an approval is asked for again).

use crate::ir;

/// The stage deploying to `environment`, the pipeline with only that stage,
/// and the environments deployed to by the stages it depends on (directly or
/// not), which must have received the same artifacts first.
pub fn restrict(
    p: &ir::Pipeline,
    environment: &str,
) -> Result<(String, ir::Pipeline, Vec<String>), String> {
    let deploys_to = |s: &ir::Stage| {
        s.jobs.values().find_map(|j| match &j.kind {
            ir::JobKind::Deployment { environment: e } => Some(e.clone()),
            _ => None,
        })
    };
    let Some((name, stage)) = p
        .stages
        .iter()
        .find(|(_, s)| deploys_to(s).is_some_and(|e| e.eq_ignore_ascii_case(environment)))
    else {
        let envs: Vec<String> = p.stages.values().filter_map(deploys_to).collect();
        return Err(format!(
            "no stage deploys to `{environment}`; environments deployed to: {}",
            if envs.is_empty() {
                "none".into()
            } else {
                envs.join(", ")
            }
        ));
    };
    let mut before = Vec::new();
    let mut todo: Vec<&str> = stage.depends_on.iter().map(String::as_str).collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(d) = todo.pop() {
        if !seen.insert(d) {
            continue;
        }
        if let Some(s) = p.stages.get(d) {
            if let Some(e) = deploys_to(s)
                && !before.contains(&e)
            {
                before.push(e);
            }
            todo.extend(s.depends_on.iter().map(String::as_str));
        }
    }
    let mut only = stage.clone();
    only.depends_on.clear();
    let mut cut = p.clone();
    cut.stages = [(name.clone(), only)].into_iter().collect();
    Ok((name.clone(), cut, before))
}
