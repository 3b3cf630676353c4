#!/usr/bin/env bash
# Runs every test of the repo on this machine (as root): installs what the tests need, builds,
# lints, checks the generated CRI code is current and that every published package packs with
# valid exports and types (publint) and that every package changed since the last release has a
# changeset, then runs all vitest projects (unit + e2e).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh --test
pnpm install --frozen-lockfile
pnpm exec turbo run build lint
pnpm gen:check
pnpm format:check
pnpm check:packages
pnpm check:changesets

report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
# One closing line that any CI can read; a file that could not run at all fails the run too.
if ! node scripts/test-summary.mjs "$report" && [ "$status" -eq 0 ]; then status=1; fi
exit "$status"
