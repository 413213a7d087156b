// End-to-end tests of `ptlint lsp` through vscode-jsonrpc, the JSON-RPC
// library VS Code's language client is built on. Each test starts the server
// as an editor would (stdio), on a fixture project written by
// make_fixture.py (editors/make_fixture.py, shared with the editor and
// pre-commit tests) with real torch.save checkpoints.
//
// Environment: PTLINT_BIN (the ptlint binary), PTLINT_PYTHON (a python with torch).
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const rpc = require('vscode-jsonrpc/node');

const BIN = process.env.PTLINT_BIN;
const PYTHON = process.env.PTLINT_PYTHON || '/usr/bin/python3';
assert.ok(BIN, 'PTLINT_BIN must name the ptlint binary');

function makeFixture(kind = 'drifted') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlint-lsp-e2e-'));
  fixtures.push(dir);
  execFileSync(PYTHON, [path.join(__dirname, 'make_fixture.py'), dir, '--checkpoint', kind]);
  return dir;
}

function rewriteCheckpoint(dir, kind) {
  execFileSync(PYTHON, [path.join(__dirname, 'make_fixture.py'), dir, '--checkpoint', kind, '--checkpoint-only']);
}

const uriOf = (p) => 'file://' + p.split('/').map(encodeURIComponent).join('/');

// Servers still running when the tests end (a failed test) are killed, so
// that node exits.
const running = new Set();
// Fixture folders are removed at the end, whatever the outcome.
const fixtures = [];
after(() => {
  for (const p of running) p.kill('SIGKILL');
  for (const d of fixtures) fs.rmSync(d, { recursive: true, force: true });
});

// A client session: the server process, the connection, what it published.
async function start(root, { capabilities = {}, initializationOptions = {} } = {}) {
  const proc = spawn(BIN, ['lsp'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  running.add(proc);
  const exited = new Promise((resolve) => proc.on('exit', (code) => { running.delete(proc); resolve(code); }));
  const conn = rpc.createMessageConnection(
    new rpc.StreamMessageReader(proc.stdout), new rpc.StreamMessageWriter(proc.stdin));
  const s = { proc, conn, exited, diagnostics: new Map(), serverRequests: [], notifications: [],
              waiters: [], stderr: () => stderr };
  const wake = () => { for (const w of s.waiters.slice()) w(); };
  conn.onNotification('textDocument/publishDiagnostics', (p) => {
    s.diagnostics.set(p.uri, p.diagnostics);
    wake();
  });
  conn.onNotification((method, params) => { s.notifications.push({ method, params }); wake(); });
  // vscode-jsonrpc routes $/progress to progress handlers, not onNotification.
  conn.onUnhandledProgress((params) => { s.notifications.push({ method: '$/progress', params }); wake(); });
  conn.onRequest((method, params) => { s.serverRequests.push({ method, params }); wake(); return null; });
  conn.onError(() => {});
  conn.listen();
  s.waitFor = (pred, what, timeout = 15000) => new Promise((resolve, reject) => {
    const check = () => {
      let v;
      try { v = pred(); } catch (e) { v = undefined; }
      if (v) {
        s.waiters.splice(s.waiters.indexOf(check), 1);
        clearTimeout(timer);
        resolve(v);
      }
    };
    const timer = setTimeout(() => {
      s.waiters.splice(s.waiters.indexOf(check), 1);
      reject(new Error(`timed out waiting for ${what}; stderr: ${stderr}`));
    }, timeout);
    s.waiters.push(check);
    check();
  });
  s.init = await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: uriOf(root),
    capabilities,
    initializationOptions,
  });
  await conn.sendNotification('initialized', {});
  s.open = async (file) => {
    const text = fs.readFileSync(file, 'utf8');
    await conn.sendNotification('textDocument/didOpen',
      { textDocument: { uri: uriOf(file), languageId: 'python', version: 1, text } });
    return text;
  };
  s.codes = (file) => (s.diagnostics.get(uriOf(file)) || []).map((d) => d.code);
  s.stop = async () => {
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
    const code = await s.exited;
    conn.dispose();
    return code;
  };
  return s;
}

const PUSH_CAPS = { textDocument: { publishDiagnostics: { relatedInformation: true } } };

test('initialize negotiates capabilities and the position encoding', async () => {
  const root = makeFixture();
  const utf8 = await start(root, { capabilities: { general: { positionEncodings: ['utf-8', 'utf-16'] } } });
  const caps = utf8.init.capabilities;
  assert.strictEqual(caps.positionEncoding, 'utf-8');
  assert.deepStrictEqual(caps.textDocumentSync, { openClose: true, change: 2, save: { includeText: false } });
  assert.strictEqual(caps.hoverProvider, true);
  assert.deepStrictEqual(caps.codeActionProvider.codeActionKinds, ['quickfix']);
  assert.strictEqual(caps.diagnosticProvider, undefined, 'no pull diagnostics unless the client offers them');
  assert.strictEqual(utf8.init.serverInfo.name, 'ptlint');
  assert.strictEqual(await utf8.stop(), 0);

  const utf16 = await start(root, { capabilities: {} });
  assert.strictEqual(utf16.init.capabilities.positionEncoding, 'utf-16');
  assert.strictEqual(await utf16.stop(), 0);
});

test('publishes checkpoint drift on the source line, and edits update it', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const s = await start(root, { capabilities: PUSH_CAPS, initializationOptions: { pollInterval: 0 } });
  const text = await s.open(model);
  const diags = await s.waitFor(() => {
    const d = s.diagnostics.get(uriOf(model));
    return d && d.some((x) => x.code === 'PTL204') && d;
  }, 'PTL204 on model.py');
  const renamed = diags.find((d) => d.code === 'PTL204');
  assert.strictEqual(renamed.range.start.line, 7, 'on `self.encoder = ...`');
  assert.strictEqual(renamed.source, 'ptlint');
  assert.strictEqual(renamed.severity, 1);
  assert.match(renamed.codeDescription.href, /ptl204/);
  assert.match(renamed.message, /features/);
  assert.ok(renamed.relatedInformation.some((r) => r.location.uri.endsWith('/ckpt/model.pt')),
    'the checkpoint is related information');
  const missing = diags.find((d) => d.code === 'PTL201');
  assert.ok(missing, 'PTL201 for `norm`');
  assert.strictEqual(missing.range.start.line, 8);
  // Never on the checkpoint file itself (lsp/PROTOCOL.md: a client reads a
  // document it has not opened to convert positions).
  assert.ok(!s.diagnostics.has(uriOf(path.join(root, 'ckpt', 'model.pt'))), 'no diagnostics on the checkpoint');

  // Fix the rename (unsaved, incremental): `encoder` -> `features` on line 7.
  const line7 = text.split('\n')[7];
  const col = line7.indexOf('encoder');
  await s.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(model), version: 2 },
    contentChanges: [{ range: { start: { line: 7, character: col }, end: { line: 7, character: col + 7 } },
                       text: 'features' }],
  });
  await s.waitFor(() => !s.codes(model).includes('PTL204') && s.codes(model).includes('PTL201'),
    'PTL204 gone after the fix, PTL201 still there');
  // Break it again.
  await s.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(model), version: 3 },
    contentChanges: [{ range: { start: { line: 7, character: col }, end: { line: 7, character: col + 8 } },
                       text: 'encoder' }],
  });
  await s.waitFor(() => s.codes(model).includes('PTL204'), 'PTL204 back after breaking it again');
  // Two unsaved lines above the class: the finding follows the buffer, not
  // the file on disk.
  await s.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(model), version: 4 },
    contentChanges: [{ range: { start: { line: 4, character: 0 }, end: { line: 4, character: 0 } },
                       text: '# one\n# two\n' }],
  });
  const moved = await s.waitFor(() => {
    const d = (s.diagnostics.get(uriOf(model)) || []).find((x) => x.code === 'PTL204');
    return d && d.range.start.line === 9 && d;
  }, 'PTL204 on the buffer line of `self.encoder = ...` (9)');
  assert.strictEqual(moved.range.start.character, 8);
  assert.strictEqual(await s.stop(), 0);
});

test('hover on a class and on a torch.load path', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const load = path.join(root, 'src', 'load.py');
  const s = await start(root, { capabilities: PUSH_CAPS, initializationOptions: { pollInterval: 0 } });
  await s.open(model);
  const loadText = await s.open(load);
  await s.waitFor(() => s.codes(model).includes('PTL204'), 'diagnostics');
  const cls = await s.conn.sendRequest('textDocument/hover',
    { textDocument: { uri: uriOf(model) }, position: { line: 4, character: 8 } });
  assert.strictEqual(cls.contents.kind, 'markdown');
  assert.match(cls.contents.value, /TinyNet/);
  assert.match(cls.contents.value, /ckpt\/model\.pt/);
  // What check reports on TinyNet's lines, by code (issue 13: hovers agree with check).
  assert.match(cls.contents.value, /PTL204 \(error, src\/model\.py:8\): `features` in ckpt\/model\.pt is `encoder`/);
  assert.match(cls.contents.value, /PTL201 \(error, src\/model\.py:9\): `norm\.weight` and `norm\.bias`/);
  assert.doesNotMatch(cls.contents.value, /\d+\/\d+ checkpoint keys match/);
  const line = loadText.split('\n').findIndex((l) => l.includes('torch.load("ckpt/model.pt")'));
  const character = loadText.split('\n')[line].indexOf('ckpt/model.pt') + 2;
  const ckpt = await s.conn.sendRequest('textDocument/hover',
    { textDocument: { uri: uriOf(load) }, position: { line, character } });
  assert.match(ckpt.contents.value, /ckpt\/model\.pt/);
  assert.match(ckpt.contents.value, /state-dict/);
  assert.match(ckpt.contents.value, /tensors: 4/);
  assert.match(ckpt.contents.value, /safety/);
  const nothing = await s.conn.sendRequest('textDocument/hover',
    { textDocument: { uri: uriOf(model) }, position: { line: 0, character: 0 } });
  assert.strictEqual(nothing, null);
  assert.strictEqual(await s.stop(), 0);
});

test('code actions: a rule fix and a suppression that removes the diagnostic', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const s = await start(root, { capabilities: PUSH_CAPS, initializationOptions: { pollInterval: 0 } });
  await s.open(model);
  await s.waitFor(() => s.codes(model).includes('PTL204'), 'PTL204');
  const actions = await s.conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri: uriOf(model) },
    range: { start: { line: 7, character: 0 }, end: { line: 7, character: 0 } },
    context: { diagnostics: s.diagnostics.get(uriOf(model)).filter((d) => d.range.start.line === 7) },
  });
  const fix = actions.find((a) => a.isPreferred);
  assert.ok(fix, 'a preferred rule fix: ' + JSON.stringify(actions.map((a) => a.title)));
  assert.strictEqual(fix.kind, 'quickfix');
  const loadEdits = fix.edit.changes[uriOf(path.join(root, 'src', 'load.py'))];
  assert.ok(loadEdits && loadEdits[0].newText.includes('k.startswith("features.")'),
    'the fix renames the keys at the load_state_dict call');
  const suppress = actions.find((a) => a.title === 'Suppress PTL204 on this line');
  assert.ok(suppress);
  const [edit] = suppress.edit.changes[uriOf(model)];
  assert.strictEqual(edit.newText, '  # ptlint: ignore[PTL204]');
  await s.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(model), version: 2 },
    contentChanges: [{ range: edit.range, text: edit.newText }],
  });
  await s.waitFor(() => !s.codes(model).includes('PTL204') && s.codes(model).includes('PTL201'),
    'PTL204 suppressed, PTL201 kept');
  assert.strictEqual(await s.stop(), 0);
});

test('a checkpoint rewritten on disk is re-read on workspace/didChangeWatchedFiles', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const s = await start(root, {
    capabilities: { ...PUSH_CAPS, workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } },
  });
  const reg = await s.waitFor(() => s.serverRequests.find((r) => r.method === 'client/registerCapability'),
    'client/registerCapability');
  const globs = reg.params.registrations[0].registerOptions.watchers.map((w) => w.globPattern);
  assert.ok(globs.includes('**/*.{pt,pth,bin,ckpt,safetensors}'), JSON.stringify(globs));
  assert.ok(globs.some((g) => g.includes('pyproject.toml')));
  await s.open(model);
  await s.waitFor(() => s.codes(model).includes('PTL204'), 'PTL204');
  rewriteCheckpoint(root, 'clean');
  await s.conn.sendNotification('workspace/didChangeWatchedFiles',
    { changes: [{ uri: uriOf(path.join(root, 'ckpt', 'model.pt')), type: 2 }] });
  await s.waitFor(() => s.diagnostics.get(uriOf(model)).length === 0, 'no findings after the re-save');
  assert.strictEqual(await s.stop(), 0);
});

test('without client watchers the server polls checkpoint mtimes (Neovim 0.7)', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const s = await start(root, { capabilities: {}, initializationOptions: { pollInterval: 200 } });
  assert.ok(!s.serverRequests.some((r) => r.method === 'client/registerCapability'));
  await s.open(model);
  await s.waitFor(() => s.codes(model).includes('PTL204'), 'PTL204');
  rewriteCheckpoint(root, 'clean');
  await s.waitFor(() => s.diagnostics.get(uriOf(model)).length === 0, 'findings gone by polling');
  rewriteCheckpoint(root, 'drifted');
  await s.waitFor(() => s.codes(model).includes('PTL204'), 'findings back by polling');
  assert.strictEqual(await s.stop(), 0);
});

test('pull diagnostics, progress and $/cancelRequest', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const s = await start(root, {
    capabilities: { textDocument: { diagnostic: { dynamicRegistration: false } },
                    window: { workDoneProgress: true } },
    initializationOptions: { pollInterval: 0, debounce: 400 },
  });
  assert.deepStrictEqual(s.init.capabilities.diagnosticProvider,
    { identifier: 'ptlint', interFileDependencies: true, workspaceDiagnostics: true });
  await s.open(model);
  const report = await s.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri: uriOf(model) } });
  assert.strictEqual(report.kind, 'full');
  assert.ok(report.items.some((d) => d.code === 'PTL204'));
  const again = await s.conn.sendRequest('textDocument/diagnostic',
    { textDocument: { uri: uriOf(model) }, previousResultId: report.resultId });
  assert.strictEqual(again.kind, 'unchanged');
  const ws = await s.conn.sendRequest('workspace/diagnostic', { previousResultIds: [] });
  assert.ok(ws.items.some((i) => i.uri.endsWith('/src/model.py') && i.items.length > 0));
  assert.ok(!ws.items.some((i) => i.uri.endsWith('/ckpt/model.pt')), 'no report for the checkpoint file');
  // Pushes are left to the pull model.
  assert.strictEqual(s.diagnostics.size, 0);
  // Progress during the first index.
  assert.ok(s.serverRequests.some((r) => r.method === 'window/workDoneProgress/create'));
  const kinds = s.notifications.filter((n) => n.method === '$/progress').map((n) => n.params.value.kind);
  assert.strictEqual(kinds[0], 'begin');
  assert.strictEqual(kinds[kinds.length - 1], 'end');

  // An edit starts a 400 ms debounce; a pull waits for it and is cancelled meanwhile.
  await s.conn.sendNotification('textDocument/didChange', {
    textDocument: { uri: uriOf(model), version: 2 },
    contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#\n' }],
  });
  const source = new rpc.CancellationTokenSource();
  const pending = s.conn.sendRequest('textDocument/diagnostic', { textDocument: { uri: uriOf(model) } }, source.token);
  setTimeout(() => source.cancel(), 20);
  await assert.rejects(pending, (e) => e.code === -32800);
  assert.strictEqual(await s.stop(), 0);
});

test('malformed JSON, unknown methods and bad params get errors; the server lives on', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const s = await start(root, { capabilities: PUSH_CAPS, initializationOptions: { pollInterval: 0 } });
  await s.open(model);
  s.proc.stdin.write('Content-Length: 9\r\n\r\n{"bad": }');
  await assert.rejects(s.conn.sendRequest('ptlint/noSuchMethod', {}), (e) => e.code === -32601);
  await assert.rejects(s.conn.sendRequest('textDocument/hover', { textDocument: { uri: 42 } }),
    (e) => e.code === -32602);
  await assert.rejects(s.conn.sendRequest('textDocument/hover',
    { textDocument: { uri: 'https://example.invalid/x.py' }, position: { line: 0, character: 0 } }),
  (e) => e.code === -32602);
  await s.conn.sendNotification('ptlint/unknownNotification', {});
  const hover = await s.conn.sendRequest('textDocument/hover',
    { textDocument: { uri: uriOf(model) }, position: { line: 4, character: 8 } });
  assert.match(hover.contents.value, /TinyNet/);
  assert.strictEqual(await s.stop(), 0);
});

test('exit without shutdown ends with code 1; requests after shutdown are refused', async () => {
  const root = makeFixture();
  const a = await start(root, { initializationOptions: { pollInterval: 0 } });
  await a.conn.sendNotification('exit');
  assert.strictEqual(await a.exited, 1);
  a.conn.dispose();

  const b = await start(root, { initializationOptions: { pollInterval: 0 } });
  await b.conn.sendRequest('shutdown');
  await assert.rejects(b.conn.sendRequest('textDocument/hover',
    { textDocument: { uri: uriOf(path.join(root, 'src', 'model.py')) }, position: { line: 0, character: 0 } }),
  (e) => e.code === -32600);
  await b.conn.sendNotification('exit');
  assert.strictEqual(await b.exited, 0);
  b.conn.dispose();
});
