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
