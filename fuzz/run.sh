#!/usr/bin/env bash
# Coverage-guided fuzzing of relc with cargo-afl (docs/fuzzing.md).
#
#   fuzz/run.sh [SECONDS]    fuzz for SECONDS (default 60) on one core, then report
#
# Gathers the seed corpus (every .release file of examples/, examples/invalid/, tests/ui/,
# stdlib/) into fuzz/seeds/, builds the instrumented target, runs `cargo afl fuzz` and prints
# execs_done, corpus size and saved crashes and hangs from out/default/fuzzer_stats.
# Exits non-zero when AFL saved a crash or a hang. Set RELC_FUZZ_RESUME=1 to continue a previous
# run in out/ instead of starting over (a fresh run moves the previous out/ to out.prev/).
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$here"

rm -rf seeds
mkdir seeds
for dir in examples examples/invalid tests/ui stdlib; do
    for f in "$root/$dir"/*.release; do
        # Names are unique within a directory, not across them.
        cp "$f" "seeds/$(echo "${dir}" | tr / -)--$(basename "$f")"
    done
done

cargo afl build --release

# In a container the CPU governor and the core-dump pattern cannot be changed.
export AFL_SKIP_CPUFREQ=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1
input=(-i seeds)
if [[ "${RELC_FUZZ_RESUME:-0}" == 1 && -d out/default ]]; then
    input=(-i -)
elif [[ -d out ]]; then
    # A fresh run; the previous one stays in out.prev/ until the next.
    rm -rf out.prev
    mv out out.prev
fi
# -t: a hang is an input that takes longer than 2 s (release build; seeds take milliseconds).
cargo afl fuzz "${input[@]}" -o out -x release.dict -t 2000 -V "$seconds" target/release/compile \
    || echo "afl-fuzz exited with status $?" >&2

stats=out/default/fuzzer_stats
if [[ ! -f "$stats" ]]; then
    echo "no $stats: AFL did not start" >&2
    exit 2
fi
grep -E '^(start_time|last_update|run_time|execs_done|execs_per_sec|corpus_count|corpus_found|bitmap_cvg|saved_crashes|saved_hangs|stability) ' "$stats"
crashes=$(awk '$1 == "saved_crashes" { print $3 }' "$stats")
hangs=$(awk '$1 == "saved_hangs" { print $3 }' "$stats")
if [[ "$crashes" != 0 || "$hangs" != 0 ]]; then
    echo "AFL saved $crashes crash(es) and $hangs hang(s): see $here/out/default/crashes and hangs" >&2
    exit 1
fi
