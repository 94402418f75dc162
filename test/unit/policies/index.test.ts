import * as assert from "node:assert/strict";
import { loadPack } from "./fixtures";

const EXPECTED = [
  "aws-load-balancer",
  "backup-age",
  "change-size",
  "ci-passed",
  "deployment-window",
  "gate-before-shift",
  "kubernetes-workload",
  "secrets",
  "stable-kept",
  "staging-proven",
  "traffic-step",
];

describe("the policy pack (policies/index)", () => {
  const pack = loadPack();
  const policies = pack.args.policies;

  it('constructs one PolicyPack named "deployment-runbook" with every policy of issue 5', () => {
    assert.equal(pack.name, "deployment-runbook");
    assert.deepEqual(policies.map((p) => p.name).sort(), EXPECTED);
  });

  it("names policies in kebab-case, once each", () => {
    for (const p of policies) assert.match(p.name, /^[a-z]+(-[a-z0-9]+)*$/);
    assert.equal(new Set(policies.map((p) => p.name)).size, policies.length);
  });

  it("keeps one policy per file, the file named after the policy", () => {
    for (const p of policies) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(`../../../policies/${p.name}`) as Record<string, unknown>;
      assert.ok(Object.values(mod).includes(p), `policies/${p.name}.ts exports the ${p.name} policy`);
    }
  });

  it('describes each policy with "Checks that…" and sets its enforcement level', () => {
    for (const p of policies) {
      assert.match(p.description, /^Checks that /, p.name);
      assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", `${p.name} sets its enforcement level`);
    }
  });

  it("describes every option in a JSON schema, with a default for all but the clock", () => {
    for (const p of policies) {
      assert.ok(p.configSchema, `${p.name} has a configSchema`);
      const props = Object.entries(p.configSchema.properties);
      assert.ok(props.length > 0, `${p.name} has options`);
      assert.ok(!("enforcementLevel" in p.configSchema.properties), "enforcementLevel is the engine's, not an option");
      for (const [name, schema] of props) {
        assert.ok(schema.type, `${p.name}.${name} has a type`);
        assert.ok(schema.description?.endsWith("."), `${p.name}.${name} is described`);
        if (name === "now") assert.equal(schema.default, undefined, "now defaults to the real clock");
        else assert.notEqual(schema.default, undefined, `${p.name}.${name} has a default`);
      }
    }
  });

  it("gives every time-dependent policy a `now` option", () => {
    for (const name of ["backup-age", "deployment-window", "stable-kept"]) {
      const p = policies.find((x) => x.name === name)!;
      assert.ok(p.configSchema && "now" in p.configSchema.properties, name);
    }
  });
});
