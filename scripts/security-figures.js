#!/usr/bin/env node
// Regenerates the figures in docs/security.md from fresh runs: the hardening tests (each appends what it
// tried and measured to HARDENING_SUMMARY), the fuzzers (FUZZ_SUMMARY) and, with --asan, the sanitizer run
// (ASAN_SUMMARY). With --check it runs them and compares the counts that do not depend on timing with the
// document instead of writing it.
//
//   node scripts/security-figures.js [--asan | --asan-summary FILE] [--fuzz-seconds N | --fuzz-summary FILE] [--check]
//   node scripts/security-figures.js --rerender
//
// --asan-summary and --fuzz-summary take those figures from runs already made (CI writes .asan-summary.json
// and .fuzz-summary.json). --rerender runs nothing: it writes the block again from the data the document
// already holds (after a change to how the figures are shown).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..');
const doc = path.join(root, 'docs', 'security.md');
const BEGIN = '<!-- figures:begin -->';
const END = '<!-- figures:end -->';

const USAGE = `usage: node scripts/security-figures.js [--asan | --asan-summary FILE] [--fuzz-seconds N | --fuzz-summary FILE] [--check]
       node scripts/security-figures.js --rerender

Runs the hardening tests, the fuzzers (and with --asan the sanitizer run) and rewrites the figures in
docs/security.md; --check compares the counts that do not depend on timing instead of writing; --rerender
runs nothing and writes the block again from the data the document holds.`;

function usageError(message) {
  console.error(`security-figures: ${message}\n\n${USAGE}`);
  process.exit(2);
}

let options;
try {
  ({ values: options } = parseArgs({
    options: {
      asan: { type: 'boolean', default: false },
      'asan-summary': { type: 'string' },
      'fuzz-summary': { type: 'string' },
      check: { type: 'boolean', default: false },
      rerender: { type: 'boolean', default: false },
      'fuzz-seconds': { type: 'string', default: '60' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  usageError(err.message);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (options.rerender && (options.check || options.asan || options['asan-summary'] || options['fuzz-summary']))
  usageError('--rerender runs nothing, so it takes no other option');
if (options.asan && options['asan-summary'])
  usageError('--asan and --asan-summary both say where the figures come from');
if (!/^[1-9][0-9]*$/.test(options['fuzz-seconds']))
  usageError('--fuzz-seconds takes a whole number of seconds');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-figures-'));
const files = {
  hardening: path.join(work, 'hardening.jsonl'),
  fuzz: path.join(work, 'fuzz.json'),
  asan: path.join(work, 'asan.json'),
};
const env = {
  ...process.env,
  HARDENING_SUMMARY: files.hardening,
  FUZZ_SUMMARY: files.fuzz,
  ASAN_SUMMARY: files.asan,
};

function step(what, cmd, args) {
  console.error(`figures: ${what}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0)
    throw new Error(`${what} failed (exit ${r.status}): the figures are only written from green runs`);
}

if (!options.rerender) {
  step('hardening tests', 'npx', ['vitest', 'run', 'test/hardening', 'test/soak.test.ts']);
  if (!options['fuzz-summary'] && fs.existsSync(path.join(root, 'fuzz', 'run.sh')))
    step('fuzzers', 'bash', ['fuzz/run.sh', options['fuzz-seconds']]);
  if (options.asan) step('sanitizer run', 'bash', ['scripts/test-asan.sh']);
}

const readJSON = (file) => (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined);
/** A file of one JSON value per line (what the tests and fuzz/run.sh append), or undefined. */
const readJSONLines = (file) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : undefined;
const hardening = readJSONLines(files.hardening) ?? [];
const current = fs.readFileSync(doc, 'utf8');
const previous = /<!-- figures-data (.*) -->/.exec(current);
const previousData = previous ? JSON.parse(previous[1]) : {};
const fuzz = readJSONLines(files.fuzz) ?? readJSONLines(options['fuzz-summary'] ?? '') ?? previousData.fuzz;

// The sanitizer run takes long; without --asan the last recorded one stays.
const asan = readJSON(files.asan) ?? readJSON(options['asan-summary'] ?? '') ?? previousData.asan;

const data = options.rerender
  ? previousData
  : {
      date: new Date().toISOString().slice(0, 10),
      nss: spawnSync('pkg-config', ['--modversion', 'nss'], { encoding: 'utf8' }).stdout.trim(),
      node: process.version,
      hardening,
      fuzz,
      asan,
    };

/** A summary line's test: `test`, or the file it came from. */
const nameOf = (entry) => entry.test ?? path.basename(entry.file ?? 'unknown').replace(/\.test\.ts$/, '');

/** The figures that a fresh run must reproduce exactly: counts of what was tried and what failed. */
function stable(d) {
  const counts = {};
  for (const entry of d.hardening ?? []) {
    // A run for a set time makes as many connections as the machine allows: only its failures count.
    if (entry.seconds !== undefined) {
      counts[nameOf(entry)] = { serverFailures: entry.serverFailures };
      continue;
    }
    // The hostile peers cut and flip real handshake flights, whose length an ECDSA signature changes by a
    // byte or two from run to run (measured: 4873 and 4875 cases): what they tried, by kind, and the
    // descriptors they left must match.
    if (entry.realClientsServed !== undefined) {
      counts[nameOf(entry)] = {
        kinds: Object.keys(entry.notes?.comparison ?? {}).sort(),
        fdDelta: entry.fdDelta,
      };
      continue;
    }
    const key = [nameOf(entry), entry.clients, entry.scanner].filter(Boolean).join(' / ');
    counts[key] = Object.fromEntries(
      Object.entries(entry).filter(
        ([k, v]) =>
          typeof v === 'number' &&
          /^(cases|connections|failures|serverFailures|flagged\w*|about\w*|checks)$/.test(k),
      ),
    );
  }
  return {
    // In name order: the tests append their entries in the order they finish, which varies.
    counts: Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))),
    asanFindings: d.asan?.findings,
    fuzzFindings: (d.fuzz ?? []).map((f) => `${f.harness} ${f.findings}`),
  };
}

function render(d) {
  const lines = [`Generated on ${d.date} with NSS ${d.nss}, Node ${d.node}, on a 2-core machine.`, ''];
  if (d.asan) {
    lines.push(
      `- **Sanitizers** (ASan + UBSan, LeakSanitizer on): ${d.asan.testsPassed} tests passed and ` +
        `${d.asan.testsFailed} failed under the instrumented addon; ${d.asan.findings} sanitizer findings in ` +
        `${d.asan.processesLogged} process logs.`,
    );
  } else lines.push('- **Sanitizers**: not run yet (`node scripts/security-figures.js --asan`).');
  if (Array.isArray(d.fuzz) && d.fuzz.length) {
    lines.push(
      '- **Fuzzing** (libFuzzer):',
      '',
      '  | harness | seconds | executions | corpus (seeds → kept) | coverage (edges) | findings |',
    );
    lines.push('  | --- | --- | --- | --- | --- | --- |');
    // fuzz/run.sh's summary lines: execs, seeds → corpus_files, cov (libFuzzer's edge count), findings.
    for (const f of d.fuzz)
      lines.push(
        `  | ${f.harness} | ${f.seconds} | ${f.execs} | ${f.seeds} → ${f.corpus_files} files | ${f.cov ?? ''} | ${f.findings} |`,
      );
    lines.push('');
  }
  const byTest = new Map();
  for (const entry of d.hardening) {
    const list = byTest.get(nameOf(entry)) ?? [];
    list.push(entry);
    byTest.set(nameOf(entry), list);
  }
  for (const [test, entries] of byTest) {
    lines.push(`- **${test}**:`);
    // `notes` (what each group of cases measured) stay in the data below; `outcomes` is summarised.
    for (const { test: _test, file: _file, notes: _notes, ...rest } of entries) {
      const parts = Object.entries(rest).map(([k, v]) => {
        if (typeof v === 'number') return `${k} ${+v.toFixed(2)}`;
        if (k === 'outcomes' && v && typeof v === 'object') {
          const counts = Object.entries(v).sort((a, b) => b[1] - a[1]);
          const top = counts.slice(0, 4).map(([code, n]) => `${code} ${n}`);
          return `${counts.length} distinct NSS error codes (most: ${top.join(', ')})`;
        }
        return `${k} ${JSON.stringify(v)}`;
      });
      lines.push(`  - ${parts.join(', ')}`);
    }
  }
  lines.push('', `<!-- figures-data ${JSON.stringify(d)} -->`);
  return lines.join('\n');
}

if (options.check) {
  const want = JSON.stringify(stable(previousData), null, 1);
  const got = JSON.stringify(stable({ ...data, asan }), null, 1);
  if (want !== got) {
    console.error(`figures: docs/security.md says\n${want}\nbut this run gave\n${got}`);
    process.exit(1);
  }
  console.error('figures: this run reproduces docs/security.md');
} else {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/security.md has no ${BEGIN} … ${END} block`);
  fs.writeFileSync(
    doc,
    current.slice(0, start + BEGIN.length) + '\n' + render(data) + '\n' + current.slice(end),
  );
  // Formatted as the lint step expects (prettier aligns the tables).
  spawnSync('npx', ['prettier', '--write', doc], { cwd: root, stdio: 'ignore' });
  console.error('figures: docs/security.md written');
}
fs.rmSync(work, { recursive: true, force: true });
