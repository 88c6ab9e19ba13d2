//! The command line: `relc check` and `relc build`.
//!
//! Exit codes (stable): 0 success (warnings allowed), 1 the input has errors,
//! 2 usage or I/O error.

use crate::diagnostic::Severity;
use crate::{Compilation, backend, compile, render};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Emit {
    /// azure-pipelines.yml
    Yaml,
    /// The checked IR as JSON.
    Ir,
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
    match cli.command {
        Command::Check {
            files,
            format,
            deny_warnings,
        } => check(&files, format, deny_warnings, color),
        Command::Build {
            file,
            output,
            emit,
            checks,
        } => build(&file, output.as_deref(), emit, checks.as_deref(), color),
        Command::Explain { code } => explain(code.as_deref()),
    }
}

/// The reference of every diagnostic, shipped inside the binary.
const DIAGNOSTICS_DOC: &str = include_str!("../docs/diagnostics.md");

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
    let section = DIAGNOSTICS_DOC.split("\n## ").find_map(|s| {
        let s = format!("## {s}");
        s.starts_with(&heading).then_some(s)
    });
    match section {
        Some(text) => println!("{}", text.trim_end()),
        None => println!("{}  {}", c.as_str(), c.title()),
    }
    ExitCode::SUCCESS
}

/// The text of a file, or why it cannot be compiled (printed on stderr too).
fn read(path: &Path) -> Result<String, String> {
    let result = match std::fs::read(path) {
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        Ok(bytes) if bytes.len() > u32::MAX as usize / 2 => Err(format!(
            "{} is too large (relc reads files up to 2 GiB)",
            path.display()
        )),
        Ok(bytes) => String::from_utf8(bytes).map_err(|e| {
            format!(
                "{} is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        }),
    };
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
/// files (recursively, in name order).
fn expand_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            out.push(dir.to_path_buf()); // reported as unreadable
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "release") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out
}

fn check(paths: &[PathBuf], format: Format, deny_warnings: bool, color: bool) -> ExitCode {
    let files = &expand_paths(paths)[..];
    let mut errors = 0;
    let mut warnings = 0;
    let mut json = Vec::new();
    let mut io_errors = Vec::new();
    for path in files {
        let text = match read(path) {
            Ok(t) => t,
            Err(message) => {
                io_errors.push(
                    serde_json::json!({ "file": path.display().to_string(), "message": message }),
                );
                continue;
            }
        };
        let c = compile(&path.display().to_string(), &text);
        let (e, w) = summary(&c);
        errors += e;
        warnings += w;
        match format {
            Format::Human => print_human(&c, color),
            Format::Json => json.extend(c.diagnostics.iter().map(|d| render::json(d, &c.sources))),
        }
        if std::ptr::eq(path, files.last().expect("at least one file")) {
            // The last file: the process ends next, let the OS reclaim its pipeline.
            std::mem::forget(c);
        }
    }
    match format {
        Format::Json => {
            let out = serde_json::json!({
                "diagnostics": json,
                "errors": errors,
                "warnings": warnings,
                "unreadable": io_errors,
            });
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(
                std::io::stdout().lock(),
                "{}",
                serde_json::to_string_pretty(&out).unwrap_or_default()
            );
        }
        Format::Human if errors + warnings > 0 => {
            eprintln!(
                "{errors} error{}, {warnings} warning{}",
                plural(errors),
                plural(warnings)
            );
        }
        Format::Human => {}
    }
    if !io_errors.is_empty() {
        ExitCode::from(2)
    } else if errors > 0 || (deny_warnings && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Run `write` against stdout or a file. A file is written beside the target and
/// renamed over it, so a failure never leaves half a file; the target is untouched.
fn write_with(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), ExitCode> {
    let result = match path {
        None => {
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            write(&mut out).and_then(|_| out.flush())
        }
        Some(p) => {
            let tmp = p.with_extension("relc-tmp");
            let done = std::fs::File::create(&tmp).and_then(|f| {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, f);
                write(&mut out)?;
                out.into_inner().map_err(|e| e.into_error())?.sync_all()
            });
            let done = done.and_then(|_| std::fs::rename(&tmp, p));
            if done.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            done
        }
    };
    result.or_else(|e| {
        // A reader that stopped early (`relc build … | head`) is not an error.
        if path.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(());
        }
        match path {
            Some(p) => eprintln!("error: cannot write {}: {e}", p.display()),
            None => eprintln!("error: cannot write output: {e}"),
        }
        Err(ExitCode::from(2))
    })
}

fn write_output(path: Option<&Path>, text: &str) -> Result<(), ExitCode> {
    write_with(path, |w| w.write_all(text.as_bytes()))
}

fn build(
    file: &Path,
    output: Option<&Path>,
    emit: Emit,
    checks: Option<&Path>,
    color: bool,
) -> ExitCode {
    let Ok(text) = read(file) else {
        return ExitCode::from(2);
    };
    let name = file.display().to_string();
    let c = compile(&name, &text);
    print_human(&c, color);
    let Some(pipeline) = &c.pipeline else {
        let (e, w) = summary(&c);
        eprintln!(
            "{e} error{}, {w} warning{}; nothing written",
            plural(e),
            plural(w)
        );
        return ExitCode::from(1);
    };
    let written = write_with(output, |w| match emit {
        Emit::Ir => {
            serde_json::to_writer_pretty(&mut *w, pipeline).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        }
        Emit::Yaml => backend::azure::emit_to(pipeline, &name, w).map_err(|e| match e {
            backend::azure::EmitFailure::Io(e) => e,
            other => std::io::Error::other(other),
        }),
    });
    if let Err(code) = written {
        return code;
    }
    match checks {
        Some(path) => {
            let manifest = backend::checks::manifest(pipeline, &c.sources);
            let text = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
            if let Err(code) = write_output(Some(path), &text) {
                return code;
            }
        }
        None if backend::checks::has_checks(pipeline) => {
            let n: usize = pipeline.environments.values().map(|e| e.checks.len()).sum();
            eprintln!(
                "note: {n} check{} (approvals and other gates on environments) cannot be written in YAML; \
                 add `--checks checks.json` to write them as Azure check configurations",
                plural(n)
            );
        }
        None => {}
    }
    // The process ends here: let the OS reclaim the pipeline rather than
    // freeing it node by node (a measurable share of the run on large files).
    std::mem::forget(c);
    ExitCode::SUCCESS
}
