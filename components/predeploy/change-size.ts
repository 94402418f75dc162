// The size of the change being promoted (`predeploy.changeSize`): lines added and removed between
// the stable release's tag and the new one's (`git diff --shortstat`), as the checklist's "small
// change" asks. A missing tag or repository is reported as such, never as a small change.
import { spawnSync } from "child_process";
import * as path from "path";
import type { ChangeEvidence, PredeployConfig } from "../config/predeploy-config";

/** "3 files changed, 120 insertions(+), 9 deletions(-)" -> files and lines; an empty diff is 0. */
export function parseShortstat(text: string): { files: number; lines: number } {
  const n = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return { files: n(/(\d+) files? changed/), lines: n(/(\d+) insertions?\(\+\)/) + n(/(\d+) deletions?\(-\)/) };
}

export function changeEvidence(c: NonNullable<PredeployConfig["changeSize"]>, fromVersion: string, toVersion: string, projectDir: string): ChangeEvidence {
  const tag = (v: string) => c.tag.split("{version}").join(v);
  const base = { from: tag(fromVersion), to: tag(toVersion), maxLines: c.maxLines };
  const repo = path.resolve(projectDir, c.repo);
  const r = spawnSync("git", ["-C", repo, "diff", "--shortstat", `${base.from}^{}`, `${base.to}^{}`, "--"], { encoding: "utf8", timeout: 30_000 });
  if (r.error) return { ...base, error: `could not run git: ${r.error.message}` };
  if (r.status !== 0) return { ...base, error: (r.stderr || r.stdout).trim().split("\n")[0] || `git exited ${r.status}` };
  return { ...base, ...parseShortstat(r.stdout) };
}
