// Bounded polling helpers shared by the local providers.
import * as fs from "fs";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown by a probe when waiting longer cannot help (a process that crashed at start): `waitFor` gives up at once. */
export class StopWaiting extends Error {}

/**
 * Polls `probe` until it returns a value or `timeoutSeconds` pass; `describe` says what was last
 * seen, for the error message. A probe that throws is asked again, unless it throws StopWaiting.
 */
export async function waitFor<T>(
  what: string,
  timeoutSeconds: number,
  probe: () => Promise<T | undefined>,
  describe: () => Promise<string> = async () => "",
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const value = await probe().catch((e: unknown) => {
      if (e instanceof StopWaiting) throw e;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const seen = await describe().catch(() => "");
      throw new Error(`${what} after ${timeoutSeconds}s${seen ? `: ${seen}` : ""}`);
    }
    await sleep(intervalMs);
  }
}

/** GET a local URL, answering the status and headers, or undefined when nothing answers. */
export async function probeHttp(url: string, headers: Record<string, string> = {}) {
  // Loaded on first use: `npm run rollback` imports this module on its fast path, which has no use for axios.
  const { default: axios } = await import("axios");
  const res = await axios.get(url, { timeout: 2000, validateStatus: () => true, headers, proxy: false });
  return { status: res.status, headers: res.headers as Record<string, string>, data: res.data as unknown };
}

/** The last `lines` lines of a log, joined on one line; `missing` when it cannot be read. */
export function tail(file: string, lines: number, missing = ""): string {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-lines).join(" | ");
  } catch {
    return missing;
  }
}
