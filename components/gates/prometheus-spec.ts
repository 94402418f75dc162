// The spec a target hands its gates to read Prometheus (local and kubernetes targets).
import * as path from "path";
import type { MetricsSourceSpec } from "./metrics-source";

/** Reads the sample service's series from the Prometheus at `url`. */
export function prometheusMetrics(url: string): MetricsSourceSpec {
  return { module: path.join(__dirname, "prometheus-source.js"), factory: "prometheusSource", options: { url } };
}

/** The Prometheus base URL a spec reads, or undefined when the source is not Prometheus (CloudWatch). */
export function prometheusUrlOf(spec: MetricsSourceSpec | undefined): string | undefined {
  if (!spec || spec.factory !== "prometheusSource" || typeof spec.options?.url !== "string") return undefined;
  return spec.options.url.replace(/\/+$/, "");
}
