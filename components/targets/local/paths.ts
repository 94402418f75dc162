// Where the local target keeps its state and finds its services: the TypeScript side of the layout
// that scripts/bootstrap-local.sh creates. The two must agree; change them together.
//
//   $STATE/supervisor/supervisord.conf   the project's own supervisord (written by the script)
//   $STATE/supervisor/supervisor.sock    its control socket
//   $STATE/supervisor/conf.d/*.conf      one file per program (releases, routers, redis, prometheus)
//   $STATE/logs/                         supervisord's pidfile and log, one log per program
//   $STATE/prometheus/targets/*.json     file service discovery: what Prometheus scrapes
//   $STATE/nginx/                        per-stack router instances
//
// Every function reads the environment when called, so tests can point RUNBOOK_* elsewhere.
import * as path from "path";
import { stateDir } from "../../state-dir";

/** An environment variable, with empty treated as unset (as `${VAR:-default}` does in the script). */
function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** A TCP port from the environment, or `fallback`; throws naming the variable when it is not a port. */
function portFromEnv(name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^[0-9]+$/.test(raw) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port (1-65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}

export { stateDir };


/** The supervisord config file the bootstrap script writes; pass it to `supervisorctl -c`. */
export function supervisorConfig(): string {
  return path.join(stateDir(), "supervisor", "supervisord.conf");
}

/** supervisord's pidfile and log, and one log per program (`<name>.log`). */
export function logsDir(): string {
  return path.join(stateDir(), "logs");
}

/** Prometheus reads scrape targets from `*.json` files here (file_sd_configs, refreshed every second). */
export function prometheusTargetsDir(): string {
  return path.join(stateDir(), "prometheus", "targets");
}

/** Prometheus's base URL. Port from RUNBOOK_PROMETHEUS_PORT; defaults to 9090. */
export function prometheusUrl(): string {
  return `http://127.0.0.1:${portFromEnv("RUNBOOK_PROMETHEUS_PORT", 9090)}`;
}

/** Redis's URL. Port from RUNBOOK_REDIS_PORT; defaults to 6379. */
export function redisUrl(): string {
  return `redis://127.0.0.1:${portFromEnv("RUNBOOK_REDIS_PORT", 6379)}`;
}

/**
 * The `runbook` role on the `runbook` database (the role has CREATEDB, so stacks can create their
 * own databases from here). Password from RUNBOOK_DB_PASSWORD, defaults to runbook-local; port from
 * RUNBOOK_PG_PORT, defaults to 5432. Holds a password: keep it secret.
 */
export function postgresAdminUrl(): string {
  const password = encodeURIComponent(env("RUNBOOK_DB_PASSWORD") ?? "runbook-local");
  return `postgres://runbook:${password}@127.0.0.1:${portFromEnv("RUNBOOK_PG_PORT", 5432)}/runbook`;
}

/** Folder for per-stack nginx router instances (config, pid, temp files). */
export function nginxDir(): string {
  return path.join(stateDir(), "nginx");
}
