// The fast path of `npm run rollback`: reading the stack from the file backend's checkpoint (and
// when not to trust it), the choice of the color to roll back to, and that the command's entry
// module loads no Pulumi before it switches the router.
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { routerProgram } from "../../components/targets/local/names";
import { checkpointCandidates, readFastState, stateFromCheckpoint } from "../../components/targets/local/checkpoint";
import { UsageError } from "../../scripts/cli-args";
import { RollbackView, chooseRollbackTarget } from "../../scripts/rollback-plan";

const STACK = "test-rollout-abc123";
const router = (over: Record<string, unknown> = {}) => ({
  urn: `urn:pulumi:${STACK}::deployment-runbook::pulumi-nodejs:dynamic:Resource::svc-router-weights`,
  type: "pulumi-nodejs:dynamic:Resource",
  outputs: {
    __provider: "exports.handler = ...",
    generation: "g-1",
    runbook: "router-traffic",
    stack: STACK,
    service: "svc",
    port: 19300,
    upstreams: { blue: [22600], green: [22601] },
    nginxDir: "/state/nginx",
    supervisorConfig: "/state/supervisor/supervisord.conf",
    traffic: { blue: 10, green: 90 },
    ...over,
  },
});
const rootOutputs = {
  traffic: { blue: 10, green: 90 },
  versions: { blue: "v1.0.0", green: "v2.0.0" },
  stableReleases: { blue: { version: "v1.0.0", since: "2026-11-25T12:00:00.000Z" } },
  stable: { color: "blue", version: "v1.0.0" },
  url: "http://127.0.0.1:19300",
};
const checkpoint = (resources: unknown[], pending: unknown[] = []) => ({ version: 3, checkpoint: { stack: STACK, latest: { resources, pending_operations: pending } } });
const stackResource = (outputs: Record<string, unknown> = rootOutputs) => ({ urn: `urn:pulumi:${STACK}::deployment-runbook::pulumi:pulumi:Stack::deployment-runbook-${STACK}`, type: "pulumi:pulumi:Stack", outputs });

describe("rollback fast path: the checkpoint", () => {
  it("the file backend's project-scoped and legacy paths, plain and gzipped; other backends have none", () => {
    assert.deepEqual(checkpointCandidates("file:///b/backend?metadata=skip", "deployment-runbook", "local"), [
      "/b/backend/.pulumi/stacks/deployment-runbook/local.json",
      "/b/backend/.pulumi/stacks/deployment-runbook/local.json.gz",
      "/b/backend/.pulumi/stacks/local.json",
      "/b/backend/.pulumi/stacks/local.json.gz",
    ]);
    assert.equal(checkpointCandidates("file://~/pulumi", "p", "s", "/home/al")![0], "/home/al/pulumi/.pulumi/stacks/p/s.json");
    assert.equal(checkpointCandidates("s3://bucket", "p", "s"), undefined);
    assert.equal(checkpointCandidates("https://api.pulumi.com", "p", "s"), undefined);
    assert.equal(checkpointCandidates("file://relative/dir", "p", "s"), undefined);
  });

  it("gives the outputs the rollback decides on and the router's inputs without provider or generation", () => {
    const r = stateFromCheckpoint(checkpoint([stackResource(), router()]), STACK);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.state.traffic, { blue: 10, green: 90 });
    assert.deepEqual(r.state.versions, rootOutputs.versions);
    assert.deepEqual(r.state.stable, { color: "blue", version: "v1.0.0" });
    assert.equal(r.state.url, rootOutputs.url);
    assert.equal("__provider" in r.state.router, false);
    assert.equal("generation" in r.state.router, false);
    assert.deepEqual(r.state.router.upstreams, { blue: [22600], green: [22601] });
  });

  const untrusted: [string, unknown, RegExp][] = [
    ["no resources", { checkpoint: { latest: {} } }, /no resources/],
    ["no stack outputs", checkpoint([router()]), /no stack outputs/],
    ["a secret output", checkpoint([stackResource({ ...rootOutputs, url: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" } }), router()]), /secret/],
    ["not the local target", checkpoint([stackResource()]), /not the local target/],
    ["two routers", checkpoint([stackResource(), router(), router()]), /more than one router/],
    ["the router of another stack", checkpoint([stackResource(), router({ stack: "other" })]), /belongs to stack "other"/],
    ["an update of the router in flight", checkpoint([stackResource(), router()], [{ resource: { urn: router().urn }, type: "updating" }]), /in flight/],
    ["the router's split differs from the outputs' (a failed up)", checkpoint([stackResource(), router({ traffic: { blue: 50, green: 50 } })]), /router serves \{"blue":50,"green":50\} but the outputs record \{"blue":10,"green":90\}/],
    ["incomplete router inputs", checkpoint([stackResource(), router({ port: "19300" })]), /incomplete/],
  ];
  for (const [what, doc, reason] of untrusted) {
    it(`is not trusted with ${what}: a reason, and the slow path`, () => {
      const r = stateFromCheckpoint(doc, STACK);
      assert.equal(r.ok, false);
      assert.match((r as { reason: string }).reason, reason);
    });
  }
  it("an update in flight elsewhere in the stack does not stop the fast path", () => {
    assert.equal(stateFromCheckpoint(checkpoint([stackResource(), router()], [{ resource: { urn: "urn:pulumi:x::gate" }, type: "creating" }]), STACK).ok, true);
  });

  it("reads the file (gzipped too) and checks the router's config is still on disk; never throws", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "runbook-fast-"));
    const nginxDir = path.join(dir, "nginx");
    const doc = checkpoint([stackResource(), router({ nginxDir })]);
    const stacks = path.join(dir, "backend", ".pulumi", "stacks", "deployment-runbook");
    fs.mkdirSync(stacks, { recursive: true });
    const url = `file://${path.join(dir, "backend")}?metadata=skip`;
    assert.match((readFastState(url, "deployment-runbook", STACK) as { reason: string }).reason, /no checkpoint of stack/);
    fs.writeFileSync(path.join(stacks, `${STACK}.json.gz`), zlib.gzipSync(JSON.stringify(doc)));
    assert.match((readFastState(url, "deployment-runbook", STACK) as { reason: string }).reason, /router's config .*nginx\.conf is gone/);
    fs.mkdirSync(path.join(nginxDir, routerProgram(STACK, "svc")), { recursive: true });
    fs.writeFileSync(path.join(nginxDir, routerProgram(STACK, "svc"), "nginx.conf"), "");
    const r = readFastState(url, "deployment-runbook", STACK);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.file, path.join(stacks, `${STACK}.json.gz`));
    assert.equal(r.state.router.nginxDir, nginxDir);
    fs.writeFileSync(path.join(stacks, `${STACK}.json`), "{ torn");
    assert.match((readFastState(url, "deployment-runbook", STACK) as { reason: string }).reason, /could not be read/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("rollback fast path: which color", () => {
  const view: RollbackView = {
    traffic: { blue: 10, green: 90 },
    versions: { blue: "v1.0.0", green: "v2.0.0" },
    stableReleases: { blue: { version: "v1.0.0", since: "t" } },
    provenReleases: [{ version: "v1.0.0", since: "t" }, { version: "v0.8.0", since: "s" }],
    stable: { color: "blue", version: "v1.0.0" },
  };
  it("the stable color by default", () => assert.deepEqual(chooseRollbackTarget("prod", view), { kind: "switch", to: "blue" }));
  it("--to a proven release running on a color (version revert)", () => assert.deepEqual(chooseRollbackTarget("prod", view, "v1.0.0"), { kind: "switch", to: "blue" }));
  it("--to a release that never served 100% is a promotion: refused naming the allowed values", () => {
    assert.throws(() => chooseRollbackTarget("prod", view, "v2.0.0"), (e: Error) => e instanceof UsageError && /--to v2\.0\.0 \(green\) has not served 100%.*allowed: v1\.0\.0 \(blue\)/.test(e.message));
  });
  it("--to a release that never served 100% and no color runs is refused naming the allowed values", () => {
    assert.throws(
      () => chooseRollbackTarget("prod", view, "v0.9.0"),
      (e: Error) => e instanceof UsageError && /--to v0\.9\.0: it has not served 100% in stack prod .*\(allowed: v1\.0\.0 \(blue\), v0\.8\.0 \(redeployed on the idle color\); use npm run deploy\)/.test(e.message),
    );
  });
  it("--to a proven release no color runs goes back on the idle color", () => {
    const done = { ...view, traffic: { blue: 0, green: 100 } };
    assert.deepEqual(chooseRollbackTarget("prod", done, "v0.8.0"), { kind: "redeploy", to: "blue", version: "v0.8.0" });
  });
  it("--to a proven release while both colors serve traffic is refused: roll back first", () => {
    assert.throws(
      () => chooseRollbackTarget("prod", view, "v0.8.0"),
      (e: Error) => e instanceof UsageError && /--to v0\.8\.0: both colors serve traffic \(blue 10%, green 90%\).*npm run rollback -- --env prod first, then --to v0\.8\.0/.test(e.message),
    );
  });
  it("nothing to do when the target already serves 100%", () => {
    const r = chooseRollbackTarget("prod", { ...view, traffic: { blue: 100, green: 0 } });
    assert.equal(r.kind, "nothing");
  });
  it("a stack never deployed, or without a stable release, is refused", () => {
    assert.throws(() => chooseRollbackTarget("prod", { ...view, traffic: undefined }), /has not been deployed yet/);
    assert.throws(() => chooseRollbackTarget("prod", { ...view, stable: undefined }), /has no stable release/);
  });
});

describe("rollback fast path: start-up", () => {
  it("the entry script's static imports load no @pulumi module (nor axios)", () => {
    const entry = fs.readFileSync(path.join(__dirname, "..", "..", "scripts", "rollback.js"), "utf8");
    const statics = [...entry.matchAll(/^const \w+ = (?:__importStar\()?require\("([^"]+)"\)/gm)].map((m) => m[1]);
    assert.ok(statics.length > 3, entry.slice(0, 400));
    // A fresh process: this one may have loaded Pulumi for other tests.
    const dir = path.join(__dirname, "..", "..", "scripts");
    const probe = `for (const m of ${JSON.stringify(statics)}) require(m.startsWith(".") ? require("path").join(${JSON.stringify(dir)}, m) : m);
      console.log(JSON.stringify(Object.keys(require.cache).filter((k) => /node_modules[\\\\/](@pulumi|axios)/.test(k))));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ["-e", probe], { encoding: "utf8" }));
    assert.deepEqual(loaded, []);
  });
});
