// The PromQL checks of the gate (queries, infrastructure, monitoring) and the rollout's judging of
// the stack's queries: query building, placeholder substitution, thresholds and config messages.
// Pure functions only: no Prometheus, no engine.
import { strict as assert } from "assert";
import { StackConfigError, parseStackConfig } from "../../components/config/stack-config";
import { infrastructureLiveQueries, infrastructureQueries, judgeInfrastructure, mountpointOf } from "../../components/gates/checks/infrastructure-check";
import { judgeMonitoring } from "../../components/gates/checks/monitoring-check";
import { escapeLabelValue, substitutePlaceholders } from "../../components/gates/promql";
import { prometheusUrlOf } from "../../components/gates/prometheus-spec";
import { judgeQuery } from "../../components/gates/query-judge";
import { BreachTracker, judgeWindow } from "../../components/rollout/verdict";

const vars = { stack: "dev", service: "app", color: "green", version: "v2.0.0" };

function localConfig(gates: Record<string, unknown> = {}): Record<string, unknown> {
  return { blue: { version: "v1.0.0" }, green: { version: "v2.0.0" }, traffic: { green: 50 }, gates };
}

function kubernetesConfig(gates: Record<string, unknown>, kubernetes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...localConfig(gates),
    target: "kubernetes",
    kubernetes: { image: "ghcr.io/acme/app", hostname: "app.example.com", ...kubernetes },
  };
}

function problems(nested: Record<string, unknown>): string[] {
  try {
    parseStackConfig(nested);
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
  return assert.fail("the config was accepted");
}

describe("gate metric queries", function () {
  this.timeout(10_000);

  describe("placeholders", () => {
    it("substitutes $stack, $service, $color, $version and ${name}", () => {
      assert.equal(
        substitutePlaceholders('sum(rate(orders_total{stack="$stack",service="${service}",color="$color",version="$version"}[1m]))', vars),
        'sum(rate(orders_total{stack="dev",service="app",color="green",version="v2.0.0"}[1m]))',
      );
    });

    it("escapes values so they cannot leave the quoted string", () => {
      const out = substitutePlaceholders('up{version="$version"}', { ...vars, version: 'v1"} or vector(1) #\\' });
      assert.equal(out, 'up{version="v1\\"} or vector(1) #\\\\"}');
      assert.equal(escapeLabelValue("a\nb"), "a\\nb");
    });

    it("keeps $$ as a literal $ and refuses unknown placeholders naming the allowed ones", () => {
      assert.equal(substitutePlaceholders('label_replace(up, "x", "$$1", "job", "(.*)")', vars), 'label_replace(up, "x", "$1", "job", "(.*)")');
      assert.throws(() => substitutePlaceholders('up{color="$colour"}', vars), { message: "unknown placeholder $colour (allowed: $stack, $service, $color, $version)" });
    });
  });

  describe("judging a query", () => {
    const one = (value: number) => [{ labels: {}, value }];

    it("fails above max and below min, saying what was seen and allowed", () => {
      assert.deepEqual(judgeQuery({ name: "orders", max: 5 }, one(7.25)), { status: "fail", name: "orders", value: 7.25, limit: 5, bound: "max", message: "query orders 7.25 > 5 allowed (max)" });
      const low = judgeQuery({ name: "orders", min: 10 }, [{ labels: { instance: "127.0.0.1:24201" }, value: 3 }]);
      assert.equal(low.status, "fail");
      assert.equal(low.message, 'query orders 3{instance="127.0.0.1:24201"} < 10 required (min)');
    });

    it("passes a value exactly at the limit", () => {
      const j = judgeQuery({ name: "orders", max: 5, min: 5 }, one(5));
      assert.deepEqual(j, { status: "pass", name: "orders", message: "query orders 5 (required >= 5 and <= 5)" });
    });

    it("is inconclusive on an empty result or NaN, never a pass", () => {
      assert.deepEqual(judgeQuery({ name: "orders", max: 5 }, []), { status: "inconclusive", name: "orders", message: "query orders returned no series (required <= 5): inconclusive" });
      assert.equal(judgeQuery({ name: "orders", max: 5 }, one(NaN)).status, "inconclusive");
    });

    it("judges every series of a vector", () => {
      const j = judgeQuery({ name: "q", max: 1 }, [{ labels: { instance: "a" }, value: 0.5 }, { labels: { instance: "b" }, value: 1.5 }]);
      assert.equal(j.message, 'query q 1.5{instance="b"} > 1 allowed (max)');
    });
  });

  describe("infrastructure", () => {
    it("builds CPU busy %, memory used % and disk used % of the mount", () => {
      const q = infrastructureQueries(30, "/srv");
      assert.equal(q.cpu, '100 * sum by (instance) (rate(node_cpu_seconds_total{job="node",mode!="idle"}[30s])) / count by (instance) (node_cpu_seconds_total{job="node",mode="idle"})');
      assert.equal(q.memory, '100 * (1 - node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"})');
      assert.equal(q.disk, '100 * (1 - node_filesystem_avail_bytes{job="node",mountpoint="/srv"} / node_filesystem_size_bytes{job="node",mountpoint="/srv"})');
    });

    it("finds the mount holding a directory: the longest parent, not a sibling with the same prefix", () => {
      const mounts = ["/", "/root/.local/state/deployment-runbook/cluster/kubelet/root", "/roo", "/root/.local"];
      assert.equal(mountpointOf("/root/.local/state/deployment-runbook", mounts), "/root/.local");
      assert.equal(mountpointOf("/var/lib", mounts), "/");
      assert.equal(mountpointOf("/var", ["/var/lib"]), undefined);
    });

    it("names the value, the limit and the host of each breach; a missing figure is reported", () => {
      const at = (value: number) => [{ labels: { instance: "127.0.0.1:9100" }, value }];
      const j = judgeInfrastructure({ CPU: at(83.14), memory: at(40), disk: [] }, { CPU: 70, memory: 80, disk: 90 }, "filesystem / holding /state");
      assert.deepEqual(j.failures, ["CPU 83.1% > 70% allowed on 127.0.0.1:9100"]);
      assert.deepEqual(j.seen, ["memory 40.0% on 127.0.0.1:9100 (at most 80%)"]);
      assert.deepEqual(j.missing, ["disk"]);
    });
  });

  describe("monitoring", () => {
    const now = Date.parse("2026-01-01T10:00:10Z");
    const target = (instance: string, color: string, health: "up" | "down", lastScrape = "2026-01-01T10:00:09Z") => ({
      labels: { stack: "dev", service: "app", color, instance, job: "runbook" },
      scrapeUrl: `http://${instance}/metrics`,
      health,
      lastError: health === "down" ? "connection refused" : "",
      lastScrape,
    });
    const groups = [{ name: "deployment-runbook", file: "rules.yml", rules: [{ name: "RunbookHighErrorRate", type: "alerting" }] }];
    const required = { ruleGroups: ["deployment-runbook"], maxScrapeAgeSeconds: 10 };

    it("passes when every instance of the color is up and recently scraped and the rules are loaded", () => {
      const j = judgeMonitoring(vars, [target("127.0.0.1:1", "green", "up"), target("127.0.0.1:2", "green", "up"), target("127.0.0.1:3", "blue", "down")], groups, required, now);
      assert.deepEqual(j.problems, []);
      assert.deepEqual(j.seen, ["127.0.0.1:1 up, scraped 1.0s ago", "127.0.0.1:2 up, scraped 1.0s ago", "rule group deployment-runbook: 1 rules"]);
    });

    it("names the instance down, the one scraped too long ago and the missing rule group", () => {
      const j = judgeMonitoring(vars, [target("127.0.0.1:1", "green", "down"), target("127.0.0.1:2", "green", "up", "2026-01-01T09:59:40Z")], [], required, now);
      assert.deepEqual(j.problems, [
        "instance 127.0.0.1:1 is down (connection refused)",
        "instance 127.0.0.1:2 last scraped 30.0s ago, at most 10s allowed",
        "rule group deployment-runbook not loaded (loaded: none)",
      ]);
      assert.equal(j.scrapePending, true, "a scrape problem is worth waiting for");
      const rulesOnly = judgeMonitoring(vars, [target("127.0.0.1:1", "green", "up")], [], required, now);
      assert.equal(rulesOnly.scrapePending, false, "rule groups come with the config: waiting cannot load them");
    });

    it("wants every instance of the color among the targets when it knows how many run", () => {
      const j = judgeMonitoring({ ...vars, replicas: 3 }, [target("127.0.0.1:1", "green", "up"), target("127.0.0.1:2", "green", "up")], groups, required, now);
      assert.deepEqual(j.problems, ['2 of the 3 instances of app green are scrape targets (labels stack="dev", service="app", color="green")']);
      assert.deepEqual(judgeMonitoring({ ...vars, replicas: 2 }, [target("127.0.0.1:1", "green", "up"), target("127.0.0.1:2", "green", "up")], groups, required, now).problems, []);
    });

    it("fails when the color has no scrape target at all", () => {
      const j = judgeMonitoring(vars, [target("127.0.0.1:3", "blue", "up")], groups, required, now);
      assert.deepEqual(j.problems, ['no scrape target of app green (labels stack="dev", service="app", color="green")']);
    });
  });

  describe("config", () => {
    it("keeps the local default checks as before; queries join them only when configured", () => {
      const before = ["api", "database", "cache", "external", "error-rate", "latency"];
      assert.deepEqual(parseStackConfig(localConfig()).gates.checks, before);
      assert.deepEqual(parseStackConfig(localConfig({ queries: [{ name: "up", query: "up", min: 1 }] })).gates.checks, [...before, "queries"]);
      assert.equal(parseStackConfig(localConfig()).gates.queries, undefined, "no default written into the gate's inputs");
    });

    it("names the key of a bad query and the allowed values", () => {
      // Array items are named the way the rest of the config errors name them (gates.external.0).
      assert.deepEqual(problems(localConfig({ queries: [{ name: "orders", query: "sum(orders_total)" }] })), ["deployment-runbook:gates.queries.0.max: set max and/or min: a query without a threshold cannot fail (got nothing)"]);
      assert.deepEqual(problems(localConfig({ queries: [{ name: "orders", query: "x", max: "lots" }] })), ['deployment-runbook:gates.queries.0.max: must be a number (the largest value allowed, in the query\'s unit) (got "lots")']);
      assert.deepEqual(problems(localConfig({ queries: [{ name: "orders", query: "x", max: 1, min: 2 }] })), ["deployment-runbook:gates.queries.0.min: must be at most max (1) (got 2)"]);
      assert.deepEqual(problems(localConfig({ queries: [{ name: "a", query: "x", max: 1 }, { name: "a", query: "y", max: 1 }] })), ['deployment-runbook:gates.queries.1.name: duplicate query name "a" (got "a")']);
      assert.deepEqual(problems(localConfig({ queries: [{ name: "a b", query: "x", max: 1 }] })), ['deployment-runbook:gates.queries.0.name: must be 1-64 letters, digits, _ . or - (got "a b")']);
      assert.deepEqual(problems(localConfig({ infrastructure: { maxCpuPercent: 170 } })), ["deployment-runbook:gates.infrastructure.maxCpuPercent: must be a number from 0.001 to 100% (got 170)"]);
      assert.deepEqual(problems(localConfig({ checks: ["cpu"] })), ['deployment-runbook:gates.checks.0: must be among api, database, cache, external, error-rate, latency, queries, infrastructure, monitoring (got "cpu")']);
    });

    it("needs kubernetes.prometheusUrl for the queries, monitoring and infrastructure checks, and accepts them with it", () => {
      const gates = { checks: ["queries", "monitoring", "infrastructure"], queries: [{ name: "up", query: "up", min: 1 }] };
      assert.deepEqual(problems(kubernetesConfig(gates)), ["queries", "monitoring", "infrastructure"].map(
        (c) => `deployment-runbook:gates.checks: "${c}" cannot run on the kubernetes target without deployment-runbook:kubernetes.prometheusUrl (set it, or leave ${c} out of gates.checks)`,
      ));
      const cfg = parseStackConfig(kubernetesConfig({ ...gates, infrastructure: { job: "node-exporter" } }, { prometheusUrl: "http://127.0.0.1:9091" }));
      assert.deepEqual(cfg.gates.checks, ["queries", "monitoring", "infrastructure"]);
      assert.equal(cfg.gates.infrastructure?.job, "node-exporter");
    });

    it("refuses them on aws, whose metrics are CloudWatch's, naming gates.checks and why", () => {
      assert.deepEqual(problems({ ...localConfig({ checks: ["api", "infrastructure"] }), target: "aws" }).filter((p) => p.includes("infrastructure")), [
        'deployment-runbook:gates.checks: "infrastructure" cannot run on the aws target: its metrics source is CloudWatch, and the check reads Prometheus (PromQL) (leave infrastructure out of gates.checks)',
      ]);
    });

    it("names gates.infrastructure.job when it is not a job name", () => {
      assert.deepEqual(problems(localConfig({ infrastructure: { job: "node exporter" } })), ["deployment-runbook:gates.infrastructure.job: must be a Prometheus job name (letters, digits, _ . : -) (got \"node exporter\")"]);
    });

    it("reads the Prometheus URL of a Prometheus spec only", () => {
      assert.equal(prometheusUrlOf({ module: "/x/prometheus-source.js", factory: "prometheusSource", options: { url: "http://127.0.0.1:9090/" } }), "http://127.0.0.1:9090");
      assert.equal(prometheusUrlOf({ module: "/x/cloudwatch-source.js", factory: "cloudWatchSource", options: { region: "eu-west-1" } }), undefined);
    });
  });

  describe("live analysis of the queries", () => {
    const sample = { requests: 200, errors: 0, p95LatencyMs: 10 };
    const t = { minRequests: 50, maxErrorRatePercent: 1, maxErrorRateIncreasePp: 1, maxLatencyIncreasePercent: 10, hardLatencyIncreasePercent: 50 };
    const signals = { failingHealth: [], restarts: 0, notRunning: [] };
    const canary = { color: "green", version: "v2.0.0", sample };
    const baseline = { color: "blue", version: "v1.0.0", sample };

    it("a breached query is a soft trigger naming the query, value and limit", () => {
      const q = judgeQuery({ name: "checkout-failures", max: 2 }, [{ labels: {}, value: 4 }]);
      const v = judgeWindow(canary, baseline, signals, t, undefined, [q]);
      assert.equal(v.verdict, "breach");
      assert.deepEqual(v.triggers, [{ metric: "query", value: 4, limit: 2, unit: "", hard: false, message: "query checkout-failures 4 > 2 allowed (max) (green v2.0.0)" }]);
      const tracker = new BreachTracker(2);
      assert.deepEqual(tracker.decide(v), { action: "continue" });
      const second = tracker.decide(v);
      assert.equal(second.action, "rollback");
      assert.equal(second.action === "rollback" && second.trigger.message, "query checkout-failures 4 > 2 allowed (max) (green v2.0.0)");
    });

    it("a query with no answer makes an otherwise good window inconclusive", () => {
      const v = judgeWindow(canary, baseline, signals, t, undefined, [judgeQuery({ name: "orders", min: 1 }, [])]);
      assert.equal(v.verdict, "inconclusive");
      assert.equal(v.verdict === "inconclusive" && v.reason, "query orders returned no series (required >= 1): inconclusive");
    });

    it("the hosts' CPU, memory and disk join the live analysis as queries with the gate's limits", () => {
      const qs = infrastructureLiveQueries({ maxMemoryPercent: 60 }, "/srv");
      assert.deepEqual(qs.map((q) => [q.name, q.max]), [["host-cpu-percent", 70], ["host-memory-percent", 60], ["host-disk-percent", 90]]);
      assert.equal(qs[2].query, infrastructureQueries(30, "/srv").disk);
      assert.match(infrastructureLiveQueries({ job: "node-exporter" }, "/")[0].query, /job="node-exporter"/);
      const v = judgeWindow(canary, baseline, signals, t, undefined, [judgeQuery(qs[1], [{ labels: { instance: "127.0.0.1:9100" }, value: 75 }])]);
      assert.equal(v.verdict, "breach");
      assert.equal(v.triggers[0]?.message, 'query host-memory-percent 75{instance="127.0.0.1:9100"} > 60 allowed (max) (green v2.0.0)');
    });

    it("a passing query leaves the window's verdict alone", () => {
      const v = judgeWindow(canary, baseline, signals, t, undefined, [judgeQuery({ name: "orders", min: 1 }, [{ labels: {}, value: 3 }])]);
      assert.equal(v.verdict, "pass");
    });
  });
});
