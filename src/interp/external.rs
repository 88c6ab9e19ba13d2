//! Templates of other files on this machine: relc cannot see them, so neither
//! `relc plan` nor `relc run` runs them. Each is reported, never skipped in
//! silence: a step template is a skipped step with a warning, a job or stage
//! template a line under its stage or at the start of the run, and `extends`
//! a line saying that the pipeline's own stages run as written, without the
//! template around them.

use crate::ir;

/// The line for one template: `not run locally: external template PATH@ALIAS`.
pub fn note(t: &ir::TemplateRef) -> String {
    format!("not run locally: external template {}", t.reference())
}

/// The pipeline's own notes: `extends`, and its stage templates.
pub fn pipeline_notes(p: &ir::Pipeline) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = &p.extends {
        let own = if e.slot.is_some() {
            "; the stages it is given run here as written"
        } else {
            ""
        };
        out.push(format!("{} (extended){own}", note(&e.template)));
    }
    out.extend(p.stage_templates.iter().map(|s| note(&s.template)));
    out
}

/// A stage's notes: its job templates.
pub fn stage_notes(s: &ir::Stage) -> Vec<String> {
    s.job_templates.iter().map(|t| note(&t.template)).collect()
}
