#!/usr/bin/env node
// `npm run pulumi -- <args>`: the Pulumi engine with this project's settings.
// Plain JavaScript on purpose: this is what installs packages and compiles the TypeScript, so it
// must run before either exists.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { ensureEngine, ensureBuilt, ensureInstalled, pulumiEnv } = require("./engine-env");

function main(argv) {
  const root = path.resolve(__dirname, "..");
  ensureInstalled(root);
  const bin = ensureEngine(root);
  const command = argv.find((a) => !a.startsWith("-"));
  if (["preview", "up", "update", "refresh", "destroy", "import"].includes(command)) {
    ensureBuilt(root);
  }
  const args = [...argv];
  // The runbook's checklist is enforced on every preview and up unless the caller picked packs.
  const wantsPolicies = ["preview", "up", "update"].includes(command) && !args.some((a) => a.startsWith("--policy-pack"));
  if (wantsPolicies && process.env.RUNBOOK_POLICIES !== "off") {
    args.push("--policy-pack", path.join(root, "policies"));
    const policyConfig = process.env.RUNBOOK_POLICY_CONFIG;
    if (policyConfig) {
      const problem = policyConfigProblem(root, policyConfig);
      if (problem) {
        console.error(`error: RUNBOOK_POLICY_CONFIG ${policyConfig}: ${problem}\nNothing was changed.`);
        return 2;
      }
      args.push("--policy-pack-config", policyConfig);
    }
  }
  const env = pulumiEnv(root, bin, stackFromArgs(argv));
  const result = spawnSync("pulumi", args, { cwd: root, env, stdio: "inherit" });
  if (result.error) {
    console.error(`could not run pulumi: ${result.error.message}`);
    return 1;
  }
  return result.status === null ? 1 : result.status;
}

/**
 * The engine reports a policy config that is not JSON, or that names a policy the pack does not
 * have, in terms that name neither; say what is wrong and what is allowed before it runs.
 */
function policyConfigProblem(root, file) {
  if (!fs.existsSync(file)) return "no such file";
  let config;
  try {
    config = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return `is not valid JSON (${e.message})`;
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) return "must be a JSON object keyed by policy name";
  const names = require(path.join(root, "bin", "policies", "all.js")).policies.map((p) => p.name);
  const unknown = Object.keys(config).filter((k) => k !== "all" && !names.includes(k));
  if (unknown.length) return `${unknown.map((k) => JSON.stringify(k)).join(", ")}: no such policy (allowed: all, ${names.join(", ")})`;
  return undefined;
}

function stackFromArgs(argv) {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack" || a === "-s") return argv[i + 1];
    if (a.startsWith("--stack=")) return a.slice("--stack=".length);
  }
  // `pulumi stack init|rm|select <name>` names the stack positionally.
  const [cmd, sub, name] = argv.filter((a) => !a.startsWith("-"));
  if (cmd === "stack" && ["init", "rm", "select"].includes(sub) && name) return name;
  return process.env.PULUMI_STACK;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exitCode = 1;
}
