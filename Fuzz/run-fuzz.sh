#!/usr/bin/env bash
# make fuzz: builds the libFuzzer targets of Fuzz/Package.swift and runs each for
# FUZZ_SECONDS, one at a time, starting from its committed seeds (Fuzz/corpus/<target>)
# plus what earlier runs found (Fuzz/.work/corpus/<target>, not committed). Fails when
# any target crashes, leaks, trips the address sanitizer or a property, or times out on
# one input; the input is kept as Fuzz/findings/<target>-crash-… (or leak-, timeout-).
# Usage: Fuzz/run-fuzz.sh SECONDS [TARGET...]   (targets: csv jsonl gzip values config lock timestamp)
# FUZZ_NO_BUILD=1 runs the binaries already built.
set -u
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
targets=${*:-csv jsonl gzip values config lock timestamp}
swift=${SWIFT:-swift}

# Debug: assertions and exclusivity checks stay on. -enable-testing lets a target reach
# internal code (ValueConverter, LockInfo.decode) through @testable import.
# `--sanitize fuzzer` makes SwiftPM link for libFuzzer's main; the one -sanitize=fuzzer,address
# after it is what swiftc compiles with: it keeps only the last -sanitize= flag, so
# SwiftPM's `--sanitize fuzzer --sanitize address` (passed in no fixed order) left
# about half the modules without coverage instrumentation.
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    $swift build -c debug --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address \
        -Xswiftc -parse-as-library -Xswiftc -enable-testing || exit 2
fi

mkdir -p .work/corpus findings
# The Swift runtime's own crash handler would read memory after a crash and trip ASan
# again; libFuzzer's report is the one we want.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
status=0
summary=.work/summary-$(date +%Y%m%dT%H%M%S).tsv
printf 'target\tseconds\texecutions\tcoverage\tfeatures\tcorpus\tresult\n' > "$summary"
for target in $targets; do
    binary=.build/debug/fuzz-$target
    work=.work/corpus/$target
    mkdir -p "$work"
    case $target in
        csv|jsonl|gzip) max_len=12000 ;;
        config) max_len=8192 ;;
        *) max_len=4096 ;;
    esac
    log=.work/$target.log
    echo "== fuzz-$target for ${seconds}s (log: Fuzz/$log)"
    start=$(date +%s)
    "$binary" -max_total_time="$seconds" -max_len=$max_len -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="findings/$target-" "$work" "corpus/$target" > "$log" 2>&1
    code=$?
    elapsed=$(( $(date +%s) - start ))
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    coverage=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
    features=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    corpus=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<< "$last")
    if grep -q 'no interesting inputs were found' "$log"; then
        # No coverage feedback: the build lost its instrumentation; the run proves little.
        result=UNINSTRUMENTED
        status=1
    elif [ $code -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|PROPERTY FAILED|SUMMARY: ' "$log"; then
        result=FAILED
        status=1
        grep -E 'PROPERTY FAILED|ERROR:|SUMMARY:|Test unit written' "$log" | head -5 | sed 's/^/   /'
    else
        result=ok
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$elapsed" "${executions:-?}" "${coverage:-?}" "${features:-?}" "${corpus:-?}" "$result" >> "$summary"
    echo "   $result: ${elapsed}s, ${executions:-?} executions, cov ${coverage:-?}, ft ${features:-?}, corpus ${corpus:-?}"
done
column -t -s $'\t' "$summary"
exit $status
