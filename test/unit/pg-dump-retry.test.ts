// A backup whose session the server ends on purpose (a restore of the same database elsewhere, a
// fast restart) is taken again once; any other failure is not retried.
import { strict as assert } from "assert";
import { retryOnceIfSessionEnded, sessionEnded } from "../../components/backup/pg-dump";

describe("pg_dump backup: a session ended on purpose is retried once", () => {
  it("knows the server's own termination, by code or by pg_dump's message, and nothing else", () => {
    assert.ok(sessionEnded({ code: "57P01" }));
    assert.ok(sessionEnded({ code: "3D000" }));
    assert.ok(sessionEnded({ message: "Command failed", stderr: "pg_dump: error: query failed: FATAL:  terminating connection due to administrator command" }));
    assert.ok(sessionEnded(new Error('database "runbook" does not exist')));
    assert.ok(!sessionEnded(new Error("connect ECONNREFUSED 127.0.0.1:5432")));
    assert.ok(!sessionEnded({ code: "28P01", message: "password authentication failed" }));
    assert.ok(!sessionEnded(undefined));
  });

  it("runs once more after such an error, never after another, and at most twice", async () => {
    let calls = 0;
    assert.equal(await retryOnceIfSessionEnded(async () => (++calls === 1 ? Promise.reject({ code: "57P01" }) : "ok"), 1), "ok");
    assert.equal(calls, 2);
    calls = 0;
    await assert.rejects(retryOnceIfSessionEnded(async () => (++calls, Promise.reject(new Error("connect ECONNREFUSED"))), 1), /ECONNREFUSED/);
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(retryOnceIfSessionEnded(async () => (++calls, Promise.reject({ code: "57P01", message: "again" })), 1));
    assert.equal(calls, 2);
  });
});
