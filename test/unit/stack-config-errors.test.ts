// The stack-config rows of the fault tests' bad-input table (test/integration/faults.test.ts), at
// unit level: each bad value is set the way `pulumi config set --path` stores it, on top of a valid
// stack, handed to the program as the engine hands it (one string per top-level key) and validated
// by the functions the program runs first (components/config/read-config.ts). Same keys, values
// and messages as the table had; three of the rows still run through the engine there, to prove
// that wiring (and the one the engine must mask, the secret, runs only there: see below).
import { strict as assert } from "assert";
import { StackConfigError, nestConfig, parseStackConfig } from "../../components/config/stack-config";

// --- what `pulumi config set --path` stores -------------------------------------------------------

/** A stack file's config: top-level key (`blue`, not `blue.version`) to the value stored under it. */
type StackFile = Map<string, unknown>;

/** `gates.external[0].name` -> ["gates", "external", 0, "name"]. */
function pathOf(key: string): (string | number)[] {
  const parts = [...key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] === undefined ? m[1] : Number(m[2])));
  assert.equal(parts.join("."), key.replace(/\[(\d+)\]/g, ".$1"), `cannot read the config path ${key}`);
  return parts;
}

/**
 * The engine's typing of a value set below a top-level key (sdk/go/common/resource/config,
 * `coerce`): true and false become booleans, whole numbers become numbers unless they have a
 * leading 0, and everything else (1.5, 50%) stays a string. A top-level value stays a string.
 */
function coerce(value: string): unknown {
  if (value === "true" || value === "false") return value === "true";
  if (value.length > 1 && value.startsWith("0")) return value;
  return /^[+-]?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

/** `pulumi config set --path <key> <value>`: creates the objects and arrays on the way. */
function configSetPath(file: StackFile, key: string, value: string): void {
  const [top, ...rest] = pathOf(key);
  if (!rest.length) {
    file.set(String(top), value);
    return;
  }
  const container = (next: string | number) => (typeof next === "number" ? [] : {});
  if (typeof file.get(String(top)) !== "object") file.set(String(top), container(rest[0]));
  let node = file.get(String(top)) as Record<string | number, unknown>;
  rest.forEach((part, i) => {
    if (Array.isArray(node)) assert.ok(typeof part === "number" && part <= node.length, `${key}: index out of range`);
    if (i === rest.length - 1) {
      node[part] = coerce(value);
    } else {
      if (typeof node[part] !== "object" || node[part] === null) node[part] = container(rest[i + 1]);
      node = node[part] as Record<string | number, unknown>;
    }
  });
}

/** The config map the program gets: `deployment-runbook:<top>`, objects and arrays as JSON text. */
function engineConfig(file: StackFile): Record<string, string> {
  return Object.fromEntries([...file].map(([k, v]) => [`deployment-runbook:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** The valid stack each row breaks one key of: blue v1.0.0, green v2.0.0, green at 50%. */
function baseStack(): StackFile {
  const file: StackFile = new Map();
  configSetPath(file, "blue.version", "v1.0.0");
  configSetPath(file, "green.version", "v2.0.0");
  configSetPath(file, "traffic.green", "50");
  return file;
}

/** Runs the program's validation on the base stack with `key` set to `value`; returns the error. */
function refusal(key: string, value: string): StackConfigError {
  const file = baseStack();
  configSetPath(file, key, value);
  try {
    parseStackConfig(nestConfig(engineConfig(file)));
  } catch (e) {
    if (e instanceof StackConfigError) return e;
    throw e;
  }
  assert.fail(`${key} = ${JSON.stringify(value)} was accepted`);
}

// --- the rows -----------------------------------------------------------------------------------

interface Row {
  key: string;
  value: string;
  message: RegExp;
}
const config = (key: string, value: string, message: RegExp): Row => ({ key, value, message });
const key = (k: string) => `deployment-runbook:${k.replace(/\./g, "\\.").replace(/\[(\d+)\]/g, "\\.$1")}`;
const num = (k: string, range: string, got: string) => new RegExp(`${key(k)}: must be a number from ${range} \\(got ${got}\\)`);

// Every key of the README's table, each with a value it does not allow. Not here:
// notifications.webhookUrl set as a secret. Its message must show "[secret]", and the program does
// not mask it: it reports the value like any other, and the engine replaces every secret config
// value in what the program prints (its log filter). So only the engine-level row can test it.
const rows: Row[] = [
  config("target", "openstack", new RegExp(`${key("target")}: must be one of local, kubernetes, aws \\(got "openstack"\\)`)),
  config("service.name", "App_1", new RegExp(`${key("service.name")}: must be 2-32 lowercase letters, digits or dashes \\(got "App_1"\\)`)),
  config("blue.version", "1.0", new RegExp(`${key("blue.version")}: must be a release version like v1\\.2\\.3 \\(got "1\\.0"\\)`)),
  config("green.version", "latest", new RegExp(`${key("green.version")}: must be a release version like v1\\.2\\.3 \\(got "latest"\\)`)),
  config("blue.replicas", "0", new RegExp(`${key("blue.replicas")}: must be an integer from 1 to 20 \\(got 0\\)`)),
  config("green.replicas", "21", new RegExp(`${key("green.replicas")}: must be an integer from 1 to 20 \\(got 21\\)`)),
  config("green.env.FEATURE.on", "true", new RegExp(`${key("green.env.FEATURE")}: must be a string, number or boolean`)),
  config("blue.env.1BAD", "x", new RegExp(`${key("blue.env.1BAD")}: .*(letters, digits and _|\\[A-Za-z_\\])`)),
  config("traffic.green", "150", new RegExp(`${key("traffic.green")}: must be an integer percent from 0 to 100 \\(no % sign\\) \\(got 150\\)`)),
  config("traffic.green", "50%", new RegExp(`${key("traffic.green")}: must be an integer percent from 0 to 100 \\(no % sign\\) \\(got "50%"\\)`)),
  config("traffic.blue", "50", new RegExp(`${key("traffic.blue")}: unknown key \\(allowed: green\\)`)),
  config("hotfix", "yes", new RegExp(`${key("hotfix")}: must be true or false \\(got "yes"\\)`)),
  config("maintenance", "sometimes", new RegExp(`${key("maintenance")}: must be true or false, or set its keys enabled, retryAfterSeconds and message \\(got "sometimes"\\)`)),
  config("maintenance.enabled", "soon", new RegExp(`${key("maintenance.enabled")}: must be true or false \\(got "soon"\\)`)),
  config("maintenance.retryAfterSeconds", "0", new RegExp(`${key("maintenance.retryAfterSeconds")}: must be an integer from 1 to 86400 \\(seconds\\) \\(got 0\\)`)),
  config("maintenance.message", "back at $time", new RegExp(`${key("maintenance.message")}: must not contain \\$ " \\\\ < > & \\{ \\} or line breaks`)),
  config("maintenance.page", "x", new RegExp(`${key("maintenance.page")}: unknown key \\(allowed: enabled, retryAfterSeconds, message\\)`)),
  config("backup.enabled", "maybe", new RegExp(`${key("backup.enabled")}: must be true or false \\(got "maybe"\\)`)),
  config("backup.generation", "1.5", new RegExp(`${key("backup.generation")}: must be an integer from 0 \\(bump it to take a fresh backup\\) \\(got "1\\.5"\\)`)),
  config("backup.refreshAfterMinutes", "0", new RegExp(`${key("backup.refreshAfterMinutes")}: must be an integer from 1 to 10080 \\(minutes\\) \\(got 0\\)`)),
  config("gates.checks[0]", "smoke", new RegExp(`${key("gates.checks[0]")}: must be among api, database, cache, external, error-rate, latency, queries, infrastructure, monitoring \\(got "smoke"\\)`)),
  config("gates.timeoutSeconds", "0", num("gates.timeoutSeconds", "1 to 3600 seconds", "0")),
  config("gates.intervalSeconds", "soon", num("gates.intervalSeconds", "0\\.1 to 60 seconds", '"soon"')),
  config("gates.retries", "99", num("gates.retries", "0 to 20", "99")),
  config("gates.api.path", "healthz", new RegExp(`${key("gates.api.path")}: must start with / \\(got "healthz"\\)`)),
  config("gates.api.expectStatus", "999", num("gates.api.expectStatus", "100 to 599", "999")),
  config("gates.api.latencyBudgetMs", "0", num("gates.api.latencyBudgetMs", "1 to 60000 ms", "0")),
  config("gates.database.maxPoolSaturationPercent", "150", num("gates.database.maxPoolSaturationPercent", "1 to 100%", "150")),
  config("gates.external[0].name", "billing", new RegExp(`${key("gates.external[0]")}: each external endpoint needs exactly one of url or tcp`)),
  config("gates.analysis.windowSeconds", "1", num("gates.analysis.windowSeconds", "2 to 600 seconds", "1")),
  config("gates.analysis.syntheticRps", "1000", num("gates.analysis.syntheticRps", "0 to 500 requests/s", "1000")),
  config("gates.analysis.minRequests", "0", num("gates.analysis.minRequests", "1 to 1000000", "0")),
  config("gates.analysis.confidence", "0.5", num("gates.analysis.confidence", "0\\.8 to 0\\.999", '"0\\.5"')),
  config("gates.analysis.clearlyBadErrorRatePercent", "0.05", new RegExp(`${key("gates.analysis.clearlyBadErrorRatePercent")}: must be above the error-rate SLO limit, 0\\.1% \\(maxErrorRatePercent\\) \\(got "0\\.05"\\)`)),
  config("gates.analysis.clearlyBadSlowPercent", "5", num("gates.analysis.clearlyBadSlowPercent", "6 to 100%", "5")),
  config("gates.analysis.maxErrorRatePercent", "101", num("gates.analysis.maxErrorRatePercent", "0 to 100%", "101")),
  config("gates.analysis.minSuccessRatePercent", "100.5", num("gates.analysis.minSuccessRatePercent", "0 to 100%", "\"100\\.5\"")),
  config("gates.analysis.p95LatencyMs", "0", num("gates.analysis.p95LatencyMs", "1 to 60000 ms", "0")),
  config("gates.analysis.maxErrorRateIncreasePp", "101", num("gates.analysis.maxErrorRateIncreasePp", "0 to 100 percentage points", "101")),
  config("gates.analysis.maxLatencyIncreasePercent", "2000", num("gates.analysis.maxLatencyIncreasePercent", "0 to 1000%", "2000")),
  config("local.routerPort", "80", new RegExp(`${key("local.routerPort")}: must be an integer from 1024 to 65535 \\(got 80\\)`)),
  config("local.basePort", "65400", new RegExp(`${key("local.basePort")}: must leave room for 200 instance ports \\(at most 65335\\)`)),
  config("local.workMs", "10001", new RegExp(`${key("local.workMs")}: must be an integer from 0 to 10000 \\(milliseconds\\) \\(got 10001\\)`)),
  config("kubernetes.mode", "ingress", new RegExp(`${key("kubernetes.mode")}: .*'gateway-api' \\| 'service-selector'`)),
  config("aws.cpu", "100", new RegExp(`${key("aws.cpu")}: must be an integer from 256 to 16384 \\(CPU units\\) \\(got 100\\)`)),
  config("colour", "blue", new RegExp(`${key("colour")}: unknown key \\(allowed: target, service, blue, green, traffic, hotfix, maintenance, predeploy, gates, backup, rollout, migrations, notifications, local, kubernetes, aws\\)`)),
];

describe("stack config errors (the fault tests' bad-input rows, without the engine)", () => {
  it("the base stack is valid, and values are stored the way `pulumi config set --path` stores them", () => {
    const base = parseStackConfig(nestConfig(engineConfig(baseStack())));
    assert.deepEqual([base.blue.version, base.green.version, base.traffic.green], ["v1.0.0", "v2.0.0", 50]);

    const file: StackFile = new Map();
    for (const [k, v] of [["hotfix", "yes"], ["traffic.green", "150"], ["backup.generation", "1.5"], ["backup.refreshAfterMinutes", "07"], ["gates.checks[0]", "smoke"], ["gates.checks[1]", "api"], ["green.env.FEATURE.on", "true"]]) {
      configSetPath(file, k, v);
    }
    assert.deepEqual(engineConfig(file), {
      "deployment-runbook:hotfix": "yes",
      "deployment-runbook:traffic": '{"green":150}',
      "deployment-runbook:backup": '{"generation":"1.5","refreshAfterMinutes":"07"}',
      "deployment-runbook:gates": '{"checks":["smoke","api"]}',
      "deployment-runbook:green": '{"env":{"FEATURE":{"on":true}}}',
    });
  });

  it(`has a row for every stack-config row the fault tests had, but the secret (${rows.length})`, () => {
    assert.ok(rows.length >= 39);
  });

  for (const row of rows) {
    it(`config ${row.key} = ${JSON.stringify(row.value)}: refused with one message naming the key`, () => {
      const e = refusal(row.key, row.value);
      assert.match(e.message, row.message);
      assert.equal(e.problems.length, 1, `expected one problem, got:\n${e.message}`);
    });
  }
});
