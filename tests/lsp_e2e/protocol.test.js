// Raw-stdio protocol tests of `ptlint lsp` (issue 13, §1 and §3): no LSP
// library between the test and the wire, so a test can send broken frames,
// count every byte the server writes and time what a user waits for.
//
//   PTLINT_BIN=build/ptlint PTLINT_PYTHON=/usr/bin/python3 node --test protocol.test.js
//
// Each test failed on the server before these fixes (ptlint at db4ed61):
// duplicated responses, deaf after a wrong Content-Length, swallowed input,
// silent over-limit frames, minutes of CPU on a binary document, a debounce
// that never fired while typing, diagnostics published on checkpoint files.
'use strict';

const { test, after } = require('node:test');
const assert = require('node:assert');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BIN = process.env.PTLINT_BIN;
const PYTHON = process.env.PTLINT_PYTHON || '/usr/bin/python3';
assert.ok(BIN, 'PTLINT_BIN must name the ptlint binary');
const FIXTURE_SCRIPT = [path.join(__dirname, 'make_fixture.py'),
  path.join(__dirname, '..', '..', 'editors', 'make_fixture.py')].find((p) => fs.existsSync(p));

const uriOf = (p) => 'file://' + p.split('/').map(encodeURIComponent).join('/');
const frame = (obj) => {
  const body = Buffer.from(JSON.stringify(obj), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function makeFixture() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlint-lsp-protocol-'));
  fixtures.push(dir);
  execFileSync(PYTHON, [FIXTURE_SCRIPT, dir, '--checkpoint', 'drifted']);
  return dir;
}

const running = new Set();
// Fixture folders are removed at the end, whatever the outcome.
const fixtures = [];
after(() => {
  for (const p of running) p.kill('SIGKILL');
  for (const d of fixtures) fs.rmSync(d, { recursive: true, force: true });
});

// A server on raw pipes. `messages` is every message it wrote, parsed from
// the exact bytes; `raw` those bytes.
function server(root, initializationOptions = {}, capabilities = {}) {
  const proc = spawn(BIN, ['lsp'], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(proc);
  const s = { proc, messages: [], times: [], raw: Buffer.alloc(0), stderr: '', waiters: [] };
  s.exited = new Promise((resolve) => proc.on('exit', (code) => { running.delete(proc); resolve(code); }));
  proc.stderr.on('data', (d) => { s.stderr += d; });
  proc.stdin.on('error', () => {});
  let pending = Buffer.alloc(0);
  proc.stdout.on('data', (d) => {
    s.raw = Buffer.concat([s.raw, d]);
    pending = Buffer.concat([pending, d]);
    while (true) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) break;
      const m = /Content-Length: (\d+)/i.exec(pending.subarray(0, end).toString());
      assert.ok(m, 'the server wrote a header without Content-Length: ' + pending.subarray(0, end));
      const n = Number(m[1]);
      if (pending.length < end + 4 + n) break;
      const body = pending.subarray(end + 4, end + 4 + n).toString('utf8');
      pending = pending.subarray(end + 4 + n);
      s.messages.push(JSON.parse(body));
      s.times.push(Date.now());
    }
    for (const w of s.waiters.slice()) w();
  });
  s.write = (buf) => proc.stdin.write(buf);
  s.send = (obj) => proc.stdin.write(frame(obj));
  s.request = (id, method, params) => s.send({ jsonrpc: '2.0', id, method, params });
  s.notify = (method, params) => s.send({ jsonrpc: '2.0', method, params });
  s.waitFor = (pred, what, timeout = 10000) => new Promise((resolve, reject) => {
    const check = () => {
      const found = s.messages.find(pred);
      if (found) {
        s.waiters.splice(s.waiters.indexOf(check), 1);
        clearTimeout(timer);
        resolve(found);
      }
    };
    const timer = setTimeout(() => {
      s.waiters.splice(s.waiters.indexOf(check), 1);
      reject(new Error(`timed out after ${timeout} ms waiting for ${what}; stderr: ${s.stderr.slice(-2000)}`));
    }, timeout);
    s.waiters.push(check);
    check();
  });
  s.response = (id, timeout) => s.waitFor((m) => m.id === id && !('method' in m), `the response to ${id}`, timeout);
  s.init = async () => {
    s.request(0, 'initialize', { processId: process.pid, rootUri: uriOf(root), capabilities,
      initializationOptions: { pollInterval: 0, ...initializationOptions } });
    await s.response(0);
    s.notify('initialized', {});
  };
  s.open = (file, text) => s.notify('textDocument/didOpen',
    { textDocument: { uri: uriOf(file), languageId: 'python', version: 1, text: text ?? fs.readFileSync(file, 'utf8') } });
  s.stop = async () => {
    s.request(9999, 'shutdown', null);
    await s.response(9999);
    s.notify('exit', null);
    return s.exited;
  };
  return s;
}

const hover = (s, id, file, line = 0) => s.request(id, 'textDocument/hover',
  { textDocument: { uri: uriOf(file) }, position: { line, character: 0 } });

test('§3a: 100 fresh sessions answer every request exactly once', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const text = fs.readFileSync(model, 'utf8');
  let bad = [];
  for (let session = 0; session < 100; ++session) {
    const s = server(root);
    const msgs = [
      { jsonrpc: '2.0', id: 0, method: 'initialize', params: { rootUri: uriOf(root), capabilities: {},
        initializationOptions: { pollInterval: 0 } } },
      { jsonrpc: '2.0', method: 'initialized', params: {} },
      { jsonrpc: '2.0', method: 'textDocument/didOpen',
        params: { textDocument: { uri: uriOf(model), languageId: 'python', version: 1, text } } },
    ];
    for (let i = 1; i <= 20; ++i) {
      msgs.push({ jsonrpc: '2.0', id: i, method: 'textDocument/hover',
        params: { textDocument: { uri: uriOf(model) }, position: { line: 4, character: 8 } } });
    }
    msgs.push({ jsonrpc: '2.0', id: 99, method: 'shutdown' }, { jsonrpc: '2.0', method: 'exit' });
    // Written in small pieces, so the server reads while it writes (the
    // race was a read on one thread flushing the output of another).
    const data = Buffer.concat(msgs.map(frame));
    for (let k = 0; k < data.length; k += 97) {
      s.write(data.subarray(k, k + 97));
      if (k % (97 * 8) === 0) await sleep(0);
    }
    s.proc.stdin.end();
    assert.strictEqual(await s.exited, 0, s.stderr);
    const counts = new Map();
    for (const m of s.messages) {
      if ('id' in m && !('method' in m)) counts.set(m.id, (counts.get(m.id) || 0) + 1);
    }
    const dups = [...counts].filter(([, n]) => n !== 1);
    if (dups.length || counts.size !== 22) bad.push(`session ${session}: ${JSON.stringify(dups)}, ${counts.size} ids`);
  }
  assert.deepStrictEqual(bad, [], 'every response exactly once');
});

test('§3b: a wrong Content-Length costs one message, never the session', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const s = server(root);
  await s.init();
  const body = (id) => Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, method: 'ptlint/noSuchMethod', params: {} }));
  const cases = {
    short: (b) => Buffer.concat([Buffer.from(`Content-Length: ${b.length - 7}\r\n\r\n`), b]),
    long: (b) => Buffer.concat([Buffer.from(`Content-Length: ${b.length + 40}\r\n\r\n`), b]),
    nonNumeric: (b) => Buffer.concat([Buffer.from('Content-Length: forty\r\n\r\n'), b]),
    negative: (b) => Buffer.concat([Buffer.from(`Content-Length: -${b.length}\r\n\r\n`), b]),
    missing: (b) => Buffer.concat([Buffer.from('Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n'), b]),
    huge: (b) => Buffer.concat([Buffer.from('Content-Length: 99999999999999\r\n\r\n'), b]),
  };
  let id = 100;
  for (const [name, broken] of Object.entries(cases)) {
    const before = s.messages.filter((m) => m.error && m.error.code === -32700).length;
    const good = ++id;
    // The broken frame and a valid one right behind it, in one write.
    s.write(Buffer.concat([broken(body(++id)), frame({ jsonrpc: '2.0', id: good, method: 'ptlint/noSuchMethod', params: {} })]));
    const answer = await s.response(good, 5000).catch((e) => { throw new Error(`${name}: ${e.message}`); });
    assert.strictEqual(answer.error.code, -32601, name);
    const after = s.messages.filter((m) => m.error && m.error.code === -32700 && m.id === null).length;
    assert.ok(after > before, `${name}: a -32700 error for the broken frame`);
  }
  // Garbage between messages, then a request: answered.
  s.write(Buffer.from('this is not a header\r\n\r\n'));
  hover(s, 200, model, 4);
  await s.response(200, 5000);
  assert.strictEqual(await s.stop(), 0);
});

test('§3b: a frame over the 64 MiB limit gets -32700 and the session goes on', async () => {
  const root = makeFixture();
  const s = server(root);
  await s.init();
  const n = (64 << 20) + 1024;
  const text = 'x'.repeat(n - 200);
  const huge = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 300, method: 'ptlint/noSuchMethod', params: { text } }));
  s.write(Buffer.concat([Buffer.from(`Content-Length: ${huge.length}\r\n\r\n`), huge]));
  s.request(301, 'ptlint/noSuchMethod', {});
  const err = await s.waitFor((m) => m.error && m.error.code === -32700, 'the -32700 for the frame over the limit', 20000);
  assert.match(err.error.message, /limit/);
  assert.strictEqual((await s.response(301, 20000)).error.code, -32601);
  assert.ok(!s.messages.some((m) => m.id === 300), 'the over-limit request is not processed');
  assert.strictEqual(await s.stop(), 0);
});

test('§3c: a binary or huge open document is not analysed, says why, and blocks nothing', async () => {
  const root = makeFixture();
  const s = server(root);
  await s.init();
  const bin = path.join(root, 'src', 'blob.py');
  // 2 MiB of binary bytes opened as Python (what an editor sends for a .py
  // that is really a pickle): every byte value, NULs included.
  const bytes = Buffer.alloc(2 << 20);
  for (let i = 0; i < bytes.length; ++i) bytes[i] = (i * 7919 + (i >> 9)) & 0xff;
  const t0 = Date.now();
  s.open(bin, bytes.toString('latin1'));
  hover(s, 400, bin);
  await s.response(400, 3000);
  const info = await s.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === uriOf(bin) &&
    m.params.diagnostics.length === 1, 'the diagnostic that says why blob.py is not analysed', 3000);
  assert.strictEqual(info.params.diagnostics[0].severity, 3);
  assert.match(info.params.diagnostics[0].message, /does not analyse this document.*(binary|limit)/);
  assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);

  // A 5 MiB Python document: over the limit, not analysed, hovers stay fast.
  const big = path.join(root, 'src', 'big.py');
  let text = 'import torch\nfrom torch import nn\n';
  const unit = (i) => `class C${i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.Linear(3, 4)\n\n`;
  for (let i = 0; text.length < (5 << 20); ++i) text += unit(i);
  const t1 = Date.now();
  s.open(big, text);
  s.notify('textDocument/didChange', { textDocument: { uri: uriOf(big), version: 2 },
    contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#' }] });
  hover(s, 401, big);
  await s.response(401, 3000);
  const why = await s.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === uriOf(big),
    'the diagnostic on big.py', 3000);
  assert.match(why.params.diagnostics[0].message, /MiB, over the 2\.0 MiB limit/);
  assert.ok(Date.now() - t1 < 3000, `${Date.now() - t1} ms`);
  assert.strictEqual(await s.stop(), 0);
});

test('§3c: closing stdin ends the server even in the middle of a long analysis', async () => {
  const root = makeFixture();
  const s = server(root, { maxDocumentBytes: 64 << 20 });
  await s.init();
  const big = path.join(root, 'src', 'big.py');
  let text = 'import torch\nfrom torch import nn\n';
  const unit = (i) => `class C${i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.Linear(3, 4)\n\n`;
  for (let i = 0; text.length < (4 << 20); ++i) text += unit(i);
  s.open(big, text);
  s.notify('textDocument/didChange', { textDocument: { uri: uriOf(big), version: 2 },
    contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '#' }] });
  hover(s, 500, big);  // forces the analysis of the 4 MiB text
  await sleep(500);
  const t0 = Date.now();
  s.proc.stdin.end();
  const code = await Promise.race([s.exited, sleep(3000).then(() => 'still running')]);
  assert.notStrictEqual(code, 'still running', 'the server ignored the closed input for 3 s');
  assert.strictEqual(code, 1, 'input closed without shutdown');
  assert.ok(Date.now() - t0 < 3000);
});

test('§3d: typing faster than the debounce still gets diagnostics (max-wait)', async () => {
  const root = makeFixture();
  const model = path.join(root, 'src', 'model.py');
  const s = server(root, { debounce: 100 });
  await s.init();
  s.open(model);
  await s.waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.uri === uriOf(model) &&
    m.params.diagnostics.some((d) => d.code === 'PTL204'), 'PTL204');
  const start = s.messages.length;
  // One key every 30 ms for 3 s; each adds a line above the class, so every
  // analysis moves PTL204 down and publishes.
  const t0 = Date.now();
  for (let v = 2; Date.now() - t0 < 3000; ++v) {
    s.notify('textDocument/didChange', { textDocument: { uri: uriOf(model), version: v },
      contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '\n' }] });
    await sleep(30);
  }
  const publishes = s.times.slice(start).filter((_, i) => s.messages[start + i].method === 'textDocument/publishDiagnostics');
  assert.ok(publishes.length >= 3, `${publishes.length} publishes during 3 s of typing`);
  const gaps = [publishes[0] - t0, ...publishes.slice(1).map((t, i) => t - publishes[i])];
  console.log(`# typing every 30 ms: ${publishes.length} publishes in 3 s, gaps ${gaps.join(', ')} ms`);
  assert.ok(Math.max(...gaps) <= 1000, `gaps between diagnostics while typing: ${gaps.join(', ')} ms`);
  assert.strictEqual(await s.stop(), 0);
});

test('§1: nothing is published on a checkpoint; whole-file findings go to the load site or the config', async () => {
  const root = makeFixture();
  const lfs = 'version https://git-lfs.github.com/spec/v1\n' +
    'oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n';
  fs.writeFileSync(path.join(root, 'ckpt', 'lfs.pt'), lfs);
  fs.writeFileSync(path.join(root, 'ckpt', 'orphan.pt'), lfs);
  const loader = path.join(root, 'src', 'lfs_load.py');
  fs.writeFileSync(loader, 'import torch\n\n\ndef lfs():\n    return torch.load("ckpt/lfs.pt")\n');
  // A real-size state dict (about 300 MB), saved by torch in the test run.
  execFileSync(PYTHON, ['-c', 'import sys, torch; torch.save({"big.weight": torch.zeros(75_000_000)}, sys.argv[1])',
    path.join(root, 'ckpt', 'big.pt')]);
  const bigLoad = path.join(root, 'src', 'big_load.py');
  fs.writeFileSync(bigLoad, 'import torch\n\nfrom model import TinyNet\n\n\ndef big():\n' +
    '    model = TinyNet()\n    model.load_state_dict(torch.load("ckpt/big.pt"))\n    return model\n');
  const model = path.join(root, 'src', 'model.py');
  const s = server(root, {}, { textDocument: { publishDiagnostics: { relatedInformation: true } } });
  await s.init();
  const t0 = Date.now();
  s.open(model);
  s.open(loader);
  const publishedOn = (file, pred) => (m) => m.method === 'textDocument/publishDiagnostics' &&
    m.params.uri === uriOf(file) && pred(m.params.diagnostics);
  await s.waitFor(publishedOn(model, (d) => d.some((x) => x.code === 'PTL204')), 'PTL204 on model.py', 5000);
  const openToDiagnostics = Date.now() - t0;
  const atLoad = await s.waitFor(publishedOn(loader, (d) => d.some((x) => x.code === 'PTL503')),
    'the LFS pointer finding at its torch.load', 5000);
  const d = atLoad.params.diagnostics.find((x) => x.code === 'PTL503');
  assert.strictEqual(d.range.start.line, 4, 'on `torch.load("ckpt/lfs.pt")`');
  assert.match(d.message, /ckpt\/lfs\.pt: .*LFS pointer/);
  assert.ok(d.relatedInformation.some((r) => r.location.uri.endsWith('/ckpt/lfs.pt')));
  const toml = await s.waitFor(publishedOn(path.join(root, 'pyproject.toml'), (x) => x.some((y) => y.code === 'PTL503')),
    'the orphan LFS pointer on pyproject.toml', 5000);
  assert.match(toml.params.diagnostics[0].message, /ckpt\/orphan\.pt: .*no torch\.load/);
  // An edit: updated diagnostics within 0.5 s.
  const text = fs.readFileSync(model, 'utf8');
  const line7 = text.split('\n')[7];
  const col = line7.indexOf('encoder');
  const t1 = Date.now();
  s.notify('textDocument/didChange', { textDocument: { uri: uriOf(model), version: 2 },
    contentChanges: [{ range: { start: { line: 7, character: col }, end: { line: 7, character: col + 7 } }, text: 'features' }] });
  await s.waitFor(publishedOn(model, (x) => !x.some((y) => y.code === 'PTL204')), 'PTL204 gone after the edit', 5000);
  const editToDiagnostics = Date.now() - t1;
  const onCheckpoints = s.messages.filter((m) => m.method === 'textDocument/publishDiagnostics' &&
    /\.(pt|pth|bin|ckpt|safetensors)$/.test(m.params.uri));
  assert.deepStrictEqual(onCheckpoints.map((m) => m.params.uri), [], 'no diagnostics on checkpoint files');
  console.log(`# real-size checkpoint: open -> diagnostics ${openToDiagnostics} ms, edit -> diagnostics ${editToDiagnostics} ms`);
  assert.ok(openToDiagnostics <= 1000, `open -> diagnostics ${openToDiagnostics} ms`);
  assert.ok(editToDiagnostics <= 500, `edit -> diagnostics ${editToDiagnostics} ms`);
  assert.strictEqual(await s.stop(), 0);
  fs.rmSync(root, { recursive: true, force: true });
});

// §3e: analysis runs on a worker thread. A hover sent while a ~2 MiB
// document is analysed is answered from the previous analysis, before that
// analysis publishes (order, not milliseconds); the old server finished the
// analysis first. Then 12 quick edits publish the last version only.
test('§3e: a hover during a long analysis is answered first; a burst of edits publishes only the last version', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ptlint-lsp-async-'));
  const small = path.join(root, 'm.py');
  const big = path.join(root, 'big.py');
  fs.writeFileSync(small, 'import torch\n\nclass A(torch.nn.Module):\n    pass\n');
  const bigText = (prefix) => {
    let t = 'import torch\nfrom torch import nn\n';
    for (let i = 0; t.length < (2 << 20); ++i) {
      t += `\n\nclass ${prefix}${i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n` +
        '        self.fc = nn.Linear(4, 4)\n\n    def forward(self, x):\n        return self.fc(x)\n';
    }
    return t;
  };
  fs.writeFileSync(big, bigText('Block'));
  const s = server(root, { debounce: 0, debounceMaxWait: 20, maxDocumentBytes: 64 << 20 });
  await s.init();
  s.open(big);
  const published = (v) => (m) => m.method === 'textDocument/publishDiagnostics' &&
    m.params.uri === uriOf(big) && m.params.version === v;
  await s.waitFor(published(1), 'diagnostics of version 1', 120000);
  s.notify('textDocument/didChange', { textDocument: { uri: uriOf(big), version: 2 },
    contentChanges: [{ text: bigText('Layer') }] });
  hover(s, 500, small, 2);
  await s.waitFor(published(2), 'diagnostics of version 2', 120000);
  const hoverAt = s.messages.findIndex((m) => m.id === 500 && !('method' in m));
  const diagAt = s.messages.findIndex(published(2));
  assert.ok(hoverAt >= 0 && hoverAt < diagAt, `hover answered at ${hoverAt}, version 2 published at ${diagAt}`);
  assert.match(s.messages[hoverAt].result.contents.value, /m\.A/);
  const before = s.messages.length;
  for (let v = 3; v <= 14; ++v) {
    s.notify('textDocument/didChange', { textDocument: { uri: uriOf(big), version: v },
      contentChanges: [{ text: bigText(`V${v}_`) }] });
    await sleep(30);
  }
  await s.waitFor(published(14), 'diagnostics of version 14', 120000);
  await sleep(200);
  const versions = s.messages.slice(before).filter((m) => m.method === 'textDocument/publishDiagnostics' &&
    m.params.uri === uriOf(big)).map((m) => m.params.version);
  assert.deepStrictEqual(versions, [14], 'only the last version is published');
  assert.strictEqual(await s.stop(), 0);
  fs.rmSync(root, { recursive: true, force: true });
});
