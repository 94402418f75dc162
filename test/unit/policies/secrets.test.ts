import * as assert from "node:assert/strict";
import { secrets } from "../../../policies/secrets";
import { checkRecord, promotion, rollback } from "./fixtures";

describe("secrets", () => {
  it("passes when every sensitive config value is a secret", async () => {
    assert.deepEqual(await checkRecord(secrets, promotion()), []);
  });

  it("passes when there is nothing sensitive in the config", async () => {
    const r = promotion();
    r.sensitiveConfig = [];
    assert.deepEqual(await checkRecord(secrets, r), []);
  });

  it("refuses a nested key in plain text and gives the command with --path", async () => {
    const r = promotion();
    r.sensitiveConfig[0].secret = false;
    assert.deepEqual(await checkRecord(secrets, r), [
      "config key `deployment-runbook:notifications.webhookUrl` is stored in plain text; make it a secret: `pulumi config set --secret --path deployment-runbook:notifications.webhookUrl <value> --stack dev`",
    ]);
  });

  it("refuses a top-level key in plain text and gives the command without --path", async () => {
    const r = promotion();
    r.sensitiveConfig.push({ key: "deployment-runbook:dbPassword", secret: false });
    assert.deepEqual(await checkRecord(secrets, r), [
      "config key `deployment-runbook:dbPassword` is stored in plain text; make it a secret: `pulumi config set --secret deployment-runbook:dbPassword <value> --stack dev`",
    ]);
  });

  it("skips keys listed in ignoreKeys", async () => {
    const r = promotion();
    r.sensitiveConfig[0].secret = false;
    assert.deepEqual(await checkRecord(secrets, r, { ignoreKeys: ["deployment-runbook:notifications.webhookUrl"] }), []);
  });

  it("never blocks a rollback or a hold", async () => {
    const r = rollback();
    r.sensitiveConfig[0].secret = false;
    assert.deepEqual(await checkRecord(secrets, r), []);
    r.plan.kind = "hold";
    assert.deepEqual(await checkRecord(secrets, r), []);
  });
});
