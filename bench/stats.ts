// Small helpers the benchmark's sections share: medians and how durations are printed.

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const range = (ms: number[]) => `${secs(Math.min(...ms))}-${secs(Math.max(...ms))}`;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

