#!/usr/bin/env python3
"""Read relc's YAML back with PyYAML (YAML 1.1: its own loader, and libyaml's
when available) and check every string.

Usage: yaml11_roundtrip.py DIR

DIR holds NAME.yml files written by relc and, beside each, NAME.json: a list
of {"what", "path", "value"} or {"what", "path", "keys"}, where "path" is a
list of mapping keys (strings) and sequence indices (integers) into the
document. A "value" must read back as exactly that string (a str, not a
bool, number, date or null); "keys" must be the keys of the mapping there,
in order, each a str. Written by tests/yaml_strings.rs, which runs this.

Exit 0 when every position reads back, 1 otherwise (the first failures are
printed), 2 on a usage error.
"""

import json
import os
import sys

import yaml


def lookup(doc, path):
    node = doc
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise KeyError(f"no item {step} in {type(node).__name__}")
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                raise KeyError(f"no key {step!r} in {type(node).__name__}")
            node = node[step]
    return node


# PyYAML's own loader, and libyaml's when PyYAML was built with it: both
# resolve YAML 1.1's types, but they scan the text separately.
LOADERS = [("PyYAML", yaml.SafeLoader)]
if yaml.__with_libyaml__:
    LOADERS.append(("libyaml", yaml.CSafeLoader))


def check(yml_path, expectations):
    """The problems of one file, as strings."""
    with open(yml_path, encoding="utf-8", newline="") as f:
        text = f.read()
    problems = []
    for name, loader in LOADERS:
        problems.extend(f"{name}: {p}" for p in check_with(loader, text, expectations))
    return problems


def check_with(loader, text, expectations):
    try:
        docs = list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError as e:
        return [f"does not parse: {e}"]
    if len(docs) != 1:
        return [f"{len(docs)} documents"]
    problems = []
    for want in expectations:
        try:
            got = lookup(docs[0], want["path"])
        except KeyError as e:
            problems.append(f"{want['what']}: {e}")
            continue
        if "value" in want:
            if type(got) is not str or got != want["value"]:
                problems.append(
                    f"{want['what']}: read {got!r} ({type(got).__name__}), want {want['value']!r}"
                )
        else:
            keys = list(got.keys()) if isinstance(got, dict) else got
            if keys != want["keys"] or not all(type(k) is str for k in keys):
                problems.append(f"{want['what']}: keys {keys!r}, want {want['keys']!r}")
    return problems


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print(__doc__, file=sys.stderr)
        return 2
    directory = argv[1]
    names = sorted(n[: -len(".yml")] for n in os.listdir(directory) if n.endswith(".yml"))
    failed = 0
    for name in names:
        with open(os.path.join(directory, name + ".json"), encoding="utf-8") as f:
            expectations = json.load(f)
        problems = check(os.path.join(directory, name + ".yml"), expectations)
        if problems:
            failed += 1
            if failed <= 5:
                print(f"{name}.yml:")
                for p in problems:
                    print(f"  {p}")
    loaders = " and ".join(name for name, _ in LOADERS)
    print(f"PyYAML {yaml.__version__} ({loaders}): {len(names)} files, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
