//! `relc graph`: the stage and job graph as Mermaid and Graphviz dot.
//!
//! - The graphs of `examples/<name>.release` are compared with the snapshots
//!   `tests/graph/<name>.mmd` and `tests/graph/<name>.dot`; run
//!   `BLESS=1 cargo test --test graph` to rewrite them after an intended
//!   change, then review their diff.
//! - A pipeline whose display names, approvers and conditions hold quotes,
//!   brackets, line breaks, `-->` and `</script>` still gives graphs that
//!   parse: dot's by `dot -Tsvg` when Graphviz is installed, Mermaid's by the
//!   structural reader below, which knows every statement form the writer
//!   uses and the escapes its labels may hold.
//! - The real binary: exit codes, diagnostics as `relc build` prints them,
//!   and `-o`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pipeline(name: &str, text: &str) -> relc::ir::Pipeline {
    let c = relc::compile(name, text);
    let errors: String = c
        .diagnostics
        .iter()
        .map(|d| relc::render::human(d, &c.sources, false))
        .collect();
    c.pipeline
        .unwrap_or_else(|| panic!("{name} does not compile:\n{errors}"))
}

fn blessing() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Compare `actual` with the snapshot at `path` (or rewrite it when blessing);
/// a mismatch is returned as a message.
fn snapshot(path: &Path, actual: &str) -> Option<String> {
    let shown = path.strip_prefix(root()).unwrap_or(path).display();
    let expected = std::fs::read_to_string(path)
        .ok()
        .map(|s| s.replace("\r\n", "\n"));
    if expected.as_deref() == Some(actual) {
        return None;
    }
    if blessing() {
        std::fs::write(path, actual).unwrap_or_else(|e| panic!("writing {shown}: {e}"));
        eprintln!("blessed {shown}");
        return None;
    }
    Some(match expected {
        None => format!("{shown} is missing; actual output:\n{actual}"),
        Some(e) => format!("{shown} differs.\n--- expected\n{e}\n--- actual\n{actual}"),
    })
}

/// The example's graphs match both snapshots, and both parse.
fn example(name: &str) {
    let file = format!("examples/{name}.release");
    let text = std::fs::read_to_string(root().join(&file)).expect("example exists");
    let p = pipeline(&file, &text);
    let mermaid = relc::backend::graph::mermaid(&p);
    let dot = relc::backend::graph::dot(&p);
    read_mermaid(&mermaid).unwrap_or_else(|e| panic!("{file}: Mermaid does not read: {e}"));
    run_dot(&dot);
    let dir = root().join("tests").join("graph");
    let failures: Vec<String> = [
        snapshot(&dir.join(format!("{name}.mmd")), &mermaid),
        snapshot(&dir.join(format!("{name}.dot")), &dot),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        failures.is_empty(),
        "{}\n(run `BLESS=1 cargo test --test graph` if the change is intended)",
        failures.join("\n")
    );
}

#[test]
fn tailspin() {
    example("tailspin");
}

#[test]
fn gated_release() {
    example("gated-release");
}

/// Names that are keywords of Mermaid or dot (`end`, `subgraph`, `node`),
/// ids that would collide (`A` + `B__C`, `A__B` + `C`), and display text
/// holding everything that could end a label or start markup.
const HOSTILE: &str = r#"
environment prod protected {
  gate approval { approvers ["Mara \"M\" <mara@x>; [lead]"] }
}
gate check = manual_validation {
  notify ["qa\"]-->x@example.com"]
  instructions "ok"
  timeout 1d
  on_timeout reject
}
stage end "say \"hi\" [x] --> </script> #1; `t` {a} (b) | 50% \\ done\nsecond %% line" {
  job subgraph "job \"x\"]\n--> y" { script "make" }
  job node "o --> x" after subgraph { script "make" }
}
stage A after end {
  when source_branch == "refs/heads/\"];--></script>"
  job B__C { script "make" }
}
stage A__B after A {
  gate check
  deployment C "<b>deploy</b>\r\n" to prod { script "make" }
}
"#;

/// The stage title of `end` as it must read once rendered: the line break
/// becomes a space, nothing else changes.
const END_TITLE: &str = "say \"hi\" [x] --> </script> #1; `t` {a} (b) | 50% \\ done second %% line";

#[test]
fn hostile_names_give_mermaid_that_reads() {
    let p = pipeline("hostile.release", HOSTILE);
    let text = relc::backend::graph::mermaid(&p);
    let graph = read_mermaid(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        graph.labels.get("s_end").map(String::as_str),
        Some(END_TITLE)
    );
    assert_eq!(
        graph.labels.get("j_end__subgraph").map(String::as_str),
        Some("job \"x\"] --> y")
    );
    assert_eq!(
        graph.labels.get("j_A__B__C_2").map(String::as_str),
        Some("<b>deploy</b>   → prod\napproval: Mara \"M\" <mara@x>; [lead]")
    );
    // Three stages and five jobs, each with its own id; every edge drawn.
    assert_eq!(graph.labels.len(), 8, "{text}");
    assert_eq!(graph.edges, 4, "{text}");
}

#[test]
fn hostile_names_give_dot_that_graphviz_reads() {
    let p = pipeline("hostile.release", HOSTILE);
    let text = relc::backend::graph::dot(&p);
    assert!(text.contains("subgraph cluster_s_end {"), "{text}");
    if let Some(svg) = run_dot(&text) {
        assert!(!svg.contains("</script>"), "{svg}");
        assert!(svg.contains("&lt;/script&gt;"), "{svg}");
    }
}

/// `dot -Tsvg` of `text`: must succeed when Graphviz is installed; `None`
/// (with a note) when it is not.
fn run_dot(text: &str) -> Option<String> {
    use std::io::Write;
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: `dot` (Graphviz) is not on the PATH; dot output not parsed");
            return None;
        }
        Err(e) => panic!("running dot: {e}"),
    };
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .expect("writing to dot");
    let out = child.wait_with_output().expect("dot runs");
    // Graphviz reports what it ignored as `Warning: …`, and still succeeds.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success()
            && !stderr
                .lines()
                .any(|l| l.starts_with("Warning") || l.starts_with("Error")),
        "dot -Tsvg rejected the graph: {stderr}\n{text}"
    );
    Some(String::from_utf8(out.stdout).expect("dot writes UTF-8"))
}

/// What the Mermaid reader found: every node and subgraph's label, decoded
/// (entities replaced, `<br/>` as a line break), and the number of edges.
struct Mermaid {
    labels: std::collections::HashMap<String, String>,
    edges: usize,
}

/// Read Mermaid text written by `relc graph`: every line must be one of the
/// statement forms it writes, each label a quoted string holding no `"`, no
/// markup but `<br/>`, and no `#` that does not start an entity; ids are
/// identifiers, unique, defined before an edge uses them; subgraphs balance.
fn read_mermaid(text: &str) -> Result<Mermaid, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "flowchart LR")) => {}
        other => return Err(format!("first line is not `flowchart LR`: {other:?}")),
    }
    let mut labels = std::collections::HashMap::new();
    let mut depth = 0usize;
    let mut edges = 0;
    let mut defined = HashSet::new();
    let mut used = HashSet::new();
    for (i, line) in lines {
        let at = |m: &str| format!("line {}: {m}: {line}", i + 1);
        let s = line.trim_start();
        if s == "end" {
            depth = depth
                .checked_sub(1)
                .ok_or_else(|| at("`end` without a subgraph"))?;
        } else if let Some(rest) = s.strip_prefix("subgraph ") {
            let (id, label) = node(rest, "[\"", "\"]").map_err(|e| at(&e))?;
            define(&mut labels, id, label).map_err(|e| at(&e))?;
            depth += 1;
        } else if let Some(rest) = s.strip_prefix("classDef ") {
            let (name, style) = rest.split_once(' ').ok_or_else(|| at("classDef"))?;
            if depth > 0 || !is_id(name) || style.contains(['"', ';', ' ']) {
                return Err(at("bad classDef"));
            }
            defined.insert(name.to_string());
        } else if let Some((from, to)) = s.split_once(" --> ") {
            if !labels.contains_key(from) || !labels.contains_key(to) {
                return Err(at("edge between ids not defined before"));
            }
            edges += 1;
        } else {
            if depth == 0 {
                return Err(at("node outside a subgraph"));
            }
            let (s, class) = match s.split_once(":::") {
                Some((node, class)) if is_id(class) => (node, Some(class)),
                Some(_) => return Err(at("bad class")),
                None => (s, None),
            };
            let (id, label) = [("[\"", "\"]"), ("([\"", "\"])"), ("{{\"", "\"}}")]
                .iter()
                .find_map(|(open, close)| node(s, open, close).ok())
                .ok_or_else(|| at("not a statement relc writes"))?;
            define(&mut labels, id, label).map_err(|e| at(&e))?;
            used.extend(class);
        }
    }
    if depth != 0 {
        return Err(format!("{depth} subgraph(s) never closed"));
    }
    if let Some(c) = used.iter().find(|c| !defined.contains(**c)) {
        return Err(format!("class `{c}` used but never defined"));
    }
    Ok(Mermaid { labels, edges })
}

fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `ID<open>LABEL<close>` exactly; the id and the decoded label.
fn node<'a>(s: &'a str, open: &str, close: &str) -> Result<(&'a str, String), String> {
    let (id, rest) = s.split_once(open).ok_or("no label")?;
    let label = rest.strip_suffix(close).ok_or("label not closed")?;
    if !is_id(id) {
        return Err(format!("`{id}` is not an identifier"));
    }
    Ok((id, decode(label)?))
}

fn define(
    labels: &mut std::collections::HashMap<String, String>,
    id: &str,
    label: String,
) -> Result<(), String> {
    match labels.insert(id.to_string(), label) {
        Some(_) => Err(format!("id `{id}` defined twice")),
        None => Ok(()),
    }
}

/// A label as Mermaid shows it; an error for anything that could break it.
fn decode(label: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = label;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("<br/>") {
            out.push('\n');
            rest = after;
        } else if c == '#' {
            let (entity, after) = rest[1..]
                .split_once(';')
                .ok_or_else(|| format!("`#` that starts no entity in `{label}`"))?;
            out.push(match entity {
                "quot" => '"',
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                n => n
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("`#{n};` is no entity, in `{label}`"))?,
            });
            rest = after;
        } else if matches!(c, '"' | '<' | '>' | '`') || c.is_control() {
            return Err(format!("unescaped {c:?} in `{label}`"));
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

/// A fresh directory for one test of the binary, removed when it ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("relc-graph-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".relc-root"), "").unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// relc run in the directory: (exit code, stdout, stderr).
    fn relc(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_relc"))
            .args(args)
            .arg("--color=never")
            .current_dir(&self.0)
            .output()
            .expect("relc runs");
        (
            out.status.code().expect("relc exits"),
            String::from_utf8(out.stdout).expect("UTF-8 stdout"),
            String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GOOD: &str = "stage Build { job Build { script \"make\" } }\nstage Ship after Build { job Ship { script \"ship\" } }\n";

#[test]
fn the_binary_writes_the_graph_to_stdout_or_to_o() {
    let s = Scratch::new("ok");
    s.file("p.release", GOOD);
    let expected = relc::backend::graph::mermaid(&pipeline("p.release", GOOD));
    let (code, out, err) = s.relc(&["graph", "p.release"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, expected.as_str(), "")
    );

    let dot = relc::backend::graph::dot(&pipeline("p.release", GOOD));
    let (code, out, _) = s.relc(&["graph", "p.release", "--format", "dot"]);
    assert_eq!((code, out.as_str()), (0, dot.as_str()));

    std::fs::write(s.0.join("g.dot"), "old").unwrap();
    let (code, out, err) = s.relc(&["graph", "p.release", "--format=dot", "-o", "g.dot"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    assert_eq!(std::fs::read_to_string(s.0.join("g.dot")).unwrap(), dot);
}

#[test]
fn a_file_with_errors_prints_what_build_prints_and_writes_nothing() {
    let s = Scratch::new("errors");
    s.file(
        "bad.release",
        "stage Ship after Nowhere { job Ship { script \"x\" } }\n",
    );
    let (code, out, err) = s.relc(&["graph", "bad.release", "-o", "g.mmd"]);
    let (build_code, _, build_err) = s.relc(&["build", "bad.release"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!((build_code, err.as_str()), (1, build_err.as_str()));
    assert!(err.contains("E010"), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(!s.0.join("g.mmd").exists(), "a graph was written");
}

#[test]
fn a_module_has_no_graph() {
    let s = Scratch::new("module");
    s.file("m.release", "var x = \"1\"\n");
    let (code, out, err) = s.relc(&["graph", "m.release"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.is_empty() && err.contains("no pipeline to draw"),
        "{err}"
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let s = Scratch::new("usage");
    s.file("p.release", GOOD);
    let (code, _, err) = s.relc(&["graph", "missing.release"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot read missing.release"), "{err}");
    let (code, _, err) = s.relc(&["graph", "p.release", "--format", "svg"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = s.relc(&["graph"]);
    assert_eq!(code, 2, "{err}");
    // The source itself, or a directory, is never an output.
    let (code, _, err) = s.relc(&["graph", "p.release", "-o", "p.release"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        std::fs::read_to_string(s.0.join("p.release")).unwrap(),
        GOOD
    );
    let (code, _, err) = s.relc(&["graph", "p.release", "-o", "."]);
    assert_eq!(code, 2, "{err}");
}
