// A Slack-compatible incoming webhook's payload: `text` (what notifications and clients without
// blocks show) and `blocks`: a header with the template's first line, the rest as mrkdwn sections,
// and a context line saying which stack, event and rollout it is about. The templates are written
// in the runbook's Markdown; Slack's mrkdwn differs (`*bold*`, `<url|label>`), so it is converted
// here. Pure.
import type { Notification } from "./notifier";

// Slack's documented limits: a header's text, a section's text.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;

export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

export type SlackBlock =
  | { type: "header"; text: { type: "plain_text"; text: string; emoji: true } }
  | { type: "section"; text: { type: "mrkdwn"; text: string } }
  | { type: "context"; elements: { type: "mrkdwn"; text: string }[] };

/** Slack requires &, < and > escaped in text; its own link syntax is added after. */
const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The runbook's Markdown as Slack mrkdwn. */
export function toMrkdwn(markdown: string): string {
  return escape(markdown)
    .replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) => `<${url}|${label}>`)
    .replace(/\*\*([^*\n]+)\*\*/g, "*$1*")
    .replace(/^(\s*)- \[ \] /gm, "$1☐ ");
}

const plain = (markdown: string) => markdown.replace(/\*\*([^*\n]+)\*\*/g, "$1").replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, "$1 ($2)");

const cut = (s: string, max: number) => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

/** Paragraphs packed into sections of at most SECTION_MAX characters (a longer one is cut). */
function sections(body: string): SlackBlock[] {
  const out: string[] = [];
  for (const para of body.split(/\n{2,}/).map((p) => p.trim()).filter(Boolean)) {
    const text = cut(toMrkdwn(para), SECTION_MAX);
    const lastText = out[out.length - 1];
    if (lastText !== undefined && lastText.length + 2 + text.length <= SECTION_MAX) out[out.length - 1] = `${lastText}\n\n${text}`;
    else out.push(text);
  }
  return out.map((text) => ({ type: "section", text: { type: "mrkdwn", text } }));
}

export function slackPayload(n: Notification): SlackPayload {
  const [first, ...rest] = n.text.split("\n");
  const e = n.event;
  const context = [`stack *${escape(e.stack)}*`, `event \`${e.type}\``, e.at, "rolloutId" in e ? `rollout ${escape(e.rolloutId.slice(0, 8))}` : ""].filter(Boolean).join(" · ");
  return {
    text: cut(plain(n.text), 40_000),
    blocks: [
      { type: "header", text: { type: "plain_text", text: cut(plain(first).trim() || n.template, HEADER_MAX), emoji: true } },
      ...sections(rest.join("\n")),
      { type: "context", elements: [{ type: "mrkdwn", text: context }] },
    ],
  };
}
