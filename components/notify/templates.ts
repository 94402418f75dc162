// The notifications' text: the runbook's three communication templates (deployment starting,
// deployment complete, rollback) and the failures and events they do not cover, with `{{field}}`
// placeholders. A file `<name>.md` in `notifications.templatesDir` replaces the built-in of that
// name; a placeholder a template does not have is an error naming it and the allowed ones. Pure
// except for `loadTemplates`, which reads the folder.
import * as fs from "fs";
import * as path from "path";

export const TEMPLATE_NAMES = ["deployment-starting", "deployment-complete", "rollback", "promotion-stopped", "rollout-aborted", "stuck-lock", "rollout-event"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Each template's fields, in the order the generic webhook's `fields` lists them. */
export const TEMPLATE_FIELDS: Record<TemplateName, readonly string[]> = {
  "deployment-starting": ["stack", "version", "stable", "time", "duration", "impact", "changes", "steps", "rollbackPlan", "onCall", "command", "dashboardUrl"],
  "deployment-complete": ["stack", "version", "status", "time", "duration", "healthChecks", "metrics", "nextCheck", "rollbackTarget", "onCall", "dashboardUrl"],
  rollback: ["stack", "version", "fromVersion", "toVersion", "reason", "metric", "value", "limit", "baseline", "canary", "decidedBy", "status", "time", "duration", "traffic", "actionItems", "postmortem", "onCall", "incidentUrl", "dashboardUrl"],
  "promotion-stopped": ["stack", "version", "step", "time", "reason", "traffic", "rollbackPlan", "onCall", "incidentUrl", "dashboardUrl"],
  "rollout-aborted": ["stack", "version", "step", "time", "by", "reason", "metric", "value", "limit", "baseline", "canary", "next", "onCall", "incidentUrl", "dashboardUrl"],
  "stuck-lock": ["stack", "holder", "pid", "since", "lockMessage", "time", "found", "resolve", "onCall"],
  "rollout-event": ["stack", "version", "time", "event", "summary", "dashboardUrl"],
};

// The runbook's wording where it has one. Lines whose field is not set (a link not configured, a
// trigger a manual rollback does not have) are left out.
export const BUILT_IN: Record<TemplateName, string> = {
  "deployment-starting": `🚀 **Deployment Starting: {{stack}}**

**Version**: {{version}} (stable: {{stable}})
**Time**: {{time}}
**Duration**: {{duration}}
**Impact**: {{impact}}

**Changes**:
{{changes}}

**Steps**: {{steps}}
**Rollback Plan**: {{rollbackPlan}}
**On-Call**: {{onCall}}

Command: \`{{command}}\`
Monitoring dashboard: [{{dashboardUrl}}]({{dashboardUrl}})
`,
  "deployment-complete": `✅ **Deployment Complete: {{stack}}**

**Version**: {{version}}
**Status**: {{status}}
**Time**: {{time}}
**Duration**: {{duration}}

**Health Checks**: {{healthChecks}}
**Metrics**: {{metrics}}
**Next Check**: {{nextCheck}}
**Rollback Target**: {{rollbackTarget}}
**On-Call**: {{onCall}}

Monitoring dashboard: [{{dashboardUrl}}]({{dashboardUrl}})
`,
  rollback: `⚠️ **Deployment Rolled Back: {{stack}}**

**Version**: {{version}} (rollback)
**Reason**: {{reason}}
**Trigger**: {{metric}} {{value}} > limit {{limit}}
**Baseline**: {{baseline}}
**Canary**: {{canary}}
**Decided By**: {{decidedBy}}
**Status**: {{status}}
**Time**: {{time}}
**Duration**: {{duration}}
**Traffic**: {{traffic}}
**On-Call**: {{onCall}}

**Action Items**:
{{actionItems}}

Postmortem: \`{{postmortem}}\`
Incident report: [{{incidentUrl}}]({{incidentUrl}})
Monitoring dashboard: [{{dashboardUrl}}]({{dashboardUrl}})
`,
  "promotion-stopped": `⛔ **Promotion Stopped: {{stack}}**

**Version**: {{version}} at step {{step}}
**Time**: {{time}}
**Reason**: {{reason}}
**Traffic**: {{traffic}}
**Rollback Plan**: {{rollbackPlan}}
**On-Call**: {{onCall}}

Incident report: [{{incidentUrl}}]({{incidentUrl}})
Monitoring dashboard: [{{dashboardUrl}}]({{dashboardUrl}})
`,
  "rollout-aborted": `🛑 **Rollout Aborted: {{stack}}**

**Version**: {{version}} at step {{step}}
**Time**: {{time}}
**By**: {{by}}
**Reason**: {{reason}}
**Trigger**: {{metric}} {{value}} > limit {{limit}}
**Baseline**: {{baseline}}
**Canary**: {{canary}}
**Next**: {{next}}
**On-Call**: {{onCall}}

Incident report: [{{incidentUrl}}]({{incidentUrl}})
Monitoring dashboard: [{{dashboardUrl}}]({{dashboardUrl}})
`,
  "stuck-lock": `🔒 **Stuck Rollout Lock: {{stack}}**

**Held By**: {{holder}} (pid {{pid}}, that process is gone) since {{since}}: {{lockMessage}}
**Time**: {{time}}
**Found By**: {{found}}
**Resolve**: {{resolve}}
**On-Call**: {{onCall}}
`,
  "rollout-event": `ℹ️ **{{stack}}**: {{summary}}
`,
};

export class TemplateError extends Error {}

export type Templates = Record<TemplateName, string>;
export type Fields = Partial<Record<string, string>>;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names in `text`, each once, in order. */
export function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** Throws naming every placeholder `text` has that template `name` does not. */
export function checkTemplate(name: TemplateName, text: string, source = `built-in template ${name}`): void {
  const allowed = TEMPLATE_FIELDS[name];
  const unknown = placeholders(text).filter((p) => !allowed.includes(p));
  if (unknown.length) {
    const list = (xs: readonly string[]) => xs.map((x) => `{{${x}}}`).join(", ");
    throw new TemplateError(`${source}: unknown placeholder${unknown.length > 1 ? "s" : ""} ${list(unknown)} (allowed: ${list(allowed)})`);
  }
}

/**
 * `text` with its placeholders filled. A line with a placeholder whose field is not set is left
 * out, so a template can carry optional lines (links, a trigger) without conditionals.
 */
export function render(text: string, fields: Fields): string {
  const lines: string[] = [];
  for (const line of text.split("\n")) {
    const names = placeholders(line);
    if (names.some((n) => fields[n] === undefined)) continue;
    lines.push(line.replace(PLACEHOLDER, (_m, n: string) => fields[n]!));
  }
  // A left-out line must not leave a gap of several blank lines behind.
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trim();
}

/**
 * The built-in templates, each replaced by `<dir>/<name>.md` when there is one. Any other `.md`
 * file there is an error (a misspelt name would silently change nothing).
 */
export function loadTemplates(dir?: string): Templates {
  const out: Templates = { ...BUILT_IN };
  if (!dir) return out;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw new TemplateError(`notifications.templatesDir ${JSON.stringify(dir)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  for (const file of names.filter((n) => n.endsWith(".md")).sort()) {
    const name = file.slice(0, -3) as TemplateName;
    if (!TEMPLATE_NAMES.includes(name)) throw new TemplateError(`${path.join(dir, file)}: not a template name (allowed: ${TEMPLATE_NAMES.map((n) => `${n}.md`).join(", ")})`);
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    checkTemplate(name, text, path.join(dir, file));
    out[name] = text;
  }
  return out;
}
