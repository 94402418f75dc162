// api: the color's health endpoint, reached through the router with X-Runbook-Color, answers the
// expected status and body within the latency budget, from the expected release.
import axios from "axios";
import { COLOR_HEADER } from "../../types";
import { CheckResult, GateSubject, colorHeaders, fail, pass } from "./types";

export async function apiCheck(s: GateSubject): Promise<CheckResult> {
  const c = s.config.api;
  const url = `${s.routerUrl}${c.path}`;
  // Through the router to this color whatever the traffic; any status is an answer to judge.
  const get = (path: string, timeout: number) => axios.get(`${s.routerUrl}${path}`, { headers: colorHeaders(s), timeout, validateStatus: () => true, proxy: false });
  const started = Date.now();
  let res;
  try {
    res = await get(c.path, Math.max(c.latencyBudgetMs * 4, 2000));
  } catch (e) {
    return fail("api", `GET ${c.path} (${s.color}) got no response: ${(e as Error).message}`);
  }
  const ms = Date.now() - started;
  const problems: string[] = [];
  if (res.status !== c.expectStatus) problems.push(`status ${res.status}, expected ${c.expectStatus}`);
  const color = res.headers["x-runbook-color"];
  const version = res.headers["x-runbook-version"];
  if (color !== s.color || version !== s.version) problems.push(`answered by ${color ?? "?"} ${version ?? "?"}, expected ${s.color} ${s.version}`);
  const body = typeof res.data === "object" && res.data !== null ? (res.data as Record<string, unknown>) : {};
  if (c.expectField && String(body[c.expectField]) !== c.expectValue) {
    const checks = body.checks ? ` (checks: ${JSON.stringify(body.checks)})` : "";
    problems.push(`body ${c.expectField} is ${JSON.stringify(body[c.expectField])}, expected "${c.expectValue}"${checks}`);
  }
  if (ms > c.latencyBudgetMs) problems.push(`took ${ms} ms, budget ${c.latencyBudgetMs} ms`);
  // Ready too: an idle color is only required to start, so the gate is where readiness is judged.
  const ready = await get("/readyz", 2000).then(
    (r) => r.status,
    () => 0,
  );
  if (ready !== 200) problems.push(`GET /readyz answered ${ready || "nothing"}, expected 200`);
  const details = [`GET ${url} with ${COLOR_HEADER}: ${s.color} -> ${res.status} in ${ms} ms`, `body: ${JSON.stringify(res.data).slice(0, 300)}`];
  return problems.length
    ? fail("api", `GET ${c.path} (${s.color}): ${problems.join("; ")}`, details)
    : pass("api", `GET ${c.path} (${s.color} ${s.version}) ${res.status} in ${ms} ms`, details);
}
