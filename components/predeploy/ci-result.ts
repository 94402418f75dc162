// The release's CI result (`predeploy.ci`): read from a file or a command the stack config names,
// the way a team's CI leaves it (a status file an artifact step writes, or `gh run view --exit-status`).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { CiEvidence, PredeployConfig } from "../config/predeploy-config";

const GREEN = /^(success|succeeded|passed|pass|green|ok)$/i;

function clip(s: string): string {
  const line = s.trim().split("\n").pop() ?? "";
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** The status a CI result file states: its JSON status, conclusion or result, else its text. */
export function statusOfFile(text: string): string {
  const t = text.trim();
  if (t.startsWith("{")) {
    try {
      const o = JSON.parse(t) as Record<string, unknown>;
      for (const k of ["status", "conclusion", "result"]) if (typeof o[k] === "string") return o[k] as string;
    } catch {
      // not JSON after all: judged as text
    }
  }
  return t;
}

export function ciEvidence(ci: NonNullable<PredeployConfig["ci"]>, version: string, projectDir: string): CiEvidence {
  if (ci.file) {
    const file = path.resolve(projectDir, ci.file.split("{version}").join(version));
    if (!fs.existsSync(file)) return { source: file, passed: false, detail: "no such file (CI has not reported on this release)" };
    const status = statusOfFile(fs.readFileSync(file, "utf8"));
    return { source: file, passed: GREEN.test(status), detail: clip(status) || "(empty)" };
  }
  const command = ci.command!.split("{version}").join(version);
  const r = spawnSync("sh", ["-c", command], { cwd: projectDir, encoding: "utf8", timeout: ci.timeoutSeconds * 1000, env: { ...process.env, RUNBOOK_VERSION: version } });
  if (r.error) return { source: command, passed: false, detail: `could not run: ${r.error.message}` };
  const said = clip(`${r.stdout ?? ""}\n${r.stderr ?? ""}`);
  return { source: command, passed: r.status === 0, detail: `exit ${r.status ?? r.signal}${said ? `: ${said}` : ""}` };
}
