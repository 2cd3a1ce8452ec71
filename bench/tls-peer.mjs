// One end of one benchmark scenario, in a process of its own: bench/tls.mjs forks a server and a client of
// this script for each scenario, library and round, so that neither end shares an event loop (or CPU time,
// memory, event-loop delay) with the other. The main process drives it over the IPC channel: every message
// { id, op, args } is answered with { id, value } or { id, error }.
import { once } from 'node:events';
import * as fs from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tls from 'node:tls';
import { nickname, pemPath } from './certs.mjs';

// NSS names key-exchange groups by number (sslt.h): the ones it negotiates by default, and none (a resumed
// TLS 1.2 session).
const NSS_GROUP_NAMES = {
  23: 'P-256',
  24: 'P-384',
  25: 'P-521',
  29: 'X25519',
  256: 'ffdhe2048',
  65537: 'none',
};
const REQUEST_BYTES = 1024;

/** Errors on sockets after their handshake: counted, the first few kept for the report. */
const socketErrors = { count: 0, first: [] };
function noteError(err) {
  socketErrors.count++;
  if (socketErrors.first.length < 3) socketErrors.first.push(err?.code ?? err?.message ?? String(err));
}

/** Resolves with the socket once its handshake is done; rejects with the error that ended it first. */
function secured(sock) {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.once('secureConnect', () => {
      sock.removeListener('error', reject);
      sock.on('error', noteError);
      resolve(sock);
    });
  });
}

async function nodeNSS(db) {
  const { default: nss } = await import('node-nss');
  nss.init({ dbDir: db, loadBuiltinRoots: false });
  return {
    async listen(scenario, onSecure) {
      const server = nss.createServer({
        certNickname: nickname(scenario.keyType, 'server'),
        requireCert: scenario.clientAuth,
        minVersion: scenario.version,
        maxVersion: scenario.version,
      });
      server.on('connection', (sock) => sock.on('error', noteError));
      server.on('secureConnection', onSecure);
      server.on('error', noteError);
      return (await server.listen({ port: 0, backlog: 1024 })).port;
    },
    connect(scenario, port, resume) {
      const sock = nss.createConnection({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        minVersion: scenario.version,
        maxVersion: scenario.version,
        clientCertNickname: scenario.clientAuth ? nickname(scenario.keyType, 'client') : undefined,
      });
      // Without a 'session' listener a client resumes from NSS's session cache; a full handshake needs it off.
      if (!resume) sock.setSSLOption(nss.SSL_NO_CACHE, true);
      return secured(sock);
    },
    resumed: (sock) => sock.getSSLChannelInfo().resumed,
    group(sock) {
      const { keaGroup } = sock.getSSLChannelInfo();
      return NSS_GROUP_NAMES[keaGroup] ?? `group ${keaGroup}`;
    },
  };
}

function nodeTLS(certDir) {
  const pem = (keyType, role, kind) => fs.readFileSync(pemPath(certDir, keyType, role, kind));
  // One context for all of a client's connections, as an application making many would keep it.
  const clientContexts = new Map();
  const clientContext = ({ keyType, clientAuth, version }) => {
    const key = `${keyType} ${clientAuth} ${version}`;
    if (!clientContexts.has(key)) {
      clientContexts.set(
        key,
        tls.createSecureContext({
          ca: pem(keyType, 'ca', 'cert'),
          cert: clientAuth ? pem(keyType, 'client', 'cert') : undefined,
          key: clientAuth ? pem(keyType, 'client', 'key') : undefined,
          minVersion: version,
          maxVersion: version,
        }),
      );
    }
    return clientContexts.get(key);
  };
  let session; // the newest session a server handed this client, for resumed handshakes
  return {
    async listen(scenario, onSecure) {
      const { keyType, clientAuth, version } = scenario;
      const server = tls.createServer(
        {
          key: pem(keyType, 'server', 'key'),
          cert: pem(keyType, 'server', 'cert'),
          minVersion: version,
          maxVersion: version,
          requestCert: clientAuth,
          rejectUnauthorized: clientAuth,
          ca: clientAuth ? pem(keyType, 'ca', 'cert') : undefined,
        },
        (sock) => {
          // node-nss turns Nagle's algorithm off on its TCP sockets; so do these, for the same transport.
          sock.setNoDelay(true);
          sock.on('error', noteError);
          onSecure(sock);
        },
      );
      server.on('tlsClientError', noteError);
      server.on('error', noteError);
      await new Promise((resolve) => server.listen(0, '127.0.0.1', 1024, resolve));
      return server.address().port;
    },
    connect(scenario, port, resume) {
      const sock = tls.connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        secureContext: clientContext(scenario),
        session: resume ? session : undefined,
      });
      sock.setNoDelay(true);
      if (resume) sock.on('session', (s) => (session = s));
      return secured(sock);
    },
    resumed: (sock) => sock.isSessionReused(),
    group: (sock) => sock.getEphemeralKeyInfo()?.name ?? 'none',
  };
}

function describe(lib, sock) {
  return `${sock.getProtocol()} ${sock.getCipher().standardName} ${lib.group(sock)}${lib.resumed(sock) ? ' resumed' : ''}`;
}

/** Bytes received on a socket, with a promise for the moment they reach a number. */
function byteCounter(sock) {
  let received = 0;
  let waiting;
  sock.on('data', (data) => {
    received += data.length;
    if (waiting && received >= waiting.target) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve();
    }
  });
  sock.once('close', () => waiting?.reject(new Error('the connection closed during a transfer')));
  return {
    until(target) {
      if (received >= target) return Promise.resolve();
      return new Promise((resolve, reject) => (waiting = { target, resolve, reject }));
    },
  };
}

async function writeAll(sock, chunk, bytes) {
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!sock.write(chunk)) await once(sock, 'drain');
  }
}

/** Ends our direction and waits until the peer has ended its own and the socket is gone. */
async function close(sock) {
  const closed = once(sock, 'close');
  sock.resume();
  sock.end();
  await closed;
}

const cpuMicros = (since) => {
  const { user, system } = process.cpuUsage(since);
  return user + system;
};

/** RSS after a full collection, in bytes (the processes run with --expose-gc). */
function settledRSS() {
  globalThis.gc();
  return process.memoryUsage().rss;
}

function delayPercentiles(histogram) {
  return { p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
}

// ---- server ------------------------------------------------------------------------------------

/** What the server does with a connection, per kind of scenario. */
const serverBehaviour = {
  handshake: (sock) => sock.resume(),
  resumed: (sock) => sock.resume(),
  memory: (sock) => sock.resume(),
  burst: (sock) => sock.resume(),
  latency: (sock) => sock.on('data', (data) => sock.write(data)),
  // Client to server: one byte back whenever the warm-up, then the measured transfer, has arrived in full.
  bulk(sock, { direction, chunkBytes, warmupBytes, bytes }) {
    if (direction === 'up') {
      const acks = [warmupBytes, warmupBytes + bytes];
      let received = 0;
      sock.on('data', (data) => {
        received += data.length;
        while (acks.length > 0 && received >= acks[0]) {
          acks.shift();
          sock.write('!');
        }
      });
      return;
    }
    // Server to client: each byte from the client asks for the next transfer, warm-up first.
    const chunk = Buffer.alloc(chunkBytes, 7);
    const transfers = [warmupBytes, bytes];
    sock.on('data', (data) => {
      for (let i = 0; i < data.length; i++) {
        const size = transfers.shift();
        if (size !== undefined) writeAll(sock, chunk, size).catch(noteError);
      }
    });
  },
};

function server(lib, scenario) {
  let open = 0;
  let cpuMark;
  let rssMark;
  let delay;
  return {
    async listen() {
      const port = await lib.listen(scenario, (sock) => {
        open++;
        sock.once('close', () => open--);
        serverBehaviour[scenario.kind](sock, scenario);
      });
      return { port };
    },
    mark() {
      if (scenario.kind === 'memory') rssMark = settledRSS();
      if (scenario.kind === 'burst') {
        delay = monitorEventLoopDelay({ resolution: 1 });
        delay.enable();
      }
      cpuMark = process.cpuUsage();
    },
    async report() {
      const report = { cpuMicros: cpuMicros(cpuMark), errors: socketErrors };
      if (delay) {
        delay.disable();
        Object.assign(report, { delay: delayPercentiles(delay) });
      }
      if (scenario.kind === 'memory') {
        // The client has finished its handshakes; the server may still be finishing the last few.
        const deadline = performance.now() + 10_000;
        while (open < scenario.connections && performance.now() < deadline) await sleep(20);
        Object.assign(report, { open, rssBytes: settledRSS() - rssMark });
      }
      return report;
    },
  };
}

// ---- client ------------------------------------------------------------------------------------

/**
 * `count` connections, `concurrency` at a time, each one connected, through its handshake and closed.
 * `info.negotiated`, when `info` is given, describes the first one's protocol, suite and group.
 */
async function handshakes(lib, scenario, port, count, info) {
  const resume = scenario.kind === 'resumed';
  let started = 0;
  let resumed = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      const sock = await lib.connect(scenario, port, resume);
      if (lib.resumed(sock)) resumed++;
      if (info && !info.negotiated) info.negotiated = describe(lib, sock);
      await close(sock);
    }
  };
  await Promise.all(Array.from({ length: scenario.concurrency }, worker));
  return resumed;
}

/** Opens the scenario's connections, `concurrency` at a time, and keeps them open. */
async function openConnections(lib, scenario, port) {
  const socks = [];
  let started = 0;
  const worker = async () => {
    while (started < scenario.connections) {
      started++;
      socks.push(await lib.connect(scenario, port, false));
    }
  };
  await Promise.all(Array.from({ length: scenario.concurrency }, worker));
  return socks;
}

const clientKinds = {
  handshake: {
    warm: (lib, scenario, port) => handshakes(lib, scenario, port, scenario.warmup),
    async measure(lib, scenario, port) {
      const info = {};
      const cpu = process.cpuUsage();
      const start = performance.now();
      const resumed = await handshakes(lib, scenario, port, scenario.count, info);
      const seconds = (performance.now() - start) / 1000;
      return { seconds, count: scenario.count, resumed, cpuMicros: cpuMicros(cpu), ...info };
    },
  },
  bulk: {
    async warm(lib, scenario, port, state) {
      state.sock = await lib.connect(scenario, port, false);
      state.negotiated = describe(lib, state.sock);
      state.counter = byteCounter(state.sock);
      state.chunk = Buffer.alloc(scenario.chunkBytes, 7);
      await this.transfer(scenario, state, scenario.warmupBytes, 0);
    },
    async transfer({ direction, warmupBytes }, { sock, counter, chunk }, bytes, stage) {
      if (direction === 'up') {
        await writeAll(sock, chunk, bytes);
        await counter.until(stage + 1); // the server's acknowledgement
      } else {
        sock.write('?');
        await counter.until(stage === 0 ? warmupBytes : warmupBytes + bytes);
      }
    },
    async measure(lib, scenario, _port, state) {
      const cpu = process.cpuUsage();
      const start = performance.now();
      await this.transfer(scenario, state, scenario.bytes, 1);
      const seconds = (performance.now() - start) / 1000;
      return { seconds, bytes: scenario.bytes, cpuMicros: cpuMicros(cpu), negotiated: state.negotiated };
    },
  },
  latency: {
    async warm(lib, scenario, port, state) {
      state.sock = await lib.connect(scenario, port, false);
      state.negotiated = describe(lib, state.sock);
      state.counter = byteCounter(state.sock);
      state.request = Buffer.alloc(REQUEST_BYTES, 1);
      state.done = 0;
      await this.roundTrips(state, scenario.warmup);
    },
    async roundTrips(state, count) {
      const samples = [];
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        state.sock.write(state.request);
        await state.counter.until(++state.done * REQUEST_BYTES);
        samples.push((performance.now() - start) * 1000);
      }
      return samples;
    },
    async measure(lib, scenario, _port, state) {
      const samples = (await this.roundTrips(state, scenario.count)).sort((a, b) => a - b);
      const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
      return { medianMicros: at(0.5), p99Micros: at(0.99), negotiated: state.negotiated };
    },
  },
  memory: {
    async warm(lib, scenario, port, state) {
      await handshakes(lib, scenario, port, scenario.warmup);
      state.rssMark = settledRSS();
    },
    async measure(lib, scenario, port, state) {
      const start = performance.now();
      state.socks = await openConnections(lib, scenario, port);
      return { connections: state.socks.length, seconds: (performance.now() - start) / 1000 };
    },
    report: (state) => ({ rssBytes: settledRSS() - state.rssMark }),
  },
  burst: {
    warm: (lib, scenario, port) => handshakes(lib, scenario, port, scenario.warmup),
    async measure(lib, scenario, port, state) {
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const start = performance.now();
      // Kept open until the process ends: closing them would add the closes to the server's window.
      state.socks = await Promise.all(
        Array.from({ length: scenario.burst }, () => lib.connect(scenario, port, false)),
      );
      const ms = performance.now() - start;
      delay.disable();
      return { ms, delay: delayPercentiles(delay) };
    },
  },
};
clientKinds.resumed = clientKinds.handshake;

function client(lib, scenario) {
  const kind = clientKinds[scenario.kind];
  const state = {};
  let port;
  return {
    async warm(args) {
      port = args.port;
      await kind.warm(lib, scenario, port, state);
    },
    measure: () => kind.measure(lib, scenario, port, state),
    report: () => ({ ...kind.report?.(state), errors: socketErrors }),
  };
}

// ---- the IPC loop ------------------------------------------------------------------------------

let role;
const setup = async ({ side, library, scenario, certDir, db }) => {
  const lib = library === 'node-nss' ? await nodeNSS(db) : nodeTLS(certDir);
  role = side === 'server' ? server(lib, scenario) : client(lib, scenario);
};

process.on('message', async ({ id, op, args }) => {
  try {
    const value = op === 'setup' ? await setup(args) : await role[op](args);
    process.send({ id, value });
  } catch (err) {
    process.send({ id, error: err?.stack ?? String(err) });
  }
});
// The main process is done with this end (or gone): nothing here outlives it.
process.on('disconnect', () => process.exit(0));
