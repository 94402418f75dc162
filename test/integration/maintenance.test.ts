// Maintenance mode on a real local stack (real engine, supervisord, nginx, PostgreSQL): `npm run
// maintenance -- on|off` under load serves only 200s and 503s with Retry-After (no connection
// error), the colors stay reachable by header and on their health endpoints, a gated promotion
// passes while it is on, and a value the stack would refuse changes nothing.
import { strict as assert } from "assert";
import * as http from "http";
import { setTimeout as sleep } from "timers/promises";
import { SHORT_ANALYSIS, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";
import { assertOnlyByDesign, startProbe } from "./probe";

const ROUTER_PORT = 19450;
const BASE_PORT = 25400;
const URL = `http://127.0.0.1:${ROUTER_PORT}`;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${URL}${path}`, { agent: false, headers, timeout: 5000 }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on("error", reject);
  });
}

describe("maintenance mode on a real local stack (npm run maintenance, the maintenance key)", function () {
  this.timeout(300_000);
  let stack: ThrowawayStack;

  before(async () => {
    stack = await ThrowawayStack.create("maint", {
      "blue.version": "v1.0.0",
      "green.version": "v1.1.0",
      "blue.replicas": 1,
      "green.replicas": 1,
      "local.routerPort": ROUTER_PORT,
      "local.basePort": BASE_PORT,
      ...SHORT_ANALYSIS,
      "gates.analysis.maxLatencyIncreasePercent": 100,
    });
    const up = await stack.apply(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
  });

  after(async () => {
    if (stack) await stack.cleanup();
  });

  it("on under load: users get 503 with Retry-After and the page, never a connection error; the colors answer by header and on /healthz", async () => {
    const users = startProbe(`${URL}/`, 4, 5);
    const byHeader = startProbe(`${URL}/`, 1, 20, { "X-Runbook-Color": "blue" });
    let r;
    let doneAt = 0;
    try {
      await sleep(500);
      r = await stack.node("run-built.js", ["maintenance", "--env", stack.name, "on", "--retry-after", "120", "--message", "Upgrading the database, back by 14:00 UTC."], POLICY_ENV);
      doneAt = Date.now();
      await sleep(500);
    } finally {
      await byHeader.stop();
      await users.stop();
    }
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /maintenance on in \d+\.\d s: http:\/\/127\.0\.0\.1:19450 answers 503 with Retry-After: 120/);
    const seen = assertOnlyByDesign(users.events, "users during maintenance on");
    assert.ok(seen.ok > 0 && seen.page > 0, `the users should see the service, then the page: ${JSON.stringify(seen)}`);
    // Once the command returns, it is on: every later request gets the page. (During nginx's reload
    // the old workers still answer what they accepted, so 200s and 503s interleave briefly before.)
    const after = users.events.filter((e) => e.t > doneAt);
    assert.ok(after.length > 0 && after.every((e) => e.status === 503), JSON.stringify(after.filter((e) => e.status !== 503).slice(0, 3)));
    assert.ok(byHeader.events.length > 0 && byHeader.events.every((e) => e.status === 200 && e.color === "blue"), JSON.stringify(byHeader.events.filter((e) => e.status !== 200).slice(0, 3)));

    const page = await get("/api/items");
    assert.equal(page.status, 503);
    assert.equal(page.headers["retry-after"], "120");
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    assert.match(page.body, /Down for maintenance.*Upgrading the database, back by 14:00 UTC\..*Please try again in 120 seconds/s);
    for (const path of ["/healthz", "/readyz"]) {
      const h = await get(path);
      assert.equal(h.status, 200, `${path} during maintenance: ${h.status} ${h.body}`);
      assert.match(String(h.headers["x-runbook-color"]), /^(blue|green)$/);
    }
    const green = await get("/", { "X-Runbook-Color": "green" });
    assert.deepEqual([green.status, green.headers["x-runbook-version"]], [200, "v1.1.0"]);
    // The config says so too: what `up` applies again and again.
    const cfg = await stack.run(["config", "get", "--path", "maintenance.enabled"]);
    assert.equal(cfg.stdout.trim(), "true");
  });

  it("a gated promotion while on: the gate passes against the colors, the weights change, and the page stays", async () => {
    await stack.setConfig("traffic.green", 10);
    const up = await stack.apply(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const gates = (await stack.outputs()).gates as Record<string, string>;
    assert.match(gates.green, /passed in .*✓ api.*✓ database.*✓ error-rate.*✓ latency/s);
    assert.deepEqual((await stack.outputs()).traffic, { blue: 90, green: 10 });
    const page = await get("/");
    assert.deepEqual([page.status, page.headers["retry-after"]], [503, "120"]);
    const status = JSON.parse((await get("/__runbook/router")).body) as { weights: { weights: unknown; maintenance: unknown } };
    assert.deepEqual(status.weights.weights, { blue: 90, green: 10 });
    assert.deepEqual(status.weights.maintenance, { retryAfterSeconds: 120 });
  });

  it("refused before anything changes: a bad verb, --retry-after or --message", async () => {
    const routerBefore = (await get("/__runbook/router")).body;
    const cases: [string[], RegExp][] = [
      [["on", "--retry-after", "0"], /--retry-after "0": must be an integer from 1 to 86400 \(seconds\)/],
      [["on", "--message", 'say "hi"'], /--message "say \\"hi\\"": must not contain \$ " \\ < > & \{ \} or line breaks/],
      [["sideways"], /"sideways" is not allowed \(allowed: on, off\)/],
      [["off", "--retry-after", "30"], /--retry-after and --message go with on only/],
    ];
    for (const [args, message] of cases) {
      const r = await stack.node("run-built.js", ["maintenance", "--env", stack.name, ...args], POLICY_ENV);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal((await get("/__runbook/router")).body, routerBefore, "the router changed");
    assert.equal((await stack.run(["config", "get", "--path", "maintenance.enabled"])).stdout.trim(), "true");
  });

  it("off under load: the page goes, users get the service again; no connection error", async () => {
    const users = startProbe(`${URL}/`, 4, 5);
    let r;
    let doneAt = 0;
    try {
      await sleep(500);
      r = await stack.node("run-built.js", ["maintenance", "--env", stack.name, "off"], POLICY_ENV);
      doneAt = Date.now();
      await sleep(500);
    } finally {
      await users.stop();
    }
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /maintenance off in \d+\.\d s: http:\/\/127\.0\.0\.1:19450 answers 200/);
    const seen = assertOnlyByDesign(users.events, "users during maintenance off");
    assert.ok(seen.page > 0 && seen.ok > 0, JSON.stringify(seen));
    const after = users.events.filter((e) => e.t > doneAt);
    assert.ok(after.length > 0 && after.every((e) => e.status === 200), JSON.stringify(after.filter((e) => e.status !== 200).slice(0, 3)));
    const res = await get("/");
    assert.equal(res.status, 200);
    assert.equal(res.headers["retry-after"], undefined);
    // Off again is a no-op that says so, and changes nothing.
    const again = await stack.node("run-built.js", ["maintenance", "--env", stack.name, "off"], POLICY_ENV);
    assert.equal(again.code, 0, again.stderr);
  });

  it("the maintenance key through a plain `up` does the same (maintenance: true), and the stack's output says so", async () => {
    await stack.setConfig("maintenance", true);
    const on = await stack.apply(POLICY_ENV);
    assert.equal(on.code, 0, on.stdout + on.stderr);
    const page = await get("/");
    assert.deepEqual([page.status, page.headers["retry-after"]], [503, "300"]);
    assert.match(page.body, /We are upgrading the service and will be back shortly\./);
    assert.deepEqual((await stack.outputs()).maintenance, { retryAfterSeconds: 300, message: "We are upgrading the service and will be back shortly." });
    await stack.setConfig("maintenance", false);
    const off = await stack.apply(POLICY_ENV);
    assert.equal(off.code, 0, off.stdout + off.stderr);
    assert.equal((await get("/")).status, 200);
    assert.equal((await stack.outputs()).maintenance, null);
  });
});
