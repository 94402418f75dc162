// The integration tests judge a measured traffic split against its weight with splitTolerancePoints.
// nginx chooses each request's color at random, so the tolerance must cover chance (no flaky
// failures on a good router) and still catch a router serving the wrong weights.
import * as assert from "node:assert/strict";
import { splitTolerancePoints } from "../../scripts/load";
import { mulberry32 } from "./helpers/gate-simulation";

/** The green share, in points, of `n` requests each sent to green with probability pct/100. */
function randomSplit(random: () => number, n: number, pct: number): number {
  let green = 0;
  for (let i = 0; i < n; i++) if (random() < pct / 100) green++;
  return (green / n) * 100;
}

describe("splitTolerancePoints", () => {
  it("is five binomial standard deviations in points, widest at 50%", () => {
    assert.ok(Math.abs(splitTolerancePoints(50, 1000) - 7.906) < 0.001);
    assert.ok(Math.abs(splitTolerancePoints(10, 2000) - 3.354) < 0.001);
    assert.ok(splitTolerancePoints(50, 2000) > splitTolerancePoints(10, 2000));
    assert.ok(splitTolerancePoints(50, 4000) < splitTolerancePoints(50, 1000));
  });

  it("never goes under one point (0% and 100% are exact splits)", () => {
    assert.equal(splitTolerancePoints(0, 1000), 1);
    assert.equal(splitTolerancePoints(100, 1000), 1);
  });

  it("refuses a measurement of no requests", () => {
    assert.throws(() => splitTolerancePoints(50, 0), /n must be positive \(got 0\)/);
  });

  const simulated = 20_000;
  for (const [pct, n] of [[10, 1000], [50, 1000], [50, 2000], [90, 2000]] as const) {
    it(`rejects fewer than 1 in 10,000 of ${simulated} simulated random splits of ${n} requests at ${pct}%`, () => {
      const random = mulberry32(pct * 1000 + n);
      const tolerance = splitTolerancePoints(pct, n);
      let outside = 0;
      for (let i = 0; i < simulated; i++) {
        const green = randomSplit(random, n, pct);
        if (Math.abs(green - pct) > tolerance) outside++;
      }
      // Theory says about 1 in 1.7 million; a 3-standard-deviation tolerance would reject ~54 here.
      assert.ok(outside <= 2, `${outside} of ${simulated} rejected`);
    });
  }

  it("catches a router serving the previous step's weights (10% measured where 50% is configured, and back)", () => {
    const random = mulberry32(7);
    for (let i = 0; i < 1000; i++) {
      const at10 = randomSplit(random, 1000, 10);
      assert.ok(Math.abs(at10 - 50) > splitTolerancePoints(50, 1000));
      const at50 = randomSplit(random, 2000, 50);
      assert.ok(Math.abs(at50 - 10) > splitTolerancePoints(10, 2000));
    }
  });
});
