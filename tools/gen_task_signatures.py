#!/usr/bin/env python3
"""Generate `src/check/tasks/signatures.rs`: the signatures of the in-box Azure
Pipelines tasks, as static Rust tables, from `tasks.json`.

`tasks.json` (in `../shared/reference/azure/`, next to the repository; users of
relc do not have it, which is why its contents are checked in as Rust) maps
`Name@Major` to the task's name, version, friendly name, description, `runsOn`,
`deprecated` and inputs (name, aliases, type, label, required, defaultValue,
options, visibleRule, groupVisibleRule, editableOptions, multiSelect,
helpMarkDown), taken from microsoft/azure-pipelines-tasks.

Usage (from the repository root):

    python3 tools/gen_task_signatures.py ../shared/reference/azure/tasks.json \
        > src/check/tasks/signatures.rs

    # or check that the checked-in file is up to date (exit 1 if not):
    python3 tools/gen_task_signatures.py ../shared/reference/azure/tasks.json \
        --check src/check/tasks/signatures.rs

The output is deterministic (tasks sorted by lower-cased `name@major`, the key
`relc::check::tasks::find` binary-searches; inputs in the task's own order) and
is not touched by `cargo fmt` (`#[rustfmt::skip]` on its `mod` item), so
`tests` can compare it byte for byte with a fresh run
(`check::tasks::tests::generated_file_is_up_to_date`).

What is kept of each input is what the checker and the language server use:
the option keys (not their labels) of pick lists and radio buttons, the
visibleRule and groupVisibleRule text as written (the checker parses it), and
a short help: the first sentence of helpMarkDown with Markdown links reduced
to their text, or the label when there is no help.
"""

import json
import re
import sys
import unicodedata

HELP_MAX = 200

# Inputs that task.json marks `required` but whose task reads them as optional
# at run time (`tl.getInput(name, false)`), checked in the task's source at the
# snapshot of tasks.json. `required` in task.json is a rule of the classic
# editor; for YAML only the task's code decides. These are generated as not
# required, so the checker does not report them missing (E134).
READ_AS_OPTIONAL = {
    # taskparameters.ts: `WebAppKind: tl.getInput('appType', false)`, then the
    # kind is read from the app itself (getWebAppKind). The Tailspin pipelines
    # of Microsoft Learn deploy with AzureWebApp@1 and no appType.
    ("AzureWebApp", 1, "appType"),
    ("AzureFunctionApp", 1, "appType"),
    ("AzureFunctionApp", 2, "appType"),
}


def rust_str(s):
    """A Rust string literal of `s` (escapes for quotes, backslashes, control characters)."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or unicodedata.category(ch) == "Cf":
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def one_line(s):
    """Text on one line: whitespace collapsed, invisible characters (zero-width spaces) dropped."""
    s = "".join(ch for ch in (s or "") if unicodedata.category(ch) != "Cf")
    return re.sub(r"\s+", " ", s).strip()


def short_help(markdown, label):
    """The first sentence of the help, links reduced to their text; the label if there is none."""
    text = one_line(markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url) -> text
    text = re.sub(r"<[^>]+>", "", text) if "</" in text or "<br" in text else text
    text = text.replace("**", "").strip()
    if not text:
        return one_line(label)
    for m in re.finditer(r"\.\s", text):
        head = text[: m.start()]
        if m.start() >= 20 and not re.search(r"(\be\.g|\bi\.e|\betc|\bex|\bvs|\.\w+)$", head):
            text = head + "."
            break
    if len(text) > HELP_MAX:
        cut = text[:HELP_MAX].rsplit(" ", 1)[0]
        text = cut.rstrip(",;:") + "…"
    return text


def runs_on_bits(runs_on):
    # Azure's default when a task says nothing: Agent and DeploymentGroup.
    names = runs_on if runs_on else ["Agent", "DeploymentGroup"]
    bits = []
    for n in names:
        key = n.lower()
        bits.append(
            {
                "agent": "AGENT",
                "deploymentgroup": "DEPLOYMENT_GROUP",
                "machinegroup": "DEPLOYMENT_GROUP",
                "server": "SERVER",
                "servergate": "SERVER_GATE",
            }[key]
        )
    seen = []
    for b in bits:
        if b not in seen:
            seen.append(b)
    return " | ".join(seen)


def flags(inp, optional):
    f = []
    if inp.get("required") and not optional:
        f.append("REQUIRED")
    if inp.get("editableOptions") in (True, "True", "true"):
        f.append("EDITABLE")
    if inp.get("multiSelect") in (True, "True", "true"):
        f.append("MULTI")
    return " | ".join(f) if f else "0"


def str_list(items):
    return "&[" + ", ".join(rust_str(i) for i in items) + "]"


def generate(data):
    tasks = data["tasks"]
    source = data.get("source", {})
    schema = data.get("schema", {})
    entries = []
    for key, t in tasks.items():
        major = int(str(t["version"]).split(".")[0])
        entries.append((f"{t['name'].lower()}@{major}", major, t))
    entries.sort(key=lambda e: e[0])
    keys = [e[0] for e in entries]
    assert len(set(keys)) == len(keys), "two tasks with the same lower-cased name@major"
    n_inputs = sum(len(t["inputs"]) for _, _, t in entries)

    out = []
    w = out.append
    w("// @generated by tools/gen_task_signatures.py from tasks.json; do not edit by hand.")
    w("//")
    w(
        f"// Source: {source.get('repo', '?')} at {source.get('commit', '?')} ({source.get('date', '?')}, "
        f"{source.get('license', '?')} licence); schema {schema.get('file', '?')} {schema.get('comment', '')}."
    )
    w(f"// {len(entries)} task versions, {n_inputs} inputs.")
    w("// Not required here though task.json says so (the task reads them as optional):")
    for name, major, inp in sorted(READ_AS_OPTIONAL):
        w(f"// {name}@{major} {inp}.")
    w("//")
    w("// Regenerate from the repository root:")
    w("//   python3 tools/gen_task_signatures.py ../shared/reference/azure/tasks.json > src/check/tasks/signatures.rs")
    w("")
    w("use super::{AGENT, DEPLOYMENT_GROUP, EDITABLE, Input, MULTI, REQUIRED, SERVER, SERVER_GATE, Task};")
    w("")
    w("/// Every in-box task version, sorted by `key` (lower-cased `name@major`).")
    w("pub static TASKS: &[Task] = &[")
    for key, major, t in entries:
        w("    Task {")
        w(f"        key: {rust_str(key)},")
        w(f"        name: {rust_str(t['name'])},")
        w(f"        major: {major},")
        w(f"        version: {rust_str(str(t['version']))},")
        w(f"        friendly_name: {rust_str(one_line(t.get('friendlyName')))},")
        w(f"        description: {rust_str(one_line(t.get('description')))},")
        w(f"        runs_on: {runs_on_bits(t.get('runsOn'))},")
        w(f"        deprecated: {'true' if t.get('deprecated') else 'false'},")
        w("        inputs: &[")
        for i in t["inputs"]:
            opts = list((i.get("options") or {}).keys()) if isinstance(i.get("options"), dict) else []
            w(
                "            Input { "
                f"name: {rust_str(i['name'])}, "
                f"aliases: {str_list(i.get('aliases') or [])}, "
                f"ty: {rust_str(i.get('type') or 'string')}, "
                f"flags: {flags(i, (t['name'], major, i['name']) in READ_AS_OPTIONAL)}, "
                f"default: {rust_str(str(i.get('defaultValue') if i.get('defaultValue') is not None else ''))}, "
                f"options: {str_list(opts)}, "
                f"visible_rule: {rust_str(one_line(i.get('visibleRule')))}, "
                f"group_rule: {rust_str(one_line(i.get('groupVisibleRule')))}, "
                f"label: {rust_str(one_line(i.get('label')))}, "
                f"help: {rust_str(short_help(i.get('helpMarkDown'), i.get('label')))} "
                "},"
            )
        w("        ],")
        w("    },")
    w("];")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--check"):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        data = json.load(f)
    text = generate(data)
    if len(argv) == 4:
        with open(argv[3], encoding="utf-8") as f:
            current = f.read()
        if current != text:
            sys.stderr.write(f"{argv[3]} is not what {argv[1]} generates; regenerate it\n")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
