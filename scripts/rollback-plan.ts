// Which color `npm run rollback` sends traffic to, decided from the stack's outputs (read fast from
// the checkpoint or through the Automation API: the same values either way). Pure.
import { COLORS, Color, StableReleases, Traffic } from "../components/types";
import { UsageError } from "./cli-args";

export interface RollbackView {
  traffic?: Traffic;
  versions: Partial<Record<Color, string>>;
  stableReleases: StableReleases;
  stable?: { color: Color; version: string };
}

export type RollbackChoice = { kind: "switch"; to: Color } | { kind: "nothing"; to: Color; message: string };

/**
 * The stable color (or, with `--to`, the color running that release, which must have served 100%:
 * the runbook's version revert). Refusals are usage errors naming the flag and the allowed values.
 */
export function chooseRollbackTarget(stack: string, s: RollbackView, toVersion?: string): RollbackChoice {
  if (!s.traffic) throw new UsageError(`stack ${stack} has not been deployed yet: nothing to roll back`);
  let to: Color | undefined;
  if (toVersion) {
    to = COLORS.find((c) => s.versions[c] === toVersion);
    const proven = COLORS.filter((c) => s.stableReleases[c]).map((c) => `${s.stableReleases[c]!.version} (${c})`);
    if (!to) throw new UsageError(`--to ${toVersion}: no color runs it in stack ${stack} (allowed: ${proven.join(", ") || "none"}; a release no longer deployed comes back by npm run deploy, gated)`);
    if (s.stableReleases[to]?.version !== toVersion) {
      throw new UsageError(`--to ${toVersion} (${to}) has not served 100%: moving traffic to it is a promotion, not a rollback (allowed: ${proven.join(", ") || "none"}; use npm run deploy)`);
    }
  } else {
    to = s.stable?.color;
    if (!to) throw new UsageError(`stack ${stack} has no stable release to roll back to (the stable output is empty)`);
  }
  if (s.traffic[to] === 100) return { kind: "nothing", to, message: `${to} ${s.versions[to]} already serves 100% in stack ${stack}: nothing to roll back` };
  return { kind: "switch", to };
}
