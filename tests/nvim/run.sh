#!/usr/bin/env bash
# Headless Neovim, configured with exactly the README's setup (tests/nvim/init.lua,
# checked against README.md here), opens a file with two syntax errors and an
# unknown stage; the diagnostics `relc lsp` publishes must reach the buffer at
# the right places. Needs `nvim` (0.7 or newer) and python3. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"

command -v nvim >/dev/null || { echo "error: nvim not found (apt-get install -y neovim)" >&2; exit 1; }
cargo build --quiet
export PATH="$PWD/target/debug:$PATH"

# init.lua must be the README snippet, byte for byte (the README indents it by two).
python3 - <<'PY'
import re, sys
readme = open("README.md", encoding="utf-8").read()
m = re.search(r"<!-- nvim-setup -->\n\s*```lua\n(.*?)\n\s*```\n", readme, re.S)
if not m:
    sys.exit("README.md: no ```lua block after <!-- nvim-setup -->")
snippet = "\n".join(l[2:] if l.startswith("  ") else l for l in m.group(1).split("\n")) + "\n"
init = open("tests/nvim/init.lua", encoding="utf-8").read()
if snippet != init:
    sys.exit("tests/nvim/init.lua differs from the Neovim setup in README.md")
PY

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/project/pipelines"
touch "$scratch/project/.relc-root"
# A `.git` file (as in a git worktree) further up: the nearer marker wins.
touch "$scratch/.git"
# The file sits one folder below the root, so the root must be found upward.
cat > "$scratch/project/pipelines/broken.release" <<'RELEASE'
stage Build {
  job Compile { script = "make" }
}

stage Test after Biuld {
  job Unit { script "test" }
}

stage Deploy after Test {
  job Ship { script "ship" ]
}
RELEASE

# `timeout` only guards against a hang; diagnostics.lua has its own wait.
(cd "$scratch/project/pipelines" &&
  RELC_NVIM_OUT="$scratch/out.json" timeout 180 \
    nvim --headless -u "$repo/tests/nvim/init.lua" broken.release \
    -c "luafile $repo/tests/nvim/diagnostics.lua")

python3 - "$scratch/out.json" "$scratch/project" <<'PY'
import json, os, sys
out = json.load(open(sys.argv[1]))
root = os.path.realpath(sys.argv[2])
assert out["filetype"] == "release", out
assert out["arrived"], f"no diagnostics reached the buffer: {out}"
assert [os.path.realpath(r) for r in out["roots"]] == [root], (out["roots"], root)
got = [(d["lnum"], d["col"], d["code"]) for d in out["diagnostics"]]
want = [(1, 23, "E001"), (4, 17, "E010"), (9, 27, "E001")]
assert got == want, f"got {got}, want {want}"
messages = [d["message"] for d in out["diagnostics"]]
assert messages[0] == "expected a value, found `=`", messages[0]
assert "unknown stage `Biuld`" in messages[1], messages[1]
assert messages[2].endswith("found `]`"), messages[2]
print("nvim: ok,", len(got), "diagnostics at the expected places")
PY
