// npm run maintenance -- --env <stack> on|off [--retry-after <s>] [--message "..."] [--json]
// The runbook's `maintenance_mode.sh --enable/--disable`, as what a person would type: the stack
// config's `maintenance` edited, then an `up` (the router's weights step applies it), then a request
// to the router to see the page (on) or the service (off). A value the stack would refuse is refused
// before anything is written; a failed `up` puts the config back.
import * as http from "http";
import { CONFIG_NAMESPACE, StackConfigError, nestConfig, parseStackConfig } from "../components/config/stack-config";
import { rolloutFiles } from "../components/rollout/files";
import { currentHolder, describeHolder, lockDecision, readLock, release, tryAcquire } from "../components/rollout/lock";
import { UsageError, runMain } from "./cli-args";
import { readStack } from "./stack-info";
import { parseMaintenanceArgs } from "./maintenance-args";

const KEY = `${CONFIG_NAMESPACE}:maintenance`;
/** How long the router may take to serve what the `up` applied. */
const SETTLE_MS = 20_000;

/** What the router answers a user's GET / now: status and Retry-After. */
function probe(url: string, host?: string): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000, agent: false, headers: host ? { host } : {} }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"] as string | undefined }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
  });
}

async function main(): Promise<number> {
  const req = parseMaintenanceArgs(process.argv.slice(2));
  const info = readStack(req.stack);
  // The config as it will be, judged before anything is written (a target without a page says so).
  const before = Object.fromEntries(Object.entries(info.rawConfig).filter(([k]) => k === KEY || k.startsWith(`${KEY}.`)));
  const current = info.config.maintenance;
  const next = {
    enabled: req.on,
    retryAfterSeconds: req.retryAfterSeconds ?? current.retryAfterSeconds,
    message: req.message ?? current.message,
  };
  const flat = Object.fromEntries(Object.entries(info.rawConfig).filter(([k]) => !(k in before)));
  flat[KEY] = JSON.stringify(next);
  try {
    parseStackConfig(nestConfig(flat));
  } catch (e) {
    if (e instanceof StackConfigError) throw new UsageError(`maintenance ${req.on ? "on" : "off"} refused, nothing changed:\n${e.problems.map((p) => `  - ${p}`).join("\n")}`);
    throw e;
  }
  const unchanged = current.enabled === next.enabled && (!next.enabled || (current.retryAfterSeconds === next.retryAfterSeconds && current.message === next.message));

  const files = rolloutFiles(req.stack);
  const held = readLock(files.lock);
  const decision = lockDecision("maintenance", held, { stack: req.stack });
  if (decision.action === "refuse") throw new UsageError(decision.message);
  const me = currentHolder("rollout", `maintenance ${req.on ? "on" : "off"}`);
  if (decision.action === "acquire") {
    const got = tryAcquire(files.lock, me);
    if (!got.ok) throw new UsageError(`stack ${req.stack} is ${describeHolder(got.held)}; maintenance refused`);
  }
  const started = Date.now();
  try {
    const { openStack } = await import("./automation");
    const ps = await openStack(req.stack);
    if (!unchanged) {
      for (const k of Object.keys(before)) await ps.stack.removeConfig(k);
      // As a person would type them: `config set --path maintenance.enabled true`, and so on.
      await ps.setConfig("maintenance.enabled", String(next.enabled));
      await ps.setConfig("maintenance.retryAfterSeconds", String(next.retryAfterSeconds));
      await ps.setConfig("maintenance.message", next.message);
    }
    let outputs: Record<string, unknown>;
    try {
      outputs = (await ps.up()).outputs;
    } catch (e) {
      // The update did not finish: the config goes back to what it was, so the next `up` does not apply it half-way.
      if (!unchanged) {
        await ps.stack.removeConfig(KEY).catch(() => undefined);
        for (const [k, v] of Object.entries(before)) await ps.stack.setConfig(k, { value: v });
      }
      throw e;
    }
    // Where this machine reaches the router: the `url` output, or on kubernetes the Gateway's
    // address with the service's Host. A gateway applies a route a moment after the API server
    // took it, so the answer is awaited for a while before it counts as wrong.
    const { endpointOf } = await import("./rollout-runner");
    const { url: where, host } = endpointOf(info.config, outputs.url as string | undefined);
    const url = where ?? "";
    let seen: { status: number; retryAfter?: string } | undefined;
    let pageUp = false;
    for (const deadline = Date.now() + SETTLE_MS; url; ) {
      seen = await probe(url, host).catch((e: Error) => ({ status: 0, retryAfter: undefined, error: e.message }));
      pageUp = seen.status === 503 && seen.retryAfter !== undefined;
      if (pageUp === next.enabled || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const result = { stack: req.stack, maintenance: next.enabled, retryAfterSeconds: next.enabled ? next.retryAfterSeconds : undefined, url, seen, ms: Date.now() - started };
    if (req.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (next.enabled) {
      process.stdout.write(`${req.stack}: maintenance on in ${(result.ms / 1000).toFixed(1)} s: ${url} answers ${seen?.status} with Retry-After: ${seen?.retryAfter}; /healthz, /readyz and X-Runbook-Color requests still reach the colors\n`);
      process.stdout.write(`turn it off with npm run maintenance -- --env ${req.stack} off\n`);
    } else {
      process.stdout.write(`${req.stack}: maintenance off in ${(result.ms / 1000).toFixed(1)} s: ${url} answers ${seen?.status}\n`);
    }
    if (url && pageUp !== next.enabled) {
      process.stderr.write(`error: the router at ${url} answered ${seen?.status}${seen?.retryAfter ? ` with Retry-After ${seen.retryAfter}` : ""}, not what maintenance ${next.enabled ? "on" : "off"} serves\n`);
      return 1;
    }
    return 0;
  } finally {
    if (decision.action === "acquire") release(files.lock, me);
  }
}

runMain(main);
