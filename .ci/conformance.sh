#!/usr/bin/env bash
# Conformance of the examples with the Azure reference corpus.
#
# For every examples/*.release whose header says
#   // Reproduces shared/reference/azure/<path>.
# build it with the release binary and check the YAML with both tools of the
# shared corpus:
#   azure_equiv.py --cosmetic   same meaning as the reference, display names included
#   validate_azure_yaml.py      Azure's schema accepts it (warnings are fine)
# The rewrites of real pipelines in examples/corpus/*.release are compared
# with their reference as Azure would run it: both expanded by azure_expand.py
# --keep-external (templates inlined, `${{ }}` and runtime parameters
# evaluated with their defaults; templates of other repositories stay
# references), with the extra arguments of an `// Expand: ARGS` header line
# (`--name-map …`; a realworld2 pipeline gets its repository as template root).
# Then check that every examples/invalid/*.release is rejected, and that the
# learner pipeline of PR 180 (a stage after the missing stage `Test`) is
# rejected with a suggestion of `TestDeployment`.
#
# Prints one line per example; exits 1 if any check fails.
# Needs: target/release/relc (cargo build --release), python3 with pyyaml and
# jsonschema, and the corpus at ../shared/reference/azure (or $REFERENCE_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

relc="${CARGO_TARGET_DIR:-target}/release/relc"
reference=${REFERENCE_DIR:-../shared/reference/azure}
equiv=$reference/../../tools/azure_equiv.py
expand=$reference/../../tools/azure_expand.py
validate=$reference/validate_azure_yaml.py

if [ ! -x "$relc" ]; then
  echo "error: $relc not found; run \`cargo build --release\` first" >&2
  exit 2
fi
for f in "$reference" "$equiv" "$validate"; do
  if [ ! -e "$f" ]; then
    echo "error: $f not found (set REFERENCE_DIR to shared/reference/azure)" >&2
    exit 2
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
passed=0

fail() {
  echo "FAIL  $1: $2"
  if [ -n "${3:-}" ] && [ -s "$3" ]; then
    sed 's/^/      /' "$3"
  fi
  failures=$((failures + 1))
}

# The reference a file reproduces, from its leading comment block.
reference_of() {
  awk '
    /^[[:space:]]*\/\// {
      if (match($0, /Reproduces shared\/reference\/azure\/[^[:space:]]+\.ya?ml/)) {
        print substr($0, RSTART + length("Reproduces shared/reference/azure/"), RLENGTH - length("Reproduces shared/reference/azure/"))
        exit
      }
      next
    }
    /^[[:space:]]*$/ { next }
    { exit }
  ' "$1"
}

# The `// Expand: ARGS` line of a corpus rewrite's leading comment block.
expand_args_of() {
  awk '
    /^[[:space:]]*\/\// {
      if (match($0, /Expand: .*/)) { print substr($0, RSTART + 8); exit }
      next
    }
    /^[[:space:]]*$/ { next }
    { exit }
  ' "$1"
}

# Expand the reference of corpus rewrite $1 ($2: its path under the corpus) and
# relc's output $3 into $tmp/NAME.expected.yml and $tmp/NAME.actual.yml.
expand_pair() {
  local example=$1 ref=$2 out=$3 name log
  name=$(basename "$example" .release)
  log=$tmp/$name.expand.log
  local -a args
  read -r -a args <<<"$(expand_args_of "$example")"
  case $ref in
    realworld2/*) args+=(--template-root "$reference/$(echo "$ref" | cut -d/ -f1-2)") ;;
  esac
  if ! python3 "$expand" "$reference/$ref" --keep-external "${args[@]}" -o "$tmp/$name.expected.yml" >"$log" 2>&1; then
    fail "$example" "azure_expand.py cannot expand $ref" "$log"
    return 1
  fi
  if ! python3 "$expand" "$out" --keep-external -o "$tmp/$name.actual.yml" >"$log" 2>&1; then
    fail "$example" "azure_expand.py cannot expand relc's output" "$log"
    return 1
  fi
}

for example in examples/*.release examples/corpus/*.release; do
  [ -e "$example" ] || continue
  name=$(basename "$example" .release)
  ref=$(reference_of "$example")
  if [ -z "$ref" ]; then
    # No reference pipeline: the output must still be valid Azure YAML.
    out=$tmp/$name.yml
    log=$tmp/$name.log
    if ! "$relc" --color never build "$example" -o "$out" --checks "$tmp/$name.checks.json" >"$log" 2>&1; then
      fail "$example" "relc build failed" "$log"
    elif ! python3 "$validate" "$out" >"$log" 2>&1; then
      fail "$example" "validate_azure_yaml.py rejects the YAML" "$log"
    else
      echo "ok    $example (no reference; valid, $(grep -c '^  WARN' "$log" || true) schema warnings)"
      passed=$((passed + 1))
    fi
    continue
  fi
  if [ ! -f "$reference/$ref" ]; then
    fail "$example" "reference $reference/$ref does not exist"
    continue
  fi
  out=$tmp/$name.yml
  log=$tmp/$name.log
  if ! "$relc" --color never build "$example" -o "$out" >"$log" 2>&1; then
    fail "$example" "relc build failed" "$log"
    continue
  fi
  expected=$reference/$ref
  actual=$out
  case $example in
    examples/corpus/*)
      expand_pair "$example" "$ref" "$out" || continue
      expected=$tmp/$name.expected.yml
      actual=$tmp/$name.actual.yml
      ;;
  esac
  if ! python3 "$equiv" "$expected" "$actual" --cosmetic >"$log" 2>&1; then
    if python3 "$equiv" "$expected" "$actual" >/dev/null 2>&1; then
      fail "$example" "display names differ from $ref" "$log"
    else
      fail "$example" "not equivalent to $ref" "$log"
    fi
    continue
  fi
  if ! python3 "$validate" "$out" >"$log" 2>&1; then
    fail "$example" "validate_azure_yaml.py rejects the YAML" "$log"
    continue
  fi
  warnings=$(grep -c '^  WARN' "$log" || true)
  echo "ok    $example ≡ $ref (valid, $warnings schema warnings)"
  passed=$((passed + 1))
done

# Invalid examples must be rejected by `relc check` (exit 1: diagnostics).
for example in examples/invalid/*.release; do
  [ -e "$example" ] || continue
  log=$tmp/$(basename "$example" .release).check.log
  rc=0
  "$relc" --color never check "$example" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 1 ]; then
    fail "$example" "relc check exited $rc, expected 1 (rejected)" "$log"
    continue
  fi
  case $(basename "$example") in
    pr180-dangling-dependency.release)
      if ! grep -q 'E010' "$log" || ! grep -q 'TestDeployment' "$log"; then
        fail "$example" "rejected, but without E010 suggesting \`TestDeployment\`" "$log"
        continue
      fi
      echo "ok    $example rejected: E010, did you mean \`TestDeployment\`"
      ;;
    *)
      echo "ok    $example rejected"
      ;;
  esac
  passed=$((passed + 1))
done

if [ ! -e examples/invalid/pr180-dangling-dependency.release ]; then
  fail examples/invalid/pr180-dangling-dependency.release "missing"
fi

echo "conformance: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
