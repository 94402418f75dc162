// Bounded polling helpers shared by the local providers.
import axios from "axios";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns a value or `timeoutSeconds` pass; `describe` says what was last
 * seen, for the error message.
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
    const value = await probe().catch(() => undefined);
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
  const res = await axios.get(url, { timeout: 2000, validateStatus: () => true, headers, proxy: false });
  return { status: res.status, headers: res.headers as Record<string, string>, data: res.data as unknown };
}
