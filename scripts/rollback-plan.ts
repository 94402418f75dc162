// Which color `npm run rollback` sends traffic to, decided from the stack's outputs (read fast from
// the checkpoint or through the Automation API: the same values either way). Pure.
import { COLORS, Color, ProvenReleases, StableReleases, Traffic } from "../components/types";
import { UsageError } from "./cli-args";

export interface RollbackView {
  traffic?: Traffic;
  versions: Partial<Record<Color, string>>;
  stableReleases: StableReleases;
  provenReleases: ProvenReleases;
  stable?: { color: Color; version: string };
}

export type RollbackChoice =
  | { kind: "switch"; to: Color }
  /** A version revert to a proven release that no color runs: redeploy it on the idle color. */
  | { kind: "redeploy"; to: Color; version: string }
  | { kind: "nothing"; to: Color; message: string };

/** The releases `--to` accepts: proven ones (still on a color or not), newest first. */
function allowedReverts(s: RollbackView): string[] {
  const onColors = COLORS.filter((c) => s.stableReleases[c]).map((c) => s.stableReleases[c]!.version);
  const names = [...new Set([...onColors, ...s.provenReleases.map((r) => r.version)])];
  return names.map((v) => {
    const c = COLORS.find((k) => s.versions[k] === v);
    return c ? `${v} (${c})` : `${v} (redeployed on the idle color)`;
  });
}

/**
 * The stable color (or, with `--to`, the color running that release, which must have served 100%:
 * the runbook's version revert; a proven release no color runs any more goes back on the idle
 * color). Refusals are usage errors naming the flag and the allowed values.
 */
export function chooseRollbackTarget(stack: string, s: RollbackView, toVersion?: string): RollbackChoice {
  if (!s.traffic) throw new UsageError(`stack ${stack} has not been deployed yet: nothing to roll back`);
  const traffic = s.traffic;
  let to: Color | undefined;
  if (toVersion) {
    to = COLORS.find((c) => s.versions[c] === toVersion);
    const allowed = allowedReverts(s).join(", ") || "none";
    if (!to) {
      if (!s.provenReleases.some((r) => r.version === toVersion)) {
        throw new UsageError(`--to ${toVersion}: it has not served 100% in stack ${stack} (or was rolled back from since), so bringing it back is a promotion, not a rollback (allowed: ${allowed}; use npm run deploy)`);
      }
      const idle = COLORS.find((c) => traffic[c] === 0);
      if (!idle) {
        const split = COLORS.map((c) => `${c} ${traffic[c]}%`).join(", ");
        throw new UsageError(`--to ${toVersion}: both colors serve traffic (${split}) and it must go on an idle one; run npm run rollback -- --env ${stack} first, then --to ${toVersion}`);
      }
      return { kind: "redeploy", to: idle, version: toVersion };
    }
    if (s.stableReleases[to]?.version !== toVersion) {
      throw new UsageError(`--to ${toVersion} (${to}) has not served 100%: moving traffic to it is a promotion, not a rollback (allowed: ${allowed}; use npm run deploy)`);
    }
  } else {
    to = s.stable?.color;
    if (!to) throw new UsageError(`stack ${stack} has no stable release to roll back to (the stable output is empty)`);
  }
  if (traffic[to] === 100) return { kind: "nothing", to, message: `${to} ${s.versions[to]} already serves 100% in stack ${stack}: nothing to roll back` };
  return { kind: "switch", to };
}
