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
  // In an untrusted workspace VS Code already ignores the workspace's values
  // of ptlint.path and ptlint.args (capabilities.untrustedWorkspaces.
  // restrictedConfigurations in package.json); what is left is the user's.
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

/**
 * The executable lies inside a workspace folder (a user setting such as
 * `${workspaceFolder}/build/ptlint`, or a relative path): in an untrusted
 * workspace that would run a program the workspace supplied, as clangd also
 * refuses to do.
 */
function insideWorkspace(command: string): boolean {
  if (!command.includes('/') && !command.includes('\\')) return false;  // looked up on PATH
  const folders = vscode.workspace.workspaceFolders ?? [];
  const resolved = path.resolve(folders[0]?.uri.fsPath ?? process.cwd(), command);
  return folders.some((f) => {
    const rel = path.relative(f.uri.fsPath, resolved);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/**
 * Whether this workspace is a ptlint project: activation by
 * `workspaceContains:**\/pyproject.toml` is only a hint (every Python project
 * has one), so the server starts for a ptlint.toml, a checkpoint, a
 * pyproject.toml with a [tool.ptlint] table, or an open Python file.
 */
async function isPtlintWorkspace(): Promise<boolean> {
  if (vscode.workspace.textDocuments.some((d) => d.languageId === 'python')) return true;
  const exclude = '**/{node_modules,.git,.venv,venv}/**';
  const found = await vscode.workspace.findFiles('**/{ptlint.toml,*.pt,*.pth,*.ckpt,*.safetensors}', exclude, 1);
  if (found.length > 0) return true;
  for (const uri of await vscode.workspace.findFiles('**/pyproject.toml', exclude, 20)) {
    try {
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      if (/^\s*\[tool\.ptlint[\].]/m.test(text)) return true;
    } catch {
      // Unreadable: not evidence either way.
    }
  }
  return false;
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const executable = serverExecutable();
  if (!vscode.workspace.isTrusted && insideWorkspace(executable.command)) {
    void vscode.window.showWarningMessage(
      `ptlint: not starting \`${executable.command}\`: it is inside this workspace, which is not trusted. ` +
        'Trust the workspace, or point "ptlint.path" at an executable outside it.',
    );
    return;
  }
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
    // Trust changes which values of ptlint.path / ptlint.args count.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      await stopClient();
      await startClient(context);
    }),
  );
  if (await isPtlintWorkspace()) {
    await startClient(context);
    return;
  }
  // Activated by a pyproject.toml without [tool.ptlint]: wait for Python.
  const waiting = vscode.workspace.onDidOpenTextDocument(async (doc) => {
    if (doc.languageId !== 'python' || client) return;
    waiting.dispose();
    await startClient(context);
  });
  context.subscriptions.push(waiting);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
