// The client's start-up path under a stub of the `vscode` module (VS Code
// itself is not available here): a missing relc binary gives an error that
// says how to install it, and no language client is started.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const Module = require("node:module");
const path = require("node:path");

function stubVscode(settings) {
  const calls = { errors: [], commands: new Map(), executed: [], lines: [] };
  const disposable = { dispose() {} };
  // Anything the client library touches at load time but this path never uses.
  const inert = new Proxy(function () {}, { get: () => inert, construct: () => inert, apply: () => inert });
  const api = {
    window: {
      createOutputChannel: () => ({ appendLine: (l) => calls.lines.push(l), dispose() {} }),
      showErrorMessage: async (message, ...items) => {
        calls.errors.push({ message, items });
        return undefined;
      },
    },
    commands: {
      registerCommand: (id, fn) => {
        calls.commands.set(id, fn);
        return disposable;
      },
      executeCommand: async (...args) => calls.executed.push(args),
    },
    workspace: {
      getConfiguration: (section) => ({ get: (key) => settings[`${section}.${key}`] }),
      onDidChangeConfiguration: () => disposable,
    },
  };
  const vscode = new Proxy(api, { get: (t, k) => (k in t ? t[k] : inert) });
  return { vscode, calls };
}

function loadExtension(vscode) {
  const resolve = Module._resolveFilename;
  const load = Module._load;
  Module._load = function (request, ...rest) {
    return request === "vscode" ? vscode : load.call(this, request, ...rest);
  };
  Module._resolveFilename = function (request, ...rest) {
    return request === "vscode" ? "vscode" : resolve.call(this, request, ...rest);
  };
  try {
    const file = path.join(__dirname, "..", "out", "extension.js");
    delete require.cache[file];
    return require(file);
  } finally {
    Module._resolveFilename = resolve;
    Module._load = load;
  }
}

test("a missing relc binary is reported with how to install it", async () => {
  const { vscode, calls } = stubVscode({ "relc.path": "/nonexistent/relc-for-test" });
  const ext = loadExtension(vscode);
  const subscriptions = [];
  await ext.activate({ subscriptions });
  assert.ok(calls.commands.has("relc.restartServer"));
  assert.equal(calls.errors.length, 1);
  assert.match(calls.errors[0].message, /\/nonexistent\/relc-for-test/);
  assert.match(calls.errors[0].message, /cargo install --path \./);
  assert.deepEqual(calls.errors[0].items, ["Open Settings"]);
  assert.ok(calls.lines.some((l) => l.includes("cargo install --path .")));
  // Restarting with the binary still missing reports again and starts nothing.
  await calls.commands.get("relc.restartServer")();
  assert.equal(calls.errors.length, 2);
  await ext.deactivate();
});
