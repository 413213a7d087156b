// The ptlint VS Code extension: starts `ptlint lsp` over stdio and lets
// vscode-languageclient do the rest (diagnostics, hover, quick fixes, file
// watchers the server registers dynamically). The contract is
// lsp/PROTOCOL.md.

import * as path from 'path';
import * as vscode from 'vscode';
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;
let outputChannel: vscode.LogOutputChannel | undefined;

/** Expands `${workspaceFolder}`, `${userHome}` and a leading `~` in a setting. */
function expand(value: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '';
  let out = value
    .replace(/\$\{workspaceFolder\}/g, folder)
    .replace(/\$\{userHome\}/g, home);
  if (out === '~' || out.startsWith('~/')) {
    out = path.join(home, out.slice(1));
  }
  return out;
}

function serverExecutable(): Executable {
  const config = vscode.workspace.getConfiguration('ptlint');
  const command = expand(config.get<string>('path', 'ptlint') || 'ptlint');
  const extra = config.get<string[]>('args', []).map(expand);
  // No `transport` field: the client would append `--stdio` after the user's
  // arguments. `ptlint lsp` speaks stdio by default (PROTOCOL.md, Launch).
  return {
    command,
    args: ['lsp', ...extra],
    options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath },
  };
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const executable = serverExecutable();
  const serverOptions: ServerOptions = { run: executable, debug: executable };

  outputChannel ??= vscode.window.createOutputChannel('ptlint', { log: true });
  const clientOptions: LanguageClientOptions = {
    // Python files on disk. Checkpoints are binary and never opened as text
    // documents; their diagnostics still reach the Problems view because the
    // server publishes them by URI.
    documentSelector: [{ scheme: 'file', language: 'python' }],
    outputChannel,
    // The server registers its own watchers for checkpoints, *.py and the
    // config files (client/registerCapability), so no `synchronize` here.
  };

  // The id 'ptlint' makes the client read `ptlint.trace.server`.
  client = new LanguageClient('ptlint', 'ptlint', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const choice = await vscode.window.showErrorMessage(
      `ptlint: could not start \`${executable.command} lsp\` (${message}). ` +
        'Install ptlint or set "ptlint.path".',
      'Open Settings',
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'ptlint.path');
    }
    client = undefined;
  }
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop();
    } catch {
      // A server that never started or already died: nothing to stop.
    }
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand('ptlint.restart', async () => {
      await stopClient();
      await startClient(context);
    }),
    // The executable and its arguments are fixed at launch: restart on change.
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('ptlint.path') || event.affectsConfiguration('ptlint.args')) {
        await stopClient();
        await startClient(context);
      }
    }),
  );
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
