//! Strategies on this machine: [`localize`] rewrites a checked pipeline into
//! the jobs `relc plan` and `relc run` actually run, so that the scheduler and
//! the job runner deal with plain jobs and steps.
//!
//! - A matrix or `parallel` job becomes one job per copy, named as Azure shows
//!   them — the job's name, a space and the leg's name (`Test linux`) or the
//!   slice's number (`Slice 2`) — each with the leg's variables and
//!   `System.JobPositionInPhase` / `System.TotalJobsInPhase`. The job itself
//!   stays, with no steps, depending on its copies: jobs after it wait for all
//!   of them, and it finishes with the worst of their results
//!   ([`ir::Local::Legs`]; the scheduler lets at most `max_parallel` copies
//!   run at once).
//! - A deployment with a strategy has its hooks flattened into its steps in
//!   the order Azure runs them ([`ir::Local::Hooks`]): `preDeploy`, `deploy`,
//!   `routeTraffic`, `postRouteTraffic`, then `on.failure` and `on.success`, of
//!   which the job runner runs the one the outcome calls for. There is one
//!   target here, so a rolling deployment runs its hooks once; a canary runs
//!   `preDeploy` once, then `deploy`, `routeTraffic` and `postRouteTraffic`
//!   once per increment and once more for 100 %.
//!
//! The record of a run holds the localized pipeline, so `relc resume` reads
//! back exactly what ran. Localizing twice changes nothing.

use crate::ir::{self, Local, Phase, Strategy, Variable};
use indexmap::IndexMap;

/// The pipeline as this machine runs it (see the module's documentation).
pub fn localize(mut p: ir::Pipeline) -> ir::Pipeline {
    let envs = p.environments.clone();
    for stage in p.stages.values_mut() {
        let jobs = std::mem::take(&mut stage.jobs);
        let mut out: IndexMap<String, ir::Job> = IndexMap::with_capacity(jobs.len());
        for (name, job) in jobs {
            match job.strategy.as_deref() {
                _ if job.local.is_some() => {
                    out.insert(name, job);
                }
                Some(Strategy::Matrix { .. } | Strategy::Parallel { .. }) => {
                    copies(name, job, &mut out);
                }
                Some(_) => {
                    let local_deploy = match &job.kind {
                        ir::JobKind::Deployment { environment } => envs
                            .get(environment)
                            .and_then(|e| e.local_deploy.clone().map(|c| (e.name.clone(), c))),
                        _ => None,
                    };
                    out.insert(name, hooks(job, local_deploy));
                }
                None => {
                    out.insert(name, job);
                }
            }
        }
        stage.jobs = out;
    }
    p
}

/// The copies of a matrix or parallel job, then the job itself, which waits for them.
fn copies(name: String, mut job: ir::Job, out: &mut IndexMap<String, ir::Job>) {
    // Out of the job while it is copied, so a copy does not carry every leg
    // (which would make a matrix quadratic in its legs); put back after.
    let taken = job.strategy.take();
    let (legs, max_parallel, strategy) = match taken.as_deref() {
        Some(Strategy::Matrix { legs, max_parallel }) => (legs.clone(), *max_parallel, "matrix"),
        // Slices are legs named by their number, with no variables of their own.
        Some(Strategy::Parallel { count }) => (
            (1..=*count)
                .map(|i| ir::Leg {
                    name: i.to_string(),
                    variables: Vec::new(),
                })
                .collect(),
            None,
            "parallel",
        ),
        _ => {
            job.strategy = taken;
            out.insert(name, job);
            return;
        }
    };
    let total = legs.len();
    let mut names = Vec::with_capacity(total);
    for (
        i,
        ir::Leg {
            name: leg,
            variables: vars,
        },
    ) in legs.into_iter().enumerate()
    {
        let mut copy = job.clone();
        copy.name = format!("{name} {leg}");
        copy.display = Some(format!("{} {leg}", job.display.as_deref().unwrap_or(&name)));
        let var = |name: &str, value: String| Variable::Value {
            name: name.to_string(),
            value,
            span: job.span,
        };
        copy.variables
            .extend(vars.into_iter().map(|(n, v)| var(&n, v)));
        copy.variables
            .push(var("System.JobPositionInPhase", (i + 1).to_string()));
        copy.variables
            .push(var("System.TotalJobsInPhase", total.to_string()));
        copy.local = Some(Box::new(Local::Leg { of: name.clone() }));
        names.push(copy.name.clone());
        out.insert(copy.name.clone(), copy);
    }
    job.strategy = taken;
    job.steps = Vec::new();
    job.condition = None;
    job.depends_on = names.clone();
    job.local = Some(Box::new(Local::Legs {
        legs: names,
        max_parallel,
        strategy: strategy.to_string(),
    }));
    out.insert(name, job);
}

/// A deployment with its hooks flattened into its steps, in the order they run.
/// `local_deploy`: the environment's local deploy command, run at the end of
/// each `deploy` hook.
fn hooks(mut job: ir::Job, local_deploy: Option<(String, String)>) -> ir::Job {
    let Some(strategy) = job.strategy.as_deref() else {
        return job;
    };
    let Some(h) = strategy.hooks() else {
        return job;
    };
    let cycles: Vec<Option<u64>> = match strategy {
        Strategy::Canary { increments, .. } => {
            increments.iter().copied().chain([100]).map(Some).collect()
        }
        _ => vec![None],
    };
    let mut deploy = job.steps.clone();
    if let Some((env, cmd)) = local_deploy {
        deploy.push(ir::Step {
            kind: ir::StepKind::Script {
                shell: ir::Shell::Bash,
                text: cmd,
            },
            display: Some(format!("Deploy locally to {env}")),
            options: None,
            span: job.span,
        });
    }
    let mut steps: Vec<ir::Step> = Vec::new();
    let mut phases: Vec<Phase> = Vec::new();
    let mut add = |hook: &str, increment: Option<u64>, s: &[ir::Step]| {
        phases.push(Phase {
            hook: hook.to_string(),
            increment,
            steps: s.len(),
        });
        steps.extend(s.iter().cloned());
    };
    if let Some(pre) = &h.pre_deploy {
        add("preDeploy", None, &pre.steps);
    }
    for &increment in &cycles {
        add("deploy", increment, &deploy);
        if let Some(r) = &h.route_traffic {
            add("routeTraffic", increment, &r.steps);
        }
        if let Some(r) = &h.post_route_traffic {
            add("postRouteTraffic", increment, &r.steps);
        }
    }
    if let Some(f) = &h.on_failure {
        add("on.failure", None, &f.steps);
    }
    if let Some(s) = &h.on_success {
        add("on.success", None, &s.steps);
    }
    let key = strategy.key().to_string();
    job.steps = steps;
    job.local = Some(Box::new(Local::Hooks {
        strategy: key,
        phases,
    }));
    job
}

/// The hooks of a flattened deployment as a person reads them, in order:
/// `preDeploy → deploy 10% → … → on.success | on.failure`.
pub fn hook_order(phases: &[Phase]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in phases {
        let text = match p.increment {
            Some(i) => format!("{} {i}%", p.hook),
            None => p.hook.clone(),
        };
        if p.hook.starts_with("on.") && out.last().is_some_and(|l| l.starts_with("on.")) {
            if let Some(last) = out.last_mut() {
                last.push_str(" | ");
                last.push_str(&text);
            }
        } else {
            out.push(text);
        }
    }
    out
}
