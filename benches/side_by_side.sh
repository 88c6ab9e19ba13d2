#!/usr/bin/env bash
# Whole-command timings for BENCHMARKS.md: relc on the generated pipelines
# (templated and literal, 100 / 1,000 / 10,000 stages, build and check), the
# artifact chain, and jrsonnet writing the same YAML (../shared/bench/pipe_same.jsonnet).
#
#   benches/side_by_side.sh [OUT_DIR]
#
# Needs hyperfine and GNU time; jrsonnet is taken from $JRSONNET, else
# ~/.cache/relc-peers/bin/jrsonnet (see ../shared/bench/README.md to install it).
# Run it on an idle machine: the table quotes medians, and the jrsonnet ratio
# compares medians taken in alternating runs of one hyperfine invocation.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"
J=${JRSONNET:-$HOME/.cache/relc-peers/bin/jrsonnet}
JSONNET_SRC=../shared/bench/pipe_same.jsonnet

cargo build --release --quiet
cargo build --release --quiet --example gen_pipeline
R=./target/release/relc
G=./target/release/examples/gen_pipeline

for n in 100 1000 10000; do
  $G $n > "$out/lit$n.release"
  $G $n --templated > "$out/tpl$n.release"
done
# 8,000 stages in a chain, each downloading the artifact the first one publishes.
{
  echo 'artifact drop'
  echo 'stage S0 { job J { publish drop from "out" } }'
  for i in $(seq 1 7999); do
    echo "stage S$i after S$((i - 1)) { job J { download drop  script \"test\" } }"
  done
} > "$out/chain8000.release"

median() { # hyperfine JSON → median seconds of command $2
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"
}
cpu() { # hyperfine JSON → mean user+system seconds of command $2 (less sensitive to load)
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print(r["user"]+r["system"])' "$1" "$2"
}
peak() { # peak RSS in MiB of one run
  /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1/1024}'
}

echo "| input | stages | build median | check median | peak RSS (build) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for kind in tpl lit; do
  for n in 100 1000 10000; do
    runs=10; [ $n = 10000 ] && runs=3
    f="$out/$kind$n.release"
    hyperfine -N -w 1 -r $runs --export-json "$out/h.json" \
      "$R build $f -o $out/$kind$n.yml" "$R check $f" >/dev/null
    b=$(median "$out/h.json" 0); c=$(median "$out/h.json" 1)
    m=$(peak $R build "$f" -o "$out/$kind$n.yml")
    name=$([ $kind = tpl ] && echo templated || echo literal)
    printf "| %s | %s | %.3f s | %.3f s | %s MiB |\n" "$name" "$n" "$b" "$c" "$m"
  done
done
hyperfine -N -w 1 -r 5 --export-json "$out/h.json" "$R check $out/chain8000.release" >/dev/null
printf "| artifact chain | 8000 | – | %.3f s | %s MiB |\n" "$(median "$out/h.json" 0)" "$(peak $R check "$out/chain8000.release")"

if [ -x "$J" ] && [ -f "$JSONNET_SRC" ]; then
  echo
  echo "| same YAML, 1,000 stages | relc templated | relc literal | jrsonnet | jrsonnet / relc templated | jrsonnet / relc literal |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  hyperfine -N -w 2 -r 20 --export-json "$out/h.json" \
    "$R build $out/tpl1000.release -o $out/r.yml" \
    "$R build $out/lit1000.release -o $out/r2.yml" \
    "$J -S --max-stack 100000 --ext-str N=1000 $JSONNET_SRC -o $out/j.yml" >/dev/null
  t=$(median "$out/h.json" 0); l=$(median "$out/h.json" 1); j=$(median "$out/h.json" 2)
  printf "| median wall time | %.3f s | %.3f s | %.3f s | %.2f× | %.2f× |\n" "$t" "$l" "$j" \
    "$(python3 -c "print($j/$t)")" "$(python3 -c "print($j/$l)")"
  t=$(cpu "$out/h.json" 0); l=$(cpu "$out/h.json" 1); j=$(cpu "$out/h.json" 2)
  printf "| CPU time (user+sys) | %.3f s | %.3f s | %.3f s | %.2f× | %.2f× |\n" "$t" "$l" "$j" \
    "$(python3 -c "print($j/$t)")" "$(python3 -c "print($j/$l)")"
  printf "| peak RSS | %s MiB | %s MiB | %s MiB | | |\n" \
    "$(peak $R build "$out/tpl1000.release" -o "$out/r.yml")" \
    "$(peak $R build "$out/lit1000.release" -o "$out/r2.yml")" \
    "$(peak "$J" -S --max-stack 100000 --ext-str N=1000 "$JSONNET_SRC" -o "$out/j.yml")"
  echo
  echo "YAML lines: relc $(wc -l < "$out/r.yml"), jrsonnet $(wc -l < "$out/j.yml")"
else
  echo "(jrsonnet or $JSONNET_SRC not found: side-by-side skipped)"
fi
