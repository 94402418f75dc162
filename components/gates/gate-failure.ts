// What happens when a health gate fails: its dynamic resource's create or update throws this error,
// so the engine stops the update there. The router's traffic resource depends on the gate (and
// gate-before-shift refuses a promotion where it does not), so it is never reached: traffic stays
// as the last up left it, the state keeps the previous outputs, and the error lists every check.
import type { Color, Traffic } from "../types";

export interface FailedGate {
  color: Color;
  version: string;
  /** Traffic the last up applied (null on the first deployment). */
  currentTraffic: Traffic | null;
  /** The percent this update asked for the color. */
  requestedPercent: number;
}

/** The error that stops the update: what failed, how long it took, where traffic stays, each check. */
export function gateFailure(g: FailedGate, seconds: number, report: string): Error {
  const from = g.currentTraffic ? `blue ${g.currentTraffic.blue}% / green ${g.currentTraffic.green}%` : "no traffic";
  return new Error(`health gate for ${g.color} ${g.version} failed after ${seconds.toFixed(1)}s; traffic stays at ${from} (requested ${g.color} ${g.requestedPercent}%):\n${report}`);
}
