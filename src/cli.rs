//! The command line: `relc check`, `relc build`, `relc graph` and `relc fmt`.
//!
//! Exit codes (stable): 0 success (warnings allowed), 1 the input has errors,
//! 2 usage or I/O error.

use crate::diagnostic::Severity;
use crate::project::{self, FileResolver, ReadError};
use crate::write::{Output, write_all};
use crate::{Compilation, backend, compile_with, render};
use clap::{Parser, Subcommand, ValueEnum};
use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod interp;

#[derive(Parser)]
#[command(
    name = "relc",
    version,
    about = "The compiler of the .release language for multistage release pipelines",
    after_help = "Exit codes: 0 success (warnings allowed), 1 the input has errors, 2 usage or I/O error.\n\
                  Language reference: docs/language.md; a diagnostic: `relc explain E010`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// The project root imports must stay inside (default: the nearest folder
    /// above the file with a `.relc-root` or `.git`, else the file's folder).
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Emit {
    /// azure-pipelines.yml
    Yaml,
    /// The checked IR as JSON.
    Ir,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum GraphFormat {
    /// A Mermaid flowchart (GitHub renders it in Markdown).
    Mermaid,
    /// A Graphviz digraph (`dot -Tsvg`).
    Dot,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check files; report every problem found.
    Check {
        /// The `.release` files to check; a directory means every `.release` file in it.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Treat warnings as errors (exit 1).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Compile a file to Azure Pipelines YAML (stdout unless -o).
    Build {
        /// The `.release` file to compile.
        file: PathBuf,
        /// Where to write the output; nothing is written if the file has errors.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Emit::Yaml)]
        emit: Emit,
        /// Write the checks manifest (approvals and checks Azure keeps outside YAML) here.
        #[arg(long)]
        checks: Option<PathBuf>,
        /// Write a template other pipelines use (`- template: x.yml`): `parameters:`
        /// from the runtime parameters, then only `stages:`, `jobs:` or `steps:`.
        #[arg(long, value_enum, value_name = "LEVEL")]
        as_template: Option<TemplateLevel>,
    },
    /// Draw the stages and jobs of a file's pipeline (stdout unless -o).
    Graph {
        /// The `.release` file to draw.
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Where to write the graph; nothing is written if the file has errors.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Rewrite files in the canonical layout (comments kept, meaning unchanged).
    Fmt {
        /// The `.release` files to format; a directory means every `.release` file in it.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write nothing; list the files that would change, with their first differences (exit 1 if any).
        #[arg(long)]
        check: bool,
    },
    /// Run the language server on stdin and stdout (for editors).
    Lsp,
    /// Say what a trigger would run, skip or wait for, and why; executes nothing.
    Plan {
        /// The `.release` file.
        file: PathBuf,
        #[command(flatten)]
        trigger: interp::TriggerArgs,
        #[arg(long, value_enum, default_value_t = interp::RunFormat::Human)]
        format: interp::RunFormat,
    },
    /// Run a pipeline on this machine: real steps, gates, artifacts, a record to resume.
    #[command(
        after_help = "Exit codes: 0 the run succeeded, 1 it failed or was rejected, 2 usage or I/O, \
                      3 it waits for an approval or a check (`relc resume`), 130 it was canceled."
    )]
    Run {
        /// The `.release` file.
        file: PathBuf,
        #[command(flatten)]
        trigger: interp::TriggerArgs,
        #[command(flatten)]
        exec: interp::ExecArgs,
        /// Approve a gate (its id such as `staging/approval`, its environment or its stage).
        #[arg(long, value_name = "NAME")]
        approve: Vec<String>,
        /// Reject a gate.
        #[arg(long, value_name = "NAME")]
        reject: Vec<String>,
        /// Who gives the --approve/--reject verdicts (default: you).
        #[arg(long, value_name = "PERSON")]
        approver: Option<String>,
        /// Where runs, artifacts and the ledger are kept (default: .relc beside the file).
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Approve a gate a run waits on (then `relc resume`).
    Approve {
        /// A run id or `last`.
        run: String,
        /// The gate: its id, environment or stage (optional when only one waits).
        gate: Option<String>,
        /// Who approves.
        #[arg(long = "as", value_name = "PERSON")]
        person: Option<String>,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Reject a gate a run waits on (the stage fails when the run resumes).
    Reject {
        run: String,
        gate: Option<String>,
        #[arg(long = "as", value_name = "PERSON")]
        person: Option<String>,
        #[arg(long)]
        comment: Option<String>,
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Continue a run that waits or was interrupted (finished steps are not run again).
    Resume {
        run: String,
        /// Move the run's simulated clock to this time (UTC) first.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        exec: interp::ExecArgs,
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// List the runs kept here.
    Runs {
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Print the logs of a run, or of one STAGE[/JOB[/STEP]] of it.
    Logs {
        run: String,
        selector: Option<String>,
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Which artifact (by fingerprint) is deployed in each environment, by which run, when.
    Status {
        #[arg(long, value_enum, default_value_t = interp::RunFormat::Human)]
        format: interp::RunFormat,
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Deploy exactly the artifacts of an earlier run to an environment.
    Promote {
        run: String,
        #[arg(long, value_name = "ENVIRONMENT")]
        to: String,
        /// Promote even if the environments before it never received these artifacts.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        exec: interp::ExecArgs,
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Explain a diagnostic code (`relc explain E010`), or list them all.
    Explain {
        /// A code such as E010 or W001; none lists every code.
        code: Option<String>,
    },
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let root = match cli.root.as_deref().map(Path::canonicalize) {
        None => None,
        Some(Ok(dir)) if dir.is_dir() => Some(dir),
        Some(Ok(_)) => return usage_error("--root must name a directory"),
        Some(Err(e)) => return usage_error(&format!("--root: {e}")),
    };
    match cli.command {
        Command::Check {
            files,
            format,
            deny_warnings,
        } => check(&files, root.as_deref(), format, deny_warnings, color),
        Command::Build {
            file,
            output,
            emit,
            checks,
            as_template: Some(level),
        } => {
            if emit != Emit::Yaml || checks.is_some() {
                return usage_error("--as-template writes YAML alone: drop --emit and --checks");
            }
            build_template(&file, root.as_deref(), output.as_deref(), level, color)
        }
        Command::Build {
            file,
            output,
            emit,
            checks,
            as_template: None,
        } => build(
            &file,
            root.as_deref(),
            output.as_deref(),
            emit,
            checks.as_deref(),
            color,
        ),
        Command::Graph {
            file,
            format,
            output,
        } => graph(&file, root.as_deref(), format, output.as_deref(), color),
        Command::Fmt { files, check } => fmt(&files, root.as_deref(), check, color),
        Command::Explain { code } => explain(code.as_deref()),
        Command::Lsp => crate::lsp::serve(),
        Command::Plan {
            file,
            trigger,
            format,
        } => interp::plan(
            &file,
            root.as_deref(),
            &trigger,
            format == interp::RunFormat::Json,
            color,
        ),
        Command::Run {
            file,
            trigger,
            exec,
            approve,
            reject,
            approver,
            state_dir,
        } => interp::run_file(
            &file,
            root.as_deref(),
            &trigger,
            &exec,
            &approve,
            &reject,
            approver.as_deref(),
            state_dir.as_deref(),
            color,
        ),
        Command::Approve {
            run,
            gate,
            person,
            comment,
            state_dir,
        } => verdict(&run, gate, person, comment, true, state_dir),
        Command::Reject {
            run,
            gate,
            person,
            comment,
            state_dir,
        } => verdict(&run, gate, person, comment, false, state_dir),
        Command::Resume {
            run,
            at,
            exec,
            state_dir,
        } => interp::resume(&run, at.as_deref(), &exec, state_dir.as_deref()),
        Command::Runs { state_dir } => interp::runs(state_dir.as_deref()),
        Command::Logs {
            run,
            selector,
            state_dir,
        } => interp::logs(&run, selector.as_deref(), state_dir.as_deref()),
        Command::Status { format, state_dir } => {
            interp::status(format == interp::RunFormat::Json, state_dir.as_deref())
        }
        Command::Promote {
            run,
            to,
            force,
            exec,
            state_dir,
        } => interp::promote(&run, &to, force, &exec, state_dir.as_deref()),
    }
}

fn verdict(
    run: &str,
    gate: Option<String>,
    person: Option<String>,
    comment: Option<String>,
    approve: bool,
    state_dir: Option<PathBuf>,
) -> ExitCode {
    let person = person.unwrap_or_else(crate::interp::local_user);
    interp::verdict(
        run,
        gate.as_deref(),
        &person,
        comment.as_deref(),
        approve,
        state_dir.as_deref(),
    )
}

fn explain(code: Option<&str>) -> ExitCode {
    use crate::diagnostic::{Code, suggest};
    let Some(code) = code else {
        for c in Code::ALL {
            println!("{}  {}", c.as_str(), c.title());
        }
        return ExitCode::SUCCESS;
    };
    let upper = code.trim().to_ascii_uppercase();
    let Some(c) = Code::ALL.iter().find(|c| c.as_str() == upper) else {
        let hint = suggest(&upper, Code::ALL.iter().map(|c| c.as_str()))
            .map_or(String::new(), |h| format!("; {h}"));
        eprintln!("error: no diagnostic has the code `{code}`{hint} (`relc explain` lists them)");
        return ExitCode::from(2);
    };
    let heading = format!("## {} ", c.as_str());
    let section = crate::diagnostic::REFERENCE.split("\n## ").find_map(|s| {
        let s = format!("## {s}");
        s.starts_with(&heading).then_some(s)
    });
    match section {
        Some(text) => println!("{}", text.trim_end()),
        None => println!("{}  {}", c.as_str(), c.title()),
    }
    ExitCode::SUCCESS
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// A file to compile, read ([`project::read_source`]), with the resolver of
/// its project; or why it cannot be compiled (printed on stderr too).
fn read(path: &Path, root: Option<&Path>) -> Result<(String, FileResolver), String> {
    let result = (|| {
        let resolver = match root {
            Some(root) => {
                let resolver = FileResolver::new(root);
                if !project::identity(path).starts_with(resolver.root()) {
                    return Err(format!(
                        "{} is outside the project root {}",
                        path.display(),
                        resolver.root().display()
                    ));
                }
                resolver
            }
            None => FileResolver::for_file(path),
        };
        let text = project::read_source(path).map_err(|e| match e {
            ReadError::Io(e) => format!("cannot read {}: {e}", path.display()),
            ReadError::NotFound => format!("cannot read {}: no such file", path.display()),
            e => format!("cannot read {}: {e}", path.display()),
        })?;
        Ok((text, resolver))
    })();
    if let Err(message) = &result {
        eprintln!("error: {message}");
    }
    result
}

fn print_human(c: &Compilation, color: bool) {
    let mut err = std::io::stderr().lock();
    for d in &c.diagnostics {
        let _ = write!(err, "{}", render::human(d, &c.sources, color));
    }
}

fn summary(c: &Compilation) -> (usize, usize) {
    let errors = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, c.diagnostics.len() - errors)
}

/// The files to check: files as given, directories searched for `.release`
/// files (recursively, in name order). Each file is listed once however many
/// ways it is reached (keyed by canonical path). A directory walk follows
/// links only to what lies inside the directory given, visits each directory
/// once (so a link loop ends), and takes only files whose real name ends in
/// `.release`.
fn expand_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    struct Walk {
        top: PathBuf,
        dirs: HashSet<PathBuf>,
        files: HashSet<PathBuf>,
        out: Vec<PathBuf>,
    }
    fn walk(dir: &Path, w: &mut Walk) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            w.out.push(dir.to_path_buf()); // reported as unreadable
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let Ok(real) = p.canonicalize() else { continue };
            if !real.starts_with(&w.top) {
                continue;
            }
            if real.is_dir() {
                if w.dirs.insert(real) {
                    walk(&p, w);
                }
            } else if p.extension().is_some_and(|e| e == "release")
                && real.extension().is_some_and(|e| e == "release")
                && w.files.insert(real)
            {
                w.out.push(p);
            }
        }
    }
    let mut w = Walk {
        top: PathBuf::new(),
        dirs: HashSet::new(),
        files: HashSet::new(),
        out: Vec::new(),
    };
    for p in paths {
        match p.canonicalize() {
            Ok(real) if real.is_dir() => {
                if w.dirs.insert(real.clone()) {
                    w.top = real;
                    walk(p, &mut w);
                }
            }
            Ok(real) => {
                if w.files.insert(real) {
                    w.out.push(p.clone());
                }
            }
            Err(_) => w.out.push(p.clone()), // reported as unreadable
        }
    }
    w.out
}

fn check(
    paths: &[PathBuf],
    root: Option<&Path>,
    format: Format,
    deny_warnings: bool,
    color: bool,
) -> ExitCode {
    let files = &expand_paths(paths)[..];
    let mut errors = 0;
    let mut warnings = 0;
    let mut checked = 0;
    let mut json = Vec::new();
    let mut sarif = render::sarif::Log::new();
    let mut io_errors = Vec::new();
    for path in files {
        let (text, resolver) = match read(path, root) {
            Ok(t) => t,
            Err(message) => {
                let file = path.display().to_string();
                sarif.unreadable(&file, &message);
                io_errors.push(serde_json::json!({ "file": file, "message": message }));
                continue;
            }
        };
        checked += 1;
        let c = compile_with(&path.display().to_string(), &text, &resolver);
        let (e, w) = summary(&c);
        errors += e;
        warnings += w;
        match format {
            Format::Human => print_human(&c, color),
            Format::Json => json.extend(c.diagnostics.iter().map(|d| render::json(d, &c.sources))),
            Format::Sarif => c.diagnostics.iter().for_each(|d| sarif.add(d, &c.sources)),
        }
        if std::ptr::eq(path, files.last().expect("at least one file")) {
            // The last file: the process ends next, let the OS reclaim its pipeline.
            std::mem::forget(c);
        }
    }
    let exit = if !io_errors.is_empty() {
        2
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        1
    } else {
        0
    };
    let document = match format {
        Format::Json => Some(serde_json::json!({
            "diagnostics": json,
            "errors": errors,
            "warnings": warnings,
            "unreadable": io_errors,
        })),
        Format::Sarif => Some(sarif.finish(exit)),
        Format::Human => None,
    };
    if let Some(document) = document {
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
    } else if errors + warnings > 0 {
        eprintln!(
            "{errors} error{}, {warnings} warning{}",
            plural(errors),
            plural(warnings)
        );
    } else if io_errors.is_empty() {
        eprintln!("ok: {checked} file{} checked, no problems", plural(checked));
    }
    ExitCode::from(exit)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Write `text` to stdout; a reader that stopped early (`relc build … | head`) is not an error.
fn write_stdout(text: &[u8]) -> Result<(), ExitCode> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write output: {e}");
            Err(ExitCode::from(2))
        }
        _ => Ok(()),
    }
}

/// Read and compile the file `build` and `graph` work on, printing its
/// diagnostics; its name and the compilation, whose `pipeline` is `Some` with
/// at least one stage. Otherwise the reason has been printed and this is the
/// exit code: 2 the file cannot be read, 1 it has errors or is a module (no
/// stages) and there is nothing to `verb`.
pub(crate) fn compile_pipeline(
    file: &Path,
    root: Option<&Path>,
    color: bool,
    verb: &str,
) -> Result<(String, Compilation), ExitCode> {
    let Ok((text, resolver)) = read(file, root) else {
        return Err(ExitCode::from(2));
    };
    let name = file.display().to_string();
    let c = compile_with(&name, &text, &resolver);
    print_human(&c, color);
    let Some(pipeline) = &c.pipeline else {
        let (e, w) = summary(&c);
        eprintln!(
            "{e} error{}, {w} warning{}; nothing written",
            plural(e),
            plural(w)
        );
        return Err(ExitCode::from(1));
    };
    if pipeline.stages.is_empty()
        && pipeline.stage_templates.is_empty()
        && pipeline.extends.is_none()
    {
        eprintln!(
            "error: `{name}` declares no stages, so there is no pipeline to {verb}: it is a module \
             for other files to import; {verb} the file that imports it"
        );
        return Err(ExitCode::from(1));
    }
    Ok((name, c))
}

fn graph(
    file: &Path,
    root: Option<&Path>,
    format: GraphFormat,
    output: Option<&Path>,
    color: bool,
) -> ExitCode {
    let (_, c) = match compile_pipeline(file, root, color, "draw") {
        Ok(compiled) => compiled,
        Err(code) => return code,
    };
    let pipeline = c
        .pipeline
        .as_ref()
        .expect("compile_pipeline gives a pipeline");
    let text = match format {
        GraphFormat::Mermaid => backend::graph::mermaid(pipeline),
        GraphFormat::Dot => backend::graph::dot(pipeline),
    };
    write_text(output, &text, &c)
}

/// `text` to `output` (replacing it whole, never a source file), or to stdout.
fn write_text(output: Option<&Path>, text: &str, c: &Compilation) -> ExitCode {
    match output {
        Some(path) => {
            if let Err(e) = write_all(&[Output::bytes(path, text.as_bytes())], &c.files) {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
        None => {
            if let Err(code) = write_stdout(text.as_bytes()) {
                return code;
            }
        }
    }
    ExitCode::SUCCESS
}

/// What `relc build --as-template` writes the file as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum TemplateLevel {
    Stages,
    Jobs,
    Steps,
}

/// `relc build FILE --as-template LEVEL`: the file as a template of other pipelines.
fn build_template(
    file: &Path,
    root: Option<&Path>,
    output: Option<&Path>,
    level: TemplateLevel,
    color: bool,
) -> ExitCode {
    let (name, c) = match compile_pipeline(file, root, color, "build") {
        Ok(compiled) => compiled,
        Err(code) => return code,
    };
    let pipeline = c
        .pipeline
        .as_ref()
        .expect("compile_pipeline gives a pipeline");
    let form = match level {
        TemplateLevel::Stages => crate::ir::RootForm::Stages,
        TemplateLevel::Jobs => crate::ir::RootForm::Jobs,
        TemplateLevel::Steps => crate::ir::RootForm::Steps,
    };
    let text = match backend::azure::emit_template(pipeline, &name, form) {
        Ok(text) => text,
        Err(why) => {
            eprintln!("error: `{name}` cannot be written as a template: {why}");
            return ExitCode::from(1);
        }
    };
    write_text(output, &text, &c)
}

fn build(
    file: &Path,
    root: Option<&Path>,
    output: Option<&Path>,
    emit: Emit,
    checks: Option<&Path>,
    color: bool,
) -> ExitCode {
    let (name, c) = match compile_pipeline(file, root, color, "build") {
        Ok(compiled) => compiled,
        Err(code) => return code,
    };
    let pipeline = c
        .pipeline
        .as_ref()
        .expect("compile_pipeline gives a pipeline");
    let render = |w: &mut dyn Write| -> std::io::Result<()> {
        match emit {
            Emit::Ir => serde_json::to_writer_pretty(&mut *w, pipeline)
                .map_err(std::io::Error::other)
                .and_then(|_| w.write_all(b"\n")),
            Emit::Yaml => backend::azure::emit_to(pipeline, &name, w).map_err(|e| match e {
                backend::azure::EmitFailure::Io(e) => e,
                other => std::io::Error::other(other),
            }),
        }
    };
    let manifest = checks.map(|_| {
        let manifest = backend::checks::manifest(pipeline, &c.sources);
        serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n"
    });
    // Files first, all or none; stdout last, so a refused or failed file
    // write leaves nothing half done. The YAML is written straight into its
    // temporary file: a large pipeline is never held in memory whole.
    let mut files = Vec::new();
    if let Some(path) = output {
        files.push(Output::stream(path, &render));
    }
    if let (Some(path), Some(text)) = (checks, &manifest) {
        files.push(Output::bytes(path, text.as_bytes()));
    }
    if let Err(e) = write_all(&files, &c.files) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if output.is_none() {
        let mut main = Vec::with_capacity(1 << 16);
        if let Err(e) = render(&mut main) {
            eprintln!("error: cannot write output: {e}");
            return ExitCode::from(2);
        }
        if let Err(code) = write_stdout(&main) {
            return code;
        }
    }
    if checks.is_none() && backend::checks::has_checks(pipeline) {
        let n: usize = pipeline.environments.values().map(|e| e.checks.len()).sum();
        eprintln!(
            "note: {n} check{} (approvals and other gates on environments) cannot be written in YAML; \
             add `--checks checks.json` to write them as Azure check configurations",
            plural(n)
        );
    }
    // The process ends here: let the OS reclaim the pipeline rather than
    // freeing it node by node (a measurable share of the run on large files).
    std::mem::forget(c);
    ExitCode::SUCCESS
}

/// `relc fmt`. A file with a syntax error is reported and left alone; a file is
/// rewritten only when its formatted text compiles to the same YAML and the same
/// diagnostics. The rewritten files are written together, all or none.
fn fmt(paths: &[PathBuf], root: Option<&Path>, check: bool, color: bool) -> ExitCode {
    use crate::format;
    let files = &expand_paths(paths)[..];
    let mut changed: Vec<(PathBuf, String, String)> = Vec::new();
    let mut refused = 0;
    let mut io_error = false;
    for path in files {
        let Ok((text, resolver)) = read(path, root) else {
            io_error = true;
            continue;
        };
        let name = path.display().to_string();
        let before = compile_with(&name, &text, &resolver);
        if format::has_syntax_error(&before) {
            print_human(&before, color);
            eprintln!("error: {name} has syntax errors; not formatted");
            refused += 1;
            continue;
        }
        let formatted = match format::format(&text) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {name}: {e}; not formatted");
                refused += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        let after = compile_with(&name, &formatted, &resolver);
        if format::meaning(&after, &name) != format::meaning(&before, &name) {
            eprintln!(
                "error: internal error: formatting {name} would change what it compiles to; \
                 not formatted (please report this with the file)"
            );
            refused += 1;
            continue;
        }
        changed.push((path.clone(), text, formatted));
    }
    if check {
        let mut out = std::io::stdout().lock();
        for (path, old, formatted) in &changed {
            let _ = writeln!(out, "would reformat {}", path.display());
            let _ = write!(out, "{}", format::short_diff(old, formatted, 6));
        }
    } else {
        let outputs: Vec<Output<'_>> = changed
            .iter()
            .map(|(path, _, text)| Output::bytes(path, text.as_bytes()))
            .collect();
        if let Err(e) = write_all(&outputs, &[]) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        for (path, _, _) in &changed {
            eprintln!("formatted {}", path.display());
        }
    }
    if io_error {
        ExitCode::from(2)
    } else if refused > 0 || (check && !changed.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
