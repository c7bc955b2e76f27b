#!/usr/bin/env bash
# npm test: vitest, then a plain "N passed, N failed" line so a run that executed nothing shows.
set -u
cd "$(dirname "$0")/.."
# The studio page is bundled first: its browser tests load studio/web/dist.
node --import tsx studio/web/build.ts || exit 1
out=$(mktemp -d)
npx vitest run --reporter=default --reporter=json --outputFile.json="$out/results.json" "$@"
code=$?
if [ -f "$out/results.json" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
    if (r.numTotalTests === 0) { console.error("no tests ran"); process.exit(1); }
  ' "$out/results.json" || code=1
else
  echo "0 passed, 0 failed"
  echo "vitest wrote no results" >&2
  [ "$code" -eq 0 ] && code=1
fi
rm -rf "$out"
exit $code
