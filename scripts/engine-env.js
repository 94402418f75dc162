// Shared by scripts/pulumi.js and the test harness: find or build the engine, install packages,
// compile the TypeScript, and compute the environment the engine runs with.
// Plain JavaScript for the same reason as scripts/pulumi.js: it runs before the build.
"use strict";
const { execFileSync, spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

/** The one place the engine version is pinned: engine/go.mod. */
function pinnedEngineVersion(root) {
  const gomod = fs.readFileSync(path.join(root, "engine", "go.mod"), "utf8");
  const m = /github\.com\/pulumi\/pulumi\/pkg\/v3 (v\S+)/.exec(gomod);
  if (!m) throw new Error("engine/go.mod does not pin github.com/pulumi/pulumi/pkg/v3");
  return m[1];
}

/** A passphrase for throwaway stacks only (local, demo and test stacks); others must bring one. */
const THROWAWAY_PASSPHRASE = "deployment-runbook-throwaway-stack";
const THROWAWAY_STACK = /^(local|kube|demo|test-[\w-]+|bench-[\w-]+)$/;

function ensureInstalled(root) {
  // Keyed by the lockfile, so a checkout that gained a dependency installs it.
  const lock = require("crypto").createHash("sha256").update(fs.readFileSync(path.join(root, "package-lock.json"))).digest("hex");
  const stamp = path.join(root, "node_modules", ".runbook-lock-sha256");
  const installed = fs.existsSync(path.join(root, "node_modules", "@pulumi", "pulumi", "package.json"));
  if (installed && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8").trim() === lock) return;
  console.error(`installing npm packages (npm ci${installed ? ": package-lock.json changed" : ""})...`);
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm ci failed");
  fs.writeFileSync(stamp, `${lock}\n`);
}

/** Returns a bin folder to put first on PATH, or undefined when a matching pulumi is already there. */
function ensureEngine(root) {
  const version = pinnedEngineVersion(root);
  if (process.env.RUNBOOK_ENGINE_BIN) return process.env.RUNBOOK_ENGINE_BIN;
  try {
    const onPath = execFileSync("pulumi", ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (onPath === version) return undefined;
  } catch {
    // not on PATH: build it
  }
  const out = execFileSync("bash", [path.join(root, "engine", "build-engine.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const bin = out.trim().split("\n").pop();
  process.env.RUNBOOK_ENGINE_BIN = bin; // children (the test harness) reuse it without checking again
  return bin;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "bin" || entry.name.startsWith(".")) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith(".ts") || entry.name === "tsconfig.json") newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Compiles the TypeScript when any source is newer than the last build. */
function ensureBuilt(root) {
  // `npm test` and the benchmark compile once up front; their many engine runs skip the check.
  if (process.env.RUNBOOK_PREBUILT === "1") return;
  const stamp = path.join(root, "bin", ".build-stamp");
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  if (newestMtime(root) <= built) return;
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", root], {
    cwd: root,
    stdio: "inherit",
  });
  if (r.status !== 0) throw new Error("TypeScript build failed (npm run build)");
  fs.writeFileSync(stamp, new Date().toISOString());
}

/**
 * The file backend's URL for a folder. `metadata=skip` stops gocloud's fileblob from writing a
 * `.attrs` sidecar next to every state file: it writes the state itself atomically (temp file and
 * rename) but truncates and rewrites the sidecar in place, so an `up` killed at that moment left an
 * empty sidecar and every later command failed with "failed to load checkpoint: EOF".
 */
function fileBackendUrl(dir) {
  return `file://${dir}?metadata=skip`;
}

/** The state root, as components/state-dir.ts computes it (this file runs before the build). */
function stateRoot() {
  const explicit = process.env.RUNBOOK_STATE_DIR;
  if (explicit) return path.resolve(explicit);
  const xdg = process.env.XDG_STATE_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(require("os").homedir(), ".local", "state"), "deployment-runbook");
}

/**
 * The folder of the Kubernetes provider that `npm run cluster -- up` built, or undefined. The
 * provider cannot be downloaded here, so the engine finds it on PATH (an ambient plugin).
 */
function kubernetesProviderBin() {
  try {
    const dir = fs.readFileSync(path.join(stateRoot(), "cluster", "provider-bin"), "utf8").trim();
    return dir && fs.existsSync(path.join(dir, "pulumi-resource-kubernetes")) ? dir : undefined;
  } catch {
    return undefined;
  }
}

function pulumiEnv(root, bin, stack) {
  const env = { ...process.env };
  for (const dir of [kubernetesProviderBin(), bin]) {
    if (dir && !env.PATH.split(path.delimiter).includes(dir)) env.PATH = `${dir}${path.delimiter}${env.PATH}`;
  }
  const state = path.join(root, ".state");
  if (!env.PULUMI_BACKEND_URL) {
    fs.mkdirSync(path.join(state, "backend"), { recursive: true });
    env.PULUMI_BACKEND_URL = fileBackendUrl(path.join(state, "backend"));
  }
  if (!env.PULUMI_HOME) {
    env.PULUMI_HOME = path.join(state, "home");
  }
  env.PULUMI_SKIP_UPDATE_CHECK = "true";
  env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
  env.PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_WARNING = "true";
  if (!env.PULUMI_CONFIG_PASSPHRASE && !env.PULUMI_CONFIG_PASSPHRASE_FILE && stack && THROWAWAY_STACK.test(stack)) {
    env.PULUMI_CONFIG_PASSPHRASE = THROWAWAY_PASSPHRASE;
  }
  const preload = nodePreloadOption(root);
  if (preload && !(env.NODE_OPTIONS || "").includes(preload)) env.NODE_OPTIONS = `${env.NODE_OPTIONS ? `${env.NODE_OPTIONS} ` : ""}${preload}`;
  return env;
}

/**
 * `--require` of scripts/node-preload.js for the Node.js processes the engine starts (program,
 * policy pack, dynamic providers): a second off each one's start (see that file).
 * RUNBOOK_NODE_PRELOAD=off leaves them as the SDK starts them (the bench's "before" figure).
 */
function nodePreloadOption(root) {
  if (process.env.RUNBOOK_NODE_PRELOAD === "off") return undefined;
  const file = path.join(root, "scripts", "node-preload.js");
  // NODE_OPTIONS splits on spaces; a path with one must be quoted.
  return `--require ${/\s/.test(file) ? JSON.stringify(file) : file}`;
}

module.exports = { ensureBuilt, ensureEngine, ensureInstalled, fileBackendUrl, pinnedEngineVersion, pulumiEnv, THROWAWAY_STACK };
