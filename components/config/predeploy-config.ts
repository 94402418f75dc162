// The `predeploy.*` keys: the runbook's pre-deployment checklist items that need a setting. For now
// the staging evidence: a stack that promotes only versions another stack (staging) ran at 100%.
import { z } from "zod";

const STACK = /^[A-Za-z0-9._-]{1,100}$/;

export const predeployConfigSchema = z
  .object({
    /**
     * The staging stack (same project and backend). When set, a promotion here is refused by the
     * staging-proven policy unless that stack served the version at 100% (its proven releases).
     */
    stagingStack: z.string().regex(STACK, { message: "must be a stack name (letters, digits, '.', '_' and '-')" }).optional(),
  })
  .strict()
  .default({});

export type PredeployConfig = z.infer<typeof predeployConfigSchema>;

/** What the program read from the staging stack, for the record and the staging-proven policy. */
export interface StagingEvidence {
  stack: string;
  /** Versions the staging stack served at 100% and has not rolled back from, and its stable ones. */
  provenVersions: string[];
}

/** The proven versions from a stack's `provenReleases` and `stableReleases` outputs (either may be absent). */
export function provenVersionsOf(provenReleases: unknown, stableReleases: unknown): string[] {
  const versions = new Set<string>();
  if (Array.isArray(provenReleases)) for (const r of provenReleases) if (typeof r?.version === "string") versions.add(r.version);
  if (stableReleases && typeof stableReleases === "object") {
    for (const r of Object.values(stableReleases as Record<string, { version?: unknown } | undefined>)) if (typeof r?.version === "string") versions.add(r.version);
  }
  return [...versions].sort();
}
