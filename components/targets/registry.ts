// Maps the `target` config value to its definition. The built-in targets register themselves in
// builtin.ts; a new target is one folder plus one `registerTarget` call (tests register their own).
import type { BlueGreenTarget, TargetContext, TargetDefinition } from "./target";

const targets = new Map<string, TargetDefinition>();

/**
 * Adds a target. Throws when the name is taken or is not a config key. Returns what removes it
 * again (a test's target must not outlive the test).
 */
export function registerTarget<Section>(definition: TargetDefinition<Section>): () => void {
  if (!/^[a-z][a-z0-9]*$/.test(definition.name)) {
    throw new Error(`target name ${JSON.stringify(definition.name)} must be lowercase letters and digits (it is a config section name)`);
  }
  const existing = targets.get(definition.name);
  if (existing && existing !== (definition as TargetDefinition)) throw new Error(`target ${definition.name} is registered already`);
  targets.set(definition.name, definition as TargetDefinition);
  return () => {
    if (targets.get(definition.name) === (definition as TargetDefinition)) targets.delete(definition.name);
  };
}

/** Every registered target's name, in registration order. */
export function targetNames(): string[] {
  return [...targets.keys()];
}

/** The registered targets, in registration order. */
export function registeredTargets(): TargetDefinition[] {
  return [...targets.values()];
}

/** The definition of `name`. Throws listing the registered names when there is none. */
export function targetDefinition(name: string): TargetDefinition {
  const t = targets.get(name);
  if (!t) throw new Error(`no target named ${JSON.stringify(name)} (registered: ${targetNames().join(", ")})`);
  return t;
}

/** Builds the configured target for one update, from its section of the config. */
export async function createTarget(ctx: TargetContext): Promise<{ name: string; target: BlueGreenTarget }> {
  const definition = targetDefinition(ctx.config.target);
  return { name: definition.name, target: await definition.create(ctx.config[definition.name], ctx) };
}
