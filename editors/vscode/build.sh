#!/usr/bin/env bash
# Builds the VS Code extension into a .vsix: npm ci (from package-lock.json),
# tsc, then `vsce package`. Needs node >= 20 and npm, and only the npm
# registry: no marketplace call (vsce package makes none), no install scripts
# (--ignore-scripts: @vscode/vsce-sign's and keytar's postinstalls download
# binaries, and packaging needs neither).
#
#   bash editors/vscode/build.sh [OUT_DIR]
#
# Without OUT_DIR the extension is built in place (editors/vscode/node_modules,
# out/ and ptlint-<version>.vsix, all gitignored). With OUT_DIR the sources are
# copied there first and everything is built there, leaving the tree clean
# (this is what ctest does). The last line printed is the .vsix path.
set -euo pipefail

src_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${1:-$src_dir}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "build.sh: '$tool' is not on PATH (install Debian's nodejs and npm, or node >= 20)" >&2
    exit 1
  fi
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 20 )); then
  echo "build.sh: node $(node --version) is too old; @vscode/vsce 3.9 needs node >= 20" >&2
  exit 1
fi

mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"
if [[ "$out_dir" != "$src_dir" ]]; then
  rm -rf "$out_dir/src" "$out_dir/out"
  cp -R "$src_dir/src" "$out_dir/"
  cp "$src_dir/package.json" "$src_dir/package-lock.json" "$src_dir/tsconfig.json" \
     "$src_dir/.vscodeignore" "$src_dir/README.md" "$src_dir/LICENSE" "$out_dir/"
fi
cd "$out_dir"

version="$(node -p 'require("./package.json").version')"
vsix="ptlint-${version}.vsix"
rm -f "$vsix"

echo "== npm ci"
npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error
echo "== tsc"
./node_modules/.bin/tsc -p .
echo "== vsce package"
# --allow-missing-repository: the manifest has no public repository URL yet,
# and vsce would otherwise stop to ask. vsce runs the vscode:prepublish
# script (tsc) again and adds the production node_modules itself.
./node_modules/.bin/vsce package --allow-missing-repository --out "$vsix"

# The .vsix is a zip: it must hold the manifest and the compiled entry point.
node - "$vsix" <<'JS'
const fs = require('fs');
const zlib = require('zlib');
const file = process.argv[2];
const buf = fs.readFileSync(file);
const fail = (msg) => { console.error(`build.sh: ${file}: ${msg}`); process.exit(1); };
// Walk the zip's central directory (end record signature 0x06054b50).
let eocd = buf.length - 22;
while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
if (eocd < 0) fail('not a zip file');
const count = buf.readUInt16LE(eocd + 10);
let p = buf.readUInt32LE(eocd + 16);
const entries = new Map();
for (let i = 0; i < count; i++) {
  const method = buf.readUInt16LE(p + 10), size = buf.readUInt32LE(p + 20);
  const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
  const local = buf.readUInt32LE(p + 42);
  entries.set(buf.toString('utf8', p + 46, p + 46 + nameLen), { method, size, local });
  p += 46 + nameLen + extraLen + commentLen;
}
const read = (name) => {
  const e = entries.get(name);
  const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
  const data = buf.subarray(start, start + e.size);
  return (e.method === 8 ? zlib.inflateRawSync(data) : data).toString('utf8');
};
const required = ['extension.vsixmanifest', 'extension/package.json', 'extension/out/extension.js',
                  'extension/node_modules/vscode-languageclient/lib/node/main.js',
                  'extension/node_modules/vscode-jsonrpc/package.json'];
const missing = required.filter((n) => !entries.has(n));
if (missing.length) fail(`lacks ${missing.join(', ')}`);
const leaked = [...entries.keys()].filter((n) => n.startsWith('extension/src/') ||
  n.includes('node_modules/typescript/') || n.includes('node_modules/@vscode/vsce'));
if (leaked.length) fail(`holds build-only files: ${leaked.slice(0, 5).join(', ')}`);
// The manifest inside is the one we mean to ship.
const manifest = JSON.parse(read('extension/package.json'));
if (manifest.main !== './out/extension.js') fail(`main is ${manifest.main}`);
for (const ev of ['onLanguage:python', 'workspaceContains:**/*.{pt,pth,bin,ckpt,safetensors}']) {
  if (!manifest.activationEvents.includes(ev)) fail(`activationEvents lack ${ev}`);
}
const props = manifest.contributes.configuration.properties;
for (const key of ['ptlint.path', 'ptlint.args', 'ptlint.trace.server']) {
  if (!props[key]) fail(`contributes no setting ${key}`);
}
const js = read('extension/out/extension.js');
if (!js.includes('vscode-languageclient/node') || !js.includes("'lsp'")) fail('out/extension.js does not start `ptlint lsp` through vscode-languageclient');
console.log(`== ${file}: ${entries.size} files, ${buf.length} bytes; has ${required.join(', ')}; manifest ok`);
JS
echo "$out_dir/$vsix"
