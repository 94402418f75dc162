// Prometheus metrics of the sample service. The analysis gates compare blue with green, so every
// request metric carries the version and color labels. Only the served routes are counted: the
// probes (/healthz, /readyz) and the scrape itself (/metrics) would otherwise dilute error rates
// and latencies with requests no user made.
import * as client from "prom-client";
import type { PoolUse } from "./db";

/** Routes counted in the request metrics. */
export const METRIC_ROUTES = ["/", "/api/items"] as const;
export type MetricRoute = (typeof METRIC_ROUTES)[number];

// Seconds. The simulated work defaults to 5 ms and latency faults add tens of ms, so the
// buckets are dense between 5 and 50 ms, where a p95 gate has to tell releases apart, and
// sparse out to 2 s for slow-start and outage cases.
export const DURATION_BUCKETS_SECONDS = [
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2,
];

export class ServiceMetrics {
    readonly registry = new client.Registry();
    private readonly requests: client.Counter<"version" | "color" | "route" | "code">;
    private readonly errors: client.Counter<"version" | "color" | "route">;
    private readonly duration: client.Histogram<"version" | "color" | "route">;

    /** `pool` reads the database pool's use at each scrape (absent without a database). */
    constructor(private readonly version: string, private readonly color: string, pool?: () => PoolUse) {
        client.collectDefaultMetrics({ register: this.registry });
        if (pool) {
            new client.Gauge({
                name: "runbook_db_pool_connections",
                help: "Database pool connections by state (total open, idle, waiting clients) and the pool's max.",
                labelNames: ["state"],
                registers: [this.registry],
                collect() {
                    const use = pool();
                    for (const state of ["total", "idle", "waiting", "max"] as const) this.set({ state }, use[state]);
                },
            });
        }
        this.requests = new client.Counter({
            name: "runbook_http_requests_total",
            help: "HTTP requests served, by route and status code.",
            labelNames: ["version", "color", "route", "code"],
            registers: [this.registry],
        });
        this.errors = new client.Counter({
            name: "runbook_http_request_errors_total",
            help: "HTTP requests answered with a 5xx status.",
            labelNames: ["version", "color", "route"],
            registers: [this.registry],
        });
        // Exported at 0 from the start: rate() and increase() ignore a series' first sample, so an
        // error series born with the first burst would hide a burst shorter than two scrapes.
        for (const route of METRIC_ROUTES) {
            this.errors.inc({ version, color, route }, 0);
        }
        this.duration = new client.Histogram({
            name: "runbook_http_request_duration_seconds",
            help: "Time from request received to response finished.",
            labelNames: ["version", "color", "route"],
            buckets: DURATION_BUCKETS_SECONDS,
            registers: [this.registry],
        });
    }

    /** Records one finished request. */
    observe(route: MetricRoute, code: number, seconds: number): void {
        const labels = { version: this.version, color: this.color, route };
        this.requests.inc({ ...labels, code: String(code) });
        if (code >= 500) {
            this.errors.inc(labels);
        }
        this.duration.observe(labels, seconds);
    }

    get contentType(): string {
        return this.registry.contentType;
    }

    render(): Promise<string> {
        return this.registry.metrics();
    }
}
