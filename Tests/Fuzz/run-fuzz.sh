#!/usr/bin/env bash
# Runs the libFuzzer build of vigil-fuzz on each target for SECONDS, keeping new corpus entries in
# SCRATCH/corpus/TARGET and crash inputs in SCRATCH/crashes, and appends one JSON line per target to
# SCRATCH/fuzz-results.jsonl (target, seconds, executions, status). Exits non-zero if any target crashed.
# Usage: run-fuzz.sh SCRATCH SECONDS TARGET...
set -u
scratch=$1 seconds=$2
shift 2
mkdir -p "$scratch/crashes"
failed=0
for target in "$@"; do
  mkdir -p "$scratch/corpus/$target"
  echo "fuzzing $target for $seconds s"
  VIGIL_FUZZ_TARGET="$target" "$scratch/debug/vigil-fuzz" -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 \
    -artifact_prefix="$scratch/crashes/$target-" -print_final_stats=1 \
    "$scratch/corpus/$target" "Tests/Fuzz/Corpus/$target" "Tests/Fuzz/Regressions/$target" \
    > "$scratch/$target.log" 2>&1
  rc=$?
  executions=$(grep -oP '(?<=^stat::number_of_executed_units: )[0-9]+' "$scratch/$target.log" || echo 0)
  status=ok
  if [ $rc -ne 0 ]; then status=crash; failed=1; grep -E "SUMMARY|ERROR|Fatal" "$scratch/$target.log" | head -5; fi
  echo "  $target: $executions executions, $status"
  printf '{"target":"%s","seconds":%s,"executions":%s,"status":"%s","finished":"%s"}\n' "$target" "$seconds" \
    "${executions:-0}" "$status" "$(date -u '+%Y-%m-%d %H:%M UTC')" >> "$scratch/fuzz-results.jsonl"
done
ls "$scratch/crashes"
exit $failed
