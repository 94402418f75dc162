// Where the local target keeps one stack's backups; shared by the backup resource and the
// db:backup / db:restore commands.
import * as path from "path";
import * as paths from "./paths";
import { serviceKey } from "./names";

export function backupsDir(stack: string, service: string): string {
  return path.join(paths.stateDir(), "backups", serviceKey(stack, service));
}
