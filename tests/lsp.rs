//! `relc lsp` driven over stdio by a small JSON-RPC client, as an editor drives it:
//! the real binary, real files in a scratch project, positions in UTF-16.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    /// Notifications received while waiting for something else.
    pending: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_relc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start relc lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut c = Client {
            child,
            stdin,
            stdout,
            next_id: 1,
            pending: Vec::new(),
        };
        let init = c.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "server closed its output"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let m = self.receive();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
            self.pending.push(m);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        if let Some(i) = self.pending.iter().position(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        }) {
            let m = self.pending.remove(i);
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        loop {
            let m = self.receive();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.pending.push(m);
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "release", "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    fn at(&mut self, method: &str, uri: &str, line: u32, character: u32, extra: Value) -> Value {
        let mut params = json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } });
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.request(method, params)
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

/// A scratch project (with a `.relc-root`) holding `files`.
fn project(tag: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relc-lsp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".relc-root"), "").unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir.canonicalize().unwrap()
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn several_syntax_errors_and_a_semantic_one_arrive_in_one_publish_and_a_fix_removes_exactly_its_own()
 {
    let text = "stage Build {\n  job Compile { script \"make\" }\n\n\
                stage Test after Biuld {\n  job T { script \"test\" }\n}\n\n\
                stage Prod after Test, Build {\n  job P { script \"x\" }\n}\n";
    let dir = project("diagnostics", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    let first = c.diagnostics(&u);
    assert_eq!(codes(&first), ["E001", "E010", "E001"], "{first:#?}");
    // The `{` left open, not the next declaration, is blamed.
    assert_eq!(
        first[0]["range"]["start"],
        json!({ "line": 0, "character": 12 })
    );
    assert!(
        first[0]["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("#e001--syntax-error")
    );
    assert_eq!(first[1]["source"], "relc");
    // Fix the misspelt dependency only: exactly its diagnostic goes.
    c.change(&u, 2, &text.replace("Biuld", "Build"));
    let second = c.diagnostics(&u);
    assert_eq!(codes(&second), ["E001", "E001"], "{second:#?}");
    assert_eq!(second[0], first[0]);
    assert_eq!(second[1], first[2]);
    c.stop();
}

#[test]
fn positions_count_utf16_code_units() {
    // 🚀 is two UTF-16 units, é one: the unknown stage starts at character 32.
    let text = "stage A \"🚀 é\" { job J { script \"x\" } }\nstage B \"🚀🚀\" after Nope { job J { script \"x\" } }\n";
    let dir = project("utf16", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    let d = c.diagnostics(&u);
    assert_eq!(codes(&d), ["E010"]);
    let col: u32 = "stage B \"🚀🚀\" after ".encode_utf16().count() as u32;
    assert_eq!(
        d[0]["range"]["start"],
        json!({ "line": 1, "character": col })
    );
    assert_eq!(
        d[0]["range"]["end"],
        json!({ "line": 1, "character": col + 4 })
    );
    // A position after the emoji finds the stage it names.
    let def = c.at("textDocument/definition", &u, 1, col + 1, json!({}));
    assert!(def.is_null(), "Nope is not defined: {def}");
    c.stop();
}

#[test]
fn definition_references_rename_and_outline_work_across_an_imported_file() {
    let lib = "environment dev { app = \"web\" }\ntemplate deploy(env: environment) {\n  deployment Web to env { script \"deploy\" }\n}\n";
    let main = "import \"lib.release\"\nstage Build { job B { script \"b\" } }\nstage Dev after Build { use deploy(dev) }\nstage Dev2 after Build { use deploy(dev) }\n";
    let dir = project(
        "navigation",
        &[("lib.release", lib), ("main.release", main)],
    );
    let (lu, mu) = (
        uri(&dir.join("lib.release")),
        uri(&dir.join("main.release")),
    );
    let mut c = Client::start();
    c.open(&mu, main);
    assert_eq!(codes(&c.diagnostics(&mu)), Vec::<String>::new());

    // `deploy` in `use deploy(dev)` (line 2) is defined in lib.release, line 1.
    let at = main.lines().nth(2).unwrap().find("deploy").unwrap() as u32;
    let def = c.at("textDocument/definition", &mu, 2, at + 2, json!({}));
    assert_eq!(def["uri"], lu);
    assert_eq!(def["range"]["start"], json!({ "line": 1, "character": 9 }));

    // `dev`: its declaration in lib.release and its two uses in main.release.
    let dev = main.lines().nth(2).unwrap().find("(dev)").unwrap() as u32 + 1;
    let refs = c.at(
        "textDocument/references",
        &mu,
        2,
        dev,
        json!({ "context": { "includeDeclaration": true } }),
    );
    let refs = refs.as_array().unwrap();
    assert_eq!(refs.len(), 3, "{refs:#?}");
    assert_eq!(refs.iter().filter(|r| r["uri"] == lu).count(), 1);

    // Rename `Build` from its use in `after Build`: the declaration and both uses.
    let after = main.lines().nth(3).unwrap().find("Build").unwrap() as u32;
    let edit = c.at(
        "textDocument/rename",
        &mu,
        3,
        after,
        json!({ "newName": "Compile" }),
    );
    let edits = edit["changes"][mu.as_str()].as_array().unwrap();
    assert_eq!(edits.len(), 3, "{edit:#}");
    assert!(edits.iter().all(|e| e["newText"] == "Compile"));
    c.stop();
}

#[test]
fn an_invalid_new_name_is_refused_and_the_outline_nests_jobs_in_stages() {
    let text = "var config = \"Release\"\nstage Build {\n  job Compile { script \"make $(config)\" }\n  job Test after Compile { script \"test\" }\n}\n";
    let dir = project("outline", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": u } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Build", "config"]);
    let build = symbols
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Build")
        .unwrap();
    let jobs: Vec<&str> = build["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(jobs, ["Compile", "Test"]);

    // Hover on `$(config)` says what it is and how often it is used.
    let hover = c.at("textDocument/hover", &u, 2, 31, json!({}));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.contains("var config") && value.contains("1 use"),
        "{value}"
    );

    // A new name that is not a name is an error, not a broken file.
    c.send(json!({ "jsonrpc": "2.0", "id": 99, "method": "textDocument/rename",
        "params": { "textDocument": { "uri": u }, "position": { "line": 1, "character": 7 }, "newName": "two words" } }));
    let reply = loop {
        let m = c.receive();
        if m["id"] == 99 {
            break m;
        }
    };
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is not a name"),
        "{reply}"
    );
    c.stop();
}

#[test]
fn a_quick_fix_applies_the_did_you_mean_and_completion_offers_names_by_context() {
    let text = "template smoke(url: string) { job S { script \"curl \" + url } }\n\
                stage Build { job B { script \"b\" } }\n\
                stage Test after Biuld { use smoke(\"x\") }\n";
    let dir = project("actions", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    let d = c.diagnostics(&u);
    assert_eq!(codes(&d), ["E010"]);
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": d[0]["range"], "context": { "diagnostics": d } }),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "quickfix");
    let edits = actions[0]["edit"]["changes"][u.as_str()]
        .as_array()
        .unwrap();
    assert_eq!(edits[0]["newText"], "Build");
    assert_eq!(edits[0]["range"], d[0]["range"]);

    // Applying it leaves no diagnostic.
    c.change(&u, 2, &text.replace("Biuld", "Build"));
    assert_eq!(codes(&c.diagnostics(&u)), Vec::<String>::new());

    // After `after ` come stages (and jobs); after `use `, templates.
    let line = 2;
    let after = "stage Test after ".len() as u32;
    let items = c.at("textDocument/completion", &u, line, after, json!({}));
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"Build") && labels.contains(&"Test"),
        "{labels:?}"
    );
    assert!(!labels.contains(&"smoke"), "{labels:?}");
    let use_at = "stage Test after Build { use ".len() as u32;
    let items = c.at("textDocument/completion", &u, line, use_at, json!({}));
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["smoke"]);
    c.stop();
}

#[test]
fn signature_help_shows_the_template_parameters_and_the_one_being_written() {
    let text = "environment dev { }\ntemplate deploy(env: environment, slot: string = \"swap\") {\n  deployment Web to env { script \"deploy\" }\n}\nstage Dev { use deploy(dev, \"x\") }\n";
    let dir = project("signature", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);
    let line = 4;
    let in_second = "stage Dev { use deploy(dev, \"".len() as u32;
    let help = c.at("textDocument/signatureHelp", &u, line, in_second, json!({}));
    assert_eq!(
        help["signatures"][0]["label"],
        "template deploy(env: environment, slot: string)"
    );
    let params: Vec<&str> = help["signatures"][0]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["env: environment", "slot: string"]);
    assert_eq!(help["activeParameter"], 1);
    let in_first = "stage Dev { use deploy(d".len() as u32;
    let help = c.at("textDocument/signatureHelp", &u, line, in_first, json!({}));
    assert_eq!(help["activeParameter"], 0);
    // Outside the parentheses there is none.
    let outside = "stage Dev { use deploy(dev, \"x\") ".len() as u32;
    assert!(
        c.at("textDocument/signatureHelp", &u, line, outside, json!({}))
            .is_null()
    );
    c.stop();
}

#[test]
fn semantic_tokens_name_what_each_name_is() {
    // Stage A and its use in `after A`; job J; the variable in `$(v)`.
    let text = "var v = \"1\"\nstage A { job J { script \"x $(v)\" } }\nstage B after A { job K { script \"y\" } }\n";
    let dir = project("tokens", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);
    let legend = {
        // The legend came with initialize; the order is the server's.
        [
            "namespace",
            "function",
            "class",
            "interface",
            "enumMember",
            "variable",
            "macro",
            "parameter",
        ]
    };
    let tokens = c.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": u } }),
    );
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    // Decode to (line, start, length, type, declaration).
    let (mut line, mut start) = (0, 0);
    let mut decoded = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0];
            start = t[1];
        } else {
            start += t[1];
        }
        let word =
            &text.lines().nth(line as usize).unwrap()[start as usize..(start + t[2]) as usize];
        decoded.push((word.to_string(), legend[t[3] as usize], t[4] == 1));
    }
    let expect = [
        ("v", "variable", true),
        ("A", "namespace", true),
        ("J", "function", true),
        ("v", "variable", false),
        ("B", "namespace", true),
        ("A", "namespace", false),
        ("K", "function", true),
    ];
    let expect: Vec<(String, &str, bool)> = expect
        .iter()
        .map(|(w, k, d)| (w.to_string(), *k, *d))
        .collect();
    assert_eq!(decoded, expect);
    c.stop();
}

#[test]
fn hover_shows_a_stages_dependencies_and_conditions_an_environments_gates_and_a_variables_value() {
    let text = "var region = \"westeurope\"\nenvironment prod protected { gate approval { approvers [\"Mara\"] }  app = \"web\" }\n\
                stage Build { job B { script \"b $(region)\" } }\n\
                stage Prod after Build {\n  when branch == \"main\"\n  deployment D to prod { script \"d\" }\n}\n";
    let dir = project("hover", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);
    let hover = |c: &mut Client, line: u32, character: u32| {
        let h = c.at("textDocument/hover", &u, line, character, json!({}));
        h["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let stage = hover(&mut c, 3, 7);
    assert!(
        stage.contains("stage Prod after Build") && stage.contains("when branch == \"main\""),
        "{stage}"
    );
    let env = hover(&mut c, 5, 19);
    assert!(env.contains("environment prod protected"), "{env}");
    assert!(
        env.contains("gate approval { approvers [\"Mara\"] }") && env.contains("app = \"web\""),
        "{env}"
    );
    let var = hover(&mut c, 2, 35);
    assert!(
        var.contains("var region") && var.contains("= \"westeurope\""),
        "{var}"
    );
    c.stop();
}

#[test]
fn hover_on_a_predefined_variable_says_what_it_means() {
    let text = "stage A {\n  when branch == \"main\" && Build.Reason != \"Schedule\"\n  job J { script \"echo $(Build.SourceBranch)\" }\n}\n";
    let dir = project("predefined", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);
    let value = |c: &mut Client, line: u32, character: u32| {
        c.at("textDocument/hover", &u, line, character, json!({}))["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let branch = value(&mut c, 1, 8);
    assert!(
        branch.contains("Build.SourceBranchName") && branch.contains("last segment"),
        "{branch}"
    );
    let reason = value(&mut c, 1, 33);
    assert!(
        reason.contains("Build.Reason") && reason.contains("IndividualCI"),
        "{reason}"
    );
    let macro_use = value(&mut c, 2, 30);
    assert!(
        macro_use.contains("Build.SourceBranch") && macro_use.contains("refs/heads/main"),
        "{macro_use}"
    );
    c.stop();
}

#[test]
fn formatting_returns_the_canonical_layout_and_nothing_for_a_broken_file() {
    let messy = "stage   Build {\njob B {   script \"make\"    }\n\n\n}\n";
    let dir = project("formatting", &[("p.release", messy)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, messy);
    c.diagnostics(&u);
    let params =
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } });
    let edits = c.request("textDocument/formatting", params.clone());
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    let formatted = edits[0]["newText"].as_str().unwrap();
    // Runs of blank lines become one; indentation and spaces are canonical.
    assert_eq!(
        formatted,
        "stage Build {\n  job B { script \"make\" }\n\n}\n"
    );
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );
    assert_eq!(
        edits[0]["range"]["end"],
        json!({ "line": 5, "character": 0 })
    );
    // Formatted already: no edits. Broken: none either (null).
    c.change(&u, 2, formatted);
    c.diagnostics(&u);
    assert_eq!(
        c.request("textDocument/formatting", params.clone()),
        json!([])
    );
    c.change(&u, 3, "stage Build {\n");
    c.diagnostics(&u);
    assert!(c.request("textDocument/formatting", params).is_null());
    c.stop();
}

#[test]
fn completion_after_a_comparison_offers_the_values_it_can_have() {
    let text = "stage A {\n  when reason == \"\n  job J { script \"x\" }\n}\nstage B after A {\n  when dependencies.A.result != \n  job J { script \"x\" }\n}\n";
    let dir = project("enums", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);
    let labels = |c: &mut Client, line: u32, character: u32| -> Vec<String> {
        let items = c.at("textDocument/completion", &u, line, character, json!({}));
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let reasons = labels(&mut c, 1, "  when reason == \"".len() as u32);
    assert!(
        reasons.contains(&"Manual".to_string()) && reasons.contains(&"Schedule".to_string()),
        "{reasons:?}"
    );
    let results = labels(&mut c, 5, "  when dependencies.A.result != ".len() as u32);
    assert!(
        results.contains(&"Succeeded".to_string()) && results.contains(&"Failed".to_string()),
        "{results:?}"
    );
    assert!(!results.contains(&"Manual".to_string()));
    c.stop();
}

/// The completion items at a position, as (label, kind) with the whole item.
fn completion(c: &mut Client, u: &str, line: u32, character: u32) -> Vec<Value> {
    let items = c.at("textDocument/completion", u, line, character, json!({}));
    items.as_array().unwrap().clone()
}

fn labels_of(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["label"].as_str().unwrap()).collect()
}

/// LSP's CompletionItemKind: Property, Keyword, EnumMember.
const PROPERTY: u64 = 10;
const KEYWORD: u64 = 14;
const ENUM_MEMBER: u64 = 20;

#[test]
fn completion_offers_the_settings_of_the_block_the_cursor_is_in() {
    let text = "environment prod {\n  gate approval {\n    min 1\n    \n  }\n}\n\
                stage Deploy {\n  deployment Web to prod {\n    timeout 10m\n    \n    script \"deploy\"\n  }\n}\n";
    let dir = project("settings", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);

    // In the approval gate: its settings, with their docs, `min` already written.
    let items = completion(&mut c, &u, 3, 4);
    assert_eq!(
        labels_of(&items),
        [
            "approvers",
            "instructions",
            "timeout",
            "requester_can_approve",
            "in_sequence",
            "yaml"
        ]
    );
    let approvers = &items[0];
    assert_eq!(approvers["kind"], PROPERTY);
    assert!(
        approvers["documentation"]
            .as_str()
            .unwrap()
            .contains("approve"),
        "{approvers}"
    );
    // This client announced no snippets: the name and a space.
    assert_eq!(approvers["insertText"], "approvers ");
    assert_eq!(approvers["insertTextFormat"], 1);

    // In the deployment job: the job's settings less `timeout`, then its keywords.
    let items = completion(&mut c, &u, 9, 4);
    let labels = labels_of(&items);
    for wanted in ["display", "pool", "cancel_timeout", "continue_on_error"] {
        assert!(labels.contains(&wanted), "{wanted} in {labels:?}");
    }
    assert!(!labels.contains(&"timeout"), "{labels:?}");
    assert!(!labels.contains(&"approvers") && !labels.contains(&"skippable"));
    let script = items.iter().find(|i| i["label"] == "script").unwrap();
    assert_eq!(script["kind"], KEYWORD);
    // Before the stage's `}`, past the job: the stage's settings and keywords.
    let items = completion(&mut c, &u, 12, 0);
    let labels = labels_of(&items);
    assert!(
        labels.contains(&"skippable") && labels.contains(&"deployment"),
        "{labels:?}"
    );
    assert!(!labels.contains(&"cancel_timeout"), "{labels:?}");
    c.stop();
}

#[test]
fn completion_in_a_half_typed_block_and_after_non_ascii_text() {
    let text = "stage Build { job B { script \"b\" } }\n";
    let dir = project("half-typed", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);
    // The user is typing a job: no closing braces yet, a string with 🚀 and é.
    let typed = "stage Build { job B { script \"b\" } }\nstage Ship after Build {\n  job Go {\n    pool { name \"Agents 🚀 é\" } \n    cont\n";
    c.change(&u, 2, typed);
    assert!(!c.diagnostics(&u).is_empty(), "the buffer does not parse");
    let items = completion(&mut c, &u, 4, "    cont".len() as u32);
    let labels = labels_of(&items);
    assert!(
        labels.contains(&"continue_on_error") && labels.contains(&"timeout"),
        "{labels:?}"
    );
    assert!(!labels.contains(&"pool"), "pool is written: {labels:?}");
    // After the `}` of the pool, past an emoji (two UTF-16 units) and an é (one).
    let line = "    pool { name \"Agents 🚀 é\" } ";
    let character = line.encode_utf16().count() as u32;
    assert_eq!(character as usize, line.chars().count() + 1);
    let items = completion(&mut c, &u, 3, character);
    let labels = labels_of(&items);
    assert!(labels.contains(&"cancel_timeout"), "{labels:?}");
    assert!(!labels.contains(&"pool"), "{labels:?}");
    c.stop();
}

#[test]
fn completion_offers_the_words_a_setting_takes() {
    let text = "environment prod {\n  gate business_hours { days [Mon, ] }\n}\n\
                stage S {\n  gate manual_validation {\n    notify [\"qa@example.com\"]\n    on_timeout \n  }\n  deployment D to prod { script \"x\" }\n}\n";
    let dir = project("values", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);
    let items = completion(&mut c, &u, 6, "    on_timeout ".len() as u32);
    assert_eq!(labels_of(&items), ["reject", "resume"]);
    assert_eq!(items[0]["kind"], ENUM_MEMBER);
    let items = completion(
        &mut c,
        &u,
        1,
        "  gate business_hours { days [Mon, ".len() as u32,
    );
    assert_eq!(
        labels_of(&items),
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    );
    // After `gate `: the gate kinds.
    let items = completion(&mut c, &u, 4, "  gate ".len() as u32);
    let labels = labels_of(&items);
    assert!(
        labels.contains(&"approval") && labels.contains(&"delay"),
        "{labels:?}"
    );
    c.stop();
}

/// LSP's CompletionItemKind: Field.
const FIELD: u64 = 5;

#[test]
fn hover_and_completion_of_a_task_use_its_signature() {
    let text = "stage Build {\n  job B {\n    task DotNetCoreCLI@2 {\n      command = \"build\"\n      \n      publishWebProjects = \n    }\n  }\n}\n";
    let dir = project("tasks", &[("p.release", text)]);
    let u = uri(&dir.join("p.release"));
    let mut c = Client::start();
    c.open(&u, text);
    c.diagnostics(&u);

    // Hover on the task's name: friendly name, description, inputs, required ones marked.
    let hover = c.at("textDocument/hover", &u, 2, 12, json!({}));
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("**.NET Core** (`DotNetCoreCLI@2`"),
        "{value}"
    );
    assert!(
        value.contains("`projects`") && value.contains("**`command`**"),
        "{value}"
    );
    assert_eq!(hover["range"]["start"], json!({"line": 2, "character": 9}));
    assert_eq!(hover["range"]["end"], json!({"line": 2, "character": 24}));

    // In the block: its inputs (less `command`, written), with their help, then the settings.
    let items = completion(&mut c, &u, 4, 6);
    let labels = labels_of(&items);
    assert!(
        labels.contains(&"projects") && labels.contains(&"arguments"),
        "{labels:?}"
    );
    assert!(!labels.contains(&"command"), "{labels:?}");
    assert!(labels.contains(&"display"), "{labels:?}");
    let projects = items.iter().find(|i| i["label"] == "projects").unwrap();
    assert_eq!(projects["kind"], FIELD);
    assert_eq!(projects["insertText"], "projects = ");
    assert!(
        projects["documentation"]
            .as_str()
            .unwrap()
            .contains("Path to project"),
        "{projects}"
    );

    // After `input = `: the values it takes.
    let items = completion(&mut c, &u, 5, 27);
    assert_eq!(labels_of(&items), ["true", "false"]);
    assert_eq!(items[0]["kind"], ENUM_MEMBER);
    c.stop();
}
