// The spec a target hands its gates to read Prometheus (local and kubernetes targets).
import * as path from "path";
import type { MetricsSourceSpec } from "./metrics-source";

/** Reads the sample service's series from the Prometheus at `url`. */
export function prometheusMetrics(url: string): MetricsSourceSpec {
  return { module: path.join(__dirname, "prometheus-source.js"), factory: "prometheusSource", options: { url } };
}
