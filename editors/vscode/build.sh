#!/usr/bin/env bash
# Builds the VS Code extension into a .vsix: npm ci (from package-lock.json),
# then `vsce package`, whose vscode:prepublish type-checks with tsc and
# bundles src/extension.ts and vscode-languageclient into one
# out/extension.js with esbuild (Debian's `esbuild` package: no npm package
# beyond the declared ones). The .vsix then carries one JavaScript file and no
# node_modules. Needs node >= 20, npm and esbuild, and only the npm registry:
# no marketplace call (vsce package makes none), no install scripts
# (--ignore-scripts: @vscode/vsce-sign's and keytar's postinstalls download
# binaries, and packaging needs neither).
#
# The manifest names no repository: ptlint has no public home yet. Set
# PTLINT_REPOSITORY_URL (e.g. https://host/owner/ptlint.git) to write one into
# the packaged manifest (built out of tree only, so the source stays as is).
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

for tool in node npm esbuild; do
  if ! command -v "$tool" >/dev/null; then
    echo "build.sh: '$tool' is not on PATH (install Debian's nodejs, npm and esbuild, or node >= 20)" >&2
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
     "$src_dir/.vscodeignore" "$src_dir/README.md" "$src_dir/LICENSE" "$src_dir/icon.png" "$out_dir/"
fi
cd "$out_dir"

repository_flag=(--allow-missing-repository)
if [[ -n "${PTLINT_REPOSITORY_URL:-}" ]]; then
  if [[ "$out_dir" == "$src_dir" ]]; then
    echo "build.sh: PTLINT_REPOSITORY_URL needs an OUT_DIR (the source manifest is not rewritten)" >&2
    exit 1
  fi
  node -e '
    const fs = require("fs");
    const m = JSON.parse(fs.readFileSync("package.json", "utf8"));
    m.repository = { type: "git", url: process.argv[1], directory: "editors/vscode" };
    fs.writeFileSync("package.json", JSON.stringify(m, null, 2) + "\n");' "$PTLINT_REPOSITORY_URL"
  repository_flag=()
fi

version="$(node -p 'require("./package.json").version')"
vsix="ptlint-${version}.vsix"
rm -f "$vsix"

echo "== npm ci"
npm ci --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error
echo "== vsce package (vscode:prepublish: tsc --noEmit, esbuild $(esbuild --version))"
# --allow-missing-repository: see above; vsce would otherwise stop to ask.
# --no-dependencies: the bundle holds vscode-languageclient and its tree.
./node_modules/.bin/vsce package "${repository_flag[@]}" --no-dependencies --out "$vsix"

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
const readBytes = (name) => {
  const e = entries.get(name);
  const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
  const data = buf.subarray(start, start + e.size);
  return e.method === 8 ? zlib.inflateRawSync(data) : data;
};
const read = (name) => readBytes(name).toString('utf8');
const required = ['extension.vsixmanifest', 'extension/package.json', 'extension/out/extension.js',
                  'extension/icon.png'];
const missing = required.filter((n) => !entries.has(n));
if (missing.length) fail(`lacks ${missing.join(', ')}`);
const leaked = [...entries.keys()].filter((n) => n.startsWith('extension/src/') ||
  n.startsWith('extension/node_modules/'));
if (leaked.length) fail(`holds files the bundle replaces: ${leaked.slice(0, 5).join(', ')}`);
const scripts = [...entries.keys()].filter((n) => n.endsWith('.js'));
if (scripts.length !== 1) fail(`holds ${scripts.length} JavaScript files, not the one bundle: ${scripts.slice(0, 5).join(', ')}`);
// The manifest inside is the one we mean to ship.
const manifest = JSON.parse(read('extension/package.json'));
if (manifest.main !== './out/extension.js') fail(`main is ${manifest.main}`);
if (manifest.icon !== 'icon.png') fail(`icon is ${manifest.icon}`);
const png = readBytes('extension/icon.png');
if (png.length < 24 || png.readUInt32BE(0) !== 0x89504e47) fail('icon.png is not a PNG');
if (png.readUInt32BE(16) < 128 || png.readUInt32BE(20) < 128) fail('icon.png is smaller than the 128x128 the marketplace asks for');
for (const ev of ['onLanguage:python', 'workspaceContains:**/ptlint.toml', 'workspaceContains:**/pyproject.toml',
                  'workspaceContains:**/*.{pt,pth,ckpt,safetensors}']) {
  if (!manifest.activationEvents.includes(ev)) fail(`activationEvents lack ${ev}`);
}
// `*.bin` is every firmware blob and database in unrelated workspaces.
if (manifest.activationEvents.some((ev) => ev.includes('bin'))) fail('activates on *.bin');
const trust = (manifest.capabilities || {}).untrustedWorkspaces || {};
if (trust.supported !== 'limited') fail(`untrustedWorkspaces.supported is ${trust.supported}`);
for (const key of ['ptlint.path', 'ptlint.args']) {
  if (!(trust.restrictedConfigurations || []).includes(key)) fail(`${key} is not restricted in untrusted workspaces`);
}
const props = manifest.contributes.configuration.properties;
for (const key of ['ptlint.path', 'ptlint.args', 'ptlint.trace.server']) {
  if (!props[key]) fail(`contributes no setting ${key}`);
}
const js = read('extension/out/extension.js');
// Bundled: the client library is inside, only `vscode` (the host's) is required.
const requires = [...js.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
const external = requires.filter((r) => r !== 'vscode' && !/^(node:)?[a-z_]+$/.test(r));
if (external.length) fail(`out/extension.js still requires ${[...new Set(external)].join(', ')}`);
if (!js.includes('Client is not running') || !js.includes('"lsp"')) fail('out/extension.js does not bundle vscode-languageclient and start `ptlint lsp`');
if (!js.includes('isTrusted')) fail('out/extension.js does not check workspace trust');
console.log(`== ${file}: ${entries.size} files, ${buf.length} bytes; has ${required.join(', ')}; manifest ok`);
JS
echo "$out_dir/$vsix"
