// The sample service's delayed faults: errors and latency that start after N requests or N seconds.
import { strict as assert } from "assert";
import { FaultSwitch } from "../../sample-service/faults";
import { FaultConfig } from "../../sample-service/config";

const faults = (over: Partial<FaultConfig>): FaultConfig => ({ errorRatePercent: 30, latencyPercent: 0, latencyMs: 0, health: "ok", crashAtStart: false, slowStartMs: 0, afterRequests: 0, afterSeconds: 0, ...over });

describe("sample service: delayed faults (FAULT_AFTER_REQUESTS, FAULT_AFTER_SECONDS)", () => {
  it("without either, faults apply from the first request", () => {
    assert.equal(new FaultSwitch(faults({})).request(), true);
  });
  it("after 3 requests: the first 3 are healthy, the 4th and later are not", () => {
    const s = new FaultSwitch(faults({ afterRequests: 3 }));
    assert.deepEqual([1, 2, 3, 4, 5].map(() => s.request()), [false, false, false, true, true]);
  });
  it("after 2 seconds by the injected clock, whatever the count", () => {
    let now = 1000;
    const s = new FaultSwitch(faults({ afterSeconds: 2 }), 1000, () => now);
    assert.equal(s.request(), false);
    now = 2999;
    assert.equal(s.request(), false);
    now = 3000;
    assert.equal(s.request(), true);
  });
  it("both set: whichever comes first", () => {
    let now = 0;
    const s = new FaultSwitch(faults({ afterRequests: 100, afterSeconds: 1 }), 0, () => now);
    assert.equal(s.request(), false);
    now = 1000;
    assert.equal(s.request(), true);
  });
});
