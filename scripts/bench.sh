#!/usr/bin/env bash
# `npm run bench`: the benchmark suite (not part of `npm test`). Bootstraps like scripts/test.sh
# (npm packages, the Debian services, the engine, the TypeScript build), then runs bench/run.ts,
# which prints a table and writes bench/results/latest.json. Arguments go to bench/run.ts
# (`npm run bench -- --help`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -f node_modules/@pulumi/pulumi/package.json ] || npm ci --no-audit --no-fund
bash scripts/bootstrap-local.sh
engine_bin=$(node -e 'process.stdout.write(require("./scripts/engine-env").ensureEngine(process.cwd()) || "")')
[ -n "$engine_bin" ] && export RUNBOOK_ENGINE_BIN="$engine_bin"
node node_modules/typescript/bin/tsc -p tsconfig.json && date > bin/.build-stamp
exec node bin/bench/run.js "$@"
