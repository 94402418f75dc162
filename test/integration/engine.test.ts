// The real Pulumi engine, built from the Go module proxy, driving this program end to end:
// preview, up, a stack config edit, up again, a policy that stops an up, destroy and stack rm.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { Supervisor } from "../../components/targets/local/supervisor";
import { serviceKey } from "../../components/targets/local/names";
import * as paths from "../../components/targets/local/paths";
import { engineVersion, ROOT, SHORT_ANALYSIS, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";

const ROUTER_PORT = 18780;
const BASE_PORT = 20400;

describe("the engine (real pulumi CLI and language host)", function () {
  this.timeout(300_000);

  it("npm run pulumi -- version prints the pinned version, and a second run does not rebuild", () => {
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "pulumi.js"), "version"], { cwd: ROOT, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), engineVersion());
      assert.doesNotMatch(r.stderr, /building the Pulumi engine/);
    }
  });

  describe("a throwaway stack through its whole life", () => {
    let stack: ThrowawayStack;
    let recordFile: string;
    const processes = async () => (await new Supervisor().statusAll(serviceKey(stack.name, "app"))).map((s) => s.name).sort();

    before(async () => {
      stack = await ThrowawayStack.create("engine", {
        "blue.version": "v1.0.0",
        "blue.replicas": 1,
        "green.replicas": 1,
        "local.routerPort": ROUTER_PORT,
        "local.basePort": BASE_PORT,
        ...SHORT_ANALYSIS,
      });
      recordFile = path.join(paths.stateDir(), "records", `deployment-runbook-${stack.name}-app.json`);
    });
    after(async () => {
      if (stack) await stack.cleanup();
    });

    it("preview plans the service and touches nothing", async () => {
      const { code, plan, raw } = await stack.previewJson(POLICY_ENV);
      assert.equal(code, 0, raw.stdout + raw.stderr);
      const creates = (plan.steps ?? []).filter((s) => s.op === "create").map((s) => s.urn.split("::").slice(-2).join("::"));
      for (const expected of [
        "deployment-runbook:service:BlueGreenService::app",
        "deployment-runbook:service:BlueGreenService$deployment-runbook:local:LocalEnvironment::app-blue",
        "deployment-runbook:service:BlueGreenService$deployment-runbook:local:LocalRouter::app-router",
      ]) {
        assert.ok(creates.includes(expected), `preview does not plan ${expected}: ${creates.join(", ")}`);
      }
      assert.ok(!creates.some((u) => u.includes("app-green")), "green has no version: nothing of green may be planned");
      assert.deepEqual(await processes(), [], "preview started processes");
      assert.ok(!fs.existsSync(recordFile), "preview wrote the deployment record");
    });

    it("up creates it: processes run, the router answers, the record is written", async () => {
      const up = await stack.up(POLICY_ENV);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      const out = await stack.outputs();
      assert.deepEqual(out.traffic, { blue: 100, green: 0 });
      assert.deepEqual(await processes(), [`${serviceKey(stack.name, "app")}-blue-0`, `${serviceKey(stack.name, "app")}-router`]);
      const record = JSON.parse(fs.readFileSync(recordFile, "utf8"));
      assert.equal(record.plan.kind, "initial");
      assert.match(record.announcement, /Deployment Complete/);
      // The state is written atomically, and nothing is rewritten in place beside it: an `up`
      // killed mid-write once left an empty `.attrs` sidecar that made the stack unreadable.
      const files = stack.backendFiles();
      assert.ok(files.some((f) => f.endsWith(`${stack.name}.json`)), `no state file in ${files.join(", ")}`);
      assert.deepEqual(files.filter((f) => f.endsWith(".attrs")), [], "the file backend wrote .attrs sidecars");
    });

    it("a config edit and up again promotes green to 10%", async () => {
      await stack.setConfig("green.version", "v2.0.0");
      await stack.setConfig("traffic.green", 10);
      const { plan } = await stack.previewJson(POLICY_ENV);
      const ops = Object.fromEntries((plan.steps ?? []).map((s) => [s.urn.split("::").pop(), s.op]));
      assert.equal(ops["app-green"], "create");
      assert.equal(ops["app-router-weights"], "update");
      assert.equal(ops["app-backup-pgdump"], "replace", "a promotion takes a new backup");
      const up = await stack.up(POLICY_ENV);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      assert.deepEqual((await stack.outputs()).traffic, { blue: 90, green: 10 });
      const record = JSON.parse(fs.readFileSync(recordFile, "utf8"));
      assert.equal(record.plan.kind, "promote");
      assert.match(record.announcement, /Production Deployment In Progress/);
      assert.match(record.announcement, /Rollback Plan\*\*: blue-green switch to blue v1\.0\.0/);
    });

    it("a policy violation stops the up and leaves traffic and state as they were", async () => {
      const state = stack.stateFile();
      await stack.setConfig("traffic.green", 80);
      try {
        const up = await stack.up(POLICY_ENV);
        assert.notEqual(up.code, 0);
        assert.match(up.stdout, /traffic-step/);
        assert.match(up.stdout, /\[mandatory\]/);
        assert.deepEqual((await stack.outputs()).traffic, { blue: 90, green: 10 });
        assert.equal(stack.stateFile(), state);
      } finally {
        await stack.setConfig("traffic.green", 10);
      }
    });

    it("destroy removes processes and the record; stack rm removes the stack", async () => {
      await stack.must(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
      assert.deepEqual(await processes(), []);
      assert.ok(!fs.existsSync(recordFile), "destroy left the record file");
      await stack.must(["stack", "rm", "--yes"]);
      const ls = await stack.run(["stack", "ls", "--json"]);
      assert.ok(!ls.stdout.includes(stack.name), "the stack is still listed");
    });
  });
});
