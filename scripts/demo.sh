#!/usr/bin/env bash
# `npm run demo`: bootstrap what is missing, then run the runbook's blue/green flow on the local stack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prepare.sh
node bin/scripts/demo.js "$@"
