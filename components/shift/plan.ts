// Classifies a stack config edit against what the last `up` applied. Pure: the program feeds it
// the previous stack outputs, and gates, policies and the deployment record all read the result.
//
// A color's release is "stable" once it has served 100% of traffic. Moving traffic toward a stable
// release is a rollback (never gated, never blocked); toward anything else it is a promotion. A
// rollback away from a color withdraws that color's standing, so re-promoting a release that was
// just rolled back is gated again. Proven releases are remembered by version, beyond the two colors:
// putting one back on a color (a version revert) gives that color its standing again.
import { COLORS, Color, ProvenReleases, StableReleases, ShiftPlan, StableRelease, Traffic, isPromotion, otherColor, provenFromStable } from "../types";

/** How many proven releases a stack remembers for version reverts. */
export const PROVEN_HISTORY = 20;

/** What the last `up` applied, from its stack outputs. */
export interface AppliedState {
  traffic?: Traffic;
  versions?: Partial<Record<Color, string>>;
  stableReleases?: StableReleases;
  provenReleases?: ProvenReleases;
}

export function planShift(
  previous: AppliedState | undefined,
  next: Traffic,
  versions: Partial<Record<Color, string>>,
  now: string = new Date().toISOString(),
): ShiftPlan {
  const prevTraffic = previous?.traffic;
  // Stacks from before the history existed start it from their stable releases.
  const provenReleases: ProvenReleases = previous?.provenReleases ?? provenFromStable(previous?.stableReleases ?? {});
  const stableReleases: StableReleases = {};
  const restored = new Set<Color>();
  // A release stays stable only while its color still runs it; a color given a proven release
  // again (a version revert) has the standing that release earned.
  for (const c of COLORS) {
    const p = previous?.stableReleases?.[c];
    const earned = provenReleases.find((r) => r.version === versions[c]);
    if (p && p.version === versions[c]) stableReleases[c] = p;
    else if (earned) {
      stableReleases[c] = { ...earned };
      restored.add(c);
    }
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
      kind = stableReleases[towards] ? "rollback" : "promote";
    } else {
      towards = COLORS.find((c) => next[c] > 0 && versions[c] !== previousVersions[c]);
      kind = towards ? "rolling" : "hold";
    }
  }

  const nextStableReleases: StableReleases = { ...stableReleases };
  for (const c of COLORS) {
    // A restored release serving 100% again counts from now (the keep-period policy reads `since`).
    if (next[c] === 100 && versions[c] && (!nextStableReleases[c] || restored.has(c))) nextStableReleases[c] = { version: versions[c]!, since: now };
  }
  // A restored release serving 100% again is re-entered with its new time.
  const reproven = (p: { version: string }) => COLORS.some((c) => restored.has(c) && next[c] === 100 && versions[c] === p.version);
  let nextProvenReleases = provenReleases.filter((p) => !reproven(p));
  for (const c of COLORS) {
    const r = nextStableReleases[c];
    if (r && !nextProvenReleases.some((p) => p.version === r.version)) nextProvenReleases.push({ ...r });
  }
  nextProvenReleases.sort((a, b) => b.since.localeCompare(a.since));
  if (kind === "rollback" && towards) {
    // The release rolled back from is no longer proven: bringing it back is a gated promotion.
    const from = otherColor(towards);
    const withdrawn = versions[from] ?? previousVersions[from];
    delete nextStableReleases[from];
    if (withdrawn && withdrawn !== versions[towards]) nextProvenReleases = nextProvenReleases.filter((p) => p.version !== withdrawn);
  }
  nextProvenReleases = nextProvenReleases.slice(0, PROVEN_HISTORY);

  const retiringColor = COLORS.find((c) => previousVersions[c] && !versions[c]);
  const replacement = retiringColor ? otherColor(retiringColor) : undefined;
  const retiring = retiringColor
    ? {
        color: retiringColor,
        version: previousVersions[retiringColor]!,
        replacedBy: replacement && nextStableReleases[replacement] ? { color: replacement, ...nextStableReleases[replacement]! } : undefined,
      }
    : undefined;

  return {
    kind,
    previous: prevTraffic,
    retiring,
    next,
    towards,
    previousVersions,
    stableReleases,
    nextStableReleases,
    provenReleases,
    nextProvenReleases,
    stable: stableTarget(kind, towards, stableReleases, versions),
    nextStable: stableTarget(kind, towards, nextStableReleases, versions, next),
  };
}

/**
 * The stable release kept as the instant rollback target: the one that is not being promoted (or,
 * for a rollback, the one traffic returns to).
 */
function stableTarget(
  kind: ShiftPlan["kind"],
  towards: Color | undefined,
  stable: StableReleases,
  versions: Partial<Record<Color, string>>,
  traffic?: Traffic,
): StableRelease | undefined {
  const pick = (c: Color): StableRelease | undefined => (stable[c] && versions[c] ? { color: c, version: stable[c]!.version, since: stable[c]!.since } : undefined);
  if (kind === "rollback" && towards) return pick(towards);
  if (towards && isPromotion(kind)) return pick(otherColor(towards)) ?? (traffic ? pick(towards) : undefined);
  // No promotion under way: the stable color with the most traffic.
  const byWeight = traffic ? [...COLORS].sort((a, b) => traffic[b] - traffic[a]) : COLORS;
  for (const c of byWeight) if (pick(c)) return pick(c);
  return undefined;
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

/** The backup the last `up` recorded (a stack output). */
export interface AppliedBackup {
  trigger: string;
  takenAt?: string;
}

/**
 * What keys the backup: one backup per promotion (color and release), re-taken when it is older
 * than `refreshAfterMinutes` or when `generation` is bumped; a rollback or a hold keeps the last one
 * so it never waits for a backup.
 */
export function backupTrigger(
  plan: ShiftPlan,
  versions: Partial<Record<Color, string>>,
  previous: AppliedBackup | undefined,
  backup: { generation: number; refreshAfterMinutes: number },
  now: Date = new Date(),
): string {
  if (!isPromotion(plan.kind) || !plan.towards) return previous?.trigger ?? `none:g${backup.generation}`;
  const key = `${plan.towards}:${versions[plan.towards]}:g${backup.generation}`;
  if (previous && (previous.trigger === key || previous.trigger.startsWith(`${key}@`))) {
    const age = previous.takenAt ? (now.getTime() - Date.parse(previous.takenAt)) / 60000 : 0;
    if (age < backup.refreshAfterMinutes) return previous.trigger;
    return `${key}@${now.toISOString()}`;
  }
  return key;
}
