// Prints the closing line of `npm test` and resets the counts for the next run.
import * as fs from "fs";
import * as path from "path";

const file = path.resolve(__dirname, "..", ".test-summary.json");
const s = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : { passed: 0, failed: 0, skipped: 0 };
fs.rmSync(file, { force: true });
console.log(`${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ""}`);
