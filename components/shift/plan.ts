// Classifies a stack config edit against what the last `up` applied. Pure: the program feeds it
// the previous stack outputs, and gates, policies and the deployment record all read the result.
//
// A color's release is "proven" once it has served 100% of traffic. Moving weight toward a proven
// release is a rollback (never gated, never blocked); toward anything else it is a promotion. A
// rollback away from a color withdraws that color's proof, so re-promoting a release that was just
// rolled back is gated again.
import { COLORS, Color, ProvenReleases, ShiftPlan, StableRelease, Weights, otherColor } from "../types";

export interface AppliedState {
  traffic?: Weights;
  versions?: Partial<Record<Color, string>>;
  proven?: ProvenReleases;
}

export function planShift(
  previous: AppliedState | undefined,
  next: Weights,
  versions: Partial<Record<Color, string>>,
  now: string = new Date().toISOString(),
): ShiftPlan {
  const prevTraffic = previous?.traffic;
  const proven: ProvenReleases = {};
  // A proof holds only while the color still runs the release that earned it.
  for (const c of COLORS) {
    const p = previous?.proven?.[c];
    if (p && p.version === versions[c]) proven[c] = p;
  }
  const previousVersions = previous?.versions ?? {};

  let kind: ShiftPlan["kind"];
  let towards: Color | undefined;
  if (!prevTraffic) {
    kind = "initial";
    towards = next.green > next.blue ? "green" : "blue";
  } else {
    towards = COLORS.find((c) => next[c] > prevTraffic[c]);
    if (towards) {
      kind = proven[towards] ? "rollback" : "promote";
    } else {
      towards = COLORS.find((c) => next[c] > 0 && versions[c] !== previousVersions[c]);
      kind = towards ? "rolling" : "hold";
    }
  }

  const nextProven: ProvenReleases = { ...proven };
  for (const c of COLORS) {
    if (next[c] === 100 && versions[c] && !nextProven[c]) nextProven[c] = { version: versions[c]!, since: now };
  }
  if (kind === "rollback" && towards) delete nextProven[otherColor(towards)];

  const retiringColor = COLORS.find((c) => previousVersions[c] && !versions[c]);
  const replacement = retiringColor ? otherColor(retiringColor) : undefined;
  const retiring = retiringColor
    ? {
        color: retiringColor,
        version: previousVersions[retiringColor]!,
        replacedBy: replacement && nextProven[replacement] ? { color: replacement, ...nextProven[replacement]! } : undefined,
      }
    : undefined;

  return {
    kind,
    previous: prevTraffic,
    retiring,
    next,
    towards,
    previousVersions,
    proven,
    nextProven,
    stable: rollbackTarget(kind, towards, proven, versions),
    nextStable: rollbackTarget(kind, towards, nextProven, versions, next),
  };
}

/**
 * The instant rollback target: the proven release that is not the one being promoted (or, for a
 * rollback, the release traffic returns to).
 */
function rollbackTarget(
  kind: ShiftPlan["kind"],
  towards: Color | undefined,
  proven: ProvenReleases,
  versions: Partial<Record<Color, string>>,
  weights?: Weights,
): StableRelease | undefined {
  const pick = (c: Color): StableRelease | undefined => (proven[c] && versions[c] ? { color: c, version: proven[c]!.version, since: proven[c]!.since } : undefined);
  if (kind === "rollback" && towards) return pick(towards);
  if (towards && (kind === "promote" || kind === "rolling" || kind === "initial")) return pick(otherColor(towards)) ?? (weights ? pick(towards) : undefined);
  // No promotion under way: the proven color with the most traffic.
  const byWeight = weights ? [...COLORS].sort((a, b) => weights[b] - weights[a]) : COLORS;
  for (const c of byWeight) if (pick(c)) return pick(c);
  return undefined;
}

/** True when this update moves traffic toward a release that has not yet proven itself. */
export function isPromotion(plan: ShiftPlan): boolean {
  return plan.kind === "promote" || plan.kind === "rolling" || plan.kind === "initial";
}

/**
 * A color may stop running a release (its version removed from config) only once the last `up`
 * left it without traffic; otherwise its share would go nowhere while the router catches up.
 */
export function retirementProblems(previous: AppliedState | undefined, versions: Partial<Record<Color, string>>): string[] {
  return COLORS.filter((c) => !versions[c] && (previous?.traffic?.[c] ?? 0) > 0).map(
    (c) =>
      `deployment-runbook:${c}.version: cannot be removed while ${c} still serves ${previous!.traffic![c]}% (after the last up); set traffic.green to ${c === "green" ? 0 : 100}, run up, then remove it`,
  );
}

/** The snapshot the last `up` recorded (a stack output). */
export interface AppliedSnapshot {
  trigger: string;
  takenAt?: string;
}

/**
 * What keys the snapshot: one snapshot per promotion (color and release), re-taken when it is older
 * than `refreshAfterMinutes` or when `generation` is bumped; a rollback or a hold keeps the last one
 * so it never waits for a backup.
 */
export function snapshotTrigger(
  plan: ShiftPlan,
  versions: Partial<Record<Color, string>>,
  previous: AppliedSnapshot | undefined,
  backup: { generation: number; refreshAfterMinutes: number },
  now: Date = new Date(),
): string {
  if (!isPromotion(plan) || !plan.towards) return previous?.trigger ?? `none:g${backup.generation}`;
  const key = `${plan.towards}:${versions[plan.towards]}:g${backup.generation}`;
  if (previous && (previous.trigger === key || previous.trigger.startsWith(`${key}@`))) {
    const age = previous.takenAt ? (now.getTime() - Date.parse(previous.takenAt)) / 60000 : 0;
    if (age < backup.refreshAfterMinutes) return previous.trigger;
    return `${key}@${now.toISOString()}`;
  }
  return key;
}
