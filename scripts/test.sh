#!/usr/bin/env bash
# `npm test`: every test, unit and integration, with the real engine and services. Installs what
# is missing (npm packages, the engine, Debian services) and starts the services first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
phase() { echo "npm test: $1 ($((SECONDS - start)) s since the start)"; }
CLUSTER_PARTS=(kubernetes etcd traefik provider)
# A cold machine spends most of its set-up downloading and compiling the cluster's Go modules: the
# downloads start now, beside the npm install and the engine build.
bash cluster/build/prefetch-modules.sh "${CLUSTER_PARTS[@]}"
source scripts/prepare.sh
node bin/scripts/clean-test-leftovers.js
phase "prepared"
# Integration tests in two lanes. The kubernetes file spends most of its time waiting on the
# cluster (pods starting, weights reaching Traefik) and shares nothing with the others but this
# machine's PostgreSQL and Redis, which no test stops (the fault tests stop copies of their own),
# so it runs beside them. The local files share nothing either but the services (each has its own
# ports, stacks, supervisord programs and scrape files; the fault tests stop private copies), so
# when the cluster's binaries are cached the lane that runs the kubernetes file takes some of them
# after it, to even out the two lanes: those that judge no latency (faults, policies and backups,
# the supervisor, the sample service, the upgrade), while the gate, rollout, dashboard and load
# tests stay in the other lane. On a cold machine that lane is the long one (the builds), so the
# local lane keeps them; it decides when it starts and tells the other lane in a file. The lane's
# output is kept in a file and printed when both lanes are done.
# The kubernetes lane first builds the cluster's binaries and the Kubernetes provider (cached
# outside the repo; a cold machine's half hour of Go builds, with progress on stderr). It starts
# before the unit tests so that on a cold machine the compile overlaps them and the local lane;
# at the lowest CPU priority, so the tests' timings keep the CPU they need.
KUBE_TEST=bin/test/integration/kubernetes-cluster.test.js
BESIDE_TESTS=(bin/test/integration/{faults,policies-backup,supervisor,sample-service,upgrade,troubleshooting}.test.js)
KUBE_LOG=bin/.kubernetes-test.log
CLUSTER_READY=bin/.cluster-binaries-ready
BESIDE_LANE=bin/.beside-tests-lane
rm -f bin/.test-summary.*.json "$CLUSTER_READY" "$BESIDE_LANE"
: >"$KUBE_LOG"
mocha_run() { node node_modules/mocha/bin/mocha.js --timeout 600000 --reporter ./bin/test/summary-reporter.js "$@"; }
(
  lane_rc=0
  if nice -n 19 bash cluster/build/build-cluster-binaries.sh "${CLUSTER_PARTS[@]}" >/dev/null; then
    : >"$CLUSTER_READY"
    phase "cluster binaries ready; kubernetes tests start"
    mocha_run "$KUBE_TEST" >>"$KUBE_LOG" 2>&1 || lane_rc=1
  else
    echo "npm test: the cluster's binaries did not build (see the cluster build lines above)" | tee -a "$KUBE_LOG" >&2
    lane_rc=1
  fi
  until [[ -s $BESIDE_LANE ]]; do sleep 1; done
  if [[ $(cat "$BESIDE_LANE") == kubernetes ]]; then
    phase "kubernetes tests done; ${BESIDE_TESTS[*]} start in the same lane" | tee -a "$KUBE_LOG"
    mocha_run "${BESIDE_TESTS[@]}" >>"$KUBE_LOG" 2>&1 || lane_rc=1
  fi
  exit $lane_rc
) &
kube=$!
# The lane's build or mocha goes with this script. Under `set -e` a failing command in the trap
# would become the script's exit status: when the lane is already done, there is nothing to kill.
trap 'pkill -TERM -P "$kube" 2>/dev/null || true; kill "$kube" 2>/dev/null || true' EXIT

# The dashboard's end-to-end test drives Debian's Chromium (through playwright-core).
if ! command -v chromium >/dev/null; then
  echo "npm test: installing chromium for the dashboard test (apt)"
  root=(); [[ $(id -u) == 0 ]] || root=(sudo -n)
  "${root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends chromium >/dev/null ||
    { "${root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null && "${root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends chromium >/dev/null; }
fi
node node_modules/eslint/bin/eslint.js . || { echo "lint failed (npm run lint)" >&2; exit 1; }

# Unit tests (Pulumi mocks) run one file per worker process so mocks never leak between files.
# The unit run's timeout is generous on purpose: mocha's default (2 s) is a speed limit, not a hang
# guard, and on a loaded machine one-time costs under mocks (loading @pulumi/aws, the closure
# serializer's start) have taken longer; the target tests pay those in a `before` hook.
rc=0
phase "unit tests start"
node node_modules/mocha/bin/mocha.js --parallel --jobs 2 --timeout 120000 --reporter ./bin/test/summary-reporter.js 'bin/test/unit/**/*.test.js' || rc=1
phase "unit tests done"

ignore=(--ignore "$KUBE_TEST")
if [[ -e $CLUSTER_READY ]]; then
  for f in "${BESIDE_TESTS[@]}"; do ignore+=(--ignore "$f"); done
  echo kubernetes >"$BESIDE_LANE"
else
  echo local >"$BESIDE_LANE"
fi
mocha_run "${ignore[@]}" 'bin/test/integration/**/*.test.js' || rc=1
phase "local integration tests done"
wait "$kube" || rc=1
echo "---- the kubernetes lane: $KUBE_TEST$([[ $(cat "$BESIDE_LANE") == kubernetes ]] && echo ", then ${BESIDE_TESTS[*]}") (ran beside the tests above) ----"
cat "$KUBE_LOG"
phase "the kubernetes lane done"
node bin/test/print-summary.js
exit $rc
