// Health gates in `pulumi up` and `npm run health`, with the real engine, Prometheus, PostgreSQL and
// Redis: a good release passes and moves traffic; each kind of bad release is stopped by the gate
// with traffic unchanged and the failed check named; a rollback is never gated.
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { GateSubject } from "../../components/gates/checks/types";
import { formatResults, runChecks } from "../../components/gates/run-checks";
import * as paths from "../../components/targets/local/paths";
import type { ShiftPlan } from "../../components/types";
import { RunResult, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";

const ROUTER_PORT = 18880;

/** Mocks for building the cloud targets in this process: inputs back as state, ALB and target group addresses. */
const cloudMocks: pulumi.runtime.Mocks = {
  async newResource(args) {
    const state: Record<string, unknown> = { ...args.inputs, arn: `arn:aws:mock:eu-west-1:123456789012:${args.name}` };
    if (args.type === "aws:lb/loadBalancer:LoadBalancer") Object.assign(state, { arnSuffix: `app/${args.name}/0123456789abcdef`, dnsName: `${args.name}.eu-west-1.elb.amazonaws.com` });
    if (args.type === "aws:lb/targetGroup:TargetGroup") state.arnSuffix = `targetgroup/${args.name}/00112233aabbccdd`;
    return { id: `${args.name}-id`, state };
  },
  call(args) {
    throw new Error(`unmocked call ${args.token}`);
  },
};
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
      // policies-backup, in the other lane, restores the shared database: the restore ends every
      // session on it at once, and one retry of the gate rides that out.
      "gates.retries": 1,
    });
    const up = await stack.apply(POLICY_ENV);
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
    const up = await stack.apply(POLICY_ENV);
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

  // No cluster and no AWS account here: the cloud targets' gates are built under Pulumi mocks, with
  // their addresses pointed at this machine's services, and this stack's router standing in for the
  // Gateway or the ALB's test listener. Each runs the checks its target claims, through the same
  // code the gate's provider runs.
  // (Tests, not a nested suite: mocha runs a suite's own tests first, and these need green good.)
  async function subjectFor(target: "kubernetes" | "aws", section: Record<string, unknown>) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { parseStackConfig } = require("../../components/config/stack-config") as typeof import("../../components/config/stack-config");
    const { createTarget } = require("../../components/targets/registry") as typeof import("../../components/targets/registry");
    /* eslint-enable @typescript-eslint/no-require-imports */
    await pulumi.runtime.setMocks(cloudMocks, "deployment-runbook", "gates", false);
    const cfg = parseStackConfig({ target, blue: { version: "v1.0.0" }, green: { version: "v2.0.0" }, traffic: { green: 10 }, [target]: section });
    const plan = { kind: "promote", next: { blue: 90, green: 10 }, towards: "green" } as ShiftPlan;
    const { target: t } = await createTarget({ config: cfg, plan });
    const release = { version: "v2.0.0", replicas: 1, env: {} };
    const environments = { blue: t.environment("app-blue", { service: "app", color: "blue", release }, {}), green: t.environment("app-green", { service: "app", color: "green", release }, {}) };
    const e = t.gateEndpoint("app", environments);
    const resolve = <T>(v: pulumi.Input<T> | undefined) => (v === undefined ? Promise.resolve(undefined) : new Promise<T>((r) => pulumi.output(v).apply((x) => r(x as T))));
    const subject: GateSubject = {
      stack: stack.name,
      service: "app",
      routerUrl: String((await stack.outputs()).url),
      color: "green",
      version: "v2.0.0",
      baseline: { color: "blue", version: "v1.0.0" },
      databaseUrl: await resolve(e.databaseUrl),
      redisUrl: await resolve(e.redisUrl),
      metrics: await resolve(e.metrics),
      config: { ...cfg.gates, retries: 0 },
    };
    return { subject, checks: cfg.gates.checks };
  }

  it("the kubernetes target's gate, with reachable addresses: every check it claims runs against the configured addresses and passes", async () => {
    const { subject, checks } = await subjectFor("kubernetes", {
      image: "ghcr.io/acme/app",
      hostname: "app.example.com",
      databaseUrl: paths.postgresAdminUrl(),
      redisUrl: paths.redisUrl(),
      prometheusUrl: paths.prometheusUrl(),
    });
    assert.deepEqual(checks, ["api", "database", "cache", "external", "error-rate", "latency"]);
    const results = await runChecks(subject);
    assert.deepEqual(results.map((r) => `${r.check} ${r.status}`), checks.map((c) => `${c} pass`), formatResults(results, true));
  });

  it("the aws target's gate, with reachable addresses: database and cache against the configured addresses; CloudWatch without credentials is inconclusive, never a pass", async () => {
    const { subject, checks } = await subjectFor("aws", {
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app",
      vpcId: "vpc-1",
      subnetIds: ["subnet-a", "subnet-b"],
      region: "eu-west-1",
      databaseUrl: paths.postgresAdminUrl(),
      redisUrl: paths.redisUrl(),
    });
    assert.deepEqual(checks, ["api", "database", "cache", "external", "error-rate", "latency"]);
    const results = await runChecks(subject);
    assert.deepEqual(results.map((r) => `${r.check} ${r.status}`), ["api pass", "database pass", "cache pass", "external pass", "error-rate inconclusive", "latency inconclusive"], formatResults(results, true));
    assert.match(results[4].summary, /metrics unavailable \(metrics source cloudWatchSource: .*credentials.*\): inconclusive/i);
  });

  it("rolling back (green 10 -> 0) succeeds even while green fails every check", async () => {
    // Green goes bad after its promotion: same release, now answering 50% errors and degraded health.
    await stack.setConfig("green.env.FAULT_ERROR_RATE_PERCENT", 50);
    await stack.setConfig("green.env.FAULT_HEALTH", "degraded");
    assert.equal((await stack.apply(POLICY_ENV)).code, 0);
    const bad = await health(stack, ["--color", "green"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /✗ api/);
    assert.match(bad.stdout, /✗ error-rate/);
    await stack.setConfig("traffic.green", 0);
    const up = await stack.apply(POLICY_ENV);
    gateTimes["rollback"] = up.ms;
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual(await traffic(), { blue: 100, green: 0 });
    assert.match(((await stack.outputs()).gates as Record<string, string>).blue, /never gated/);
    await stack.run(["config", "rm", "--path", "green.env"]);
  });

  const badReleases: { title: string; version: string; env: Record<string, string | number>; check: RegExp; healthCheck: string }[] = [
    { title: "5% errors", version: "v2.1.0", env: { FAULT_ERROR_RATE_PERCENT: 5 }, check: /✗ error-rate: .*error rate [\d.]+% over \d+ requests? > 0\.10% SLO \(sequential test, 95% confidence\)/, healthCheck: "error-rate" },
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
        const up = await stack.apply(POLICY_ENV);
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
      const up = await stack.apply(POLICY_ENV);
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
