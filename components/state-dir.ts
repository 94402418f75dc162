// The project's state folder on this machine: deployment records and every local service's files.
// scripts/bootstrap-local.sh computes the same path; change both together.
import * as os from "os";
import * as path from "path";

/** An environment variable, with empty treated as unset (as `${VAR:-default}` does in the script). */
function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * The state root: `$RUNBOOK_STATE_DIR`, else `$XDG_STATE_HOME/deployment-runbook`, else
 * `~/.local/state/deployment-runbook`. A relative XDG_STATE_HOME is ignored (the XDG spec says such
 * paths are invalid); a relative RUNBOOK_STATE_DIR is taken from the current directory.
 */
export function stateDir(): string {
  const explicit = env("RUNBOOK_STATE_DIR");
  if (explicit !== undefined) return path.resolve(explicit);
  const xdg = env("XDG_STATE_HOME");
  const base = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".local", "state");
  return path.join(base, "deployment-runbook");
}
