//! Container jobs on this machine: a job with a `container` or `services`
//! runs through the local container runtime (docker, else podman), found once
//! per process; without one, the job is not run at all and says why — its
//! steps are never run on the host as if they were in the container.
//!
//! With a runtime, as Azure's agent does: the job gets a network of its own;
//! each service runs on it under its name (and publishes its `ports`, so steps
//! on the host reach it on localhost); the job's container is started idle
//! with the job's workspace mounted at the same path, and every script step
//! runs in it with `exec`, its environment passed by name (`-e NAME`, values
//! from the step's own environment, so none appears in a command line).
//! Everything started is removed when the job ends.

use super::exec::Program;
use crate::ir::{self, ContainerRef};
use indexmap::IndexMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The container runtime that works on this machine (`docker`, else `podman`):
/// on PATH and answering `version` (which needs its daemon). Found once.
pub fn runtime() -> Option<&'static str> {
    static FOUND: OnceLock<Option<&'static str>> = OnceLock::new();
    *FOUND.get_or_init(|| {
        ["docker", "podman"].into_iter().find(|rt| {
            super::exec::on_path(rt)
                && Command::new(rt)
                    .arg("version")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
        })
    })
}

/// What the job needs a container runtime for, in words (`container mysql`,
/// `services db, cache`); `None` when it runs on the host alone.
pub fn needs(job: &ir::Job) -> Option<String> {
    let r = job.resources.as_deref()?;
    let mut parts = Vec::new();
    if let Some(c) = &r.container {
        parts.push(format!("container {}", describe(c)));
    }
    if !r.services.is_empty() {
        let names: Vec<&str> = r.services.keys().map(String::as_str).collect();
        parts.push(format!("services {}", names.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join(" and "))
}

/// Why the job is not run on this machine: it needs a container and no
/// runtime works here.
pub fn not_local(job: &ir::Job) -> Option<String> {
    let needs = needs(job)?;
    runtime().is_none().then(|| {
        format!("not run locally: needs {needs} (no docker or podman works on this machine)")
    })
}

/// A container reference for a person: the alias, or the image.
pub fn describe(c: &ContainerRef) -> String {
    match c {
        ContainerRef::Resource(a) => a.clone(),
        ContainerRef::Image(i) => i.clone(),
        ContainerRef::Inline(c) => c.image.clone(),
    }
}

fn resolve<'a>(
    c: &'a ContainerRef,
    resources: &'a IndexMap<String, ir::Container>,
) -> Option<std::borrow::Cow<'a, ir::Container>> {
    use std::borrow::Cow;
    Some(match c {
        ContainerRef::Resource(a) => Cow::Borrowed(resources.get(a)?),
        ContainerRef::Image(i) => Cow::Owned(ir::Container {
            image: i.clone(),
            ..Default::default()
        }),
        ContainerRef::Inline(c) => Cow::Borrowed(c.as_ref()),
    })
}

/// The containers and network of one running job; removed by [`Session::stop`].
pub struct Session {
    runtime: &'static str,
    network: String,
    started: Vec<String>,
    /// The job's own container, which its script steps run in.
    job_container: Option<String>,
}

fn run(runtime: &str, args: &[String]) -> Result<String, String> {
    let out = Command::new(runtime)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {runtime}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(format!(
            "{runtime} {} failed: {}",
            args.first().map_or("", String::as_str),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `-e K=V`, `-p`, `-v` and the options of a container, for `run`.
fn create_args(c: &ir::Container, args: &mut Vec<String>) {
    for (k, v) in &c.env {
        args.extend(["-e".into(), format!("{k}={v}")]);
    }
    for v in &c.volumes {
        args.extend(["-v".into(), v.clone()]);
    }
    if let Some(o) = &c.options {
        args.extend(o.split_whitespace().map(str::to_string));
    }
}

impl Session {
    /// Start the job's services and container. `name` makes names unique on
    /// this machine (run id, stage, job).
    pub fn start(
        runtime: &'static str,
        job: &ir::Job,
        resources: &IndexMap<String, ir::Container>,
        workspace: &Path,
        name: &str,
    ) -> Result<Session, String> {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let network = format!("relc-{safe}");
        run(
            runtime,
            &["network".into(), "create".into(), network.clone()],
        )?;
        let mut s = Session {
            runtime,
            network,
            started: Vec::new(),
            job_container: None,
        };
        if let Err(e) = s.start_all(job, resources, workspace, &safe) {
            s.stop();
            return Err(e);
        }
        Ok(s)
    }

    fn start_all(
        &mut self,
        job: &ir::Job,
        resources: &IndexMap<String, ir::Container>,
        workspace: &Path,
        safe: &str,
    ) -> Result<(), String> {
        let Some(r) = job.resources.as_deref() else {
            return Ok(());
        };
        for (service, c) in &r.services {
            let c = resolve(c, resources).ok_or(format!("no container `{}`", describe(c)))?;
            let mut args: Vec<String> = [
                "run",
                "-d",
                "--network",
                &self.network,
                "--network-alias",
                service,
            ]
            .map(String::from)
            .to_vec();
            args.extend([
                "--name".into(),
                format!("relc-{safe}-{}", service.to_ascii_lowercase()),
            ]);
            for p in &c.ports {
                args.extend(["-p".into(), p.clone()]);
            }
            create_args(&c, &mut args);
            args.push(c.image.clone());
            self.started.push(run(self.runtime, &args)?);
        }
        if let Some(c) = &r.container {
            let c = resolve(c, resources).ok_or(format!("no container `{}`", describe(c)))?;
            let w = workspace.display().to_string();
            let mut args: Vec<String> = ["run", "-d", "--network", &self.network]
                .map(String::from)
                .to_vec();
            args.extend(["--name".into(), format!("relc-{safe}-job")]);
            args.extend(["-v".into(), format!("{w}:{w}")]);
            create_args(&c, &mut args);
            // Idle until the steps are run in it with `exec`.
            args.extend(["--entrypoint".into(), "tail".into(), c.image.clone()]);
            args.extend(["-f".into(), "/dev/null".into()]);
            let id = run(self.runtime, &args)?;
            self.started.push(id.clone());
            self.job_container = Some(id);
        }
        Ok(())
    }

    /// The script step as the job's container runs it (unchanged when the job
    /// has services only: its steps run on the host, as on Azure's agent).
    pub fn wrap(&self, program: Program, workdir: &Path, env: &[(String, String)]) -> Program {
        let Some(id) = &self.job_container else {
            return program;
        };
        let (shell, text) = match program {
            Program::Bash(t) => ("bash", t),
            Program::Pwsh(t) => ("pwsh", t),
        };
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut cmd = format!(
            "exec {} exec -i -w {}",
            self.runtime,
            quote(&workdir.display().to_string())
        );
        for (k, _) in env {
            if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                cmd.push_str(&format!(" -e {k}"));
            }
        }
        cmd.push_str(&format!(" {id} {shell} -c {}", quote(&text)));
        Program::Bash(cmd)
    }

    /// Remove what [`Session::start`] started.
    pub fn stop(&mut self) {
        for id in self.started.drain(..) {
            let _ = run(self.runtime, &["rm".into(), "-f".into(), id]);
        }
        let _ = run(
            self.runtime,
            &["network".into(), "rm".into(), self.network.clone()],
        );
    }
}
