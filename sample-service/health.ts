// Background dependency probes. /healthz is polled by gates and load balancers, so it reads the
// result of the last probe instead of querying the database per request; the probe runs every
// second, which is as fresh as any gate interval.

export type CheckState = "ok" | "fail" | "not configured";

export interface Probe {
    /** Resolves when the dependency answered, rejects otherwise. */
    probe(): Promise<void>;
}

export interface DependencyChecks {
    database: CheckState;
    cache: CheckState;
}

export const PROBE_INTERVAL_MS = 1_000;
// A probe that has not answered in this time counts as failed, so one hung dependency cannot
// leave /healthz reporting a stale "ok".
const PROBE_TIMEOUT_MS = 1_500;

export class HealthMonitor {
    private readonly checks: DependencyChecks;
    private readonly reported = new Set<keyof DependencyChecks>();
    private databaseAnswered = false;
    private timer: NodeJS.Timeout | undefined;
    private running: Promise<void> | undefined;

    constructor(
        private readonly database: Probe | undefined,
        private readonly cache: Probe | undefined,
        private readonly onChange: (dependency: keyof DependencyChecks, state: CheckState, error?: string) => void,
    ) {
        this.checks = {
            database: database ? "fail" : "not configured",
            cache: cache ? "fail" : "not configured",
        };
    }

    /** Latest probe results. */
    get current(): DependencyChecks {
        return { ...this.checks };
    }

    /** True once the database (if configured) has answered at least once; readiness needs it. */
    get databaseReady(): boolean {
        return this.database === undefined || this.databaseAnswered;
    }

    /** Runs one round of probes; overlapping calls share the round already under way. */
    probeOnce(): Promise<void> {
        if (!this.running) {
            this.running = Promise.all([
                this.run("database", this.database),
                this.run("cache", this.cache),
            ]).then(() => undefined).finally(() => { this.running = undefined; });
        }
        return this.running;
    }

    start(): void {
        this.timer = setInterval(() => void this.probeOnce(), PROBE_INTERVAL_MS);
    }

    /** Stops probing and waits for a round under way, so closing the pool does not race it. */
    async stop(): Promise<void> {
        clearInterval(this.timer);
        await this.running;
    }

    private async run(dependency: keyof DependencyChecks, probe: Probe | undefined): Promise<void> {
        if (!probe) {
            return;
        }
        let state: CheckState = "ok";
        let error: string | undefined;
        try {
            await withTimeout(probe.probe(), PROBE_TIMEOUT_MS);
            if (dependency === "database") {
                this.databaseAnswered = true;
            }
        } catch (err) {
            state = "fail";
            error = err instanceof Error ? err.message : String(err);
        }
        const previous = this.checks[dependency];
        this.checks[dependency] = state;
        // Log transitions only: a dead dependency would otherwise write a line per second. The
        // first result is always reported so the log shows the state the service started in.
        if (previous !== state || !this.reported.has(dependency)) {
            this.reported.add(dependency);
            this.onChange(dependency, state, error);
        }
    }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
