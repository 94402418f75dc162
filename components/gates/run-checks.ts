// Runs the selected checks with retries, and formats the results. Used by the health gate during
// `pulumi up` and by `npm run health`.
import { CheckName } from "./gate-config";
import { analysisChecks } from "./checks/analysis-check";
import { apiCheck } from "./checks/api-check";
import { cacheCheck } from "./checks/cache-check";
import { databaseCheck } from "./checks/database-check";
import { externalCheck } from "./checks/external-check";
import { infrastructureCheck } from "./checks/infrastructure-check";
import { monitoringCheck } from "./checks/monitoring-check";
import { queryCheck } from "./checks/query-check";
import { CheckResult, GateSubject } from "./checks/types";
import type { AnalysisCheckName } from "./sequential";

const single: Partial<Record<CheckName, (s: GateSubject) => Promise<CheckResult>>> = {
  api: apiCheck,
  database: databaseCheck,
  cache: cacheCheck,
  external: externalCheck,
  queries: queryCheck,
  infrastructure: infrastructureCheck,
  monitoring: monitoringCheck,
};

// Retries are for transient trouble (a restart, a slow store, an unreadable window). A confident
// failure (`final`) is not retried: another attempt could only pass a release by chance.
const worthRetrying = (results: CheckResult[]) => results.some((r) => r.status !== "pass") && !results.some((r) => r.final && r.status === "fail");

async function withRetries(s: GateSubject, run: () => Promise<CheckResult[]>, deadline: number): Promise<CheckResult[]> {
  let results = await run();
  for (let attempt = 0; attempt < s.config.retries && worthRetrying(results) && Date.now() < deadline; attempt++) {
    await new Promise((r) => setTimeout(r, s.config.intervalSeconds * 1000));
    results = await run();
  }
  return results;
}

export async function runChecks(s: GateSubject, selected: CheckName[] = s.config.checks): Promise<CheckResult[]> {
  const deadline = Date.now() + s.config.timeoutSeconds * 1000;
  const jobs: Promise<CheckResult[]>[] = [];
  for (const name of selected) {
    const fn = single[name];
    if (fn) jobs.push(withRetries(s, async () => [await fn(s)], deadline));
  }
  const analysis = selected.filter((n): n is AnalysisCheckName => n === "error-rate" || n === "latency");
  if (analysis.length) jobs.push(withRetries(s, () => analysisChecks(s, analysis), deadline));
  const timeout = new Promise<CheckResult[]>((resolve) =>
    setTimeout(() => resolve(selected.map((check) => ({ check, status: "fail", summary: `no answer within ${s.config.timeoutSeconds}s (gates.timeoutSeconds)`, details: [] }))), s.config.timeoutSeconds * 1000).unref(),
  );
  const results = (await Promise.race([Promise.all(jobs).then((r) => r.flat()), timeout])) as CheckResult[];
  return selected.flatMap((name) => results.filter((r) => r.check === name));
}

const MARK = { pass: "✓", fail: "✗", inconclusive: "✗" } as const;

export function formatResults(results: CheckResult[], verbose = false): string {
  return results
    .map((r) => [`${MARK[r.status]} ${r.check}: ${r.summary}`, ...(verbose ? r.details.map((d) => `    ${d}`) : [])].join("\n"))
    .join("\n");
}

export const allPassed = (results: CheckResult[]) => results.length > 0 && results.every((r) => r.status === "pass");
