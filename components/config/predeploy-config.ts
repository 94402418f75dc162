// The `predeploy.*` keys: the runbook's pre-deployment checklist items that need a setting: the
// staging stack (promote only what it ran at 100%), the release's CI result, and the change's size.
// The program gathers each one's evidence for a promotion (components/predeploy/) into the
// deployment record; a policy judges it.
import { z } from "zod";
import { integer } from "./schema-helpers";

const STACK = /^[A-Za-z0-9._-]{1,100}$/;

export const predeployConfigSchema = z
  .object({
    /**
     * The staging stack (same project and backend). When set, a promotion here is refused by the
     * staging-proven policy unless that stack served the version at 100% (its proven releases).
     */
    stagingStack: z.string().regex(STACK, { message: "must be a stack name (letters, digits, '.', '_' and '-')" }).optional(),
    /**
     * Where the release's CI result is (policy ci-passed): a file whose content (or JSON status,
     * conclusion or result field) says success, or a command that exits 0 for a green build. In
     * both, {version} stands for the release being promoted; the command also gets RUNBOOK_VERSION.
     */
    ci: z
      .object({
        file: z.string().min(1, { message: "must name a file" }).optional(),
        command: z.string().min(1, { message: "must be a shell command" }).optional(),
        timeoutSeconds: integer(1, 600, "from 1 to 600 (seconds)").default(60),
      })
      .strict()
      .refine((c) => Boolean(c.file) !== Boolean(c.command), { message: "needs exactly one of file or command" })
      .optional(),
    /** Lines changed between the stable release and the promoted one, from git tags (policy change-size, advisory). */
    changeSize: z
      .object({
        /** The git repository of the service, relative to the project. */
        repo: z.string().min(1).default("."),
        /** The tag of a release: {version} stands for it. */
        tag: z.string().includes("{version}", { message: "must contain {version}" }).default("{version}"),
        maxLines: integer(1, 1_000_000, "from 1 to 1000000 (lines)").default(200),
      })
      .strict()
      .optional(),
  })
  .strict()
  .default({});

export type PredeployConfig = z.infer<typeof predeployConfigSchema>;

/** The release's CI result as the program found it. */
export interface CiEvidence {
  /** The file or command it came from ({version} filled in). */
  source: string;
  passed: boolean;
  /** What the file said or the command printed last (at most 200 characters). */
  detail: string;
}

/** The change since the stable release, from git. */
export interface ChangeEvidence {
  from: string;
  to: string;
  maxLines: number;
  lines?: number;
  files?: number;
  /** Why it could not be measured (a missing tag, no repository). */
  error?: string;
}

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
