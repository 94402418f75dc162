import * as assert from "node:assert/strict";
import { provenVersionsOf } from "../../../components/config/predeploy-config";
import { stagingProven } from "../../../policies/staging-proven";
import { checkRecord, promotion, rollback } from "./fixtures";

const withStaging = (r: ReturnType<typeof promotion>, provenVersions: string[]) => ({ ...r, staging: { stack: "staging", provenVersions } });

describe("staging-proven", () => {
  it("passes a promotion toward a version staging ran at 100%", async () => {
    assert.deepEqual(await checkRecord(stagingProven, withStaging(promotion(), ["v1.0.0", "v2.0.0"])), []);
  });

  it("refuses a promotion toward a version staging never ran at 100%, naming the staging stack and what it did run", async () => {
    assert.deepEqual(await checkRecord(stagingProven, withStaging(promotion(), ["v1.0.0"])), [
      'promotion toward green v2.0.0: staging stack "staging" never ran v2.0.0 at 100% (versions it did: v1.0.0); promote v2.0.0 to 100% on staging first, or unset `deployment-runbook:predeploy.stagingStack` to promote without it',
    ]);
    assert.match((await checkRecord(stagingProven, withStaging(promotion(), [])))[0], /\(versions it did: none\)/);
  });

  it("a hotfix goes through staging too, unless the pack config allows it", async () => {
    const hotfix = { ...withStaging(promotion(), []), hotfix: true };
    assert.equal((await checkRecord(stagingProven, hotfix)).length, 1);
    assert.deepEqual(await checkRecord(stagingProven, hotfix, { allowHotfix: true }), []);
  });

  it("never judges a rollback, nor a stack that names no staging stack", async () => {
    assert.deepEqual(await checkRecord(stagingProven, withStaging(rollback(), [])), []);
    assert.deepEqual(await checkRecord(stagingProven, promotion()), []);
  });

  it("reads the staging stack's proven and stable releases, either absent", () => {
    assert.deepEqual(provenVersionsOf([{ version: "v2.0.0", since: "t" }, { version: "v1.0.0", since: "t" }], { blue: { version: "v3.0.0", since: "t" } }), ["v1.0.0", "v2.0.0", "v3.0.0"]);
    assert.deepEqual(provenVersionsOf(undefined, undefined), []);
    assert.deepEqual(provenVersionsOf("junk", { green: null }), []);
  });
});
