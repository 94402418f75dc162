#!/usr/bin/env bash
# `npm run demo`: bootstrap what is missing, then run the runbook's blue/green flow on the local stack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f node_modules/@pulumi/pulumi/package.json ] || npm ci --no-audit --no-fund
bash scripts/bootstrap-local.sh
node scripts/pulumi.js version >/dev/null # builds the engine on first use
node node_modules/typescript/bin/tsc -p tsconfig.json && date > bin/.build-stamp
node bin/scripts/demo.js "$@"
