#!/usr/bin/env bash
# Runs each libFuzzer binary built by `make fuzz` for a while and sums up.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
#
# Each target fuzzes its own copy of its corpus, BUILD_DIR/corpus-TARGET
# (seeded from tests/fuzz/corpus/TARGET and tests/fuzz/regressions/TARGET,
# and kept between runs, so coverage grows), never the repository's. Its
# log is BUILD_DIR/TARGET.log; a crash, leak or timeout leaves the input in
# BUILD_DIR/TARGET-crash-* (or -leak-, -timeout-, -oom-). Prints the
# executions of each target and a total, and fails if any target failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
if [ $# -lt 3 ]; then
	echo "usage: $0 BUILD_DIR SECONDS TARGET..." >&2
	exit 2
fi
build=$1
seconds=$2
shift 2

total=0
failed=""
for t in "$@"; do
	corpus=$build/corpus-$t
	log=$build/$t.log
	mkdir -p "$corpus"
	for seed in tests/fuzz/corpus/$t tests/fuzz/regressions/$t; do
		if [ -d "$seed" ]; then
			cp -- "$seed"/* "$corpus"/ 2>/dev/null || true
		fi
	done
	echo "fuzz: $t for ${seconds}s (log: $log)"
	LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
		"$build/$t" -max_total_time="$seconds" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$build/$t-" \
		-print_final_stats=1 "$corpus" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	if [ -z "$runs" ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' \
			"$log" | tail -n 1)
	fi
	runs=${runs:-0}
	total=$((total + runs))
	if [ "$rc" -ne 0 ]; then
		failed="$failed $t"
		echo "fuzz: $t: FAILED (exit $rc) after $runs executions; from $log:"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|artifact_prefix|Test unit written)' \
			"$log" | head -n 20
	else
		echo "fuzz: $t: $runs executions, no crash"
	fi
done
echo "fuzz: total $total executions over $# targets (${seconds}s each)"
if [ -n "$failed" ]; then
	echo "fuzz: crashed:$failed (inputs in $build/)" >&2
	exit 1
fi
