#!/usr/bin/env bash
# The interpreter's overheads, as BENCHMARKS.md reports them:
#  1. per-step overhead: one job of 100 `true` script steps under `relc run`,
#     against 100 bare `bash --noprofile --norc FILE` spawns in a shell loop;
#  2. a skewed DAG (A1 0.2 s → A2 1 s, B1 1 s → B2 0.2 s; critical path 1.2 s)
#     under the ready-queue scheduler, against the same jobs forced into
#     levels (A2 and B2 after both A1 and B1: what a level-by-level scheduler does).
# Needs hyperfine (apt install hyperfine) and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
relc="$PWD/target/release/relc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{steps,dag,levels}
{
  echo 'stage S {'; echo '  job J {'
  for _ in $(seq 100); do echo '    script "true"'; done
  echo '  }'; echo '}'
} > "$work/steps/p.release"
cat > "$work/dag/p.release" <<'P'
stage S {
  job A1 { script "sleep 0.2" }
  job A2 after A1 { script "sleep 1" }
  job B1 { script "sleep 1" }
  job B2 after B1 { script "sleep 0.2" }
}
P
sed 's/after A1 {/after [A1, B1] {/; s/after B1 {/after [A1, B1] {/' "$work/dag/p.release" > "$work/levels/p.release"
echo true > "$work/true.sh"
hyperfine -w 2 -r 20 -N \
  "$relc run $work/steps/p.release --no-prompt" \
  "bash -c 'for i in \$(seq 100); do bash --noprofile --norc $work/true.sh; done'"
hyperfine -w 1 -r 10 -N \
  "$relc run $work/dag/p.release --no-prompt" \
  "$relc run $work/levels/p.release --no-prompt"
