// Where the analysis reads what a color served: one interface, implemented by each metrics backend
// (Prometheus for the local and kubernetes targets, CloudWatch for aws). The gate runs in the
// dynamic provider's process, so the program hands it a serializable spec (a module and the options
// of its factory) and the provider builds the source there.
import { Color } from "../types";
import { MetricSample } from "./analysis";
import { ColorCounts } from "./counts";
import type { VectorSample } from "./promql";

/** The series of one color's release. */
export interface ColorSeries {
  stack: string;
  service: string;
  color: Color;
  version: string;
}

export interface MetricsSource {
  /** Names the source for messages, e.g. "Prometheus at http://127.0.0.1:9090". */
  readonly description: string;
  /** Resolves when the source answers; rejects saying why it cannot be reached. */
  reachable(): Promise<void>;
  /**
   * Requests, 5xx responses and p95 latency of one color over the last `windowSeconds`. Rejects
   * when the source cannot be read: an unreadable window is inconclusive, never a pass.
   */
  sample(series: ColorSeries, windowSeconds: number): Promise<MetricSample>;
  /**
   * What one color served from `start` to now, as whole counts (requests, 5xx, the latency
   * histogram): what the gate's sequential analysis judges at each look. Rejects when the source
   * cannot be read.
   */
  countsSince(series: ColorSeries, start: Date): Promise<ColorCounts>;
  /** An instant PromQL query, for the stack's own queries (`gates.queries`). Absent when the source is not Prometheus. */
  instantQuery?(promql: string): Promise<VectorSample[]>;
}

/** A factory exported by a metrics module: options in, source out. */
export type MetricsSourceFactory = (options: Record<string, unknown>) => MetricsSource;

/** How the program tells the gate's provider which source to build. Plain data: it is stored in the state. */
export interface MetricsSourceSpec {
  /** Absolute path of the compiled module that exports the factory. */
  module: string;
  /** Name of the factory export. */
  factory: string;
  /** What the factory gets (addresses, dimensions). */
  options: Record<string, unknown>;
}

/** Builds the source a spec names (in the provider's process). */
export function loadMetricsSource(spec: MetricsSourceSpec): MetricsSource {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(spec.module)[spec.factory] as MetricsSourceFactory | undefined;
  if (typeof factory !== "function") throw new Error(`metrics source: ${spec.module} does not export ${spec.factory}`);
  return factory(spec.options);
}
