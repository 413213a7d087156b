#!/usr/bin/env node
// Validates SARIF files the way GitHub code scanning will read them:
//
//  1. the SARIF 2.1.0 JSON schema, as the SARIF SDK ships it in the npm
//     package @microsoft/sarif-multitool-linux (sarif-2.1.0.json, JSON Schema
//     draft 2020-12), with ajv + ajv-formats (uri, uri-reference, date-time);
//  2. the constraints GitHub adds on top of the schema (its "SARIF support for
//     code scanning" page), checked here explicitly: ruleId on every result,
//     rules with shortDescription / fullDescription / help text,
//     partialFingerprints, relative artifact URIs (or a uriBaseId),
//     region.startLine >= 1, level values, the upload limits;
//  3. the SARIF SDK's own validator (`Sarif.Multitool validate`, rule kinds
//     Sarif and Gh: the GitHub ingestion rules GH1xxx/GH2xxx), the .NET
//     binary in the same package. Skipped with --no-multitool.
//
// usage: node validate.js [--no-multitool] FILE.sarif...
// Exit 0 when every file passes, 1 when one does not (each problem is
// printed as FILE: JSON-POINTER: message), 2 on usage errors.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const Ajv2020 = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const MULTITOOL_DIR = path.dirname(require.resolve('@microsoft/sarif-multitool-linux/package.json'));
const SCHEMA_PATH = path.join(MULTITOOL_DIR, 'sarif-2.1.0.json');

// GitHub's documented limits for one upload.
const MAX_RUNS = 20;
const MAX_RESULTS_PER_RUN = 25000;
const MAX_RULES_PER_RUN = 25000;
const MAX_LOCATIONS_PER_RESULT = 1000;
const MAX_TAGS_PER_RULE = 20;
const LEVELS = new Set(['none', 'note', 'warning', 'error']);

function schemaValidator() {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8'));
  // strict: false because the schema itself trips ajv's strictRequired
  // ("index" required inside anyOf without a local properties entry); formats
  // are validated (ajv-formats).
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

// RFC 3986 URI-reference characters; anything else (spaces, non-ASCII, a bare
// '%') must be percent-encoded.
function isEncodedUriReference(u) {
  return /^([A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/.test(u);
}

function githubChecks(doc, problems) {
  const add = (where, msg) => problems.push(`${where}: ${msg}`);
  if (typeof doc.$schema !== 'string' || !/sarif/i.test(doc.$schema)) add('/$schema', 'missing or not a SARIF schema URI');
  if (doc.version !== '2.1.0') add('/version', `must be "2.1.0", is ${JSON.stringify(doc.version)}`);
  const runs = Array.isArray(doc.runs) ? doc.runs : [];
  if (runs.length === 0) add('/runs', 'no run');
  if (runs.length > MAX_RUNS) add('/runs', `${runs.length} runs, GitHub accepts at most ${MAX_RUNS}`);
  runs.forEach((run, ri) => {
    const rp = `/runs/${ri}`;
    const driver = run.tool && run.tool.driver;
    if (!driver || typeof driver.name !== 'string' || driver.name === '') {
      add(`${rp}/tool/driver/name`, 'missing (GitHub names the tool after it)');
      return;
    }
    const rules = Array.isArray(driver.rules) ? driver.rules : [];
    if (rules.length > MAX_RULES_PER_RUN) add(`${rp}/tool/driver/rules`, `more than ${MAX_RULES_PER_RUN} rules`);
    const ruleIds = new Map();
    rules.forEach((rule, i) => {
      const p = `${rp}/tool/driver/rules/${i}`;
      if (typeof rule.id !== 'string' || rule.id === '') add(`${p}/id`, 'missing');
      else if (ruleIds.has(rule.id)) add(`${p}/id`, `duplicate rule id ${rule.id}`);
      else ruleIds.set(rule.id, i);
      for (const key of ['shortDescription', 'fullDescription', 'help']) {
        if (!rule[key] || typeof rule[key].text !== 'string' || rule[key].text.trim() === '') {
          add(`${p}/${key}/text`, 'missing or empty (GitHub shows it on every alert)');
        }
      }
      if (rule.shortDescription && typeof rule.shortDescription.text === 'string' &&
          rule.shortDescription.text.length > 1024) {
        add(`${p}/shortDescription/text`, 'longer than 1024 characters');
      }
      const level = rule.defaultConfiguration && rule.defaultConfiguration.level;
      if (level !== undefined && !LEVELS.has(level)) add(`${p}/defaultConfiguration/level`, `invalid level ${level}`);
      const props = rule.properties || {};
      if (props.tags !== undefined) {
        if (!Array.isArray(props.tags) || props.tags.some((t) => typeof t !== 'string')) {
          add(`${p}/properties/tags`, 'must be an array of strings');
        } else if (props.tags.length > MAX_TAGS_PER_RULE) {
          add(`${p}/properties/tags`, `more than ${MAX_TAGS_PER_RULE} tags (GitHub keeps the first ${MAX_TAGS_PER_RULE})`);
        }
      }
      if (props['security-severity'] !== undefined) {
        const s = props['security-severity'];
        if (typeof s !== 'string' || !/^\d+(\.\d+)?$/.test(s) || Number(s) > 10) {
          add(`${p}/properties/security-severity`, 'must be a string holding a number from 0.0 to 10.0');
        }
      }
      if (props.precision !== undefined && !['very-high', 'high', 'medium', 'low'].includes(props.precision)) {
        add(`${p}/properties/precision`, `invalid precision ${props.precision}`);
      }
    });

    const results = Array.isArray(run.results) ? run.results : null;
    if (results === null) {
      add(`${rp}/results`, 'missing (an empty array means a clean run)');
      return;
    }
    if (results.length > MAX_RESULTS_PER_RUN) add(`${rp}/results`, `more than ${MAX_RESULTS_PER_RUN} results`);
    const seenFingerprints = new Map();
    results.forEach((res, i) => {
      const p = `${rp}/results/${i}`;
      if (typeof res.ruleId !== 'string' || res.ruleId === '') {
        add(`${p}/ruleId`, 'missing (GitHub matches alerts across runs by ruleId)');
      } else if (!ruleIds.has(res.ruleId)) {
        add(`${p}/ruleId`, `${res.ruleId} is not among tool.driver.rules`);
      } else if (res.ruleIndex !== undefined && res.ruleIndex !== ruleIds.get(res.ruleId)) {
        add(`${p}/ruleIndex`, `${res.ruleIndex} points at another rule than ${res.ruleId}`);
      }
      if (res.level !== undefined && !LEVELS.has(res.level)) add(`${p}/level`, `invalid level ${res.level}`);
      if (!res.message || typeof res.message.text !== 'string' || res.message.text.trim() === '') {
        add(`${p}/message/text`, 'missing or empty');
      }
      const fp = res.partialFingerprints;
      if (!fp || typeof fp !== 'object' || Object.keys(fp).length === 0) {
        add(`${p}/partialFingerprints`, 'missing (without it GitHub duplicates alerts between runs)');
      } else {
        for (const [k, v] of Object.entries(fp)) {
          if (typeof v !== 'string' || v === '') add(`${p}/partialFingerprints/${k}`, 'must be a non-empty string');
        }
        const key = `${res.ruleId}\u0000${JSON.stringify(fp)}`;
        if (seenFingerprints.has(key)) {
          add(`${p}/partialFingerprints`, `same rule and fingerprint as result ${seenFingerprints.get(key)}: GitHub merges them into one alert`);
        } else {
          seenFingerprints.set(key, i);
        }
      }
      const locations = Array.isArray(res.locations) ? res.locations : [];
      if (locations.length === 0) add(`${p}/locations`, 'no location (GitHub drops results it cannot place)');
      if (locations.length > MAX_LOCATIONS_PER_RESULT) add(`${p}/locations`, `more than ${MAX_LOCATIONS_PER_RESULT}`);
      locations.forEach((loc, li) => checkLocation(loc, `${p}/locations/${li}`, add, true));
      const related = Array.isArray(res.relatedLocations) ? res.relatedLocations : [];
      const ids = new Set();
      related.forEach((loc, li) => {
        const lp = `${p}/relatedLocations/${li}`;
        checkLocation(loc, lp, add, false);
        if (loc.id !== undefined) {
          if (ids.has(loc.id)) add(`${lp}/id`, `duplicate id ${loc.id}`);
          ids.add(loc.id);
        }
      });
      // Links in the message text ("[here](1)") must name a related location.
      const text = (res.message && res.message.text) || '';
      for (const m of text.matchAll(/\[[^\]]*\]\((\d+)\)/g)) {
        if (!ids.has(Number(m[1]))) add(`${p}/message/text`, `links to related location ${m[1]}, which does not exist`);
      }
    });
  });
}

function checkLocation(loc, p, add, primary) {
  const phys = loc && loc.physicalLocation;
  if (!phys) {
    if (primary) add(`${p}/physicalLocation`, 'missing (GitHub needs a file to show the alert on)');
    return;
  }
  const art = phys.artifactLocation;
  if (!art || typeof art.uri !== 'string' || art.uri === '') {
    add(`${p}/physicalLocation/artifactLocation/uri`, 'missing');
  } else {
    const u = art.uri;
    if (!isEncodedUriReference(u)) add(`${p}/physicalLocation/artifactLocation/uri`, `not a percent-encoded URI reference: ${JSON.stringify(u)}`);
    const hasScheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(u);
    if (hasScheme && !u.startsWith('file:')) add(`${p}/physicalLocation/artifactLocation/uri`, `scheme other than file: ${JSON.stringify(u)}`);
    if (!hasScheme && u.startsWith('/')) add(`${p}/physicalLocation/artifactLocation/uri`, `absolute path ${JSON.stringify(u)}: GitHub needs it relative to the repository`);
    if (!hasScheme && (u === '..' || u.startsWith('../') || u.includes('/../'))) {
      add(`${p}/physicalLocation/artifactLocation/uri`, `leaves the source root: ${JSON.stringify(u)}`);
    }
    if (hasScheme && art.uriBaseId !== undefined) add(`${p}/physicalLocation/artifactLocation/uriBaseId`, 'an absolute URI must not have a uriBaseId');
  }
  const region = phys.region;
  if (primary && !region) {
    add(`${p}/physicalLocation/region`, 'missing: GitHub needs region.startLine');
    return;
  }
  if (!region) return;
  const pos = (k, min) => {
    if (region[k] !== undefined && (!Number.isInteger(region[k]) || region[k] < min)) {
      add(`${p}/physicalLocation/region/${k}`, `must be an integer >= ${min}, is ${region[k]}`);
    }
  };
  if (region.startLine === undefined) add(`${p}/physicalLocation/region/startLine`, 'missing (GitHub requires it)');
  pos('startLine', 1);
  pos('startColumn', 1);
  pos('endLine', 1);
  pos('endColumn', 1);
  if (Number.isInteger(region.endLine) && Number.isInteger(region.startLine) && region.endLine < region.startLine) {
    add(`${p}/physicalLocation/region/endLine`, 'before startLine');
  }
  if (Number.isInteger(region.endColumn) && Number.isInteger(region.startColumn) &&
      (region.endLine === undefined || region.endLine === region.startLine) && region.endColumn < region.startColumn) {
    add(`${p}/physicalLocation/region/endColumn`, 'before startColumn on the same line');
  }
}

// Sarif.Multitool validate over all files at once; returns problems per file.
function multitoolChecks(files) {
  const exe = path.join(MULTITOOL_DIR, 'Sarif.Multitool');
  try {
    fs.chmodSync(exe, 0o755);  // npm ci --ignore-scripts skips the package's postinstall chmod
  } catch (e) { /* read-only install: try anyway */ }
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sarif-validate-')), 'validation.sarif');
  const r = spawnSync(exe, ['validate', ...files, '--rule-kind', 'Sarif;Gh', '-o', out, '--log', 'ForceOverwrite', '--quiet'],
    { encoding: 'utf8', env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' } });
  if (r.error || !fs.existsSync(out)) {
    return { fatal: `Sarif.Multitool did not run: ${r.error ? r.error.message : ''}${r.stdout || ''}${r.stderr || ''}` };
  }
  const log = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  const byFile = new Map();
  const notes = [];
  for (const run of log.runs || []) {
    for (const inv of run.invocations || []) {
      for (const n of [...(inv.toolExecutionNotifications || []), ...(inv.toolConfigurationNotifications || [])]) {
        if (n.level === 'error') notes.push(`Sarif.Multitool: ${n.message && n.message.text}`);
      }
    }
    const rules = (run.tool && run.tool.driver && run.tool.driver.rules) || [];
    for (const res of run.results || []) {
      const level = res.level || 'warning';
      if (level !== 'error') continue;  // SARIF2xxx style notes and warnings are advice
      const loc = res.locations && res.locations[0] && res.locations[0].physicalLocation;
      const uri = loc && loc.artifactLocation && loc.artifactLocation.uri;
      const file = uri ? decodeURIComponent(uri.replace(/^file:\/\//, '')) : '?';
      const rule = rules.find((x) => x.id === res.ruleId);
      const args = (res.message && res.message.arguments) || [];
      const template = rule && rule.messageStrings && res.message && res.message.id && rule.messageStrings[res.message.id];
      let text = template ? template.text.replace(/\{(\d+)\}/g, (_, k) => args[Number(k)]) : JSON.stringify(args);
      if (!byFile.has(file)) byFile.set(file, []);
      byFile.get(file).push(`${args[0] || ''}: Sarif.Multitool ${res.ruleId}: ${text}`);
    }
  }
  return { byFile, notes };
}

function main(argv) {
  let multitool = true;
  const files = [];
  for (const a of argv) {
    if (a === '--no-multitool') multitool = false;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node validate.js [--no-multitool] FILE.sarif...\n');
      return 0;
    } else files.push(a);
  }
  if (files.length === 0) {
    process.stderr.write('usage: node validate.js [--no-multitool] FILE.sarif...\n');
    return 2;
  }
  const validate = schemaValidator();
  let failed = 0;
  const report = (file, problems) => {
    if (problems.length === 0) return;
    failed++;
    for (const pr of problems) process.stdout.write(`${file}: ${pr}\n`);
  };
  for (const file of files) {
    const problems = [];
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      report(file, [`not JSON: ${e.message}`]);
      continue;
    }
    if (!validate(doc)) {
      for (const e of validate.errors) {
        problems.push(`${e.instancePath || '/'}: schema: ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
      }
    }
    githubChecks(doc, problems);
    report(file, problems);
  }
  if (multitool) {
    const m = multitoolChecks(files.map((f) => path.resolve(f)));
    if (m.fatal) {
      process.stdout.write(`${m.fatal}\n`);
      failed++;
    } else {
      for (const n of m.notes) process.stdout.write(`${n}\n`);
      failed += m.notes.length;
      for (const [file, problems] of m.byFile) report(file, problems);
    }
  }
  process.stdout.write(`sarif-validate: ${files.length} files, ${failed === 0 ? 'all valid' : failed + ' with problems'}\n`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
