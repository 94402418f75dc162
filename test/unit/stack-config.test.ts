import { strict as assert } from "assert";
import { StackConfigError, nestConfig, parseStackConfig } from "../../components/config/stack-config";
import { sensitiveConfigKeys } from "../../components/config/read-config";

const ns = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [`deployment-runbook:${k}`, v]));
const parse = (o: Record<string, string>) => parseStackConfig(nestConfig(ns(o)));
function problems(o: Record<string, string>): string[] {
  try {
    parse(o);
  } catch (e) {
    assert.ok(e instanceof StackConfigError);
    return e.problems;
  }
  assert.fail("expected the config to be refused");
}

describe("stack config", () => {
  it("fills defaults and accepts object-valued (--path) and flat keys alike", () => {
    const c = parseStackConfig(nestConfig({ "deployment-runbook:blue": '{"version":"v1.0.0"}', "deployment-runbook:traffic.green": "10", "deployment-runbook:green.version": "v2.0.0", "aws:region": "eu-west-1" }));
    assert.equal(c.target, "local");
    assert.equal(c.blue.version, "v1.0.0");
    assert.equal(c.blue.replicas, 2);
    assert.equal(c.traffic.green, 10);
    assert.equal((c.local as { routerPort: number }).routerPort, 8080);
    assert.equal(c.gates.analysis.maxErrorRatePercent, 0.1);
    assert.equal(c.backup.refreshAfterMinutes, 50);
  });

  const cases: [string, Record<string, string>, string][] = [
    ["traffic above 100", { "blue.version": "v1.0.0", "traffic.green": "150" }, 'deployment-runbook:traffic.green: must be an integer percent from 0 to 100 (no % sign) (got "150")'],
    ["a percent sign", { "blue.version": "v1.0.0", "traffic.green": "50%" }, 'deployment-runbook:traffic.green: must be an integer percent from 0 to 100 (no % sign) (got "50%")'],
    ["an unknown target", { "blue.version": "v1.0.0", target: "openstack" }, 'deployment-runbook:target: must be one of local, kubernetes, aws (got "openstack")'],
    ["no version at all", {}, "deployment-runbook:blue.version: is required (at least one color must run a release) (got nothing)"],
    ["green traffic without a green version", { "blue.version": "v1.0.0", "traffic.green": "10" }, "deployment-runbook:green.version: is required when traffic.green is 10 (above 0) (got nothing)"],
    ["a version that is not a release", { "blue.version": "latest" }, 'deployment-runbook:blue.version: must be a release version like v1.2.3 (got "latest")'],
    ["too many replicas", { "blue.version": "v1.0.0", "blue.replicas": "50" }, "deployment-runbook:blue.replicas: must be an integer from 1 to 20 (got \"50\")"],
    ["an unknown key", { "blue.version": "v1.0.0", trafic: "{}" }, "deployment-runbook:trafic: unknown key (allowed: target, service, blue, green, traffic, hotfix, maintenance, predeploy, gates, backup, rollout, migrations, notifications, local, kubernetes, aws)"],
    ["an unknown nested key", { "blue.version": "v1.0.0", "traffic.blue": "10" }, "deployment-runbook:traffic.blue: unknown key (allowed: green)"],
    ["hotfix not a boolean", { "blue.version": "v1.0.0", hotfix: "yes" }, 'deployment-runbook:hotfix: must be true or false (got "yes")'],
    ["an unknown gate check", { "blue.version": "v1.0.0", "gates.checks": '["api","smoke"]' }, 'deployment-runbook:gates.checks.1: must be among api, database, cache, external, error-rate, latency, queries, infrastructure, monitoring (got "smoke")'],
  ];
  for (const [title, input, message] of cases) {
    it(`refuses ${title}, naming the key and the allowed values`, () => {
      assert.deepEqual(problems(input), [message]);
    });
  }

  it("lists sensitive keys and whether each is a secret", () => {
    const flat = ns({ "notifications": '{"webhookUrl":"http://x"}', "db.password": "p", "blue.version": "v1.0.0" });
    assert.deepEqual(sensitiveConfigKeys(flat, new Set(["deployment-runbook:db.password"])), [
      { key: "deployment-runbook:notifications.webhookUrl", secret: false },
      { key: "deployment-runbook:db.password", secret: true },
    ]);
  });
});
