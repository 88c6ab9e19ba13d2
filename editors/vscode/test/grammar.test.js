// The TextMate grammar, run through vscode-textmate: scopes of chosen snippets,
// the keyword and gate-kind lists kept in step with the compiler, and every
// example and stdlib file tokenized without errors or leaked string states.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { tokenize, loadGrammar } = require("./tokenize.js");

const REPO = path.join(__dirname, "..", "..", "..");
const read = (rel) => fs.readFileSync(path.join(REPO, rel), "utf8");

/** The token spelled `text` (the `nth` such, from 0) on any line. */
function token(tokens, text, nth = 0) {
  const found = tokens.filter((t) => t.text === text);
  assert.ok(found.length > nth, `no token ${JSON.stringify(text)} (#${nth}) in ${JSON.stringify(tokens.map((t) => t.text))}`);
  return found[nth];
}

/** Asserts that some scope of `t` starts with `prefix`. */
function hasScope(t, prefix) {
  assert.ok(
    t.scopes.some((s) => s.startsWith(prefix)),
    `${JSON.stringify(t.text)} has scopes ${t.scopes.join(" ")}, none starts with ${prefix}`,
  );
}

function lacksScope(t, prefix) {
  assert.ok(
    !t.scopes.some((s) => s.startsWith(prefix)),
    `${JSON.stringify(t.text)} has scopes ${t.scopes.join(" ")}, one starts with ${prefix}`,
  );
}

/** Scopes a line would start with after `state`: the grammar's open rules. */
async function openScopes(state) {
  const grammar = await loadGrammar();
  return grammar.tokenizeLine("", state).tokens[0].scopes;
}

test("declaration keywords and the names they declare", async () => {
  const { tokens } = await tokenize(
    [
      'stage Build "Build it" after Lint {',
      "  job Compile after [A, B] {",
      '    script "make"',
      "  }",
      "  deployment Ship to production { download drop }",
      "}",
      'template deploy(env: environment, slot: string = "swap") { use other(env) }',
      "gate signoff = approval { approvers [\"Mara\"] }",
      "environment prod protected { gate signoff }",
    ].join("\n"),
  );
  hasScope(token(tokens, "stage"), "keyword.");
  hasScope(token(tokens, "Build"), "entity.name.type.stage");
  hasScope(token(tokens, "Build it"), "string.quoted.double");
  hasScope(token(tokens, "after"), "keyword.");
  hasScope(token(tokens, "job"), "keyword.");
  hasScope(token(tokens, "Compile"), "entity.name.type.job");
  hasScope(token(tokens, "after", 1), "keyword.");
  lacksScope(token(tokens, "A"), "entity.name");
  hasScope(token(tokens, "script"), "keyword.");
  hasScope(token(tokens, "deployment"), "keyword.");
  hasScope(token(tokens, "Ship"), "entity.name.type.deployment");
  hasScope(token(tokens, "to"), "keyword.");
  hasScope(token(tokens, "download"), "keyword.");
  hasScope(token(tokens, "template"), "keyword.");
  hasScope(token(tokens, "deploy"), "entity.name.function.template");
  hasScope(token(tokens, "env"), "variable.parameter");
  hasScope(token(tokens, "environment"), "entity.name.type.parameter");
  lacksScope(token(tokens, "environment"), "keyword.");
  hasScope(token(tokens, "swap"), "string.quoted.double");
  hasScope(token(tokens, "use"), "keyword.");
  hasScope(token(tokens, "other"), "entity.name.function");
  hasScope(token(tokens, "gate"), "keyword.");
  hasScope(token(tokens, "signoff"), "entity.name.function.gate");
  hasScope(token(tokens, "approval"), "keyword.other.gate-kind");
  hasScope(token(tokens, "approvers"), "support.type.property-name.setting");
  hasScope(token(tokens, "environment", 1), "keyword.");
  hasScope(token(tokens, "prod"), "entity.name.type.environment");
  hasScope(token(tokens, "protected"), "keyword.");
  hasScope(token(tokens, "signoff", 1), "variable.other.gate");
});

test("every keyword of grammar/release.pest is highlighted as a keyword", async () => {
  const pest = read("grammar/release.pest");
  const words = new Set();
  for (const m of pest.matchAll(/^kw_\w+\s*=\s*@\{\s*"(\w+)"/gm)) words.add(m[1]);
  const kinds = pest.match(/^script_kind\s*=\s*@\{\s*\(([^)]*)\)/m);
  assert.ok(kinds, "script_kind rule not found in the pest grammar");
  for (const m of kinds[1].matchAll(/"(\w+)"/g)) words.add(m[1]);
  // kw_not_in spells `not` then `in`: both are tested through `not in`.
  words.add("in");
  // Each keyword in a snippet where the language allows it.
  const snippets = {
    import: 'import "std/gates"',
    pipeline: 'pipeline "P" { trigger none }',
    trigger: "pipeline { trigger { branches [\"*\"] } }",
    pr: "pipeline { pr none }",
    schedule: 'pipeline { schedule nightly { cron "0 3 * * *" } }',
    none: "pipeline { pr none }",
    var: 'var x = "1"',
    secret: "secret token",
    group: "group Release",
    artifact: "artifact drop",
    environment: "environment dev",
    protected: "environment prod protected",
    gate: "gate g = when branch == \"main\"",
    when: "stage S { when succeeded() }",
    template: "template t() { }",
    use: "stage S { use t(dev) }",
    stage: "stage S { }",
    after: "stage S after none { }",
    job: "stage S { job J { } }",
    deployment: "stage S { deployment D to dev { } }",
    to: "stage S { deployment D to dev { } }",
    task: "stage S { job J { task Bash@3 { } } }",
    publish: 'stage S { job J { publish drop from "out" } }',
    from: 'stage S { job J { publish drop from "out" } }',
    download: "stage S { job J { download drop } }",
    checkout: "stage S { job J { checkout self } }",
    script: 'stage S { job J { script "make" } }',
    bash: 'stage S { job J { bash "make" } }',
    pwsh: 'stage S { job J { pwsh "make" } }',
    powershell: 'stage S { job J { powershell "make" } }',
    in: 'stage S { when branch in ["main"] }',
    not: 'stage S { when branch not in ["main"] }',
    parameter: 'parameter env: string = "dev"',
    if: 'stage S { job J { if parameters.env == "prod" { script "a" } } }',
    else: 'stage S { job J { if parameters.fast { script "a" } else { script "b" } } }',
    resources: 'resources { repository tools { type git  name "t" } }',
    strategy: "stage S { deployment D to dev { strategy rolling { } } }",
    extends: 'extends "v2/x.yml" from tools { stages = pipeline.stages }',
  };
  assert.deepEqual([...words].sort(), Object.keys(snippets).sort(), "keywords of the pest grammar and of this test differ");
  for (const [word, snippet] of Object.entries(snippets)) {
    const { tokens } = await tokenize(snippet);
    const t = tokens.find((t) => t.text === word || t.text.split(/\s+/).includes(word));
    assert.ok(t, `${word}: no token in ${snippet}`);
    hasScope(t, "keyword.");
  }
});

test("gate kinds are the compiler's list", async () => {
  const source = read("src/schema.rs");
  const block = source.match(/const GATE_KINDS: &\[&str\] = &\[([^\]]*)\]/);
  assert.ok(block, "GATE_KINDS not found in src/schema.rs");
  const kinds = [...block[1].matchAll(/"(\w+)"/g)].map((m) => m[1]);
  assert.ok(kinds.length >= 7);
  for (const kind of kinds) {
    const { tokens } = await tokenize(`gate g = ${kind} { }\nstage S { gate ${kind} {\n} }`);
    hasScope(token(tokens, kind), "keyword.other.gate-kind");
    hasScope(token(tokens, kind, 1), "keyword.other.gate-kind");
  }
  // A kind's name used as a reference (no object) is a gate reference.
  const { tokens } = await tokenize("stage S { gate lock + approval_ok }");
  hasScope(token(tokens, "lock"), "variable.other.gate");
  // A gate expression ends at the next item on the same line.
  const one = await tokenize("stage Dev { gate release_branch  use deploy_web(dev) }");
  hasScope(token(one.tokens, "use"), "keyword.");
  hasScope(token(one.tokens, "deploy_web"), "entity.name.function.template");
});

test("comments: line, block over lines, and not inside strings", async () => {
  const { tokens, states } = await tokenize(
    ['var a = 1 // after code', "/* a block", "   stage Inside { } */ stage Out { }", 'var u = "http://x/*y*/"'].join("\n"),
  );
  hasScope(token(tokens, " after code"), "comment.line.double-slash");
  hasScope(token(tokens, " a block"), "comment.block");
  hasScope(token(tokens, "   stage Inside { } "), "comment.block");
  hasScope(token(tokens, "stage"), "keyword.");
  hasScope(token(tokens, "Out"), "entity.name.type.stage");
  hasScope(token(tokens, "http://x/*y*/"), "string.quoted.double");
  assert.ok((await openScopes(states[1])).includes("comment.block.release"));
  assert.deepEqual(await openScopes(states[3]), ["source.release"]);
});

test("relc-allow comments are directives with codes and a reason", async () => {
  const { tokens } = await tokenize(
    [
      "// relc-allow E090, W005: the public demo database",
      'var demoPassword = "Pa55w0rd!" // relc-allow E090: reset nightly',
      "// relc-allowed is not a directive, nor is // relc-allow later on",
      'var s = "// relc-allow E090: inside a string"',
    ].join("\n"),
  );
  const first = token(tokens, "relc-allow");
  hasScope(first, "keyword.other.directive.suppression");
  hasScope(first, "comment.line.double-slash.suppression");
  hasScope(token(tokens, "E090"), "constant.other.diagnostic-code");
  hasScope(token(tokens, "W005"), "constant.other.diagnostic-code");
  hasScope(token(tokens, " the public demo database"), "comment.line.suppression.reason");
  hasScope(token(tokens, "relc-allow", 1), "keyword.other.directive.suppression");
  hasScope(token(tokens, "E090", 1), "constant.other.diagnostic-code");
  const plain = tokens.filter((t) => t.line === 2 && t.text.trim() !== "");
  assert.ok(plain.length > 0);
  for (const t of plain) {
    hasScope(t, "comment.line.double-slash");
    lacksScope(t, "keyword.");
    lacksScope(t, "comment.line.double-slash.suppression");
  }
  const inString = tokens.filter((t) => t.line === 3 && t.text.includes("relc-allow"));
  assert.equal(inString.length, 1);
  hasScope(inString[0], "string.quoted.double");
  lacksScope(inString[0], "comment.");
});

test("double-quoted strings: escapes, invalid escapes, macros, no line breaks", async () => {
  const { tokens, states } = await tokenize(['var a = "tab\\t quote\\" $(Build.BuildId) bad\\q end"', 'var b = "open', "stage S { }"].join("\n"));
  hasScope(token(tokens, "\\t"), "constant.character.escape");
  hasScope(token(tokens, '\\"'), "constant.character.escape");
  hasScope(token(tokens, "\\q"), "invalid.illegal.escape");
  const macro = token(tokens, "Build.BuildId");
  hasScope(macro, "variable.other.macro");
  hasScope(macro, "string.quoted.double");
  hasScope(token(tokens, "$("), "punctuation.definition.macro.begin");
  hasScope(token(tokens, " end"), "string.quoted.double");
  hasScope(token(tokens, "open"), "invalid.illegal.unterminated");
  // An unterminated string stops at the end of its line.
  assert.deepEqual(await openScopes(states[1]), ["source.release"]);
  hasScope(token(tokens, "stage"), "keyword.");
});

test("single-quoted strings: '' is a quote, macros inside", async () => {
  const { tokens } = await tokenize("var q = 'say \"hi\", it''s $(name) C:\\agent' + x");
  hasScope(token(tokens, "''"), "constant.character.escape");
  hasScope(token(tokens, "s "), "string.quoted.single");
  hasScope(token(tokens, "name"), "variable.other.macro");
  hasScope(token(tokens, " C:\\agent"), "string.quoted.single");
  lacksScope(token(tokens, " C:\\agent"), "invalid.");
  lacksScope(token(tokens, "x"), "string.");
});

test('a """ raw block spanning lines is one string', async () => {
  const lines = [
    "stage S { job J {",
    '  bash """',
    '    echo "$(greeting)" // not a comment',
    "    stage NotAKeyword { } \\q",
    '    """ { display "x" }',
    '  script """echo one line"""',
    "} }",
  ];
  const { tokens, states } = await tokenize(lines.join("\n"));
  const open = tokens.findIndex((t) => t.line === 1 && t.text === '"""');
  const close = tokens.findIndex((t) => t.line === 4 && t.text === '"""');
  assert.ok(open >= 0 && close > open);
  for (const t of tokens.slice(open, close + 1)) {
    hasScope(t, "string.quoted.triple");
    lacksScope(t, "comment.");
    lacksScope(t, "keyword.");
    lacksScope(t, "invalid.");
  }
  hasScope(token(tokens, "greeting"), "variable.other.macro");
  for (const i of [1, 2, 3]) {
    assert.ok((await openScopes(states[i])).includes("string.quoted.triple.raw.release"), `line ${i + 1} leaves the raw block open`);
  }
  assert.deepEqual(await openScopes(states[4]), ["source.release"]);
  hasScope(token(tokens, "display"), "support.type.property-name.setting");
  hasScope(token(tokens, "echo one line"), "string.quoted.triple");
  assert.deepEqual(await openScopes(states[5]), ["source.release"]);
  // `""` before a non-quote is an empty string, not a raw block.
  const empty = await tokenize('var e = "" + "x"');
  assert.deepEqual(await openScopes(empty.state), ["source.release"]);
  hasScope(token(empty.tokens, "x"), "string.quoted.double");
});

test("numbers, durations, versions, booleans and task references", async () => {
  const { tokens } = await tokenize(
    [
      "stage S { job J {",
      "  timeout 1h30m  retries 3  offset -1  ratio 2.5  enabled true  cancel false",
      "  task DotNetCoreCLI@2 { }",
      "  task My.Task-Name@1.2 { }",
      "  when eq(variables['Build.Reason'], 'Schedule') && !failed() || version >= 2.200.0",
      "} }",
    ].join("\n"),
  );
  hasScope(token(tokens, "1h30m"), "constant.numeric.duration");
  hasScope(token(tokens, "3"), "constant.numeric");
  lacksScope(token(tokens, "3"), "constant.numeric.duration");
  hasScope(token(tokens, "-1"), "constant.numeric");
  hasScope(token(tokens, "2.5"), "constant.numeric");
  hasScope(token(tokens, "true"), "constant.language.boolean");
  hasScope(token(tokens, "false"), "constant.language.boolean");
  hasScope(token(tokens, "timeout"), "support.type.property-name.setting");
  hasScope(token(tokens, "DotNetCoreCLI"), "entity.name.type.task");
  hasScope(token(tokens, "@"), "punctuation.separator.version");
  hasScope(token(tokens, "2"), "constant.numeric.version.task");
  hasScope(token(tokens, "My.Task-Name"), "entity.name.type.task");
  hasScope(token(tokens, "1.2"), "constant.numeric.version.task");
  hasScope(token(tokens, "eq"), "support.function");
  hasScope(token(tokens, "failed"), "support.function");
  hasScope(token(tokens, "Build.Reason"), "string.quoted.single");
  hasScope(token(tokens, "&&"), "keyword.operator.logical");
  hasScope(token(tokens, "!"), "keyword.operator.logical");
  hasScope(token(tokens, "||"), "keyword.operator.logical");
  hasScope(token(tokens, ">="), "keyword.operator.comparison");
  hasScope(token(tokens, "2.200.0"), "constant.numeric.version");
  hasScope(token(tokens, "version"), "variable.other");
});

test("operators and entries", async () => {
  const { tokens } = await tokenize(
    [
      'gate g = when a == 1 && b != "x" || c <= 2 && d > 3 && e < 4',
      'stage S { job J { task T@1 { display "Deploy " + env.name  appName = env.app } } }',
    ].join("\n"),
  );
  for (const op of ["==", "!=", "<=", ">", "<"]) hasScope(token(tokens, op), "keyword.operator.comparison");
  hasScope(token(tokens, "+"), "keyword.operator.concatenation");
  hasScope(token(tokens, "="), "keyword.operator.assignment");
  hasScope(token(tokens, "appName"), "variable.other.property.input");
  hasScope(token(tokens, "=", 1), "keyword.operator.assignment");
  hasScope(token(tokens, "display"), "support.type.property-name.setting");
  // A reference value is not taken for the key of the entry after it.
  const next = await tokenize('script "x" { env { REGION = region  APP = "x" }  pool server  display "a" + name  retries 2 }');
  hasScope(token(next.tokens, "region"), "variable.other.release");
  hasScope(token(next.tokens, "APP"), "variable.other.property.input");
  hasScope(token(next.tokens, "server"), "variable.other.release");
  hasScope(token(next.tokens, "name"), "variable.other.release");
  hasScope(token(next.tokens, "retries"), "support.type.property-name.setting");
  // Azure's in(...) function is a call; `in [ … ]` is the operator.
  const call = await tokenize("stage S { when in(dependencies.A.result, 'Failed') || x in [1] }");
  hasScope(token(call.tokens, "in"), "support.function");
  hasScope(token(call.tokens, "in", 1), "keyword.operator.word.in");
});

test("every release block of the language reference tokenizes cleanly", async () => {
  const doc = read("docs/language.md");
  const blocks = [...doc.matchAll(/```release\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 20, `only ${blocks.length} release blocks in docs/language.md`);
  for (const [n, block] of blocks.entries()) {
    const { tokens, state } = await tokenize(block);
    for (const t of tokens) {
      assert.ok(!t.scopes.some((s) => s.startsWith("invalid.")), `block ${n + 1}, line ${t.line + 1}: ${JSON.stringify(t.text)} is ${t.scopes.join(" ")}`);
    }
    assert.deepEqual(await openScopes(state), ["source.release"], `block ${n + 1} ends with a rule still open`);
  }
});

function releaseFiles() {
  const files = [];
  for (const dir of ["examples", "stdlib"]) {
    const walk = (rel) => {
      for (const e of fs.readdirSync(path.join(REPO, rel), { withFileTypes: true })) {
        const child = path.join(rel, e.name);
        // examples/invalid holds pipelines relc rejects on purpose.
        if (e.isDirectory() && child !== path.join("examples", "invalid")) walk(child);
        else if (e.isFile() && e.name.endsWith(".release")) files.push(child);
      }
    };
    if (fs.existsSync(path.join(REPO, dir))) walk(dir);
  }
  return files.sort();
}

test("every example and stdlib file tokenizes cleanly", async () => {
  const files = releaseFiles();
  assert.ok(files.filter((f) => f.startsWith("examples")).length >= 5, `too few examples: ${files}`);
  for (const file of files) {
    const { tokens, states } = await tokenize(read(file));
    for (const t of tokens) {
      assert.ok(!t.scopes.some((s) => s.startsWith("invalid.")), `${file}:${t.line + 1}: ${JSON.stringify(t.text)} is ${t.scopes.join(" ")}`);
    }
    // Only raw blocks, block comments and template parameter lists may stay open past a line's end.
    for (const [i, state] of states.entries()) {
      const open = await openScopes(state);
      assert.ok(
        open.slice(1).every((s) => ["string.quoted.triple.raw.release", "comment.block.release", "meta.template.parameters.release"].includes(s)),
        `${file}:${i + 1} leaves ${open.join(" ")} open`,
      );
    }
    assert.deepEqual(await openScopes(states[states.length - 1]), ["source.release"], `${file} ends with a rule still open`);
    assert.ok(tokens.some((t) => t.scopes.some((s) => s.startsWith("keyword."))), `${file}: no keywords`);
  }
});

test("the manifest and the language configuration agree with the grammar", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
  const grammar = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "syntaxes", "release.tmLanguage.json"), "utf8"));
  const lang = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "language-configuration.json"), "utf8"));
  assert.equal(pkg.contributes.grammars[0].scopeName, grammar.scopeName);
  assert.equal(pkg.contributes.grammars[0].language, pkg.contributes.languages[0].id);
  assert.deepEqual(pkg.contributes.languages[0].extensions, [".release"]);
  assert.ok(pkg.activationEvents.includes("onLanguage:release"));
  assert.ok(pkg.contributes.commands.some((c) => c.command === "relc.restartServer"));
  assert.equal(pkg.contributes.configuration.properties["relc.path"].default, "relc");
  const word = new RegExp(`^(?:${lang.wordPattern})$`);
  for (const w of ["deploy_web", "blue-green", "Build_2024", "AzureWebApp@1"]) assert.match(w, word);
  assert.doesNotMatch("env.app", word);
  assert.ok(lang.autoClosingPairs.some((p) => p.open === '"""'));
  const folding = lang.folding.markers;
  assert.match("stage Build {", new RegExp(folding.start));
  assert.match("  }", new RegExp(folding.end));
});
