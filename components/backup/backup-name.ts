// The trigger's part of a backup's name, shared by the aws and kubernetes backups: both put the
// trigger in the resource name, so that a new trigger is a new backup.

/**
 * A trigger as letters, digits and single hyphens, at most 40 characters: safe in a Kubernetes
 * object name (a DNS label) and in an RDS identifier alike. `component` names the backup in the
 * error, so the operator sees which one refused the trigger.
 */
export function triggerSlug(component: string, trigger: string): string {
  const slug = trigger
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  if (!slug) throw new Error(`${component}: trigger must contain a letter or digit (got ${JSON.stringify(trigger)})`);
  return slug;
}
