//! Every string relc writes reads back identically, as a string, with a YAML
//! 1.2 parser (yaml-rust2, here) and a YAML 1.1 parser (PyYAML, through
//! `tests/yaml11_roundtrip.py`).
//!
//! A deterministic property test: a small PRNG with a fixed seed generates
//! strings biased towards what breaks YAML (line and paragraph separators,
//! NEL, BOM, controls, indicators, `: ` and ` #`, blanks at either end,
//! 1.1's booleans, nulls and numbers, very long text), puts them in every
//! position of a `.release` pipeline that reaches the YAML, compiles through
//! the library, and reads each position back from the YAML. The expected
//! value of a position is what the IR holds there, and the IR is checked to
//! hold the generated string where the language passes text through as
//! written, so the test compares source text to YAML text.
//!
//! The YAML and what each position must read back as are written to
//! `target/yaml-strings/` for the 1.1 check. PyYAML missing is a printed note,
//! or a failure when `RELC_REQUIRE_PYYAML=1` (as in CI).

use relc::backend::{azure, expr::to_azure_pretty};
use relc::ir::{self, Scalar, StepKind, Variable};
use serde_json::json;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

/// Cases in a run; each puts a fresh string in every position.
const CASES: usize = if cfg!(debug_assertions) { 2000 } else { 10000 };
const SEED: u64 = 0x5EED_0F2E_1C00;

/// splitmix64: small, fast, and the same sequence on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Pieces that YAML gives a meaning to, alone or combined.
const HOSTILE: &[&str] = &[
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\u{feff}",
    "\u{a0}",
    "\u{200b}",
    "\u{202e}",
    "\u{fffd}",
    "\u{1f600}",
    "\u{e0001}",
    "\u{ffff}",
    "\u{9f}",
    ": ",
    " #",
    "#",
    ":",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\r",
    "\r\n",
    "\t",
    "-",
    "- ",
    "--- ",
    "...",
    "?",
    "? ",
    "*",
    "&",
    "!",
    "!!str ",
    "|",
    ">",
    "%",
    "@",
    "`",
    "'",
    "\"",
    "\\",
    ",",
    "[",
    "]",
    "{",
    "}",
    "<<",
    "=",
    "+",
    ".",
    "1_000",
    "0x10",
    "0o17",
    "0b11",
    "1e3",
    "-1",
    "+1",
    "1.5",
    "12",
    "1:20",
    "2026-12-02",
    ".inf",
    "-.inf",
    ".nan",
    "NaN",
    "inf",
    "yes",
    "Yes",
    "no",
    "NO",
    "on",
    "off",
    "Off",
    "y",
    "n",
    "Y",
    "~",
    "null",
    "Null",
    "true",
    "False",
    "é",
    "日本",
    "a",
    "word",
    "x y",
    "a: b",
    "a #b",
    "$",
    "0",
    "00",
    "0.",
    "1,000",
];

/// A string of hostile pieces and ordinary text (never `$(`, `$[` or `${{`,
/// which are macros and expressions to relc and Azure, checked elsewhere).
fn hostile(rng: &mut Rng) -> String {
    let mut s = match rng.below(20) {
        0 => String::new(),
        1 => "\n".to_string(),
        2 => rng.pick(HOSTILE).to_string(),
        3 => {
            // Longer than the 1024 characters of an implicit key.
            let piece = rng.pick(HOSTILE);
            let mut s = String::from("long ");
            while s.chars().count() <= 1030 {
                s.push_str(piece);
                s.push_str(rng.pick(&["x", " ", "-", "\n", "é"]));
            }
            s
        }
        4 => {
            let c = rng.below(0x21) as u32;
            char::from_u32(if c == 0x20 { 0x7f } else { c })
                .unwrap()
                .to_string()
        }
        _ => {
            let mut s = String::new();
            for _ in 0..1 + rng.below(6) {
                match rng.below(5) {
                    0 => s.push_str(rng.pick(&["text", "Build", "a b", "x"])),
                    1 => s.push(char::from_u32(rng.below(0x20) as u32).unwrap()),
                    2 => s.push(any_char(rng)),
                    _ => s.push_str(rng.pick(HOSTILE)),
                }
            }
            s
        }
    };
    // Blanks and line breaks at the ends.
    match rng.below(8) {
        0 => s.insert(0, ' '),
        1 => s.push(' '),
        2 => s.push('\n'),
        3 => s.insert(0, '\n'),
        _ => {}
    }
    s
}

/// Any character, most often from the ranges where YAML's rules change:
/// C1 controls, Latin-1, general punctuation and specials, the ends of planes.
fn any_char(rng: &mut Rng) -> char {
    let (lo, hi): (usize, usize) = match rng.below(6) {
        0 => (0x80, 0x100),
        1 => (0x2000, 0x2070),
        2 => (0xFFF0, 0x10000),
        3 => (0xE000, 0xF900),
        4 => (0x1_0000, 0x11_0000),
        _ => (0x100, 0xFFFF),
    };
    loop {
        let n = (lo + rng.below(hi - lo)) as u32;
        if let Some(c) = char::from_u32(n) {
            return c;
        }
    }
}

/// `"…"` in `.release`, which has escapes for exactly these characters.
fn lit(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One step of a path into the YAML document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn k(s: &str) -> Step {
    Step::Key(s.to_string())
}

/// What a position must read back as: a string value, or the keys of a
/// mapping in order.
#[derive(Debug)]
enum Want {
    Value(String),
    Keys(Vec<String>),
}

struct Position {
    what: &'static str,
    path: Vec<Step>,
    want: Want,
}

/// The generated strings of one case, by position.
struct Strings {
    file_name: String,
    title: String,
    run_name: String,
    branch: String,
    schedule_display: String,
    var_value: String,
    group: String,
    stage_display: String,
    stage_var: String,
    job_display: String,
    vm_image: String,
    demand: String,
    script: String,
    step_display: String,
    working_directory: String,
    env_value: String,
    env_key: String,
    stage_condition: String,
    condition: String,
    input_key: String,
    input_value: String,
    checkout_value: String,
    publish_path: String,
    download_patterns: String,
    env_resource: String,
    deploy_display: String,
}

impl Strings {
    fn new(rng: &mut Rng) -> Strings {
        let mut g = || hostile(rng);
        Strings {
            file_name: g(),
            title: g(),
            run_name: g(),
            branch: g(),
            schedule_display: g(),
            var_value: g(),
            group: g(),
            stage_display: g(),
            stage_var: g(),
            job_display: g(),
            vm_image: g(),
            demand: g(),
            script: g(),
            step_display: g(),
            working_directory: g(),
            env_value: g(),
            env_key: g(),
            stage_condition: g(),
            condition: g(),
            input_key: g(),
            input_value: g(),
            checkout_value: g(),
            publish_path: g(),
            download_patterns: g(),
            env_resource: g(),
            deploy_display: g(),
        }
    }

    fn source(&self) -> String {
        let l = lit;
        format!(
            "pipeline {title} {{\n\
             \x20 run_name {run_name}\n\
             \x20 trigger {{ branches [{branch}] }}\n\
             \x20 schedule nightly {{ cron \"0 3 * * *\"  display {sched}  branches [\"main\"] }}\n\
             }}\n\
             var _v = {var_value}\n\
             group {group}\n\
             artifact site\n\
             environment prod {{ resource {resource} }}\n\
             stage S {stage_display} {{\n\
             \x20 var _w = {stage_var}\n\
             \x20 when variables['Z'] == {stage_condition}\n\
             \x20 job J {job_display} {{\n\
             \x20   pool {{ vm_image {vm_image}  demands [{demand}] }}\n\
             \x20   script {script} {{\n\
             \x20     display {step_display}\n\
             \x20     workdir {wd}\n\
             \x20     env {{ K = {env_value}  {env_key} = {env_value} }}\n\
             \x20     when variables['X'] == {condition}\n\
             \x20   }}\n\
             \x20   task Some@1 {{ {input_key} = {input_value}  plain = {input_value} }}\n\
             \x20   checkout self {{ custom = {checkout} }}\n\
             \x20   publish site from {publish}\n\
             \x20 }}\n\
             }}\n\
             stage D {{\n\
             \x20 deployment W {deploy_display} to prod {{\n\
             \x20   download site {{ patterns {patterns} }}\n\
             \x20 }}\n\
             }}\n",
            title = l(&self.title),
            run_name = l(&self.run_name),
            branch = l(&self.branch),
            sched = l(&self.schedule_display),
            var_value = l(&self.var_value),
            group = l(&self.group),
            resource = l(&self.env_resource),
            stage_display = l(&self.stage_display),
            stage_var = l(&self.stage_var),
            job_display = l(&self.job_display),
            vm_image = l(&self.vm_image),
            demand = l(&self.demand),
            script = l(&self.script),
            step_display = l(&self.step_display),
            wd = l(&self.working_directory),
            env_value = l(&self.env_value),
            env_key = l(&self.env_key),
            stage_condition = l(&self.stage_condition),
            condition = l(&self.condition),
            input_key = l(&self.input_key),
            input_value = l(&self.input_value),
            checkout = l(&self.checkout_value),
            publish = l(&self.publish_path),
            patterns = l(&self.download_patterns),
            deploy_display = l(&self.deploy_display),
        )
    }
}

fn str_of(v: &Scalar) -> &str {
    match v {
        Scalar::Str(s) => s,
        other => panic!("a string was compiled to {other:?}"),
    }
}

/// The positions of the case, each with what the IR holds there; and the
/// check that the IR holds the generated strings.
fn positions(s: &Strings, p: &ir::Pipeline) -> Vec<Position> {
    let mut out = Vec::new();
    let mut at = |what: &'static str, path: Vec<Step>, ir: &str, source: Option<&str>| {
        if let Some(src) = source {
            assert_eq!(ir, src, "{what}: the IR holds other text than the source");
        }
        out.push(Position {
            what,
            path,
            want: Want::Value(ir.to_string()),
        });
    };
    at(
        "run name",
        vec![k("name")],
        p.run_name.as_deref().unwrap(),
        Some(&s.run_name),
    );
    let ir::Trigger::Filter(f) = &p.trigger else {
        panic!("a trigger with branches")
    };
    at(
        "branch",
        vec![k("trigger"), Step::Index(0)],
        &f.branches.include[0],
        Some(&s.branch),
    );
    let sched = &p.schedules[0];
    at(
        "schedule display",
        vec![k("schedules"), Step::Index(0), k("displayName")],
        sched.display.as_deref().unwrap(),
        Some(&s.schedule_display),
    );
    let Variable::Value { value, .. } = &p.variables[0] else {
        panic!("the variable first")
    };
    at(
        "variable value",
        vec![k("variables"), Step::Index(0), k("value")],
        value,
        Some(&s.var_value),
    );
    let Variable::Group { name, .. } = &p.variables[1] else {
        panic!("the group second")
    };
    at(
        "group",
        vec![k("variables"), Step::Index(1), k("group")],
        name,
        Some(&s.group),
    );
    let stage = p.stages.get_index(0).unwrap().1;
    let st = |rest: &[Step]| {
        let mut v = vec![k("stages"), Step::Index(0)];
        v.extend_from_slice(rest);
        v
    };
    at(
        "stage display",
        st(&[k("displayName")]),
        stage.display.as_deref().unwrap(),
        Some(&s.stage_display),
    );
    let cond = condition_text(&stage.condition);
    assert!(
        cond.contains(&s.stage_condition.replace('\'', "''")),
        "the condition holds the text: {cond:?}"
    );
    at(
        "stage condition",
        st(&[k("condition")]),
        &condition_text(&stage.condition),
        None,
    );
    let Variable::Value { value, .. } = &stage.variables[0] else {
        panic!("a stage variable")
    };
    at(
        "stage variable",
        st(&[k("variables"), k("_w")]),
        value,
        Some(&s.stage_var),
    );
    let job = stage.jobs.get_index(0).unwrap().1;
    let jb = |rest: &[Step]| st(&[&[k("jobs"), Step::Index(0)][..], rest].concat());
    at(
        "job display",
        jb(&[k("displayName")]),
        job.display.as_deref().unwrap(),
        Some(&s.job_display),
    );
    let Some(ir::Pool::VmImage { image, demands }) = &job.pool else {
        panic!("a vm image pool")
    };
    at(
        "vm image",
        jb(&[k("pool"), k("vmImage")]),
        image,
        Some(&s.vm_image),
    );
    at(
        "demand",
        jb(&[k("pool"), k("demands"), Step::Index(0)]),
        &demands[0],
        Some(&s.demand),
    );
    let sp = |i: usize, rest: &[Step]| jb(&[&[k("steps"), Step::Index(i)][..], rest].concat());
    let script = &job.steps[0];
    let StepKind::Script { text, .. } = &script.kind else {
        panic!("a script first")
    };
    at("script", sp(0, &[k("script")]), text, Some(&s.script));
    at(
        "step display",
        sp(0, &[k("displayName")]),
        script.display.as_deref().unwrap(),
        Some(&s.step_display),
    );
    let o = script.options();
    at(
        "working directory",
        sp(0, &[k("workingDirectory")]),
        o.working_directory.as_deref().unwrap(),
        Some(&s.working_directory),
    );
    at(
        "env value",
        sp(0, &[k("env"), k("K")]),
        &o.env["K"],
        Some(&s.env_value),
    );
    at(
        "env value under a hostile key",
        sp(0, &[k("env"), Step::Key(s.env_key.clone())]),
        &o.env[&s.env_key],
        Some(&s.env_value),
    );
    let env_keys: Vec<String> = o.env.keys().cloned().collect();
    let mut expected_env_keys = vec!["K".to_string()];
    if s.env_key != "K" {
        expected_env_keys.push(s.env_key.clone());
    }
    assert_eq!(env_keys, expected_env_keys, "env keys");
    let cond = condition_text(o.condition.as_ref().unwrap());
    assert!(
        cond.contains(&s.condition.replace('\'', "''")),
        "the condition holds the text: {cond:?}"
    );
    at("step condition", sp(0, &[k("condition")]), &cond, None);
    let StepKind::Task { inputs, .. } = &job.steps[1].kind else {
        panic!("a task second")
    };
    let keys: Vec<String> = inputs.keys().cloned().collect();
    let mut expected_keys = vec![s.input_key.clone()];
    if s.input_key != "plain" {
        expected_keys.push("plain".into());
    }
    assert_eq!(keys, expected_keys, "task input keys");
    out.push(Position {
        what: "task input keys",
        path: sp(1, &[k("inputs")]),
        want: Want::Keys(keys),
    });
    let mut at = |what: &'static str, path: Vec<Step>, ir: &str, source: Option<&str>| {
        if let Some(src) = source {
            assert_eq!(ir, src, "{what}: the IR holds other text than the source");
        }
        out.push(Position {
            what,
            path,
            want: Want::Value(ir.to_string()),
        });
    };
    at(
        "task input value",
        sp(1, &[k("inputs"), k("plain")]),
        str_of(&inputs["plain"]),
        Some(&s.input_value),
    );
    if s.input_key != "plain" {
        at(
            "task input under a hostile key",
            sp(1, &[k("inputs"), Step::Key(s.input_key.clone())]),
            str_of(&inputs[&s.input_key]),
            Some(&s.input_value),
        );
    }
    let StepKind::Checkout { options, .. } = &job.steps[2].kind else {
        panic!("a checkout third")
    };
    at(
        "checkout option",
        sp(2, &[k("custom")]),
        str_of(&options["custom"]),
        Some(&s.checkout_value),
    );
    let StepKind::Publish { path, .. } = &job.steps[3].kind else {
        panic!("a publish fourth")
    };
    at(
        "publish path",
        sp(3, &[k("publish")]),
        path,
        Some(&s.publish_path),
    );
    let deploy_stage = p.stages.get_index(1).unwrap().1;
    let deploy = deploy_stage.jobs.get_index(0).unwrap().1;
    let dj = |rest: &[Step]| {
        let mut v = vec![k("stages"), Step::Index(1), k("jobs"), Step::Index(0)];
        v.extend_from_slice(rest);
        v
    };
    at(
        "deployment display",
        dj(&[k("displayName")]),
        deploy.display.as_deref().unwrap(),
        Some(&s.deploy_display),
    );
    at(
        "environment resource",
        dj(&[k("environment"), k("resourceName")]),
        p.environments["prod"].resource_name.as_deref().unwrap(),
        Some(&s.env_resource),
    );
    let StepKind::Download { patterns, .. } = &deploy.steps[0].kind else {
        panic!("a download")
    };
    let steps = [
        k("strategy"),
        k("runOnce"),
        k("deploy"),
        k("steps"),
        Step::Index(0),
        k("patterns"),
    ];
    at(
        "download patterns",
        dj(&steps),
        patterns.as_deref().unwrap(),
        Some(&s.download_patterns),
    );
    out
}

/// A condition as the backend writes it: broken over lines, it ends with a line feed.
fn condition_text(e: &ir::Expr) -> String {
    let mut t = to_azure_pretty(e);
    if t.contains('\n') {
        t.push('\n');
    }
    t
}

fn lookup<'y>(doc: &'y Yaml, path: &[Step]) -> Option<&'y Yaml> {
    let mut y = doc;
    for s in path {
        y = match (s, y) {
            (Step::Key(key), Yaml::Hash(h)) => h.get(&Yaml::String(key.clone()))?,
            (Step::Index(i), Yaml::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(y)
}

/// Why the YAML does not read back as `positions` say, if it does not.
fn read_back_12(yaml: &str, positions: &[Position]) -> Result<(), String> {
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| format!("does not parse: {e}"))?;
    if docs.len() != 1 {
        return Err(format!("{} documents", docs.len()));
    }
    for p in positions {
        let got = lookup(&docs[0], &p.path);
        match (&p.want, got) {
            (Want::Value(want), Some(Yaml::String(got))) if got == want => {}
            (Want::Keys(want), Some(Yaml::Hash(h))) => {
                let keys: Vec<Option<&str>> = h.keys().map(Yaml::as_str).collect();
                let want: Vec<Option<&str>> = want.iter().map(|k| Some(k.as_str())).collect();
                if keys != want {
                    return Err(format!("{}: keys {keys:?}, want {want:?}", p.what));
                }
            }
            (want, got) => return Err(format!("{}: read {got:?}, want {want:?}", p.what)),
        }
    }
    Ok(())
}

/// The header: the file name and the title each on one comment line.
fn check_header(yaml: &str) -> Result<(), String> {
    let mut lines = yaml.split('\n');
    let first = lines.next().unwrap_or_default();
    let second = lines.next().unwrap_or_default();
    let third = lines.next().unwrap_or_default();
    if !first.starts_with("# Generated by relc from ")
        || !first.ends_with("; edit the .release file, not this one.")
        || !second.starts_with("# ")
        || !third.is_empty()
    {
        return Err(format!(
            "the header is not two comment lines: {first:?} {second:?} {third:?}"
        ));
    }
    Ok(())
}

fn path_json(path: &[Step]) -> serde_json::Value {
    path.iter()
        .map(|s| match s {
            Step::Key(k) => json!(k),
            Step::Index(i) => json!(i),
        })
        .collect()
}

fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("yaml-strings")
}

#[test]
fn every_string_reads_back_identically() {
    let dir = out_dir();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(SEED);
    let mut failures = Vec::new();
    for case in 0..CASES {
        let s = Strings::new(&mut rng);
        let text = s.source();
        let c = relc::compile(&s.file_name, &text);
        if c.has_errors() {
            let codes: Vec<String> = c
                .diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code.as_str(), d.message))
                .collect();
            failures.push(format!("case {case}: does not compile: {codes:?}\n{text}"));
            continue;
        }
        let p = c.pipeline.as_ref().unwrap();
        assert_eq!(p.title.as_deref(), Some(s.title.as_str()));
        let positions = positions(&s, p);
        let yaml = azure::emit(p, &s.file_name).unwrap();
        // The streaming writer the command line uses writes the same text.
        let mut streamed = Vec::new();
        azure::emit_to(p, &s.file_name, &mut streamed).unwrap();
        assert!(
            streamed == yaml.as_bytes(),
            "case {case}: emit_to differs from emit"
        );
        if let Err(e) = check_header(&yaml).and_then(|()| read_back_12(&yaml, &positions)) {
            failures.push(format!(
                "case {case}: {e}\n--- source\n{text}\n--- yaml\n{yaml}"
            ));
        }
        std::fs::write(dir.join(format!("{case:05}.yml")), &yaml).unwrap();
        let expect: Vec<serde_json::Value> = positions
            .iter()
            .map(|p| match &p.want {
                Want::Value(v) => json!({"what": p.what, "path": path_json(&p.path), "value": v}),
                Want::Keys(k) => json!({"what": p.what, "path": path_json(&p.path), "keys": k}),
            })
            .collect();
        std::fs::write(
            dir.join(format!("{case:05}.json")),
            serde_json::to_string(&expect).unwrap(),
        )
        .unwrap();
        if failures.len() >= 5 {
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, the first:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    yaml_11(&dir);
}

/// The same files read by PyYAML (YAML 1.1).
fn yaml_11(dir: &Path) {
    let required = std::env::var("RELC_REQUIRE_PYYAML").is_ok_and(|v| v == "1");
    let have = std::process::Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            !required,
            "RELC_REQUIRE_PYYAML=1 but `python3 -c 'import yaml'` fails: install PyYAML"
        );
        eprintln!(
            "note: python3 with PyYAML not found; the YAML 1.1 read-back was skipped \
             (set RELC_REQUIRE_PYYAML=1 to make this a failure)"
        );
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yaml11_roundtrip.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "YAML 1.1 read-back failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("{CASES} files")),
        "the script read every file: {said}"
    );
}

/// A number becomes text as it is written: `6.0` is not `6`, `007` not `7`. (The
/// task is not in-box, so its made-up inputs are passed as they are: W009 only.)
#[test]
fn numbers_keep_their_spelling() {
    let text = "var a = 6.0\nvar b = 007\nvar c = 3\nvar d = 2.5\n\
                stage S { job J { script \"$(a)$(b)$(c)$(d)\" { display \"v\" + 1.50 }\n\
                task InHouse.Numbers@1 { version = 6.0  n = 007  three = 3  half = 2.5  neg = -1  \
                big = 123456789012345678901234567890  tiny = 0.10 } } }\n";
    let c = relc::compile("numbers.release", text);
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    let yaml = azure::emit(c.pipeline.as_ref().unwrap(), "numbers.release").unwrap();
    let doc = &YamlLoader::load_from_str(&yaml).unwrap()[0];
    let vars = &doc["variables"];
    for (k, v) in [("a", "6.0"), ("b", "007"), ("c", "3"), ("d", "2.5")] {
        assert_eq!(vars[k].as_str(), Some(v), "variable {k}:\n{yaml}");
    }
    let job = &doc["stages"][0]["jobs"][0];
    assert_eq!(job["steps"][0]["displayName"].as_str(), Some("v1.50"));
    let inputs = &job["steps"][1]["inputs"];
    for (k, v) in [
        ("version", "6.0"),
        ("n", "007"),
        ("big", "123456789012345678901234567890"),
        ("tiny", "0.10"),
    ] {
        assert_eq!(inputs[k].as_str(), Some(v), "input {k}:\n{yaml}");
    }
    assert_eq!(inputs["three"].as_i64(), Some(3), "{yaml}");
    assert_eq!(inputs["neg"].as_i64(), Some(-1), "{yaml}");
    assert_eq!(inputs["half"].as_f64(), Some(2.5), "{yaml}");
}
