// The pre-deployment checklist on real local stacks (real engine, policy pack): "tested in staging"
// with two stacks in one backend (a StackReference): a stack naming its staging stack promotes only
// what staging ran at 100%, and the refusal names the staging stack and changes nothing; then the
// release's CI result (a file) and the change's size (a git repository with the releases' tags).
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SHORT_ANALYSIS, ThrowawayStack } from "./harness";
import { POLICY_ENV } from "./policy-clock";

describe("the pre-deployment checklist: staging, CI result, change size (predeploy.*, policies staging-proven, ci-passed, change-size)", function () {
  this.timeout(300_000);
  let staging: ThrowawayStack;
  let production: ThrowawayStack;
  const common = { "blue.replicas": 1, "green.replicas": 1, ...SHORT_ANALYSIS, "gates.analysis.maxLatencyIncreasePercent": 100 };

  before(async () => {
    staging = await ThrowawayStack.create("stg", { ...common, "blue.version": "v1.0.0", "local.routerPort": 19500, "local.basePort": 25600 });
    const up = await staging.apply(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    production = await ThrowawayStack.create("prod", { ...common, "blue.version": "v1.0.0", "local.routerPort": 19550, "local.basePort": 25800, "predeploy.stagingStack": staging.name }, { backendOf: staging });
  });

  after(async () => {
    if (production) await production.cleanup();
    if (staging) await staging.cleanup();
  });

  it("the first deployment of v1.0.0, which staging serves at 100%, passes", async () => {
    const up = await production.apply(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual((await production.outputs()).traffic, { blue: 100, green: 0 });
  });

  it("a promotion toward v2.0.0, which staging never ran, is refused by preview and by up, naming the staging stack; nothing changes", async () => {
    const before = await production.outputs();
    await production.setConfig("green.version", "v2.0.0");
    await production.setConfig("traffic.green", 10);
    const expected = new RegExp(`\\[mandatory\\]\\s+staging-proven[\\s\\S]*staging stack "${staging.name}" never ran v2\\.0\\.0 at 100% \\(versions it did: v1\\.0\\.0\\)`);
    const preview = await production.preview(POLICY_ENV);
    assert.notEqual(preview.code, 0);
    assert.match(preview.stdout, expected);
    const up = await production.apply(POLICY_ENV);
    assert.notEqual(up.code, 0);
    assert.match(up.stdout, expected);
    assert.deepEqual(await production.outputs(), before);
  });

  it("a staging stack that does not exist fails the promotion's preview, naming it", async () => {
    await production.setConfig("predeploy.stagingStack", "test-stg-nope");
    try {
      const preview = await production.preview(POLICY_ENV);
      assert.notEqual(preview.code, 0);
      assert.match(preview.stdout + preview.stderr, /test-stg-nope/);
    } finally {
      await production.setConfig("predeploy.stagingStack", staging.name);
    }
  });

  it("once staging serves v2.0.0 at 100%: a red CI result still refuses it; a green one passes, with the change size as advice", async () => {
    await staging.setConfig("green.version", "v2.0.0");
    for (const pct of [10, 60, 100]) {
      await staging.setConfig("traffic.green", pct);
      const up = await staging.apply(POLICY_ENV);
      assert.equal(up.code, 0, `staging at ${pct}%:\n${up.stdout}${up.stderr}`);
    }
    // The release's CI result, as a CI job would leave it; the service's repository with its tags.
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "rb-checklist-"));
    const repo = path.join(work, "repo");
    fs.mkdirSync(repo);
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", ...args]);
    git("init", "-q");
    fs.writeFileSync(path.join(repo, "a.txt"), "one\n");
    git("add", ".");
    git("commit", "-qm", "v1");
    git("tag", "v1.0.0");
    fs.writeFileSync(path.join(repo, "a.txt"), Array.from({ length: 250 }, (_, i) => `line ${i}`).join("\n"));
    git("add", ".");
    git("commit", "-qm", "v2");
    git("tag", "v2.0.0");
    fs.writeFileSync(path.join(work, "v2.0.0.status"), "failure\n");
    await production.setConfig("predeploy.ci.file", path.join(work, "{version}.status"));
    await production.setConfig("predeploy.changeSize.repo", repo);
    const red = await production.apply(POLICY_ENV);
    assert.notEqual(red.code, 0);
    assert.match(red.stdout, new RegExp(`\\[mandatory\\]\\s+ci-passed[\\s\\S]*the release's CI result is not green \\(${work}/v2\\.0\\.0\\.status: failure\\)`));
    assert.deepEqual((await production.outputs()).traffic, { blue: 100, green: 0 });
    fs.writeFileSync(path.join(work, "v2.0.0.status"), JSON.stringify({ conclusion: "success" }));
    const up = await production.apply(POLICY_ENV);
    fs.rmSync(work, { recursive: true, force: true });
    assert.match(up.stdout, /\[advisory\]\s+change-size[\s\S]*changes 251 lines in 1 file since v1\.0\.0/);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual((await production.outputs()).traffic, { blue: 90, green: 10 });
  });

  it("a rollback is never judged by it, whatever staging ran", async () => {
    await staging.setConfig("traffic.green", 0);
    assert.equal((await staging.apply(POLICY_ENV)).code, 0);
    await production.setConfig("traffic.green", 0);
    const up = await production.apply(POLICY_ENV);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.deepEqual((await production.outputs()).traffic, { blue: 100, green: 0 });
  });
});
