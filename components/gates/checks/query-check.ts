// queries: the stack's own PromQL (`gates.queries`), each an instant query of the stack's
// Prometheus with the release's values substituted, judged against its max/min.
import { prometheusUrlOf } from "../prometheus-spec";
import { instantQuery, substitutePlaceholders } from "../promql";
import { judgeQuery, QueryJudgement } from "../query-judge";
import type { MetricQuery } from "../gate-config";
import { CheckResult, GateSubject } from "./types";

/** Runs and judges every query; shared with the rollout's live analysis. Never rejects. */
export async function evaluateQueries(prometheusUrl: string, queries: MetricQuery[], vars: { stack: string; service: string; color: string; version: string }): Promise<QueryJudgement[]> {
  return Promise.all(
    queries.map(async (q): Promise<QueryJudgement> => {
      try {
        return judgeQuery(q, await instantQuery(prometheusUrl, substitutePlaceholders(q.query, vars)));
      } catch (e) {
        return { status: "inconclusive", name: q.name, message: `query ${q.name} unreadable (${(e as Error).message}): inconclusive` };
      }
    }),
  );
}

/** How long the gate's queries check waits for a query to have data. */
export const NO_DATA_WAIT_SECONDS = 20;

export async function queryCheck(s: GateSubject): Promise<CheckResult> {
  const queries = s.config.queries ?? [];
  if (!queries.length) return { check: "queries", status: "fail", summary: "no queries configured (gates.queries is empty)", details: [] };
  const url = prometheusUrlOf(s.metrics);
  if (!url) return { check: "queries", status: "inconclusive", summary: "the metrics source of this target is not Prometheus: PromQL queries cannot run", details: [] };
  const vars = { stack: s.stack, service: s.service, color: s.color, version: s.version };
  // No series yet is usual for a color that just started (not discovered, not scraped): look again
  // each second for a while before calling it inconclusive. A value out of range fails at once.
  const deadline = Date.now() + Math.min(NO_DATA_WAIT_SECONDS, Math.max(0, s.config.timeoutSeconds - 5)) * 1000;
  let judged = await evaluateQueries(url, queries, vars);
  while (judged.some((j) => j.status === "inconclusive") && !judged.some((j) => j.status === "fail") && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 1000));
    judged = await evaluateQueries(url, queries, vars);
  }
  const failed = judged.filter((j) => j.status === "fail");
  const unsure = judged.filter((j) => j.status === "inconclusive");
  const status = failed.length ? "fail" : unsure.length ? "inconclusive" : "pass";
  const shown = status === "pass" ? judged : [...failed, ...unsure];
  return { check: "queries", status, summary: shown.map((j) => j.message).join("; "), details: judged.map((j) => j.message) };
}
