// The target registry (components/targets/registry.ts): the `target` value -> its definition.
import * as assert from "node:assert/strict";
import { parseStackConfig } from "../../components/config/stack-config";
import { registerTarget, targetDefinition, targetNames } from "../../components/targets/registry";
import { registerTestTarget, TEST_TARGET, testTargetDefinition } from "./helpers/test-target";

describe("target registry", () => {
  it("holds the three built-in targets, in order", () => {
    assert.deepEqual(targetNames().slice(0, 3), ["local", "kubernetes", "aws"]);
    assert.equal(targetDefinition("kubernetes").name, "kubernetes");
  });

  it("a registered target becomes a `target` value with its own config section; removing it takes both away", () => {
    const unregister = registerTestTarget();
    try {
      const c = parseStackConfig({ target: TEST_TARGET, blue: { version: "v1.0.0" }, [TEST_TARGET]: { endpoint: "http://x.invalid" } });
      assert.deepEqual(c[TEST_TARGET], { endpoint: "http://x.invalid" });
      assert.throws(() => parseStackConfig({ target: TEST_TARGET, blue: { version: "v1.0.0" }, [TEST_TARGET]: { port: 1 } }), {
        message: `invalid stack config:\n  - deployment-runbook:${TEST_TARGET}.port: unknown key (allowed: endpoint)`,
      });
      assert.throws(() => registerTarget({ ...testTargetDefinition }), { message: `target ${TEST_TARGET} is registered already` });
    } finally {
      unregister();
    }
    assert.ok(!targetNames().includes(TEST_TARGET));
    assert.throws(() => parseStackConfig({ target: TEST_TARGET, blue: { version: "v1.0.0" } }), {
      message: `invalid stack config:\n  - deployment-runbook:target: must be one of local, kubernetes, aws (got "${TEST_TARGET}")`,
    });
  });

  it("refuses a name that cannot be a config section, and names the registered ones for an unknown target", () => {
    assert.throws(() => registerTarget({ ...testTargetDefinition, name: "Cloud-Run" }), {
      message: 'target name "Cloud-Run" must be lowercase letters and digits (it is a config section name)',
    });
    assert.throws(() => targetDefinition("nomad"), { message: 'no target named "nomad" (registered: local, kubernetes, aws)' });
  });
});
