// mocha's spec output, plus the counts written to a file of this process's own so `npm test` can
// print one closing "N passed, N failed" line for its mocha runs together (two run at once).
import * as fs from "fs";
import * as path from "path";
import Mocha from "mocha";

const SUMMARY_FILE = path.resolve(__dirname, "..", `.test-summary.${process.pid}.json`);

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      const prev = fs.existsSync(SUMMARY_FILE) ? JSON.parse(fs.readFileSync(SUMMARY_FILE, "utf8")) : { passed: 0, failed: 0, skipped: 0 };
      fs.writeFileSync(SUMMARY_FILE, JSON.stringify({ passed: prev.passed + s.passes, failed: prev.failed + s.failures, skipped: prev.skipped + s.pending }));
    });
  }
}

export = SummaryReporter;
