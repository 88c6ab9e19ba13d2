// Loads syntaxes/release.tmLanguage.json with the engine VS Code itself uses
// (vscode-textmate on the Oniguruma WASM build) and tokenizes text line by line.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const oniguruma = require("vscode-oniguruma");
const vsctm = require("vscode-textmate");

const GRAMMAR = path.join(__dirname, "..", "syntaxes", "release.tmLanguage.json");

let grammarPromise;

function loadGrammar() {
  if (!grammarPromise) {
    const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
    const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    const registry = new vsctm.Registry({
      onigLib,
      loadGrammar: async (scopeName) =>
        scopeName === "source.release"
          ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, "utf8"), GRAMMAR)
          : null,
    });
    grammarPromise = registry.loadGrammar("source.release");
  }
  return grammarPromise;
}

/**
 * Tokens of every line: { line, text, scopes } per token, and the rule stack
 * left after the last line (to probe what state the file ends in).
 */
async function tokenize(text) {
  const grammar = await loadGrammar();
  let state = vsctm.INITIAL;
  const lines = text.split(/\r?\n/);
  const tokens = [];
  const states = [];
  lines.forEach((lineText, line) => {
    const r = grammar.tokenizeLine(lineText, state);
    for (const t of r.tokens) {
      tokens.push({ line, text: lineText.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    }
    state = r.ruleStack;
    states.push(state);
  });
  return { tokens, state, states, grammar };
}

module.exports = { loadGrammar, tokenize };

if (require.main === module) {
  // node test/tokenize.js FILE: print each token with its innermost scope.
  tokenize(fs.readFileSync(process.argv[2], "utf8")).then(({ tokens }) => {
    let last = -1;
    for (const t of tokens) {
      if (t.line !== last) {
        process.stdout.write(`\n${t.line + 1}:`);
        last = t.line;
      }
      if (t.text.trim() !== "") {
        process.stdout.write(` [${t.text}|${t.scopes.slice(1).join(" ")}]`);
      }
    }
    process.stdout.write("\n");
  });
}
