// A local stack made by the layout before the targets redesign (type tokens `runbook:*`, the word
// "snapshot", provider modules under components/environment, router, backup) upgrades with one
// `pulumi up`: the fixture is that stack's state export, imported into a throwaway stack and
// previewed with today's program. Aliases must carry every resource over: nothing is created,
// deleted or replaced, so its running colors are never restarted.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stateDir } from "../../components/state-dir";
import { ROOT, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";

const FIXTURE = path.join(ROOT, "test", "fixtures", "old-layout-stack");

/** The fixture with this machine's checkout, state folder and stack name in place of its placeholders. */
function localize(text: string, stack: string): string {
  return text.replaceAll("@STACK@", stack).replaceAll("@ROOT@", ROOT).replaceAll("@STATE@", stateDir());
}

describe("upgrading a stack made by the old layout (real engine)", function () {
  this.timeout(300_000);
  let stack: ThrowawayStack;
  let fixtureResources: { urn: string; type: string }[];

  before(async () => {
    stack = await ThrowawayStack.create("upgrade", {});
    // The stack file carries the salt the fixture's secrets were encrypted with.
    fs.writeFileSync(path.join(ROOT, "stacks", `Pulumi.${stack.name}.yaml`), localize(fs.readFileSync(path.join(FIXTURE, "Pulumi.stack.yaml"), "utf8"), stack.name));
    const exported = localize(fs.readFileSync(path.join(FIXTURE, "state.json"), "utf8"), stack.name);
    fixtureResources = JSON.parse(exported).deployment.resources;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rb-upgrade-")), "state.json");
    fs.writeFileSync(file, exported);
    try {
      await stack.must(["stack", "import", "--file", file]);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
  after(async () => {
    // Nothing of the fixture runs here, so there is nothing to destroy: drop the stack as it is.
    if (stack) {
      await stack.run(["stack", "rm", "--yes", "--force"]);
      await stack.cleanup();
    }
  });

  it("the fixture is the old layout: runbook:* types, a LocalSnapshot, provider modules at the old paths", () => {
    const types = fixtureResources.map((r) => r.type);
    for (const t of ["runbook:service:BlueGreenService", "runbook:environment:LocalEnvironment", "runbook:router:LocalRouter", "runbook:backup:LocalSnapshot", "runbook:gates:HealthGate"]) {
      assert.ok(types.includes(t), `fixture lacks ${t}`);
    }
    const text = JSON.stringify(fixtureResources);
    assert.match(text, /bin\/components\/environment\/local-environment-provider\.js/);
    assert.match(text, /"snapshotId"/);
  });

  it("previews as updates only: no resource is created, deleted or replaced, both colors kept", async () => {
    const { code, plan, raw } = await stack.previewJson(POLICY_ENV);
    assert.equal(code, 0, raw.stdout + raw.stderr);
    const steps = plan.steps ?? [];
    const ops = steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`);
    const changing = steps.filter((s) => !["same", "update", "read"].includes(s.op));
    assert.deepEqual(changing.map((s) => `${s.op} ${s.urn}`), [], `the upgrade would change resources:\n${ops.join("\n")}`);
    for (const name of ["app-blue-processes", "app-green-processes", "app-router-weights", "app-backup-pgdump"]) {
      assert.ok(ops.some((o) => o.endsWith(` ${name}`)), `the upgrade does not carry ${name} over:\n${ops.join("\n")}`);
    }
    // The program still sees the last applied state under its old output names: no change in traffic.
    assert.match(raw.stdout, /"kind": "hold"/);
  });
});
