#!/usr/bin/env bash
# Print what Neovim, set up as the README says, shows for a small broken file:
# Neovim runs with a UI inside a detached tmux session of 100x12, and the pane is
# captured as text once the diagnostics' virtual text is drawn. Regenerates the
# capture in README.md's Editors section. Needs nvim, tmux and a built relc.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
scratch="$(mktemp -d)"
session="relc-capture-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$scratch"' EXIT
touch "$scratch/.relc-root"
cat > "$scratch/pipeline.release" <<'RELEASE'
stage Build {
  job Compile { script = "make" }
}

stage Test after Biuld {
  job Unit { script "test" }
}
RELEASE
tmux new-session -d -s "$session" -x 100 -y 12 \
  "cd '$scratch' && PATH='$repo/target/debug':\$PATH nvim -u '$repo/tests/nvim/init.lua' -i NONE pipeline.release"
# Both diagnostics drawn (the file has two); a guard of 60 s against a hang.
for _ in $(seq 1 120); do
  if [ "$(tmux capture-pane -p -t "$session" | grep -c '■')" -ge 2 ]; then
    tmux capture-pane -p -t "$session"
    exit 0
  fi
  sleep 0.5
done
echo "error: no diagnostics drawn; the pane shows:" >&2
tmux capture-pane -p -t "$session" >&2
exit 1
