// The runbook's communication templates, filled from a shift plan. Pure.
import { ShiftPlan, Color } from "../types";

export interface AnnouncementInput {
  stack: string;
  service: string;
  plan: ShiftPlan;
  versions: Partial<Record<Color, string>>;
  hotfix: boolean;
  at: string;
}

export function announcement(a: AnnouncementInput): string {
  const { plan, versions } = a;
  const towards = plan.towards;
  const release = towards ? `${towards} ${versions[towards] ?? "?"}` : "none";
  const traffic = `blue ${plan.next.blue}% / green ${plan.next.green}%`;
  const was = plan.previous ? ` (was blue ${plan.previous.blue}% / green ${plan.previous.green}%)` : "";
  const rollbackTo = plan.stable ? `${plan.stable.color} ${plan.stable.version}` : "none (first release)";
  const header = `**Stack**: ${a.stack}  **Service**: ${a.service}  **Time**: ${a.at}`;
  switch (plan.kind) {
    case "rollback":
      return [
        "⚠️ **Deployment Rolled Back**",
        header,
        `**Version**: ${plan.previous && towards ? `${versions[towards === "blue" ? "green" : "blue"] ?? "?"} → ${versions[towards]}` : release} (rollback)`,
        `**Traffic**: ${traffic}${was}`,
        `**Status**: ${plan.next[towards!] === 100 ? `System on ${release}` : "partial rollback"}`,
        "**Action Items**: root cause analysis; fix; re-test in staging; schedule re-deployment",
      ].join("\n");
    case "promote":
    case "initial":
    case "rolling":
      if (towards && plan.next[towards] === 100 && plan.nextStable?.color === towards) {
        return [
          "✅ **Deployment Complete**",
          header,
          `**Version**: ${release}`,
          `**Traffic**: ${traffic}${was}`,
          `**Health Checks**: gates passed before the shift${a.hotfix ? " (hotfix: window overridden)" : ""}`,
          "**Next Check**: T+30 minutes",
        ].join("\n");
      }
      return [
        "🚀 **Production Deployment In Progress**",
        header,
        `**Version**: ${release}`,
        `**Step**: ${traffic}${was}`,
        `**Rollback Plan**: blue-green switch to ${rollbackTo} (instant)`,
        a.hotfix ? "**Hotfix**: deployment window overridden" : "",
      ]
        .filter(Boolean)
        .join("\n");
    case "hold":
      return [`ℹ️ **No Traffic Change**`, header, `**Traffic**: ${traffic}`].join("\n");
  }
}
