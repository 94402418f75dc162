// monitoring: the runbook's "dashboards and alerts ready" before a color gains traffic. Prometheus
// scrapes every instance of the color (each target up, scraped recently) and has loaded the alert
// rule groups the project ships (components/targets/local/prometheus-rules.yml on the local target).
import { DEFAULT_MONITORING } from "../gate-config";
import { prometheusUrlOf } from "../prometheus-spec";
import { activeTargets, RuleGroup, ruleGroups, ScrapeTarget } from "../promql";
import { CheckResult, GateSubject } from "./types";

export interface MonitoringJudgement {
  problems: string[];
  seen: string[];
  /** Whether a problem is one of scraping, which time can mend (a color that just started); rule groups are loaded with the config. */
  scrapePending: boolean;
}

/** Pure: the color's scrape targets and the loaded rule groups against what is required. */
export function judgeMonitoring(
  subject: { stack: string; service: string; color: string; replicas?: number },
  targets: ScrapeTarget[],
  groups: RuleGroup[],
  required: { ruleGroups: readonly string[]; maxScrapeAgeSeconds: number },
  now: number,
): MonitoringJudgement {
  const problems: string[] = [];
  const seen: string[] = [];
  const mine = targets.filter((t) => t.labels.stack === subject.stack && t.labels.service === subject.service && t.labels.color === subject.color);
  const labels = `labels stack="${subject.stack}", service="${subject.service}", color="${subject.color}"`;
  if (!mine.length) problems.push(`no scrape target of ${subject.service} ${subject.color} (${labels})`);
  else if (subject.replicas !== undefined && mine.length < subject.replicas) problems.push(`${mine.length} of the ${subject.replicas} instances of ${subject.service} ${subject.color} are scrape targets (${labels})`);
  for (const t of mine) {
    const instance = t.labels.instance ?? t.scrapeUrl;
    const age = (now - Date.parse(t.lastScrape)) / 1000;
    if (t.health !== "up") problems.push(`instance ${instance} is ${t.health}${t.lastError ? ` (${t.lastError})` : ""}`);
    else if (!Number.isFinite(age) || age > required.maxScrapeAgeSeconds) problems.push(`instance ${instance} last scraped ${Number.isFinite(age) ? `${age.toFixed(1)}s ago` : "never"}, at most ${required.maxScrapeAgeSeconds}s allowed`);
    else seen.push(`${instance} up, scraped ${Math.max(0, age).toFixed(1)}s ago`);
  }
  const scrapePending = problems.length > 0;
  const loaded = new Set(groups.map((g) => g.name));
  const missing = required.ruleGroups.filter((g) => !loaded.has(g));
  if (missing.length) problems.push(`rule group${missing.length > 1 ? "s" : ""} ${missing.join(", ")} not loaded (loaded: ${[...loaded].join(", ") || "none"})`);
  for (const g of groups.filter((x) => required.ruleGroups.includes(x.name))) seen.push(`rule group ${g.name}: ${g.rules.length} rules`);
  return { problems, seen, scrapePending };
}

export async function monitoringCheck(s: GateSubject): Promise<CheckResult> {
  const req = { ...DEFAULT_MONITORING, ...(s.config.monitoring ?? {}) };
  const url = prometheusUrlOf(s.metrics);
  const result = (status: CheckResult["status"], summary: string, details: string[] = []): CheckResult => ({ check: "monitoring", status, summary, details });
  if (!url) return result("inconclusive", "the metrics source of this target is not Prometheus: scrape targets and alert rules cannot be read");
  // A color that just started takes a discovery refresh and a scrape to show up: the check looks
  // again each second until it passes or `waitSeconds` (never past the gate's own timeout).
  const deadline = Date.now() + Math.min(req.waitSeconds, Math.max(0, s.config.timeoutSeconds - 5)) * 1000;
  for (;;) {
    let r: CheckResult;
    let mendable = true;
    try {
      const [targets, groups] = await Promise.all([activeTargets(url), ruleGroups(url)]);
      const j = judgeMonitoring(s, targets, groups, req, Date.now());
      mendable = j.scrapePending;
      r = j.problems.length ? result("fail", `Prometheus at ${url}: ${j.problems.join("; ")}`, j.seen) : result("pass", `Prometheus at ${url}: ${j.seen.join("; ")}`);
    } catch (e) {
      r = result("inconclusive", `Prometheus at ${url} unreadable (${(e as Error).message}): inconclusive`);
    }
    if (r.status === "pass" || !mendable || Date.now() >= deadline) return r;
    await new Promise((done) => setTimeout(done, 1000));
  }
}
