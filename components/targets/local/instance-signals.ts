// What the live analysis of a rollout asks the local target about the canary's instances: which are
// not running and how often supervisord restarted them since the watch began (a crash loop).
import { Supervisor } from "./supervisor";
import { serviceKey } from "./names";

export interface InstanceWatch {
  /** Restarts since the first call, and instances not running now. */
  read(): Promise<{ restarts: number; notRunning: string[] }>;
}

export function watchLocalInstances(stack: string, service: string, color: string, supervisor = new Supervisor()): InstanceWatch {
  const prefix = `${serviceKey(stack, service)}-${color}-`;
  const lastPid = new Map<string, number>();
  let restarts = 0;
  return {
    async read() {
      const all = await supervisor.statusAll(prefix);
      const notRunning: string[] = [];
      for (const s of all) {
        // STARTING is a restart in progress (counted by its pid); these are a process that gave up.
        if (["BACKOFF", "FATAL", "EXITED"].includes(s.state)) notRunning.push(`${s.name} ${s.state}`);
        if (s.pid !== undefined) {
          const before = lastPid.get(s.name);
          if (before !== undefined && before !== s.pid) restarts++;
          lastPid.set(s.name, s.pid);
        }
      }
      return { restarts, notRunning };
    },
  };
}
