// node-nss against node:tls, side by side in one run on this machine: handshakes, bulk throughput, round-trip
// latency, CPU per unit of work, memory per idle connection and event-loop delay under a burst. Each library
// talks to itself; the server and the client of every measurement run in separate processes
// (bench/tls-peer.mjs); rounds alternate between the libraries and the table gives medians over the rounds
// and the ratios. BENCHMARKS.md describes the method.
// Usage: npm run bench [-- --quick] (npm run bench -- --help lists the options).
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { clearTimeout, setTimeout } from 'node:timers';
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';
import { parseArgs } from 'node:util';
import nss from 'node-nss';
import { KEY_TYPES, makeBenchCertificates } from './certs.mjs';

const LIBRARIES = ['node-nss', 'node:tls'];
const GROUPS = ['handshake', 'resumed', 'bulk', 'latency', 'memory', 'burst'];
// Enough connections in flight to keep both ends busy on two cores.
const HANDSHAKE_CONCURRENCY = 4;
// Connections opened at once while building the idle set: well inside the servers' listen backlog.
const IDLE_OPEN_CONCURRENCY = 50;
// Descriptors a process needs besides its connections (database, IPC, stdio, libuv).
const SPARE_FILE_DESCRIPTORS = 100;
const MiB = 1024 * 1024;

const COUNTS = {
  full: {
    rounds: 5,
    handshakes: 300,
    handshakeWarmup: 30,
    bulkMiB: 256,
    bulkWarmupMiB: 16,
    roundTrips: 2000,
    roundTripWarmup: 200,
    idleConnections: 10_000,
    burst: 200,
    unitTimeoutMs: 300_000,
  },
  quick: {
    rounds: 1,
    handshakes: 30,
    handshakeWarmup: 5,
    bulkMiB: 8,
    bulkWarmupMiB: 1,
    roundTrips: 200,
    roundTripWarmup: 20,
    idleConnections: 200,
    burst: 50,
    unitTimeoutMs: 30_000,
  },
};

const USAGE = `Usage: npm run bench -- [options]
  --quick            tiny counts, one round (a smoke test, not figures)
  --only LIST        scenario groups, comma-separated: ${GROUPS.join(',')}
  --rounds N         alternating rounds per scenario (default: ${COUNTS.full.rounds}, quick: ${COUNTS.quick.rounds})
  --json FILE        also write the results, every round included, to FILE
  --threads N        node-nss's cycle pool in both processes (configThreadPool; default 0: inline)
  --help`;

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        rounds: { type: 'string' },
        json: { type: 'string' },
        threads: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usageError(err.message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const counts = { ...COUNTS[values.quick ? 'quick' : 'full'] };
  if (values.rounds !== undefined) {
    counts.rounds = Number(values.rounds);
    if (!Number.isInteger(counts.rounds) || counts.rounds < 1)
      usageError('--rounds takes a whole number ≥ 1');
  }
  const groups = values.only === undefined ? GROUPS : values.only.split(',').map((g) => g.trim());
  const unknown = groups.filter((g) => !GROUPS.includes(g));
  if (unknown.length > 0) usageError(`--only: no scenario group ${unknown.join(', ')}`);
  let threads = 0;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!Number.isInteger(threads) || threads < 0 || threads > 256)
      usageError('--threads takes a whole number from 0 to 256');
  }
  return { quick: values.quick, counts, groups, json: values.json, threads };
}

function usageError(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** The soft limit on open files (`ulimit -n`), which every child inherits; Node cannot raise it. */
function openFileLimit() {
  const line = fs
    .readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

// ---- scenarios -----------------------------------------------------------------------------------

const versionLabel = (version) => version.replace('TLSv', 'TLS ');

// What the table shows of each kind of scenario: from the client's and the server's results of one round.
const METRICS = {
  handshake: [
    { name: 'handshakes/s', better: 'higher', value: (c) => c.count / c.seconds },
    { name: 'server CPU µs/handshake', better: 'lower', value: (c, s) => s.cpuMicros / c.count },
    { name: 'client CPU µs/handshake', better: 'lower', value: (c) => c.cpuMicros / c.count },
  ],
  bulk: [
    { name: 'MiB/s', better: 'higher', value: (c) => c.bytes / MiB / c.seconds },
    { name: 'server CPU µs/MiB', better: 'lower', value: (c, s) => s.cpuMicros / (c.bytes / MiB) },
    { name: 'client CPU µs/MiB', better: 'lower', value: (c) => c.cpuMicros / (c.bytes / MiB) },
  ],
  latency: [
    { name: 'median µs', better: 'lower', value: (c) => c.medianMicros },
    { name: 'p99 µs', better: 'lower', value: (c) => c.p99Micros },
  ],
  memory: [
    { name: 'server KiB/connection', better: 'lower', value: (c, s) => s.rssBytes / 1024 / c.connections },
    { name: 'client KiB/connection', better: 'lower', value: (c) => c.rssBytes / 1024 / c.connections },
  ],
  burst: [
    { name: 'server event-loop p99 ms', better: 'lower', value: (c, s) => s.delay.p99Ms },
    { name: 'client event-loop p99 ms', better: 'lower', value: (c) => c.delay.p99Ms },
    { name: 'burst done in ms', better: 'lower', value: (c) => c.ms },
  ],
};
METRICS.resumed = METRICS.handshake;

function scenarioList(counts, idleConnections) {
  const tls13ecdsa = { version: 'TLSv1.3', keyType: 'ecdsa', clientAuth: false };
  const list = [];
  for (const version of ['TLSv1.3', 'TLSv1.2'])
    for (const keyType of Object.keys(KEY_TYPES))
      for (const clientAuth of [false, true])
        list.push({
          group: 'handshake',
          kind: 'handshake',
          title: `full handshake, ${versionLabel(version)} ${KEY_TYPES[keyType].label}${clientAuth ? ', client cert' : ''}`,
          version,
          keyType,
          clientAuth,
          count: counts.handshakes,
          warmup: counts.handshakeWarmup,
          concurrency: HANDSHAKE_CONCURRENCY,
        });
  for (const version of ['TLSv1.3', 'TLSv1.2'])
    list.push({
      group: 'resumed',
      kind: 'resumed',
      title: `resumed handshake, ${versionLabel(version)} ECDSA P-256`,
      ...tls13ecdsa,
      version,
      count: counts.handshakes,
      warmup: counts.handshakeWarmup,
      concurrency: HANDSHAKE_CONCURRENCY,
    });
  for (const direction of ['up', 'down'])
    for (const chunkKiB of [16, 64])
      list.push({
        group: 'bulk',
        kind: 'bulk',
        title: `bulk ${direction === 'up' ? 'client→server' : 'server→client'}, ${chunkKiB} KiB writes`,
        ...tls13ecdsa,
        direction,
        chunkBytes: chunkKiB * 1024,
        bytes: counts.bulkMiB * MiB,
        warmupBytes: counts.bulkWarmupMiB * MiB,
      });
  list.push({
    group: 'latency',
    kind: 'latency',
    title: '1 KiB request/response',
    ...tls13ecdsa,
    count: counts.roundTrips,
    warmup: counts.roundTripWarmup,
  });
  list.push({
    group: 'memory',
    kind: 'memory',
    title: `${idleConnections} idle connections`,
    ...tls13ecdsa,
    connections: idleConnections,
    warmup: counts.handshakeWarmup,
    concurrency: IDLE_OPEN_CONCURRENCY,
  });
  list.push({
    group: 'burst',
    kind: 'burst',
    title: `burst of ${counts.burst} concurrent handshakes`,
    ...tls13ecdsa,
    burst: counts.burst,
    warmup: counts.handshakeWarmup,
    concurrency: HANDSHAKE_CONCURRENCY,
  });
  return list;
}

// ---- the two processes of one measurement --------------------------------------------------------

const PEER_SCRIPT = new URL('./tls-peer.mjs', import.meta.url);

/** A forked bench/tls-peer.mjs, called op by op over IPC. */
class Peer {
  #child;
  #pending = new Map();
  #nextId = 0;
  #exited;

  constructor(side) {
    // --expose-gc: memory is measured after a full collection.
    this.#child = fork(PEER_SCRIPT, [], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.on('message', ({ id, value, error }) => {
      const call = this.#pending.get(id);
      this.#pending.delete(id);
      if (error !== undefined) call?.reject(new Error(`${side}: ${error}`));
      else call?.resolve(value);
    });
    this.#child.once('exit', (code, signal) => {
      for (const call of this.#pending.values())
        call.reject(new Error(`the ${side} process exited (${signal ?? `status ${code}`})`));
      this.#pending.clear();
    });
  }

  call(op, args) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, op, args });
    });
  }

  /** Lets the process end by itself (it exits when the IPC channel closes), killed if it takes long. */
  async stop() {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await this.#exited;
    clearTimeout(timer);
  }

  kill() {
    this.#child.kill('SIGKILL');
  }
}

/** One scenario for one library: a fresh server and client process, warm-up, then the measured part. */
async function measure(scenario, library, certs, timeoutMs) {
  const server = new Peer('server');
  const client = new Peer('client');
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      server.kill();
      client.kill();
      reject(new Error(`no result within ${timeoutMs / 1000} s`));
    }, timeoutMs);
  });
  const run = async () => {
    const setup = (side) => ({ side, library, scenario, certDir: certs.dir, db: certs.db });
    await Promise.all([server.call('setup', setup('server')), client.call('setup', setup('client'))]);
    const { port } = await server.call('listen');
    await client.call('warm', { port });
    await server.call('mark');
    const clientResult = await client.call('measure');
    // Server first: the client keeps its connections (idle set, burst) open until it has reported too.
    const serverResult = await server.call('report');
    const clientReport = await client.call('report');
    return { client: { ...clientResult, ...clientReport }, server: serverResult };
  };
  try {
    return await Promise.race([run(), timeout]);
  } catch (err) {
    // A client failure alone rarely says why (an alert number): add what the server saw, if it can tell.
    const seen = await Promise.race([
      server.call('report').then(
        (r) => r.errors?.first ?? [],
        () => [],
      ),
      new Promise((resolve) => setTimeout(resolve, 2000, [])),
    ]);
    if (seen.length) err.message += `\nserver saw: ${seen.join('; ')}`;
    throw err;
  } finally {
    clearTimeout(timer);
    await Promise.all([server.stop(), client.stop()]);
  }
}

// ---- results ---------------------------------------------------------------------------------------

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What a round's results say is wrong with it: errors on either end, or handshakes of the wrong kind. */
function warningsOf(scenario, library, { client, server }) {
  const warnings = [];
  for (const [side, { errors }] of [
    ['server', server],
    ['client', client],
  ])
    if (errors.count > 0)
      warnings.push(`${library} ${side}: ${errors.count} socket errors (${errors.first.join(', ')})`);
  if (scenario.kind === 'handshake' && client.resumed > 0)
    warnings.push(`${library}: ${client.resumed} of ${client.count} "full" handshakes resumed a session`);
  if (scenario.kind === 'resumed' && client.resumed < client.count)
    warnings.push(`${library}: only ${client.resumed} of ${client.count} handshakes resumed a session`);
  if (scenario.kind === 'memory' && server.open < client.connections)
    warnings.push(
      `${library} server: ${server.open} of ${client.connections} connections open when measured`,
    );
  return warnings;
}

function fmt(value) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return value.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : 2);
}

function table(results) {
  const rows = [['scenario', 'metric', 'node-nss', 'node:tls', 'nss/tls', 'tls/nss']];
  for (const r of results) {
    r.metrics.forEach((m, i) => {
      const [ours, theirs] = LIBRARIES.map((lib) => m[lib].median);
      rows.push([
        i === 0 ? r.title : '',
        m.name,
        fmt(ours),
        fmt(theirs),
        (ours / theirs).toFixed(2),
        m.better === 'lower' ? (theirs / ours).toFixed(2) : '',
      ]);
    });
    if (r.failure) rows.push([r.title, `failed: ${r.failure}`, '', '', '', '']);
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => (col < 2 ? cell.padEnd(widths[col]) : cell.padStart(widths[col])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

// ---- the run ----------------------------------------------------------------------------------------

const opts = options();
const { counts } = opts;
// The peers inherit it: node-nss reads NODE_NSS_THREADS when it loads (node:tls ignores it).
if (opts.threads > 0) process.env.NODE_NSS_THREADS = String(opts.threads);
else delete process.env.NODE_NSS_THREADS;
const fileLimit = openFileLimit();
const idleConnections = Math.max(1, Math.min(counts.idleConnections, fileLimit - SPARE_FILE_DESCRIPTORS));
const scenarios = scenarioList(counts, idleConnections).filter((s) => opts.groups.includes(s.group));

const cpus = os.cpus();
const machine = {
  cores: cpus.length,
  cpu: cpus[0]?.model ?? 'unknown',
  os: `${os.type()} ${os.release()}`,
  node: process.version,
  openssl: process.versions.openssl,
  nss: nss.version.nss,
  nspr: nss.version.nspr,
  package: nss.version.package,
  loadAverage: os.loadavg()[0],
  openFileLimit: fileLimit,
};
console.log(
  `${opts.quick ? 'QUICK SMOKE RUN (counts too small for figures): ' : ''}` +
    `${machine.cores} cores, ${machine.cpu}, ${machine.os}, Node ${machine.node} (OpenSSL ${machine.openssl}), ` +
    `NSS ${machine.nss}, node-nss ${machine.package}, load average ${machine.loadAverage.toFixed(2)} at start`,
);
console.log(
  `method: server and client in separate processes, a fresh pair per scenario, library and round; ` +
    `${counts.rounds} round(s), node-nss then node:tls in each; medians over the rounds; loopback; ` +
    `each library talks to itself; TLS 1.3 ECDSA P-256 unless named; ${HANDSHAKE_CONCURRENCY} handshakes ` +
    `in flight; CPU is user+system of each process over the measured part; ` +
    (opts.threads > 0
      ? `node-nss cycle pool: ${opts.threads} thread(s)`
      : 'node-nss cycles inline (no pool)'),
);
if (opts.groups.includes('memory'))
  console.log(
    `idle connections: ${idleConnections} (asked ${counts.idleConnections}; open-file limit ${fileLimit}, ulimit -n)`,
  );

const started = performance.now();
const certs = await makeBenchCertificates();
const results = scenarios.map((scenario) => ({
  title: scenario.title,
  group: scenario.group,
  scenario,
  rounds: [],
  warnings: [],
  negotiated: {},
}));
try {
  for (let round = 0; round < counts.rounds; round++) {
    for (const result of results) {
      if (result.failure) continue;
      const outcome = {};
      for (const library of LIBRARIES) {
        const unitStart = performance.now();
        try {
          outcome[library] = await measure(result.scenario, library, certs, counts.unitTimeoutMs);
          outcome[library].wallSeconds = (performance.now() - unitStart) / 1000;
        } catch (err) {
          result.failure = `${library}, round ${round + 1}: ${err.message.split('\n')[0]}`;
          console.error(`${result.title}: ${library}, round ${round + 1}:\n${err.message}`);
          break;
        }
        result.warnings.push(...warningsOf(result.scenario, library, outcome[library]));
        result.negotiated[library] ??= outcome[library].client.negotiated;
      }
      if (!result.failure) result.rounds.push(outcome);
    }
  }
} finally {
  fs.rmSync(certs.dir, { recursive: true, force: true });
}

for (const result of results) {
  result.metrics =
    result.rounds.length === 0
      ? []
      : METRICS[result.scenario.kind].map((metric) => {
          const entry = { name: metric.name, better: metric.better };
          for (const library of LIBRARIES) {
            const values = result.rounds.map((o) => metric.value(o[library].client, o[library].server));
            entry[library] = { median: median(values), rounds: values };
          }
          entry.ratio = entry['node-nss'].median / entry['node:tls'].median;
          return entry;
        });
}

console.log('');
console.log(table(results));
console.log('');
console.log(
  'nss/tls: node-nss ÷ node:tls. tls/nss: the other way, for metrics where lower is better (latency, CPU, ' +
    'memory, delay), so that in both columns above 1 means node-nss is ahead.',
);
const negotiated = new Map();
for (const r of results) {
  const line = LIBRARIES.map((lib) => `${lib} ${r.negotiated[lib] ?? '?'}`).join(', ');
  if (r.negotiated['node-nss'] || r.negotiated['node:tls'])
    negotiated.set(line, [...(negotiated.get(line) ?? []), r.title]);
}
console.log('negotiated (first measured connection):');
for (const [line, titles] of negotiated) console.log(`  ${line}: ${titles.join('; ')}`);
console.log(`finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
const warnings = results.flatMap((r) => r.warnings.map((w) => `${r.title}: ${w}`));
if (warnings.length > 0) {
  console.log('warnings:');
  for (const w of warnings) console.log(`  ${w}`);
}

if (opts.json) {
  const json = {
    machine,
    mode: opts.quick ? 'quick' : 'full',
    counts,
    idleConnections,
    results: results.map(({ scenario, metrics, warnings, negotiated, failure, rounds }) => ({
      scenario,
      metrics,
      negotiated,
      warnings,
      failure,
      rounds,
    })),
  };
  fs.writeFileSync(opts.json, JSON.stringify(json, null, 2) + '\n');
}
process.exitCode = results.some((r) => r.failure) ? 1 : 0;
