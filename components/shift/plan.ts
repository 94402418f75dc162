// Classifies a stack config edit against what the last `up` applied. Pure: the program feeds it
// the previous stack outputs, and gates, policies and the deployment record all read the result.
import { COLORS, Color, ShiftPlan, StableRelease, Weights } from "../types";

export interface AppliedState {
  traffic?: Weights;
  versions?: Partial<Record<Color, string>>;
  stable?: StableRelease;
}

export function planShift(
  previous: AppliedState | undefined,
  next: Weights,
  versions: Partial<Record<Color, string>>,
  now: string = new Date().toISOString(),
): ShiftPlan {
  const fullColor = COLORS.find((c) => next[c] === 100);
  const prevTraffic = previous?.traffic;
  if (!prevTraffic) {
    const towards = fullColor ?? (next.green > next.blue ? "green" : "blue");
    return {
      kind: "initial",
      next,
      towards,
      nextStable: fullColor ? { color: fullColor, version: versions[fullColor]!, since: now } : undefined,
    };
  }
  const prevFull = COLORS.find((c) => prevTraffic[c] === 100);
  const carried = previous?.stable;
  const stable: StableRelease | undefined =
    prevFull && previous?.versions?.[prevFull]
      ? { color: prevFull, version: previous.versions[prevFull]!, since: sameRelease(carried, prevFull, previous.versions[prevFull]!) ? carried?.since : undefined }
      : carried;
  // A release keeps the time it first reached 100%; a new one starts its keep period now.
  const nextStable: StableRelease | undefined = fullColor
    ? { color: fullColor, version: versions[fullColor]!, since: sameRelease(stable, fullColor, versions[fullColor]!) ? stable?.since : now }
    : stable;

  const gaining = COLORS.find((c) => next[c] > prevTraffic[c]);
  if (gaining) {
    const rollback = stable !== undefined && stable.color === gaining && versions[gaining] === stable.version;
    return { kind: rollback ? "rollback" : "promote", previous: prevTraffic, next, towards: gaining, stable, nextStable };
  }
  const rolled = COLORS.find((c) => next[c] > 0 && versions[c] !== previous?.versions?.[c]);
  if (rolled) {
    return { kind: "rolling", previous: prevTraffic, next, towards: rolled, stable, nextStable };
  }
  return { kind: "hold", previous: prevTraffic, next, stable, nextStable };
}

/** True when this update moves traffic toward a release that has not yet proven itself. */
export function isPromotion(plan: ShiftPlan): boolean {
  return plan.kind === "promote" || plan.kind === "rolling" || plan.kind === "initial";
}

function sameRelease(s: StableRelease | undefined, color: Color, version: string): boolean {
  return s !== undefined && s.color === color && s.version === version;
}
