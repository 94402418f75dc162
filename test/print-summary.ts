// Prints the closing line of `npm test` (the counts of every mocha run, one file each) and resets
// them for the next run.
import * as fs from "fs";
import * as path from "path";

const dir = path.resolve(__dirname, "..");
const s = { passed: 0, failed: 0, skipped: 0 };
for (const name of fs.readdirSync(dir).filter((n) => /^\.test-summary\.\d+\.json$/.test(n))) {
  const file = path.join(dir, name);
  const one = JSON.parse(fs.readFileSync(file, "utf8")) as typeof s;
  s.passed += one.passed;
  s.failed += one.failed;
  s.skipped += one.skipped;
  fs.rmSync(file, { force: true });
}
console.log(`${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ""}`);
