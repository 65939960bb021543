#!/usr/bin/env bash
# `npm run test:browser`: builds the pages' bundles (npm run build:web), runs the headless
# Chromium tests (page.browser.ts, playground.browser.ts) under Deno, and ends with one line for .ci/run's summary:
# "browser: N passed, N failed, N skipped" (the tests are steps of one Deno test).
set -uo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH" NO_COLOR=1
npm run --silent build:web || { echo "browser: 0 passed, 1 failed, 0 skipped (the build failed)"; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
deno test -A tests/browser/page.browser.ts tests/browser/playground.browser.ts 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Deno's summary: "ok | 1 passed (4 steps) | 0 failed" or "FAILED | 0 passed (3 steps) | 1 failed (1 step)".
summary=$(grep -E '[0-9]+ passed' "$log" | tail -n 1)
steps() { echo "$summary" | grep -Eo "$1 \([0-9]+ steps?\)" | grep -Eo '\([0-9]+' | tr -d '(' || true; }
passed=$(steps '[0-9]+ passed'); passed=${passed:-0}
failed=$(steps '[0-9]+ failed'); failed=${failed:-0}
# A skipped suite (no Chromium, no MNIST) is "1 ignored", with its reason printed by the test.
skipped=$(echo "$summary" | grep -Eo '[0-9]+ ignored' | grep -Eo '[0-9]+' || echo 0)
reason=$(grep -m 1 '^browser tests skipped:' "$log" | sed 's/^browser tests skipped: / (/; s/$/)/' || true)
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "browser: $passed passed, $failed failed, $skipped skipped$reason"
exit "$status"
