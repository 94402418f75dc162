// A stand-in for a deployed release and its metrics, for the analysis check's tests: an HTTP server
// on 127.0.0.1 (an ephemeral port) that answers by X-Runbook-Color and records every request, and a
// MetricsSource over those records that the gate's provider loads from a spec like any other.
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { ColorCounts } from "../../../components/gates/counts";
import { ColorSeries, MetricsSource, MetricsSourceFactory, MetricsSourceSpec } from "../../../components/gates/metrics-source";
import { BOUNDS } from "./gate-simulation";

/** How one color answers: which requests (1-based) get a 500, and the latency recorded for each. */
export interface ColorBehaviour {
  fails?: (n: number) => boolean;
  /** Recorded, not waited: the histogram sees it, the test does not spend it. Defaults to 6 ms. */
  latencySeconds?: number;
}

interface Served {
  at: number;
  error: boolean;
  seconds: number;
}

export class FakeService {
  private readonly server: http.Server;
  readonly served: Record<string, Served[]> = {};

  constructor(private readonly behaviour: Record<string, ColorBehaviour>) {
    this.server = http.createServer((req, res) => {
      const color = String(req.headers["x-runbook-color"] ?? "none");
      const log = (this.served[color] ??= []);
      const b = this.behaviour[color] ?? {};
      const error = Boolean(b.fails?.(log.length + 1));
      log.push({ at: Date.now(), error, seconds: b.latencySeconds ?? 0.006 });
      res.writeHead(error ? 500 : 200).end();
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    // The gate's agent keeps connections alive; close them or `close` waits for them.
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  count(color: string): number {
    return this.served[color]?.length ?? 0;
  }

  /** What `color` served from `start` on, as a metrics source reports it. */
  countsSince(color: string, start: Date): ColorCounts {
    const since = (this.served[color] ?? []).filter((r) => r.at >= start.getTime());
    const buckets = [...BOUNDS, Infinity].map((le) => ({ le, count: since.filter((r) => r.seconds <= le).length }));
    return { requests: since.length, errors: since.filter((r) => r.error).length, buckets };
  }
}

/** What a fake source was asked, and how to make it fail. */
export interface FakeSourceControl {
  /** Start times passed to countsSince, one per read (a new start is a new analysis attempt). */
  starts: Date[];
  reachableCalls: number;
  /** Reads that reject before they start answering. */
  failReads: number;
  unreachable?: string;
}

const sources = new Map<string, MetricsSource>();

/** The factory `loadMetricsSource` finds through the spec below. */
export const fakeMetricsSource: MetricsSourceFactory = (options) => {
  const source = sources.get(String(options.id));
  if (!source) throw new Error(`no fake metrics source ${String(options.id)}`);
  return source;
};

/** A source over `service`, registered under `id`, and the spec that loads it. */
export function fakeSource(id: string, service: FakeService, control: Partial<FakeSourceControl> = {}): { spec: MetricsSourceSpec; control: FakeSourceControl } {
  const c: FakeSourceControl = { starts: [], reachableCalls: 0, failReads: 0, ...control };
  sources.set(id, {
    description: `fake source ${id}`,
    async reachable() {
      c.reachableCalls++;
      if (c.unreachable) throw new Error(c.unreachable);
    },
    sample: () => Promise.reject(new Error("the sequential analysis reads countsSince, not sample")),
    async countsSince(series: ColorSeries, start: Date) {
      c.starts.push(start);
      if (c.failReads > 0) {
        c.failReads--;
        throw new Error("connection refused");
      }
      return service.countsSince(series.color, start);
    },
  });
  return { spec: { module: __filename, factory: "fakeMetricsSource", options: { id } }, control: c };
}
