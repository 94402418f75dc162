// The `notifications.*` section of the stack config: where the rollout commands post their
// notifications (a Slack incoming webhook, a generic JSON webhook signed with HMAC-SHA256), the
// fields the templates need from outside the events, and how hard a send tries. The URLs and the
// signing key are credentials: the secrets policy requires them to be Pulumi secrets, and messages
// never show their values.
import { z } from "zod";
import { integer } from "../config/schema-helpers";

/** Keys (below `notifications.`) whose values are credentials: messages show "[secret]" instead. */
export const SECRET_NOTIFY_KEYS = ["slackWebhookUrl", "webhookUrl", "signingKey"] as const;

export const MIN_SIGNING_KEY_LENGTH = 16;

/**
 * Set to "1" in the environment of the `up`s the rollout commands run: they notify for every event
 * themselves, so the program's deployment record does not post its announcement then.
 */
export const NOTIFIED_BY_COMMAND_ENV = "RUNBOOK_NOTIFIED_BY_COMMAND";

const isHttpUrl = (v: string) => {
  try {
    return ["http:", "https:"].includes(new URL(v).protocol);
  } catch {
    return false;
  }
};

// One check, one message: zod's url() accepts ftp: and would add a second message to a refine.
const httpUrl = () => z.string({ invalid_type_error: "must be an http(s) URL" }).refine(isHttpUrl, { message: "must be an http(s) URL" });

export const notifyConfigSchema = z
  .object({
    /** Slack-compatible incoming webhook (a secret). Defaults to none. */
    slackWebhookUrl: httpUrl().optional(),
    /** Generic JSON webhook, signed with `signingKey` (a secret). Defaults to none. */
    webhookUrl: httpUrl().optional(),
    /** HMAC-SHA256 key of the generic webhook's signature (a secret); required with `webhookUrl`. */
    signingKey: z
      .string({ invalid_type_error: `must be a string of at least ${MIN_SIGNING_KEY_LENGTH} characters` })
      .min(MIN_SIGNING_KEY_LENGTH, { message: `must be a string of at least ${MIN_SIGNING_KEY_LENGTH} characters` })
      .optional(),
    /** Who is on call, as the templates show it (`@engineer-name`). Defaults to none. */
    onCall: z.string({ invalid_type_error: "must be a string (a name or handle)" }).min(1, { message: "must be a name or handle" }).max(200, { message: "must be at most 200 characters" }).optional(),
    /** Monitoring dashboard linked from the notifications. Defaults to none. */
    dashboardUrl: httpUrl().optional(),
    /** Incident report linked from the failure notifications. Defaults to none. */
    incidentUrl: httpUrl().optional(),
    /** Folder of template files (`<template>.md`) replacing the built-in ones, relative to the project. Defaults to none. */
    templatesDir: z.string({ invalid_type_error: "must be a folder path" }).min(1, { message: "must be a folder path" }).optional(),
    /** Time allowed to one attempt of one send. Defaults to 2000. */
    timeoutMs: integer(100, 60_000, "from 100 to 60000 (milliseconds)").default(2000),
    /** Attempts after the first on a 5xx, 429, timeout or connection error. Defaults to 3. */
    retries: integer(0, 10, "from 0 to 10").default(3),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Judged only when the URL itself is valid: one message per mistake.
    if (typeof c.webhookUrl === "string" && isHttpUrl(c.webhookUrl) && c.signingKey === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["signingKey"],
        message: `is required when notifications.webhookUrl is set (receivers verify X-Runbook-Signature with it; at least ${MIN_SIGNING_KEY_LENGTH} characters, set as a secret: npm run pulumi -- config set --secret --path notifications.signingKey <key>)`,
      });
    }
  })
  .default({});

export type NotifyConfig = z.infer<typeof notifyConfigSchema>;
