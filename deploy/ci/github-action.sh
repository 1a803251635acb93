#!/usr/bin/env bash
# The scan step of the portdrift GitHub Action (action.yml at the repository root), kept in a
# file so it can be run and tested outside GitHub. Inputs arrive as PD_* environment variables
# (never spliced into the script, so an input cannot inject shell); results go to
# $GITHUB_OUTPUT (exit-code, findings, sarif-file) and, with PD_SUMMARY=true, the Markdown table
# to $GITHUB_STEP_SUMMARY. Exit: 0 no finding at or above fail-on, 2 findings (when PD_FAIL is
# true; 0 otherwise), 1 error.
set -uo pipefail

read -r -a paths <<<"${PD_PATHS:-.}"
args=()
read -r -a states <<<"${PD_STATE:-}"
for f in "${states[@]}"; do args+=(--state "$f"); done
[ -n "${PD_TARGETS:-}" ] && args+=(--targets "$PD_TARGETS")
[ -n "${PD_PORTS:-}" ] && args+=(--ports "$PD_PORTS")
[ -n "${PD_EXCLUDE:-}" ] && args+=(--exclude "$PD_EXCLUDE")
[ -n "${PD_FAIL_ON:-}" ] && args+=(--fail-on "$PD_FAIL_ON")
sarif="${PD_SARIF_FILE:-portdrift.sarif}"
out="${GITHUB_OUTPUT:-/dev/null}"

portdrift scan "${paths[@]}" "${args[@]}" --format sarif >"$sarif"
code=$?
echo "exit-code=$code" >>"$out"
echo "sarif-file=$sarif" >>"$out"
if [ "$code" -eq 1 ]; then
  echo "::error title=portdrift::the scan failed (see the log above)"
  exit 1
fi
findings=$(node -e 'const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(l.runs.reduce((n, r) => n + r.results.length, 0))' "$sarif")
echo "findings=$findings" >>"$out"

# The table for the job summary: a second scan (no command renders saved findings into Markdown).
if [ "${PD_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  portdrift scan "${paths[@]}" "${args[@]}" --format markdown >>"$GITHUB_STEP_SUMMARY" || true
fi

if [ "$code" -eq 2 ]; then
  echo "::warning title=portdrift::$findings finding(s) at or above ${PD_FAIL_ON:-any}: see $sarif and the job summary"
  [ "${PD_FAIL:-true}" = true ] && exit 2
fi
exit 0
