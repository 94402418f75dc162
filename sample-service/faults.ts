// Fault injection: the knobs that let a test ship a bad release on purpose. Kept apart from the
// request handling so the rest of the service reads as a normal service.
import { FaultConfig, HealthFault } from "./config";

/** Milliseconds of simulated work for one request: base work, scaled and delayed by the faults. */
export function simulatedWorkMs(workMs: number, faults: FaultConfig): number {
    return workMs * (1 + faults.latencyPercent / 100) + faults.latencyMs;
}

/** Whether this request should be failed on purpose. `random` is injectable for tests. */
export function shouldInjectError(faults: FaultConfig, random: () => number = Math.random): boolean {
    return faults.errorRatePercent > 0 && random() * 100 < faults.errorRatePercent;
}

const SEVERITY: Record<HealthFault, number> = { ok: 0, degraded: 1, fail: 2 };

/** The worse of two health states; the health fault can only make things look worse. */
export function worseHealth(a: HealthFault, b: HealthFault): HealthFault {
    return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/** Waits with a timer, not the CPU: simulated work must not limit throughput by itself. */
export function sleep(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether the error and latency faults are on yet: from the start, or once the instance served
 * `afterRequests` requests or ran `afterSeconds` seconds (whichever is set and comes first). Counts
 * each served request it is asked about; `now` is injectable for tests.
 */
export class FaultSwitch {
    private served = 0;
    private on: boolean;
    constructor(private readonly faults: FaultConfig, private readonly startedMs: number = Date.now(), private readonly now: () => number = Date.now) {
        this.on = faults.afterRequests === 0 && faults.afterSeconds === 0;
    }

    /** Records one served request and answers whether the faults apply to it. */
    request(): boolean {
        if (this.on) return true;
        this.served++;
        const byCount = this.faults.afterRequests > 0 && this.served > this.faults.afterRequests;
        const byTime = this.faults.afterSeconds > 0 && this.now() - this.startedMs >= this.faults.afterSeconds * 1000;
        this.on = byCount || byTime;
        return this.on;
    }
}
