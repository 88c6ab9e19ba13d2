#!/usr/bin/env bash
# Builds the VS Code extension from a clean install: dependencies exactly as
# package-lock.json pins them, the TypeScript client, the grammar tests, and
# the .vsix. Fails unless relc-<version>.vsix was written.
set -euo pipefail
cd "$(dirname "$0")"

version=$(node -p 'require("./package.json").version')
vsix="relc-${version}.vsix"
rm -f "$vsix"

npm ci --no-audit --no-fund
npm run compile
npm test
# No repository URL or LICENSE file exists in the project yet; without these
# flags vsce stops to ask.
npx --no-install @vscode/vsce package --allow-missing-repository --skip-license --out "$vsix"

if [ ! -s "$vsix" ]; then
  echo "error: $vsix was not produced" >&2
  exit 1
fi
listing=$(python3 -m zipfile -l "$vsix")
# The package must hold the client, the grammar and the language configuration.
for entry in extension/package.json extension/out/extension.js \
  extension/syntaxes/release.tmLanguage.json extension/language-configuration.json \
  extension/node_modules/vscode-languageclient/package.json; do
  if ! grep -q "^$entry " <<<"$listing"; then
    echo "error: $vsix lacks $entry" >&2
    exit 1
  fi
done
echo "built editors/vscode/$vsix"
