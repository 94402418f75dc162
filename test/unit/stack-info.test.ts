// scripts/stack-info.ts reads a stack's config outside the engine (for npm run health and db:*),
// with secrets shown, so a bad secret's value must be hidden there as the engine hides it.
import * as assert from "node:assert/strict";
import { nestConfig, parseStackConfig } from "../../components/config/stack-config";
import { maskSecrets } from "../../scripts/stack-info";

describe("stack-info: secrets in config errors", () => {
  it("replaces each secret value, raw or JSON-quoted, with [secret]", () => {
    const secret = 'hooks.example/"x"';
    assert.equal(maskSecrets(`got "${JSON.stringify(secret).slice(1, -1)}" and ${secret}`, [secret]), 'got "[secret]" and [secret]');
  });

  it("a bad webhook URL set as a secret never shows in the message", () => {
    const bad = "not-a-url-s3cr3t";
    let message = "";
    try {
      parseStackConfig(nestConfig({ "deployment-runbook:blue.version": "v1.0.0", "deployment-runbook:notifications": JSON.stringify({ webhookUrl: bad }) }));
    } catch (e) {
      message = maskSecrets((e as Error).message, [bad]);
    }
    assert.equal(message, 'invalid stack config:\n  - deployment-runbook:notifications.webhookUrl: must be an http(s) URL (got "[secret]")');
  });
});
