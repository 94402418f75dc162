// Unit tests of the sample service's configuration parser: a pure function, so no process, no
// mocks. Each invalid value must name its variable and what it allows, since that message is
// all an operator sees when a release exits with code 2.
import * as assert from "assert";
import { ConfigError, Env, parseServiceConfig, redactUrl } from "../../sample-service/config";

const REQUIRED: Env = { PORT: "8080", RUNBOOK_VERSION: "v1.2.3", RUNBOOK_COLOR: "blue" };

function problemsOf(env: Env): string[] {
    try {
        parseServiceConfig(env);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        return err.problems;
    }
    assert.fail("expected parseServiceConfig to throw");
}

describe("sample service configuration", () => {
    it("applies the documented defaults when only the required variables are set", () => {
        assert.deepStrictEqual(parseServiceConfig(REQUIRED), {
            port: 8080,
            host: "127.0.0.1",
            version: "v1.2.3",
            color: "blue",
            instance: 0,
            databaseUrl: undefined,
            redisUrl: undefined,
            workMs: 5,
            faults: {
                errorRatePercent: 0,
                latencyPercent: 0,
                latencyMs: 0,
                health: "ok",
                crashAtStart: false,
                slowStartMs: 0,
                afterRequests: 0,
                afterSeconds: 0,
            },
        });
    });

    it("reads every variable when all are set", () => {
        const config = parseServiceConfig({
            PORT: "9000",
            HOST: "0.0.0.0",
            RUNBOOK_VERSION: "2.0.0-rc.1",
            RUNBOOK_COLOR: "green",
            RUNBOOK_INSTANCE: "3",
            DATABASE_URL: "postgres://runbook:secret@127.0.0.1:5432/runbook",
            REDIS_URL: "redis://127.0.0.1:6379",
            SERVICE_WORK_MS: "0",
            FAULT_ERROR_RATE_PERCENT: "12.5",
            FAULT_LATENCY_PERCENT: "60",
            FAULT_LATENCY_MS: "250",
            FAULT_HEALTH: "degraded",
            FAULT_CRASH_AT_START: "true",
            FAULT_SLOW_START_MS: "1500",
            FAULT_AFTER_REQUESTS: "300",
            FAULT_AFTER_SECONDS: "2.5",
        });
        assert.deepStrictEqual(config, {
            port: 9000,
            host: "0.0.0.0",
            version: "2.0.0-rc.1",
            color: "green",
            instance: 3,
            databaseUrl: "postgres://runbook:secret@127.0.0.1:5432/runbook",
            redisUrl: "redis://127.0.0.1:6379",
            workMs: 0,
            faults: {
                errorRatePercent: 12.5,
                latencyPercent: 60,
                latencyMs: 250,
                health: "degraded",
                crashAtStart: true,
                slowStartMs: 1500,
                afterRequests: 300,
                afterSeconds: 2.5,
            },
        });
    });

    it("treats empty optional values as unset", () => {
        const config = parseServiceConfig({ ...REQUIRED, HOST: "", DATABASE_URL: "", FAULT_HEALTH: " " });
        assert.strictEqual(config.host, "127.0.0.1");
        assert.strictEqual(config.databaseUrl, undefined);
        assert.strictEqual(config.faults.health, "ok");
    });

    it("accepts the bounds of each range", () => {
        const config = parseServiceConfig({
            ...REQUIRED, PORT: "65535", FAULT_ERROR_RATE_PERCENT: "100", DATABASE_URL: "postgresql://db/runbook",
        });
        assert.strictEqual(config.port, 65535);
        assert.strictEqual(config.faults.errorRatePercent, 100);
    });

    // One variable wrong at a time: the exact message it must produce.
    const invalid: Array<[string, Env, string]> = [
        ["PORT missing", { PORT: undefined },
            "PORT is required: an integer from 1 to 65535"],
        ["PORT not a number", { PORT: "http" },
            "PORT must be an integer from 1 to 65535; got \"http\""],
        ["PORT out of range", { PORT: "70000" },
            "PORT must be an integer from 1 to 65535; got \"70000\""],
        ["PORT zero", { PORT: "0" },
            "PORT must be an integer from 1 to 65535; got \"0\""],
        ["HOST with a space", { HOST: "local host" },
            "HOST must be a host name or IP address to bind, e.g. 127.0.0.1 or 0.0.0.0; got \"local host\""],
        ["RUNBOOK_VERSION missing", { RUNBOOK_VERSION: undefined },
            "RUNBOOK_VERSION is required: a version like v1.2.3 (letters, digits and . _ + -, at most 64 characters)"],
        ["RUNBOOK_VERSION with unsafe characters", { RUNBOOK_VERSION: "v1\"}" },
            "RUNBOOK_VERSION must be a version like v1.2.3 (letters, digits and . _ + -, at most 64 characters); got \"v1\"}\""],
        ["RUNBOOK_COLOR missing", { RUNBOOK_COLOR: "" },
            "RUNBOOK_COLOR is required: one of blue, green"],
        ["RUNBOOK_COLOR unknown", { RUNBOOK_COLOR: "red" },
            "RUNBOOK_COLOR must be one of blue, green; got \"red\""],
        ["RUNBOOK_COLOR in capitals", { RUNBOOK_COLOR: "Blue" },
            "RUNBOOK_COLOR must be one of blue, green; got \"Blue\""],
        ["RUNBOOK_INSTANCE negative", { RUNBOOK_INSTANCE: "-1" },
            "RUNBOOK_INSTANCE must be an integer from 0 to 9999; got \"-1\""],
        ["DATABASE_URL with another scheme", { DATABASE_URL: "mysql://root:hunter2@db/runbook" },
            "DATABASE_URL must be a URL starting with postgres:// or postgresql:// (value not shown: it may hold a password)"],
        ["DATABASE_URL not a URL", { DATABASE_URL: "runbook-local" },
            "DATABASE_URL must be a URL starting with postgres:// or postgresql:// (value not shown: it may hold a password)"],
        ["REDIS_URL with another scheme", { REDIS_URL: "http://127.0.0.1:6379" },
            "REDIS_URL must be a URL starting with redis:// or rediss:// (value not shown: it may hold a password)"],
        ["SERVICE_WORK_MS fractional", { SERVICE_WORK_MS: "2.5" },
            "SERVICE_WORK_MS must be an integer from 0 to 600000; got \"2.5\""],
        ["FAULT_ERROR_RATE_PERCENT above 100", { FAULT_ERROR_RATE_PERCENT: "150" },
            "FAULT_ERROR_RATE_PERCENT must be a number from 0 to 100; got \"150\""],
        ["FAULT_ERROR_RATE_PERCENT with a percent sign", { FAULT_ERROR_RATE_PERCENT: "5%" },
            "FAULT_ERROR_RATE_PERCENT must be a number from 0 to 100; got \"5%\""],
        ["FAULT_LATENCY_PERCENT negative", { FAULT_LATENCY_PERCENT: "-10" },
            "FAULT_LATENCY_PERCENT must be a number from 0 to 10000; got \"-10\""],
        ["FAULT_LATENCY_MS with a unit", { FAULT_LATENCY_MS: "200ms" },
            "FAULT_LATENCY_MS must be an integer from 0 to 600000; got \"200ms\""],
        ["FAULT_HEALTH unknown", { FAULT_HEALTH: "broken" },
            "FAULT_HEALTH must be one of ok, degraded, fail; got \"broken\""],
        ["FAULT_CRASH_AT_START as yes", { FAULT_CRASH_AT_START: "yes" },
            "FAULT_CRASH_AT_START must be one of true, false; got \"yes\""],
        ["FAULT_SLOW_START_MS hex", { FAULT_SLOW_START_MS: "0x10" },
            "FAULT_SLOW_START_MS must be an integer from 0 to 600000; got \"0x10\""],
    ];
    for (const [title, change, message] of invalid) {
        it(`rejects ${title}`, () => {
            assert.deepStrictEqual(problemsOf({ ...REQUIRED, ...change }), [message]);
        });
    }

    it("reports every invalid variable at once, in one error message", () => {
        let error: unknown;
        try {
            parseServiceConfig({ PORT: "x", RUNBOOK_COLOR: "red", FAULT_HEALTH: "sick" });
        } catch (err) {
            error = err;
        }
        assert.ok(error instanceof ConfigError);
        assert.deepStrictEqual(error.problems.map((p) => p.split(" ")[0]),
            ["PORT", "RUNBOOK_VERSION", "RUNBOOK_COLOR", "FAULT_HEALTH"]);
        for (const problem of error.problems) {
            assert.ok(error.message.includes(problem), `message lacks "${problem}"`);
        }
    });

    it("never echoes a connection URL, which may hold a password", () => {
        const problems = problemsOf({ ...REQUIRED, DATABASE_URL: "mysql://u:hunter2@db/x", REDIS_URL: "x:hunter2" });
        assert.strictEqual(problems.length, 2);
        assert.ok(problems.every((p) => !p.includes("hunter2")), problems.join("\n"));
    });

    it("redacts the password of a URL for logs", () => {
        assert.strictEqual(redactUrl("postgres://runbook:runbook-local@127.0.0.1:5432/runbook"),
            "postgres://runbook:***@127.0.0.1:5432/runbook");
        assert.strictEqual(redactUrl("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert.strictEqual(redactUrl("not a url with secret"), "<unparseable URL>");
    });
});
