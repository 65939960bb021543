#!/usr/bin/env bash
# Runs the whole test suite under Deno, then under Bun, and prints one line with the
# totals of both runtimes: "N passed, N failed". Exits non-zero if either run fails.
# This is `npm test`, the README's test command and what .ci/run calls.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "== deno test"
# --doc also runs the @example blocks of the core modules.
deno test -A --parallel --doc tests/ mod.ts tensor/ layers/ losses/ optim/ data/ 2>&1 | tee "$log/deno.txt"
deno_status=${PIPESTATUS[0]}

echo "== bun test"
bun test --timeout 300000 tests/ 2>&1 | tee "$log/bun.txt"
bun_status=${PIPESTATUS[0]}

# Deno's summary: "ok | 12 passed | 0 failed | 1 ignored (3s)"; Bun's: " 12 pass", " 2 skip", " 0 fail".
count() { grep -Eo "$1" "$2" | tail -n 1 | grep -Eo '[0-9]+' || echo 0; }
deno_passed=$(count '[0-9]+ passed' "$log/deno.txt")
deno_failed=$(count '[0-9]+ failed' "$log/deno.txt")
bun_passed=$(count '^ *[0-9]+ pass$' "$log/bun.txt")
bun_failed=$(count '^ *[0-9]+ fail$' "$log/bun.txt")
# Deno prints "| N ignored" only when some test was skipped.
deno_skipped=$(grep -E '[0-9]+ passed' "$log/deno.txt" | tail -n 1 | grep -Eo '[0-9]+ ignored' | grep -Eo '[0-9]+' || echo 0)
bun_skipped=$(count '^ *[0-9]+ skip$' "$log/bun.txt")

echo "deno: $deno_passed passed, $deno_failed failed, $deno_skipped skipped (exit $deno_status)"
echo "bun: $bun_passed passed, $bun_failed failed, $bun_skipped skipped (exit $bun_status)"
# A runtime that exits non-zero with no failed test counted (crash, type error) counts as one failure.
[ "$deno_status" -ne 0 ] && [ "$deno_failed" -eq 0 ] && deno_failed=1
[ "$bun_status" -ne 0 ] && [ "$bun_failed" -eq 0 ] && bun_failed=1
echo "$((deno_passed + bun_passed)) passed, $((deno_failed + bun_failed)) failed, $((deno_skipped + bun_skipped)) skipped"
[ "$deno_status" -eq 0 ] && [ "$bun_status" -eq 0 ]
