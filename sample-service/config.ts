// Configuration of the sample service, read from the environment.
//
// `parseServiceConfig` is pure (no process.env, no I/O) so the unit tests can feed it any
// environment. It reports every problem at once, each naming the variable and what it allows,
// because a deployment that fails on one variable at a time costs one rollout per typo.

export type Color = "blue" | "green";
export type HealthFault = "ok" | "degraded" | "fail";

export interface ServiceConfig {
    /** TCP port to listen on (PORT, required). */
    port: number;
    /** Address to bind (HOST). Defaults to 127.0.0.1. */
    host: string;
    /** Release version served, shown in headers, metrics and logs (RUNBOOK_VERSION, required). */
    version: string;
    /** Which environment this process belongs to (RUNBOOK_COLOR, required). */
    color: Color;
    /** Index of this process among its color's instances (RUNBOOK_INSTANCE). Defaults to 0. */
    instance: number;
    /** PostgreSQL connection string (DATABASE_URL). Undefined means "not configured". */
    databaseUrl?: string;
    /** Redis connection string (REDIS_URL). Undefined means "not configured". */
    redisUrl?: string;
    /** Simulated work per request on / and /api/* (SERVICE_WORK_MS). Defaults to 5. */
    workMs: number;
    faults: FaultConfig;
}

export interface FaultConfig {
    /** Share of / and /api/* requests answered 500 (FAULT_ERROR_RATE_PERCENT). Defaults to 0. */
    errorRatePercent: number;
    /** Extra simulated work, as a percent of workMs (FAULT_LATENCY_PERCENT). Defaults to 0. */
    latencyPercent: number;
    /** Fixed extra latency per request (FAULT_LATENCY_MS). Defaults to 0. */
    latencyMs: number;
    /** What /healthz reports at best (FAULT_HEALTH). Defaults to "ok". */
    health: HealthFault;
    /** Log and exit 1 before doing anything (FAULT_CRASH_AT_START). Defaults to false. */
    crashAtStart: boolean;
    /** Delay before listening (FAULT_SLOW_START_MS). Defaults to 0. */
    slowStartMs: number;
    /**
     * The error and latency faults start only after this instance served this many requests
     * (FAULT_AFTER_REQUESTS): a release that goes bad once it takes traffic. 0 (the default) is
     * not a condition.
     */
    afterRequests: number;
    /** The same after this many seconds since start (FAULT_AFTER_SECONDS); whichever comes first. Defaults to 0 (not a condition). */
    afterSeconds: number;
}

/** Thrown by parseServiceConfig; `problems` holds one line per invalid variable. */
export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(`invalid configuration:\n  ${problems.join("\n  ")}`);
        this.name = "ConfigError";
    }
}

export type Env = Readonly<Record<string, string | undefined>>;

// Upper bounds keep a typo (an extra zero or two) from turning into a process that hangs for
// hours; they are far above anything a test or demo needs.
const MAX_DELAY_MS = 600_000;
const MAX_LATENCY_PERCENT = 10_000;

// The version ends up in an HTTP header and a Prometheus label, so it is limited to characters
// that are safe in both. Semver with or without a leading "v" fits.
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

export function parseServiceConfig(env: Env): ServiceConfig {
    const problems: string[] = [];
    const p = new Parser(env, problems);

    const config: ServiceConfig = {
        port: p.integer("PORT", { required: true, min: 1, max: 65535 }),
        host: p.string("HOST", "127.0.0.1", "a host name or IP address to bind, e.g. 127.0.0.1 or 0.0.0.0"),
        version: p.pattern("RUNBOOK_VERSION", VERSION_PATTERN,
            "a version like v1.2.3 (letters, digits and . _ + -, at most 64 characters)"),
        color: p.oneOf("RUNBOOK_COLOR", ["blue", "green"] as const, undefined),
        instance: p.integer("RUNBOOK_INSTANCE", { default: 0, min: 0, max: 9999 }),
        databaseUrl: p.url("DATABASE_URL", ["postgres:", "postgresql:"]),
        redisUrl: p.url("REDIS_URL", ["redis:", "rediss:"]),
        workMs: p.integer("SERVICE_WORK_MS", { default: 5, min: 0, max: MAX_DELAY_MS }),
        faults: {
            errorRatePercent: p.number("FAULT_ERROR_RATE_PERCENT", { default: 0, min: 0, max: 100 }),
            latencyPercent: p.number("FAULT_LATENCY_PERCENT", { default: 0, min: 0, max: MAX_LATENCY_PERCENT }),
            latencyMs: p.integer("FAULT_LATENCY_MS", { default: 0, min: 0, max: MAX_DELAY_MS }),
            health: p.oneOf("FAULT_HEALTH", ["ok", "degraded", "fail"] as const, "ok"),
            crashAtStart: p.oneOf("FAULT_CRASH_AT_START", ["true", "false"] as const, "false") === "true",
            slowStartMs: p.integer("FAULT_SLOW_START_MS", { default: 0, min: 0, max: MAX_DELAY_MS }),
            afterRequests: p.integer("FAULT_AFTER_REQUESTS", { default: 0, min: 0, max: 1_000_000_000 }),
            afterSeconds: p.number("FAULT_AFTER_SECONDS", { default: 0, min: 0, max: MAX_DELAY_MS / 1000 }),
        },
    };
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return config;
}

/** The URL with its password replaced by "***", for logs. Never throws. */
export function redactUrl(raw: string): string {
    try {
        const url = new URL(raw);
        if (url.password) {
            url.password = "***";
        }
        return url.toString();
    } catch {
        return "<unparseable URL>";
    }
}

interface NumberRule {
    required?: boolean;
    default?: number;
    min: number;
    max: number;
}

// Collects problems instead of throwing so that all of them are reported together. On a problem
// it returns a placeholder; the caller throws before the placeholder can be used.
class Parser {
    constructor(private readonly env: Env, private readonly problems: string[]) {}

    // An empty value counts as unset: env files and CI systems often write `NAME=` for "nothing".
    private raw(name: string): string | undefined {
        const value = this.env[name];
        return value === undefined || value.trim() === "" ? undefined : value.trim();
    }

    private missing(name: string, allowed: string): void {
        this.problems.push(`${name} is required: ${allowed}`);
    }

    private invalid(name: string, value: string, allowed: string): void {
        this.problems.push(`${name} must be ${allowed}; got "${value}"`);
    }

    string(name: string, fallback: string, allowed: string): string {
        const value = this.raw(name);
        if (value === undefined) {
            return fallback;
        }
        if (/\s/.test(value)) {
            this.invalid(name, value, allowed);
        }
        return value;
    }

    pattern(name: string, pattern: RegExp, allowed: string): string {
        const value = this.raw(name);
        if (value === undefined) {
            this.missing(name, allowed);
            return "";
        }
        if (!pattern.test(value)) {
            this.invalid(name, value, allowed);
        }
        return value;
    }

    oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T | undefined): T {
        const described = `one of ${allowed.join(", ")}`;
        const value = this.raw(name);
        if (value === undefined) {
            if (fallback === undefined) {
                this.missing(name, described);
                return allowed[0];
            }
            return fallback;
        }
        if (!(allowed as readonly string[]).includes(value)) {
            this.invalid(name, value, described);
            return allowed[0];
        }
        return value as T;
    }

    integer(name: string, rule: NumberRule): number {
        return this.numeric(name, rule, /^\d+$/, "an integer");
    }

    number(name: string, rule: NumberRule): number {
        return this.numeric(name, rule, /^\d+(\.\d+)?$/, "a number");
    }

    private numeric(name: string, rule: NumberRule, shape: RegExp, kind: string): number {
        const allowed = `${kind} from ${rule.min} to ${rule.max}`;
        const value = this.raw(name);
        if (value === undefined) {
            if (rule.required || rule.default === undefined) {
                this.missing(name, allowed);
                return 0;
            }
            return rule.default;
        }
        const parsed = Number(value);
        if (!shape.test(value) || parsed < rule.min || parsed > rule.max) {
            this.invalid(name, value, allowed);
            return 0;
        }
        return parsed;
    }

    // Optional connection URL. The value is never echoed: it may carry a password.
    url(name: string, protocols: string[]): string | undefined {
        const value = this.raw(name);
        if (value === undefined) {
            return undefined;
        }
        const allowed = `a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`;
        let url: URL | undefined;
        try {
            url = new URL(value);
        } catch {
            url = undefined;
        }
        if (url === undefined || !protocols.includes(url.protocol) || url.hostname === "") {
            this.problems.push(`${name} must be ${allowed} (value not shown: it may hold a password)`);
            return undefined;
        }
        return value;
    }
}
