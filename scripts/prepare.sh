# Sourced by test.sh, demo.sh and bench.sh: installs and starts what is missing (npm packages, the
# Debian services of the local target, the Pulumi engine) and compiles the TypeScript once, so the
# many engine runs that follow skip their own rebuild check.
node -e 'require("./scripts/engine-env").ensureInstalled(process.cwd())'
bash scripts/bootstrap-local.sh
engine_bin=$(node -e 'process.stdout.write(require("./scripts/engine-env").ensureEngine(process.cwd()) || "")')
[ -n "$engine_bin" ] && export RUNBOOK_ENGINE_BIN="$engine_bin"
node node_modules/typescript/bin/tsc -p tsconfig.json && date > bin/.build-stamp
export RUNBOOK_PREBUILT=1
