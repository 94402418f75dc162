// Runbook checklist: "Database backed up < 1 hour ago, backup restoration tested".
import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { formatMinutes, minutesBetween, parseTime, policyClock } from "./clock";
import { NOW_OPTION, options } from "./config";
import { CONFIG_NAMESPACE, describeChange, isPromotion, readRecord, UNKNOWN } from "./record";

export interface BackupAgeOptions {
  maxAgeMinutes: number;
  requireForInitial: boolean;
  now?: string;
}

export const backupAgeSchema: PolicyConfigSchema = {
  properties: {
    maxAgeMinutes: {
      type: "number",
      exclusiveMinimum: 0,
      default: 60,
      description: "A promotion needs a verified backup taken less than this many minutes before the policy clock. Defaults to 60.",
    },
    requireForInitial: {
      type: "boolean",
      default: false,
      description: "Also require a backup for a stack's first deployment (there is usually no data yet). Defaults to false.",
    },
    now: NOW_OPTION,
  },
};

export const backupAge: ResourceValidationPolicy = {
  name: "backup-age",
  description: "Checks that a promotion has a verified backup taken less than `maxAgeMinutes` before it.",
  // Mandatory: promoting without a restorable backup risks data that no rollback brings back.
  enforcementLevel: "mandatory",
  configSchema: backupAgeSchema,
  validateResource: (args, report) => {
    const record = readRecord(args.type, args.props);
    if (!record) return;
    const o = options<BackupAgeOptions>(args, backupAgeSchema);
    const kind = record.plan.kind;
    if (!isPromotion(kind) || (kind === "initial" && !o.requireForInitial)) return;

    // The program re-takes a backup older than its refresh period; a period at or above this
    // policy's maximum age would let the program reuse a backup this policy then refuses.
    const refresh = record.backupRefreshAfterMinutes;
    if (refresh !== undefined && refresh >= o.maxAgeMinutes) {
      report(
        `${CONFIG_NAMESPACE}:backup.refreshAfterMinutes is ${refresh}, at or above this policy's maxAgeMinutes ${o.maxAgeMinutes}: ` +
          `a backup the program still reuses could be too old here; set ${CONFIG_NAMESPACE}:backup.refreshAfterMinutes below ${o.maxAgeMinutes}`,
      );
    }

    const s = record.backup;
    // Unknown during preview: the backup is taken in this very update, before traffic moves.
    if (s === UNKNOWN || (s && (s.takenAt === UNKNOWN || s.verified === UNKNOWN))) return;
    const change = describeChange(record);
    const needed = `${change} needs a verified backup taken less than ${formatMinutes(o.maxAgeMinutes)} before it`;
    if (!s) {
      report(`${needed}, but the deployment record has no backup; enable the backup for service ${record.service} so the update takes one before traffic moves`);
      return;
    }
    const id = s.backupId === UNKNOWN ? "(id unknown)" : s.backupId;
    const clock = policyClock(o.now);
    if ("problem" in clock) {
      report(clock.problem);
      return;
    }
    const takenAt = typeof s.takenAt === "string" ? parseTime(s.takenAt) : undefined;
    if (!takenAt) {
      report(`${needed}, but backup ${id} has takenAt ${JSON.stringify(s.takenAt)}, not an ISO-8601 time; the backup must record when it was taken`);
    } else {
      // A backup stamped after the policy clock (clock skew, or `now` fixed in the past for a
      // dry run) counts as fresh.
      const age = Math.max(0, minutesBetween(takenAt, clock));
      if (age >= o.maxAgeMinutes) {
        report(`${needed}, but backup ${id} was taken ${formatMinutes(age)} before it (${takenAt.toISOString()}); take a fresh backup and run the update again`);
      }
    }
    if (s.verified !== true) {
      report(`${needed}, but backup ${id} is not verified (its test restore did not pass); take a backup whose restore verification passes`);
    }
  },
};
