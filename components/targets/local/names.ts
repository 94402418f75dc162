// Process and file names on the local target. Supervisor program names allow [a-z0-9-], and stack
// names allow more, so names are normalised here, once.

export function slug(s: string): string {
  const out = s.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  if (!out) throw new Error(`cannot derive a process name from ${JSON.stringify(s)}`);
  return out;
}

/** Prefix of every supervisor program this project runs for a stack. */
export function stackPrefix(stack: string): string {
  return `rb-${slug(stack)}`;
}

/** Prefix of every process of one service of one stack. */
export function serviceKey(stack: string, service: string): string {
  return `${stackPrefix(stack)}-${slug(service)}`;
}

export function instanceProgram(stack: string, service: string, color: string, index: number): string {
  return `${serviceKey(stack, service)}-${color}-${index}`;
}

export function routerProgram(stack: string, service: string): string {
  return `${serviceKey(stack, service)}-router`;
}

/** Port of one instance: blue from basePort, green from basePort + 100. */
export function instancePort(basePort: number, color: string, index: number): number {
  return basePort + (color === "green" ? 100 : 0) + index;
}
