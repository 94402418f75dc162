// Health gates in `pulumi up` and `npm run health`, with the real engine, Prometheus, PostgreSQL and
// Redis: a good release passes and moves traffic; each kind of bad release is stopped by the gate
// with traffic unchanged and the failed check named; a rollback is never gated.
import { strict as assert } from "assert";
import { RunResult, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";

const ROUTER_PORT = 18880;
const BASE_PORT = 20800;

function health(stack: ThrowawayStack, args: string[]): Promise<RunResult> {
  return stack.script("health", args);
}

describe("health gates (real engine, Prometheus, PostgreSQL, Redis)", function () {
  this.timeout(600_000);
  let stack: ThrowawayStack;
  const gateTimes: Record<string, number> = {};

  before(async () => {
    stack = await ThrowawayStack.create("gates", {
      "blue.version": "v1.0.0",
      "blue.replicas": 1,
      "green.replicas": 1,
      "local.routerPort": ROUTER_PORT,
      "local.basePort": BASE_PORT,
      // 20 ms of work per request, so +60% latency is well clear of histogram bucket noise.
      "local.workMs": 20,
      "gates.retries": 0,
    });
    const up = await stack.up(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
  });
  after(async () => {
    if (stack) await stack.cleanup();
    console.log(`      gate times (ms): ${JSON.stringify(gateTimes)}`);
  });

  async function traffic() {
    return (await stack.outputs()).traffic;
  }

  it("a good green release passes every gate and traffic moves; npm run health is all ✓", async () => {
    await stack.setConfig("green.version", "v2.0.0");
    await stack.setConfig("traffic.green", 10);
    const up = await stack.up(POLICY_ENV);
    gateTimes["good release passes"] = up.ms;
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual(await traffic(), { blue: 90, green: 10 });
    const gates = (await stack.outputs()).gates as Record<string, string>;
    assert.match(gates.green, /passed in .*✓ api.*✓ database.*✓ cache.*✓ external.*✓ error-rate.*✓ latency/s);
    const h = await health(stack, []);
    assert.equal(h.code, 0, h.stdout + h.stderr);
    assert.doesNotMatch(h.stdout, /✗/);
    assert.equal((h.stdout.match(/✓/g) ?? []).length, 12, h.stdout);
  });

  it("rolling back (green 10 -> 0) succeeds even while green fails every check", async () => {
    // Green goes bad after its promotion: same release, now answering 50% errors and degraded health.
    await stack.setConfig("green.env.FAULT_ERROR_RATE_PERCENT", 50);
    await stack.setConfig("green.env.FAULT_HEALTH", "degraded");
    assert.equal((await stack.up(POLICY_ENV)).code, 0);
    const bad = await health(stack, ["--color", "green"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /✗ api/);
    assert.match(bad.stdout, /✗ error-rate/);
    await stack.setConfig("traffic.green", 0);
    const up = await stack.up(POLICY_ENV);
    gateTimes["rollback"] = up.ms;
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual(await traffic(), { blue: 100, green: 0 });
    assert.match(((await stack.outputs()).gates as Record<string, string>).blue, /never gated/);
    await stack.run(["config", "rm", "--path", "green.env"]);
  });

  const badReleases: { title: string; version: string; env: Record<string, string | number>; check: RegExp; healthCheck: string }[] = [
    { title: "5% errors", version: "v2.1.0", env: { FAULT_ERROR_RATE_PERCENT: 5 }, check: /✗ error-rate: .*error rate [\d.]+% > /, healthCheck: "error-rate" },
    { title: "+60% latency with no errors", version: "v2.2.0", env: { FAULT_LATENCY_PERCENT: 60 }, check: /✗ latency: p95 latency [\d.]+ ms > [\d.]+ ms allowed \(baseline/, healthCheck: "latency" },
    { title: "health 200 with a degraded body", version: "v2.3.0", env: { FAULT_HEALTH: "degraded" }, check: /✗ api: GET \/healthz \(green\): body status is "degraded", expected "ok"/, healthCheck: "api" },
    { title: "its database unreachable", version: "v2.4.0", env: { DATABASE_URL: "postgres://runbook:x@127.0.0.1:1/runbook" }, check: /✗ api: .*"database":"fail"/, healthCheck: "api" },
  ];
  for (const r of badReleases) {
    it(`a green release with ${r.title} is stopped by the gate; traffic unchanged; npm run health shows ✗ ${r.healthCheck}`, async () => {
      const state = await traffic();
      await stack.setConfig("green.version", r.version);
      for (const [k, v] of Object.entries(r.env)) await stack.setConfig(`green.env.${k}`, v);
      await stack.setConfig("traffic.green", 10);
      try {
        const up = await stack.up(POLICY_ENV);
        gateTimes[r.title] = up.ms;
        assert.notEqual(up.code, 0, "the gate let a bad release through");
        assert.match(up.stdout, /health gate for green v2\.\d\.0 failed/);
        assert.match(up.stdout, r.check);
        assert.match(up.stdout, /traffic stays at blue 100% \/ green 0%/);
        assert.deepEqual(await traffic(), state);
        const h = await health(stack, ["--color", "green", "--check", r.healthCheck]);
        assert.equal(h.code, 1, h.stdout + h.stderr);
        assert.match(h.stdout, new RegExp(`✗ ${r.healthCheck}`));
      } finally {
        await stack.setConfig("traffic.green", 0);
        await stack.run(["config", "rm", "--path", "green.env"]);
      }
    });
  }

  it("a green release that crashes at start is stopped before any weight moves", async () => {
    await stack.setConfig("green.version", "v2.5.0");
    await stack.setConfig("green.env.FAULT_CRASH_AT_START", "true");
    await stack.setConfig("traffic.green", 10);
    try {
      const up = await stack.up(POLICY_ENV);
      assert.notEqual(up.code, 0);
      assert.match(up.stdout, /green v2\.5\.0 instance 0 .* keeps exiting at start/);
      assert.deepEqual(await traffic(), { blue: 100, green: 0 });
      const h = await health(stack, ["--color", "green", "--check", "api"]);
      assert.equal(h.code, 1);
      assert.match(h.stdout, /✗ api/);
    } finally {
      await stack.setConfig("traffic.green", 0);
      await stack.run(["config", "rm", "--path", "green.env"]);
    }
  });
});
