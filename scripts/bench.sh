#!/usr/bin/env bash
# `npm run bench`: the benchmark suite (not part of `npm test`). Bootstraps like scripts/test.sh
# (npm packages, the Debian services, the engine, the TypeScript build), then runs bench/run.ts,
# which prints a table and writes bench/results/latest.json. Arguments go to bench/run.ts
# (`npm run bench -- --help`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prepare.sh
exec node bin/bench/run.js "$@"
