// `npm run postmortem -- --env <stack> [--last | --id <id> | --list]`: prints the Markdown
// postmortem every rollback writes beside the stack's rollout history (or the list of them).
// Reads files only: no engine, no stack config.
import { runMain } from "./cli-args";
import { runPostmortem } from "./postmortem-command";

runMain(async () => runPostmortem(process.argv.slice(2), (text) => process.stdout.write(text)));
