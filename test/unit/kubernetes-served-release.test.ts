// The wait for the gateway to serve a color's new release alone (components/targets/kubernetes/
// served-release-provider.ts), driven by scripted answers and a fake clock: no gateway, no timing.
import * as assert from "node:assert/strict";
import { Answer, streakNeeded, waitUntilServed } from "../../components/targets/kubernetes/served-release-provider";

/** Answers from the script in order, then `rest` forever; the clock moves 10 ms per answer and per pause. */
function scripted(script: Answer[], rest: Answer) {
  let t = 0;
  let i = 0;
  return {
    now: () => t,
    pause: async (ms: number) => {
      t += ms;
    },
    ask: async () => {
      t += 10;
      return i < script.length ? script[i++] : rest;
    },
  };
}

const v = (version: string): Answer => ({ version });

describe("kubernetes: waiting for the gateway to serve one release", () => {
  it("needs 20 answers in a row per replica", () => {
    assert.equal(streakNeeded(1), 20);
    assert.equal(streakNeeded(2), 40);
    assert.equal(streakNeeded(0), 20);
  });

  it("ends after exactly the streak when only the new release answers", async () => {
    const r = await waitUntilServed({ version: "v2", replicas: 2, timeoutMs: 60_000, ...scripted([], v("v2")) });
    assert.equal(r.asked, 40);
  });

  it("an old pod's answer late in the streak starts the count again", async () => {
    const script = [...Array(39).fill(v("v2")), v("v1"), ...Array(39).fill(v("v2"))];
    const r = await waitUntilServed({ version: "v2", replicas: 2, timeoutMs: 60_000, ...scripted(script, v("v2")) });
    assert.equal(r.asked, 40 + 40);
  });

  it("errors and a missing route do not count", async () => {
    const script: Answer[] = [{ problem: "HTTP 404" }, { problem: "ECONNREFUSED" }, ...Array(10).fill(v("v2")), { problem: "HTTP 503" }];
    const r = await waitUntilServed({ version: "v2", replicas: 1, timeoutMs: 60_000, ...scripted(script, v("v2")) });
    assert.equal(r.asked, script.length + 20);
  });

  it("gives up after the timeout, saying what answered and what was needed", async () => {
    await assert.rejects(
      waitUntilServed({ version: "v2", replicas: 1, timeoutMs: 5_000, ...scripted([], v("v1")) }),
      /still served by v1 x20 after 5 s \(20 answers in a row from v2 needed\)/,
    );
  });
});
