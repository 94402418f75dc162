// What every health check gets and gives back.
import { COLOR_HEADER, Color } from "../../types";
import { CheckName, GateConfig } from "../gate-config";
import type { MetricsSourceSpec } from "../metrics-source";

export interface GateSubject {
  stack: string;
  service: string;
  /** The router's base URL; the color is picked with X-Runbook-Color. */
  routerUrl: string;
  /** The Host header to send, when the router serves several hosts at that address. */
  routerHost?: string;
  /** The color under test and the release it must answer with. */
  color: Color;
  version: string;
  /** The other color, when it runs a release: the analysis baseline. */
  baseline?: { color: Color; version: string };
  databaseUrl?: string;
  redisUrl?: string;
  /** Where the analysis reads metrics; without one the analysis is inconclusive. */
  metrics?: MetricsSourceSpec;
  /** A directory on the hosts whose filesystem the infrastructure check judges. Defaults to "/". */
  hostDiskPath?: string;
  /** How many instances of the color run: the monitoring check wants each of them scraped. */
  replicas?: number;
  config: GateConfig;
}

/** The headers that reach the subject's color through its router. */
export function colorHeaders(s: Pick<GateSubject, "color" | "routerHost">): Record<string, string> {
  return { [COLOR_HEADER]: s.color, ...(s.routerHost ? { host: s.routerHost } : {}) };
}

export type CheckStatus = "pass" | "fail" | "inconclusive";

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  /** One line: what was required and what was seen. */
  summary: string;
  /** More lines for --verbose. */
  details: string[];
  /**
   * A confident verdict that running the check again would not change (the sequential analysis
   * already weighed the noise): the gate does not retry it. Defaults to false.
   */
  final?: boolean;
}

export const pass = (check: CheckName, summary: string, details: string[] = []): CheckResult => ({ check, status: "pass", summary, details });
export const fail = (check: CheckName, summary: string, details: string[] = []): CheckResult => ({ check, status: "fail", summary, details });
