// Where a no-op `pulumi up` spends its time, read from the engine's own log (`-v=9 --logflow
// --logtostderr`: one JSON line per event, each with a timestamp). Pure: bench/floor.ts runs the
// command, this turns its log into phases. The phases follow one another in the engine: it loads
// the policy pack before it runs the program, and starts a provider when the program first
// registers one of its resources.

export interface Phase {
  name: string;
  ms: number;
}

interface Event {
  t: number;
  msg: string;
}

function events(log: string): Event[] {
  const out: Event[] = [];
  for (const line of log.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const j = JSON.parse(line) as { time?: string; msg?: string };
      if (j.time && typeof j.msg === "string") out.push({ t: Date.parse(j.time), msg: j.msg });
    } catch {
      // a plugin's own output on stderr: not an engine event
    }
  }
  return out;
}

/** Splits one `up` (or preview) into phases; `startedAt` and `endedAt` bound the command. */
export function floorPhases(log: string, startedAt: number, endedAt: number): Phase[] {
  const ev = events(log);
  if (!ev.length) throw new Error("no engine events in the log (run with -v=9 --logflow --logtostderr)");
  const first = (test: (m: string) => boolean, after = 0): number | undefined => ev.find((e) => e.t >= after && test(e.msg))?.t;
  const marks: [string, number | undefined][] = [];
  const engineUp = ev[0].t;
  marks.push(["wrapper (npm run pulumi) and engine start", engineUp]);
  const started = first((m) => m.startsWith("*** Starting Update"));
  marks.push(["update metadata (language host About, VCS, stack tags)", started]);
  // The policy pack, the program and the providers, in the order the engine starts them.
  const packLaunched = first((m) => m.includes("(analyzer)") && m.includes("Launching plugin"));
  marks.push(["plugins the program needs (lookup)", packLaunched]);
  const packReady = first((m) => m.startsWith("Analyzer[") && m.includes("GetPluginInfo"), packLaunched);
  marks.push(["policy pack start (Node.js, @pulumi/policy, the pack)", packReady]);
  const programRun = first((m) => m.startsWith("langhost[nodejs].Run("), packReady);
  marks.push(["policy pack configure", programRun]);
  const firstRegister = first((m) => m.startsWith("ResourceMonitor.RegisterResource received"), programRun);
  marks.push(["program start (Node.js, @pulumi/pulumi, the program's modules)", firstRegister]);
  const providerLaunch = first((m) => m.includes("Launching plugin") && m.includes("(resource)"), firstRegister);
  marks.push(["program until its first custom resource", providerLaunch]);
  const providerReady = first((m) => /^Provider\[.*\]\.GetPluginInfo\(\)/.test(m), providerLaunch);
  marks.push(["provider start (Node.js dynamic provider)", providerReady]);
  const programExit = first((m) => m === "Program exited with no error" || m.startsWith("Program exited"), providerReady);
  marks.push(["resources: check, diff, steps; program exit", programExit]);
  const complete = first((m) => m.includes("Update(preview=") && m.includes("complete"), programExit);
  marks.push(["plugins stopped", complete]);
  const last = ev[ev.length - 1].t;
  marks.push(["state written, engine exit", last]);

  const phases: Phase[] = [];
  let prev = startedAt;
  for (const [name, at] of marks) {
    if (at === undefined) continue; // a preview has no provider start when nothing changed, etc.
    phases.push({ name, ms: Math.max(0, at - prev) });
    prev = Math.max(prev, at);
  }
  phases.push({ name: "process exit (engine and wrapper)", ms: Math.max(0, endedAt - prev) });
  return phases;
}
