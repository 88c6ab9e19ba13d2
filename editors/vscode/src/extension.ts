// Starts `relc lsp` over stdio for .release files. The client is created once
// per start; `relc.restartServer` and a change of `relc.path` stop it and start
// a new one, so at most one server runs per window.
import { spawnSync } from "node:child_process";
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("relc");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("relc.restartServer", restart),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("relc.path")) {
        void restart();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function relcPath(): string {
  const configured = vscode.workspace.getConfiguration("relc").get<string>("path");
  return configured && configured.trim() !== "" ? configured.trim() : "relc";
}

/** True when the executable can be spawned at all (it exists and may run). */
function canSpawn(command: string): boolean {
  const probe = spawnSync(command, ["--version"], { stdio: "ignore", timeout: 10_000 });
  const code = (probe.error as NodeJS.ErrnoException | undefined)?.code;
  return code !== "ENOENT" && code !== "EACCES";
}

async function start(): Promise<void> {
  const command = relcPath();
  if (!canSpawn(command)) {
    const message =
      `relc was not found (relc.path is "${command}"). Install it from a relc checkout ` +
      "with `cargo install --path .` so that `relc` is on PATH, or set relc.path " +
      "to the full path of the binary.";
    output?.appendLine(message);
    const choice = await vscode.window.showErrorMessage(message, "Open Settings");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "relc.path");
    }
    return;
  }
  const run = { command, args: ["lsp"], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: "release" }],
    outputChannel: output,
    traceOutputChannel: output,
  };
  client = new LanguageClient("relc", "relc language server", serverOptions, clientOptions);
  try {
    await client.start();
    output?.appendLine(`started ${command} lsp`);
  } catch (err) {
    const message = `relc language server failed to start: ${err instanceof Error ? err.message : String(err)}`;
    output?.appendLine(message);
    void vscode.window.showErrorMessage(message);
    client = undefined;
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running?.isRunning()) {
    await running.stop();
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
