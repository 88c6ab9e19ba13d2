//! The checks manifest: the gates Azure keeps outside YAML, as the JSON bodies
//! of `POST {org}/{project}/_apis/pipelines/checks/configurations` (SEMANTICS.md §8).
//!
//! Azure identifies resources and approvers by ids that only exist in an
//! organisation, so each body names the environment and the approvers as
//! written; `resource.id` and `approvers[].id` are left for whoever applies
//! the manifest to fill in (`GET …/_apis/distributedtask/environments?name=…`,
//! the identities API). Environments are listed too, because a deployment
//! into an environment that does not exist fails unless it is created first.

use crate::ir::{self, CheckKind};
use crate::source::SourceMap;
use serde_json::{Value, json};

const API: &str = "_apis/pipelines/checks/configurations?api-version=7.1-preview.1";
const TASK_CHECK: &str = "fe1de3ee-a436-41b4-bb20-f6eb4cb879a7";

/// The manifest for a pipeline; `None` when no environment has checks and none needs creating.
pub fn manifest(p: &ir::Pipeline, sources: &SourceMap) -> Value {
    let environments: Vec<Value> = p
        .environments
        .values()
        .map(|e| {
            json!({
                "name": e.name,
                "description": e.description,
                "create": { "method": "POST", "path": "_apis/distributedtask/environments?api-version=7.1-preview.1",
                            "body": { "name": e.name, "description": e.description.clone().unwrap_or_default() } },
            })
        })
        .collect();
    let mut checks = Vec::new();
    for e in p.environments.values() {
        for c in &e.checks {
            let file = sources.get(c.span.file);
            let (line, column) = file.line_col(c.span.start);
            checks.push(json!({
                "environment": e.name,
                "gate": c.gate,
                "source": { "file": file.name, "line": line, "column": column },
                "request": { "method": "POST", "path": API, "body": body(e, &c.kind) },
            }));
        }
    }
    json!({
        "generator": "relc",
        "pipeline": p.title,
        "environments": environments,
        "checks": checks,
    })
}

fn resource(e: &ir::Environment) -> Value {
    json!({ "type": "environment", "id": null, "name": e.name })
}

fn task_check(
    e: &ir::Environment,
    display: &str,
    definition: (&str, &str, &str),
    inputs: Value,
    timeout: u64,
    retry: Option<u64>,
) -> Value {
    let mut settings = json!({
        "displayName": display,
        "definitionRef": { "id": definition.0, "name": definition.1, "version": definition.2 },
        "inputs": inputs,
    });
    if let Some(r) = retry {
        settings["retryInterval"] = json!(r);
    }
    json!({
        "type": { "id": TASK_CHECK, "name": "Task Check" },
        "resource": resource(e),
        "timeout": timeout,
        "settings": settings,
    })
}

fn body(e: &ir::Environment, kind: &CheckKind) -> Value {
    match kind {
        CheckKind::Approval(a) => json!({
            "type": { "id": "8c6f20a7-a545-4486-9777-f762fafe0d4d", "name": "Approval" },
            "resource": resource(e),
            "timeout": a.timeout_minutes,
            "settings": {
                "approvers": a.approvers.iter().map(|n| json!({ "id": null, "displayName": n })).collect::<Vec<_>>(),
                "executionOrder": if a.in_sequence { "inSequence" } else { "anyOrder" },
                "minRequiredApprovers": a.min_approvers,
                "instructions": a.instructions.clone().unwrap_or_default(),
                "blockedApprovers": [],
                "requesterCannotBeApprover": !a.requester_can_approve,
            },
        }),
        CheckKind::BranchControl {
            allowed,
            require_protection,
            allow_unknown,
            timeout_minutes,
        } => task_check(
            e,
            "Branch control",
            (
                "86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b",
                "evaluatebranchProtection",
                "0.0.1",
            ),
            json!({
                "allowedBranches": allowed.join(","),
                "ensureProtectionOfBranch": require_protection.to_string(),
                "allowUnknownStatusBranch": allow_unknown.to_string(),
            }),
            *timeout_minutes,
            None,
        ),
        CheckKind::BusinessHours {
            days,
            start,
            end,
            time_zone,
            timeout_minutes,
        } => task_check(
            e,
            "Business Hours",
            (
                "445fde2f-6c39-441c-807f-8a59ff2e075f",
                "evaluateBusinessHours",
                "0.0.1",
            ),
            json!({ "businessDays": days.join(","), "timeZone": time_zone, "startTime": start, "endTime": end }),
            *timeout_minutes,
            Some(5),
        ),
        CheckKind::ExclusiveLock { timeout_minutes } => json!({
            "type": { "id": "2ef31ad6-baa0-403a-8b45-2cbc9b4e5563", "name": "ExclusiveLock" },
            "resource": resource(e),
            "timeout": timeout_minutes,
            "settings": {},
        }),
        CheckKind::Http(h) => {
            let mut inputs = json!({
                "connectedServiceNameSelector": "connectedServiceName",
                "connectedServiceName": h.connection,
                "method": h.method,
                "headers": serde_json::to_string(&h.headers).unwrap_or_default(),
                "waitForCompletion": h.callback.to_string(),
            });
            if let Some(b) = &h.body {
                inputs["body"] = json!(b);
            }
            if let Some(u) = &h.url_suffix {
                inputs["urlSuffix"] = json!(u);
            }
            if let Some(c) = &h.success {
                inputs["successCriteria"] = json!(c);
            }
            let retry = if h.callback {
                0
            } else {
                h.retry_interval_minutes
            };
            task_check(
                e,
                "Invoke REST API",
                (
                    "9c3e8943-130d-4c78-ac63-8af81df62dfb",
                    "InvokeRESTAPI",
                    "1.220.0",
                ),
                inputs,
                h.timeout_minutes,
                Some(retry),
            )
        }
    }
}

/// Whether the pipeline has anything Azure needs outside YAML.
pub fn has_checks(p: &ir::Pipeline) -> bool {
    p.environments.values().any(|e| !e.checks.is_empty())
}
