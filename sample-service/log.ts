// Structured log: one JSON line per event on stdout, so the deployment tool (npm run logs,
// npm run errors) and the tests can parse it. Every line has a level; the events that report a
// failure are ERROR, so the runbook's `grep ERROR` still finds them. Callers pass only redacted
// values (see redactUrl); nothing here inspects fields.

export interface LogContext {
    version: string;
    color: string;
    instance: number;
    port: number;
}

export type LogFields = Record<string, unknown>;

/** Events that report a failure: a failed request, a crash, a lost dependency. */
export const ERROR_EVENTS: ReadonlySet<string> = new Set(["request-failed", "crash", "fatal", "listen-error", "database-error"]);

export function logEvent(context: LogContext | undefined, event: string, fields: LogFields = {}): void {
    const level = ERROR_EVENTS.has(event) || (event === "dependency" && fields.state === "fail") ? "ERROR" : "INFO";
    const line = { time: new Date().toISOString(), level, event, ...context, ...fields };
    process.stdout.write(`${JSON.stringify(line)}\n`);
}
