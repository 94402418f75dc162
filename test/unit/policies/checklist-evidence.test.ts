// The checklist's CI result and change size: the evidence the program gathers (a real file, a real
// command, a real git repository) and the policies that judge it.
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { predeployConfigSchema } from "../../../components/config/predeploy-config";
import { changeEvidence, parseShortstat } from "../../../components/predeploy/change-size";
import { ciEvidence, statusOfFile } from "../../../components/predeploy/ci-result";
import { changeSize } from "../../../policies/change-size";
import { ciPassed } from "../../../policies/ci-passed";
import { checkRecord, promotion, rollback } from "./fixtures";

describe("predeploy: the release's CI result", () => {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "rb-ci-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const ci = (c: object) => predeployConfigSchema.parse({ ci: c }).ci!;

  it("a file per release: green when it (or its JSON status, conclusion or result) says success", () => {
    fs.writeFileSync(path.join(dir, "v2.0.0.json"), JSON.stringify({ conclusion: "success", run: 41 }));
    fs.writeFileSync(path.join(dir, "v2.1.0.json"), "failure\n");
    assert.deepEqual(ciEvidence(ci({ file: "{version}.json" }), "v2.0.0", dir), { source: path.join(dir, "v2.0.0.json"), passed: true, detail: "success" });
    assert.equal(ciEvidence(ci({ file: "{version}.json" }), "v2.1.0", dir).passed, false);
    assert.deepEqual(ciEvidence(ci({ file: "{version}.json" }), "v9.0.0", dir), { source: path.join(dir, "v9.0.0.json"), passed: false, detail: "no such file (CI has not reported on this release)" });
    assert.equal(statusOfFile('{"status":"passed"}'), "passed");
    assert.equal(statusOfFile("{broken"), "{broken");
  });

  it("a command: green when it exits 0; it gets the version", () => {
    const ok = ciEvidence(ci({ command: 'test "$RUNBOOK_VERSION" = {version} && echo "run 7 passed"' }), "v2.0.0", dir);
    assert.deepEqual(ok, { source: 'test "$RUNBOOK_VERSION" = v2.0.0 && echo "run 7 passed"', passed: true, detail: "exit 0: run 7 passed" });
    const red = ciEvidence(ci({ command: "echo 3 tests failed >&2; exit 1" }), "v2.0.0", dir);
    assert.deepEqual([red.passed, red.detail], [false, "exit 1: 3 tests failed"]);
  });

  it("needs exactly one of file and command", () => {
    assert.throws(() => ci({}), /needs exactly one of file or command/);
    assert.throws(() => ci({ file: "a", command: "b" }), /needs exactly one of file or command/);
  });

  it("ci-passed refuses a promotion whose result is not green, naming where it looked; never a rollback", async () => {
    const red = { ...promotion(), ci: { source: "/ci/v2.0.0.json", passed: false, detail: "failure" } };
    assert.deepEqual(await checkRecord(ciPassed, red), [
      "promotion toward green v2.0.0: the release's CI result is not green (/ci/v2.0.0.json: failure); fix the build, or change `deployment-runbook:predeploy.ci` if it reads the wrong result",
    ]);
    assert.deepEqual(await checkRecord(ciPassed, { ...red, ci: { ...red.ci, passed: true } }), []);
    assert.deepEqual(await checkRecord(ciPassed, { ...rollback(), ci: red.ci }), []);
    assert.deepEqual(await checkRecord(ciPassed, { ...red, hotfix: true }, { allowHotfix: true }), []);
    assert.equal((await checkRecord(ciPassed, { ...red, hotfix: true })).length, 1);
  });
});

describe("predeploy: the change's size", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { encoding: "utf8" });
  before(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "rb-change-"));
    git("init", "-q");
    fs.writeFileSync(path.join(repo, "app.js"), Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n") + "\n");
    git("add", ".");
    git("commit", "-qm", "one");
    git("tag", "-a", "v1.0.0", "-m", "v1.0.0");
    fs.writeFileSync(path.join(repo, "app.js"), Array.from({ length: 50 }, (_, i) => (i < 10 ? `changed ${i}` : `line ${i}`)).join("\n") + "\n");
    fs.writeFileSync(path.join(repo, "new.js"), Array.from({ length: 300 }, (_, i) => `new ${i}`).join("\n") + "\n");
    git("add", ".");
    git("commit", "-qm", "two");
    git("tag", "v2.0.0");
    git("tag", "app-v2.0.0");
  });
  after(() => fs.rmSync(repo, { recursive: true, force: true }));
  const cfg = (c: object) => predeployConfigSchema.parse({ changeSize: c }).changeSize!;

  it("counts lines added and removed between the two releases' tags", () => {
    const e = changeEvidence(cfg({ repo, tag: "{version}" }), "v1.0.0", "v1.0.0", repo);
    assert.deepEqual([e.lines, e.files, e.error], [0, 0, undefined]);
    assert.deepEqual(changeEvidence(cfg({ repo }), "v1.0.0", "v2.0.0", repo), { from: "v1.0.0", to: "v2.0.0", maxLines: 200, files: 2, lines: 320 });
    // A tag that is not there (app-v1.0.0 never was) is an error, never a small change.
    const missing = changeEvidence(cfg({ repo, tag: "app-{version}" }), "v1.0.0", "v2.0.0", repo);
    assert.deepEqual([missing.from, missing.to, missing.lines], ["app-v1.0.0", "app-v2.0.0", undefined]);
    assert.match(missing.error!, /app-v1\.0\.0/);
    assert.deepEqual(parseShortstat(" 1 file changed, 1 insertion(+)\n"), { files: 1, lines: 1 });
    assert.throws(() => cfg({ tag: "release" }), /must contain \{version\}/);
  });

  it("change-size reports a change above maxLines, and one it could not measure", async () => {
    const big = { ...promotion(), changeSize: { from: "v1.0.0", to: "v2.0.0", maxLines: 200, lines: 320, files: 2 } };
    assert.deepEqual(await checkRecord(changeSize, big), [
      "promotion toward green v2.0.0 changes 320 lines in 2 files since v1.0.0 (v1.0.0..v2.0.0), more than the 200 a small change has; watch this release closely, or ship it in smaller steps",
    ]);
    assert.deepEqual(await checkRecord(changeSize, { ...big, changeSize: { ...big.changeSize, lines: 150 } }), []);
    const unmeasured = { ...promotion(), changeSize: { from: "v1.0.0", to: "v2.0.0", maxLines: 200, error: "fatal: bad revision" } };
    assert.match((await checkRecord(changeSize, unmeasured))[0], /could not be measured \(fatal: bad revision\)/);
    assert.deepEqual(await checkRecord(changeSize, unmeasured, { reportUnmeasured: false }), []);
    assert.equal(changeSize.enforcementLevel, "advisory");
  });
});
