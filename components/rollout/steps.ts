// The steps of a rollout: the canary's traffic percent after each step ("10,50,100"). Pure.
// Step sizes are the traffic-step policy's to judge (its options are configurable); this only
// checks what makes a list of steps a rollout at all.

export const STEPS_FORMAT = "comma-separated integer percents from 1 to 100, increasing, ending at 100 (e.g. 10,50,100)";

/** Why `steps` is not a rollout, or undefined when it is. */
export function stepsProblem(steps: readonly number[]): string | undefined {
  if (steps.length === 0) return "no steps";
  for (const s of steps) if (!Number.isInteger(s) || s < 1 || s > 100) return `${s} is not an integer percent from 1 to 100`;
  for (let i = 1; i < steps.length; i++) if (steps[i] <= steps[i - 1]) return `${steps[i]} after ${steps[i - 1]}: steps must increase`;
  if (steps[steps.length - 1] !== 100) return `the last step is ${steps[steps.length - 1]}: it must be 100`;
  return undefined;
}

/** Parses `--steps`; throws naming the problem and the allowed format. */
export function parseSteps(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  const bad = parts.find((p) => !/^\d+$/.test(p));
  if (bad !== undefined) throw new Error(`${JSON.stringify(text)}: ${JSON.stringify(bad)} is not an integer (allowed: ${STEPS_FORMAT})`);
  const steps = parts.map(Number);
  const problem = stepsProblem(steps);
  if (problem) throw new Error(`${JSON.stringify(text)}: ${problem} (allowed: ${STEPS_FORMAT})`);
  return steps;
}
