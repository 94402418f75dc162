#!/usr/bin/env bash
# `npm test`: every test, unit and integration, with the real engine and services. Installs what
# is missing (npm packages, the engine, Debian services) and starts the services first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prepare.sh
node bin/scripts/clean-test-leftovers.js
# The kubernetes tests run on the project's own cluster: build its binaries (and the Kubernetes
# provider) now, with progress, so a cold machine's half hour of Go builds is visible and cached.
bash cluster/build/build-cluster-binaries.sh kubernetes etcd traefik provider >/dev/null
node node_modules/eslint/bin/eslint.js . || { echo "lint failed (npm run lint)" >&2; exit 1; }

# Unit tests (Pulumi mocks) run one file per worker process so mocks never leak between files;
# integration tests share one machine's services and run one at a time.
# The unit run's timeout is generous on purpose: mocha's default (2 s) is a speed limit, not a hang
# guard, and on a loaded machine one-time costs under mocks (loading @pulumi/aws, the closure
# serializer's start) have taken longer; the target tests pay those in a `before` hook.
rm -f bin/.test-summary.json
rc=0
node node_modules/mocha/bin/mocha.js --parallel --jobs 2 --timeout 120000 --reporter ./bin/test/summary-reporter.js 'bin/test/unit/**/*.test.js' || rc=1
node node_modules/mocha/bin/mocha.js --timeout 600000 --reporter ./bin/test/summary-reporter.js 'bin/test/integration/**/*.test.js' || rc=1
node bin/test/print-summary.js
exit $rc
