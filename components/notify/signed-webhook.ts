// The generic JSON webhook: body `{event, template, text, fields}`, signed like Stripe's and
// Slack's own requests: `X-Runbook-Timestamp` is the unix time in seconds of the attempt and
// `X-Runbook-Signature` is `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the stack's
// signing key. The timestamp is inside the signature, so a receiver that also rejects old
// timestamps (`verifySignature`) cannot be fed a recorded request again later. Pure.
import { createHmac, timingSafeEqual } from "crypto";
import type { Notification } from "./notifier";

export const TIMESTAMP_HEADER = "X-Runbook-Timestamp";
export const SIGNATURE_HEADER = "X-Runbook-Signature";

/** How far a receiver lets a timestamp be from its own clock, either way. Defaults to 5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The request body: the event as recorded, which template rendered it, the text and its fields. */
export function webhookBody(n: Notification): string {
  return JSON.stringify({ event: n.event, template: n.template, text: n.text, fields: n.fields });
}

/** `sha256=<hex>` of `<timestamp>.<body>` (the body's UTF-8 bytes, or the bytes as received). */
export function signature(body: string | Buffer, timestamp: number, key: string): string {
  return `sha256=${createHmac("sha256", key).update(`${timestamp}.`).update(body).digest("hex")}`;
}

/** The two headers of one attempt, signed at `now` (each retry is signed again: its own timestamp). */
export function signedHeaders(body: string, key: string, now: number = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signature(body, timestamp, key) };
}

export type Verification = { ok: true } | { ok: false; reason: string };

/**
 * What a receiver runs on the raw body (the bytes as received, before any JSON parsing) and the two
 * headers: the signature must match and the timestamp be within `toleranceSeconds` of `now` (ms).
 */
export function verifySignature(
  body: string | Buffer,
  timestamp: string | number | undefined,
  sig: string | undefined,
  key: string,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  now: number = Date.now(),
): Verification {
  const ts = typeof timestamp === "number" ? timestamp : /^\d{1,12}$/.test(String(timestamp ?? "").trim()) ? Number(String(timestamp).trim()) : NaN;
  if (!Number.isInteger(ts)) return { ok: false, reason: `${TIMESTAMP_HEADER} missing or not unix seconds` };
  const skew = Math.abs(Math.floor(now / 1000) - ts);
  if (skew > toleranceSeconds) return { ok: false, reason: `${TIMESTAMP_HEADER} is ${skew} s from now (at most ${toleranceSeconds} s allowed): a replay or a wrong clock` };
  if (!sig || !/^sha256=[0-9a-f]{64}$/i.test(sig.trim())) return { ok: false, reason: `${SIGNATURE_HEADER} missing or not sha256=<64 hex digits>` };
  const expected = Buffer.from(signature(body, ts, key).slice(7), "hex");
  const given = Buffer.from(sig.trim().slice(7), "hex");
  // Constant time: the comparison must not tell an attacker how many leading digits were right.
  return timingSafeEqual(expected, given) ? { ok: true } : { ok: false, reason: `${SIGNATURE_HEADER} does not match the body` };
}
