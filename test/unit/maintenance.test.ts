// Maintenance mode's parts that need no running router: the config key, the nginx it renders, the
// command's flags and its place under the stack lock. The real router is in
// test/integration/maintenance.test.ts.
import { strict as assert } from "assert";
import { DEFAULT_MAINTENANCE_MESSAGE, maintenanceConfigSchema, maintenancePage } from "../../components/config/maintenance-config";
import { StackConfigError, parseStackConfig } from "../../components/config/stack-config";
import { lockDecision } from "../../components/rollout/lock";
import { MAINTENANCE_OFF, NO_WEIGHTS, maintenanceBlock, renderNginxConfig, renderWeights } from "../../components/targets/local/nginx-config";
import "../../components/targets/builtin";
import { UsageError } from "../../scripts/cli-args";
import { parseMaintenanceArgs } from "../../scripts/maintenance-args";

const upstreams = { blue: [18000], green: [18100] };

describe("maintenance: the config key", () => {
  it("maintenance: true is short for maintenance.enabled, with the defaults", () => {
    assert.deepEqual(maintenanceConfigSchema.parse(true), { enabled: true, retryAfterSeconds: 300, message: DEFAULT_MAINTENANCE_MESSAGE });
    assert.deepEqual(maintenanceConfigSchema.parse("false"), { enabled: false, retryAfterSeconds: 300, message: DEFAULT_MAINTENANCE_MESSAGE });
    assert.deepEqual(maintenanceConfigSchema.parse(undefined), { enabled: false, retryAfterSeconds: 300, message: DEFAULT_MAINTENANCE_MESSAGE });
    assert.deepEqual(maintenanceConfigSchema.parse({ enabled: "true", retryAfterSeconds: "60", message: "Back at noon." }), { enabled: true, retryAfterSeconds: 60, message: "Back at noon." });
  });

  it("the page exists only while enabled", () => {
    assert.equal(maintenancePage(maintenanceConfigSchema.parse(false)), undefined);
    assert.deepEqual(maintenancePage(maintenanceConfigSchema.parse({ enabled: true, retryAfterSeconds: 10 })), { retryAfterSeconds: 10, message: DEFAULT_MAINTENANCE_MESSAGE });
  });

  const refusing = [
    ["kubernetes", "kubernetes target in service-selector mode", { kubernetes: { image: "docker.io/x/app", mode: "service-selector" } }],
    ["aws", "aws target", { aws: {} }],
  ] as const;
  for (const [target, what, sections] of refusing) {
    it(`the ${what} refuses it, naming the key (it has no page)`, () => {
      const base = { target, blue: { version: "v1.0.0" }, ...sections };
      // The same config without maintenance: whatever else the target requires is not what is refused.
      let otherProblems: string[] = [];
      try {
        parseStackConfig(base);
      } catch (e) {
        otherProblems = (e as StackConfigError).problems;
      }
      assert.throws(
        () => parseStackConfig({ ...base, maintenance: true }),
        (e: Error) =>
          e instanceof StackConfigError &&
          e.problems.includes(`deployment-runbook:maintenance.enabled: the ${what} has no maintenance page yet (the local target and kubernetes in gateway-api mode have one); set it to false`) &&
          e.problems.length === otherProblems.length + 1,
      );
    });
  }
});

describe("maintenance: the kubernetes target in gateway-api mode", () => {
  it("accepts it", () => {
    const c = parseStackConfig({ target: "kubernetes", blue: { version: "v1.0.0" }, kubernetes: { image: "docker.io/x/app", hostname: "app.example.com" }, maintenance: true });
    assert.equal(c.maintenance.enabled, true);
  });
});

describe("maintenance: the local router's nginx", () => {
  it("the weights file carries the Retry-After and the message while on, empty values while off", () => {
    const on = renderWeights({ blue: 100, green: 0 }, upstreams, "g1", { retryAfterSeconds: 120, message: "Back at noon." });
    assert.match(on, /map \$request_id \$runbook_maintenance \{ default "120"; \}/);
    assert.match(on, /map \$request_id \$runbook_maintenance_message \{ default "Back at noon\."; \}/);
    assert.match(on, /\\"maintenance\\":\{\\"retryAfterSeconds\\":120\}/);
    const off = renderWeights({ blue: 100, green: 0 }, upstreams, "g2");
    assert.ok(off.endsWith(MAINTENANCE_OFF));
    assert.match(off, /\\"maintenance\\":null/);
    assert.ok(NO_WEIGHTS.endsWith(MAINTENANCE_OFF), "a router before any split must define the variables too");
  });

  it("the main config exempts both colors' header and the health endpoints, and answers the page with 503 and Retry-After", () => {
    const conf = renderNginxConfig({ port: 8080, upstreams, directory: "/tmp/r", generation: "g" });
    assert.match(conf, /map \$http_x_runbook_color \$runbook_maintenance_by_header \{\s+blue "";\s+green "";\s+default \$runbook_maintenance;\s+\}/);
    assert.match(conf, /map \$uri \$runbook_maintenance_block \{\s+\/healthz "";\s+\/readyz "";\s+default \$runbook_maintenance_by_header;\s+\}/);
    assert.match(conf, /location \/ \{\s+error_page 418 = @runbook_maintenance;\s+if \(\$runbook_maintenance_block\) \{\s+return 418;\s+\}\s+if \(\$runbook_upstream = none\)/);
    assert.match(conf, /location @runbook_maintenance \{\s+default_type text\/html;\s+add_header Retry-After \$runbook_maintenance always;\s+add_header Cache-Control "no-store" always;\s+return 503 "/);
  });

  it("refuses a value that would not be valid nginx or HTML", () => {
    assert.throws(() => maintenanceBlock({ retryAfterSeconds: 0, message: "x" }), /retryAfterSeconds must be a positive integer \(got 0\)/);
    assert.throws(() => maintenanceBlock({ retryAfterSeconds: 1, message: 'a "quote"' }), /holds a character nginx or HTML would need escaped/);
    assert.throws(() => maintenanceBlock({ retryAfterSeconds: 1, message: "costs $5" }), /holds a character/);
  });
});

describe("maintenance: npm run maintenance's flags", () => {
  it("on|off anywhere; --retry-after and --message only with on", () => {
    assert.deepEqual(parseMaintenanceArgs(["--env", "prod", "on"]), { stack: "prod", on: true, retryAfterSeconds: undefined, message: undefined, json: false });
    assert.deepEqual(parseMaintenanceArgs(["off", "--env", "prod", "--json"]), { stack: "prod", on: false, retryAfterSeconds: undefined, message: undefined, json: true });
    assert.deepEqual(parseMaintenanceArgs(["--env", "prod", "on", "--retry-after", "60", "--message", "Back at noon."]), { stack: "prod", on: true, retryAfterSeconds: 60, message: "Back at noon.", json: false });
    // A flag's value is never the verb.
    assert.equal(parseMaintenanceArgs(["--message", "on", "--env", "off", "on"]).stack, "off");
  });

  for (const [args, message] of [
    [["--env", "prod"], /on or off is required \(allowed: on, off\)/],
    [["--env", "prod", "enable"], /"enable" is not allowed \(allowed: on, off\)/],
    [["--env", "prod", "on", "off"], /"on" "off" is not allowed/],
    [["on"], /--env is required/],
    [["--env", "prod", "on", "--retry-after", "1.5"], /--retry-after "1\.5": must be an integer from 1 to 86400 \(seconds\)/],
    [["--env", "prod", "on", "--message", "<b>hi</b>"], /--message "<b>hi<\/b>": must not contain/],
    [["--env", "prod", "off", "--message", "x"], /--retry-after and --message go with on only/],
    [["--env", "prod", "on", "--force"], /Unknown option '--force'.*allowed flags: --env, --retry-after, --message, --json/s],
  ] as [string[], RegExp][]) {
    it(`${args.join(" ")}: refused`, () => {
      assert.throws(() => parseMaintenanceArgs(args), (e: Error) => e instanceof UsageError && message.test(e.message));
    });
  }

  it("goes through a freeze (an incident tool, like rollback) and never through a running rollout", () => {
    const since = "2026-12-02T10:00:00Z";
    assert.deepEqual(lockDecision("maintenance", { kind: "freeze", holder: "a@b", pid: 1, since, message: "release freeze" }, { stack: "prod" }), { action: "proceed" });
    const running = lockDecision("maintenance", { kind: "rollout", holder: "a@b", pid: 1, since, message: "deploy v2" }, { stack: "prod" });
    assert.equal(running.action, "refuse");
    assert.deepEqual(lockDecision("maintenance", undefined, { stack: "prod" }), { action: "acquire" });
  });
});
