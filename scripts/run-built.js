#!/usr/bin/env node
// Runs one of the project's TypeScript commands (health, db) after installing packages and
// compiling when needed. Plain JavaScript: it runs before the build.
"use strict";
const path = require("path");
const { ensureBuilt, ensureInstalled } = require("./engine-env");

const root = path.resolve(__dirname, "..");
const [command, ...args] = process.argv.slice(2);
try {
  ensureInstalled(root);
  ensureBuilt(root);
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(1);
}
process.argv = [process.argv[0], path.join(root, "bin", "scripts", `${command}.js`), ...args];
require(path.join(root, "bin", "scripts", `${command}.js`));
