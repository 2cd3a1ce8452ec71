// Hostile servers against an SSLSocket client, on loopback: a plain TCP server answers each ClientHello
// with random bytes, every truncation and a sample of bit flips of real server flights (recorded from a
// node-nss SSLServer and from a node:tls server), record-layer abuse, alerts in place of each server flight,
// KeyUpdate floods and stalls. Every handshake must fail with an NSPRError carrying an NSS/NSPR code, the
// process must stay up, descriptors, live NSS objects and RSS must stay bounded, and real servers are
// reached in between. The same answers go to a node:tls client too, and whether it failed is recorded.
// With HARDENING_SUMMARY set, one JSON line of counts is appended to that file (see test/support/hostile.ts).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getDefaultCertDB, init, NSPRError, shutdown, SSLSocket } from 'node-nss';
import {
  alert,
  bitSample,
  blast,
  countingProxy,
  flipBit,
  fragmentingProxy,
  isNSSError,
  pool,
  prng,
  randomBytes,
  record,
  recordClientHello,
  records,
  recordServerFlight,
  resources,
  SANITIZED,
  Tally,
  wholeRecords,
  type Resources,
} from '../support/hostile.js';
import { nssClient, nssEchoServer, type Version, within } from '../support/tls.js';

const fx = inject('fixtures').ec;
const tally = new Tally('test/hardening/hostile-client.test.ts');
let start: Resources;

/** What the hostile server does once a client's ClientHello has arrived. */
interface Plan {
  chunks: Buffer[];
  gapMs?: number;
  /** Close (FIN) after the chunks; false: stall with the connection open. */
  end?: boolean;
}

/** The hostile server: each connection's plan is looked up by the client's port when its ClientHello is in. */
const plans = new Map<number, Plan>();
let hostile: net.Server;
let hostilePort = 0;
const hostileSockets = new Set<net.Socket>();

function startHostile(): Promise<void> {
  hostile = net.createServer((s) => {
    hostileSockets.add(s);
    s.on('close', () => hostileSockets.delete(s));
    s.on('error', () => undefined);
    let hello = Buffer.alloc(0);
    const onData = async (d: Buffer) => {
      hello = Buffer.concat([hello, d]);
      if (!wholeRecords(hello)) return;
      s.removeListener('data', onData);
      s.resume(); // whatever the client sends later is read and dropped
      const plan = plans.get(s.remotePort ?? 0);
      plans.delete(s.remotePort ?? 0);
      if (!plan) {
        s.destroy();
        return;
      }
      for (const chunk of plan.chunks) {
        if (s.destroyed) return;
        if (chunk.length) s.write(chunk);
        if (plan.gapMs) await new Promise((r) => setTimeout(r, plan.gapMs));
      }
      if (plan.end !== false && !s.destroyed) s.end();
    };
    s.on('data', onData);
  });
  return new Promise((r) =>
    hostile.listen(0, '127.0.0.1', () => {
      hostilePort = (hostile.address() as net.AddressInfo).port;
      r();
    }),
  );
}

/** A node-nss client's handshake against the hostile server with `plan`: how it ended. */
async function nssAgainst(
  plan: Plan,
  opts: { version?: Version; timeout?: number; port?: number } = {},
): Promise<unknown> {
  const sock = new SSLSocket();
  const errors: unknown[] = [];
  sock.on('error', (e) => errors.push(e));
  sock.setHostname('localhost');
  if (opts.version) sock.setSSLVersionRange(opts.version, opts.version);
  try {
    await sock.connect({ host: '127.0.0.1', port: opts.port ?? hostilePort, timeout: 5000 });
    plans.set(sock.localPort ?? 0, plan);
    await sock.forceHandshake({ timeout: opts.timeout ?? 15_000 });
    return 'handshake completed';
  } catch (err) {
    return err;
  } finally {
    sock.destroy();
  }
}

/** The same plan against a node:tls client: 'error' (with its code), or how else it ended. */
function nodeAgainst(plan: Plan, maxVersion: tls.SecureVersion = 'TLSv1.3'): Promise<string> {
  return new Promise((resolve) => {
    const c = tls.connect({
      port: hostilePort,
      host: '127.0.0.1',
      servername: 'localhost',
      maxVersion,
      ca: fs.readFileSync(fx.certs.test_ca.pemPath),
    });
    const timer = setTimeout(() => {
      c.destroy();
      resolve('no result within 15 s');
    }, 15_000);
    c.once('connect', () => plans.set(c.localPort ?? 0, plan));
    c.once('secureConnect', () => resolve('handshake completed'));
    c.once('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`));
    c.once('close', () => {
      clearTimeout(timer);
      resolve('closed without error');
    });
  });
}

let real: Awaited<ReturnType<typeof nssEchoServer>>;
let realNode: tls.Server;
let realNodePort = 0;

/** The client side keeps working: real handshakes and echoes with a node-nss and a node:tls server. */
async function realServersReached(): Promise<void> {
  for (const port of [real.port, realNodePort]) {
    const sock = await nssClient(port);
    try {
      const echoed = new Promise<Buffer>((resolve, reject) => {
        sock.once('data', resolve);
        sock.once('error', reject);
      });
      sock.write('real server');
      expect((await within(10_000, 'echo', echoed)).toString()).toBe('real server');
    } finally {
      sock.destroy();
    }
    tally.realClientsServed++;
  }
  // The echo server keeps its sockets for the tests that look at them: these ones are done.
  real.sockets.splice(0).forEach((s) => s.destroy());
}

const hellos: Partial<Record<Version, Buffer>> = {};
/** Real server flights, answering a real node-nss ClientHello. */
const flights: Record<string, Buffer> = {};
const comparison: Record<
  string,
  { cases: number; nss: Record<string, number>; nodeTlsCases: number; nodeTls: Record<string, number> }
> = {};

beforeAll(async () => {
  init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
  await startHostile();
  real = await nssEchoServer();
  realNode = tls.createServer(
    { key: fs.readFileSync(fx.keyPemPaths.test_server), cert: fs.readFileSync(fx.certs.test_server.pemPath) },
    (s) => {
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => s.write(d));
    },
  );
  await new Promise<void>((r) => realNode.listen(0, '127.0.0.1', r));
  realNodePort = (realNode.address() as net.AddressInfo).port;
  for (const version of ['tls1.2', 'tls1.3'] as const) {
    const hello = await recordClientHello((port) => {
      const sock = new SSLSocket();
      sock.on('error', () => undefined);
      sock.setHostname('localhost');
      sock.setSSLVersionRange(version, version);
      void sock
        .connect({ host: '127.0.0.1', port })
        .then(() => sock.forceHandshake({ timeout: 5000 }))
        .catch(() => undefined);
    });
    hellos[version] = hello;
    flights[`node-nss ${version}`] = await recordServerFlight(real.port, hello);
    flights[`node:tls ${version}`] = await recordServerFlight(realNodePort, hello);
  }
  await realServersReached();
  start = await resources();
});

afterAll(async () => {
  const end = await resources();
  tally.notes.comparison = comparison;
  tally.notes.flightBytes = Object.fromEntries(Object.entries(flights).map(([k, v]) => [k, v.length]));
  tally.write(start, end);
  hostileSockets.forEach((s) => s.destroy());
  hostile?.close();
  realNode?.close();
  real?.sockets.forEach((s) => s.destroy());
  await real?.server.close();
  shutdown();
});

/**
 * A batch of hostile answers: every node-nss handshake must fail with an NSS code; every
 * `compareEvery`th answer also goes to a node:tls client, whose outcome is counted.
 */
async function batch(
  name: string,
  plans: Plan[],
  opts: { version?: Version; compareEvery?: number; concurrency?: number } = {},
): Promise<Record<string, number>> {
  const codes: Record<string, number> = {};
  await pool(plans, opts.concurrency ?? 12, async (plan, i) => {
    const result = await nssAgainst(plan, { version: opts.version });
    expect(isNSSError(result), `${name} #${i}: ${String(result)}`).toBe(true);
    const code = (result as NSPRError).code;
    codes[code] = (codes[code] ?? 0) + 1;
    tally.outcome(code);
  });
  tally.add(plans.length, plans.length);
  const every = opts.compareEvery ?? 1;
  if (every > 0) {
    const sample = plans.filter((_, i) => i % every === 0);
    const nodeTls: Record<string, number> = {};
    const maxVersion = opts.version === 'tls1.2' ? 'TLSv1.2' : 'TLSv1.3';
    await pool(sample, opts.concurrency ?? 12, async (plan) => {
      const outcome = await nodeAgainst(plan, maxVersion);
      nodeTls[outcome] = (nodeTls[outcome] ?? 0) + 1;
    });
    comparison[name] = { cases: plans.length, nss: codes, nodeTlsCases: sample.length, nodeTls };
    tally.connections += sample.length;
    // node:tls never completes a handshake node-nss refused.
    expect(nodeTls['handshake completed'] ?? 0).toBe(0);
  }
  await realServersReached();
  return codes;
}

const versionOf = (which: string): Version => (which.endsWith('tls1.2') ? 'tls1.2' : 'tls1.3');

describe('random bytes', () => {
  it('200 seeded answers of random bytes, some behind a plausible record header', async () => {
    const rand = prng(0x5eed0002);
    const sizes = [1, 3, 5, 6, 11, 80, 512, 2048, 16_389, 20_000];
    const inputs = Array.from({ length: 200 }, (_, i) => {
      const size = sizes[i % sizes.length] ?? 1;
      const body = randomBytes(rand, size);
      if (i % 3 === 1 && size >= 3) body.set([0x16, 0x03, 0x03]);
      else if (i % 3 === 2 && size > 9)
        body.set([
          0x16,
          0x03,
          0x03,
          (size - 5) >> 8,
          (size - 5) & 0xff,
          0x02,
          0,
          (size - 9) >> 8,
          (size - 9) & 0xff,
        ]);
      return { chunks: [body] };
    });
    await batch('random bytes', inputs, { compareEvery: 4 });
  }, 60_000);
});

describe('truncated server flights', () => {
  it.each(['node-nss tls1.3', 'node:tls tls1.3', 'node-nss tls1.2', 'node:tls tls1.2'])(
    'every truncation of a real %s server flight, the connection closed after n bytes',
    async (which) => {
      const flight = flights[which] as Buffer;
      // n = 0 … length: the last is the whole flight, which answered another ClientHello and must fail.
      const inputs = Array.from({ length: flight.length + 1 }, (_, n) => ({
        chunks: [flight.subarray(0, n)],
      }));
      await batch(`truncated ${which}`, inputs, {
        version: versionOf(which),
        compareEvery: 16,
        concurrency: 16,
      });
    },
    110_000,
  );
});

describe('bit-flipped server flights', () => {
  it.each([
    ['node-nss tls1.3', 0xf11e0001],
    ['node:tls tls1.3', 0xf11e0002],
    ['node-nss tls1.2', 0xf11e0003],
    ['node:tls tls1.2', 0xf11e0004],
  ] as const)(
    'a seeded sample of bit flips in a real %s server flight',
    async (which, seed) => {
      const flight = flights[which] as Buffer;
      // Every bit of the first record and handshake headers, and a sample of the rest.
      const bits = [...new Set([...Array(72).keys(), ...bitSample(flight.length * 8, 200, seed)])];
      await batch(
        `bit-flipped ${which}`,
        bits.map((bit) => ({ chunks: [flipBit(flight, bit)] })),
        { version: versionOf(which), compareEvery: 4 },
      );
      tally.notes[`bitsFlipped ${which}`] = bits.length;
    },
    110_000,
  );
});

describe('record-layer abuse', () => {
  it('oversized records, wrong record types and versions, zero-length records', async () => {
    const flight = flights['node-nss tls1.3'] as Buffer;
    const serverHello = records(flight)[0]?.fragment as Buffer;
    const inputs: Plan[] = [];
    for (const length of [16_384, 16_385, 16_640, 16_641, 18_432, 65_535]) {
      inputs.push({
        chunks: [
          record(0x16, Buffer.concat([serverHello, Buffer.alloc(Math.max(0, length - serverHello.length))])),
        ],
      });
      inputs.push({ chunks: [record(0x16, Buffer.alloc(0), 0x0303, length)] });
      // An encrypted-looking record too long even for ciphertext (2^14 + 256).
      inputs.push({
        chunks: [
          Buffer.concat([flight.subarray(0, 5 + serverHello.length), record(0x17, Buffer.alloc(length))]),
        ],
      });
    }
    for (const type of [0x00, 0x14, 0x15, 0x17, 0x18, 0x19, 0x80, 0xff])
      inputs.push({ chunks: [record(type, serverHello)] });
    for (const version of [0x0000, 0x0002, 0x0200, 0x0300, 0x0301, 0x0304, 0x03ff, 0xfefd, 0xffff])
      inputs.push({ chunks: [record(0x16, serverHello, version)] });
    for (const type of [0x14, 0x15, 0x16, 0x17]) inputs.push({ chunks: [record(type, Buffer.alloc(0))] });
    inputs.push({
      chunks: [Buffer.concat(Array.from({ length: 10_000 }, () => record(0x16, Buffer.alloc(0))))],
    });
    inputs.push({ chunks: [Buffer.concat([record(0x16, Buffer.alloc(0)), flight])] });
    // SSLv2-style header.
    inputs.push({
      chunks: [Buffer.concat([Buffer.from([0x80, 0x2e, 0x04, 0x00, 0x01]), randomBytes(prng(9), 0x2b)])],
    });
    tally.notes.recordLayerCodes = await batch('record layer', inputs, { version: 'tls1.3' });
  });

  it('a Certificate message claiming 16 MiB after a real ServerHello is refused after a bounded amount', async () => {
    const flight = flights['node-nss tls1.2'] as Buffer;
    // The ServerHello message alone (NSS puts its whole TLS 1.2 flight in one record).
    const first = records(flight)[0]?.fragment as Buffer;
    const serverHello = record(0x16, first.subarray(0, 4 + first.readUIntBE(1, 3)));
    // The hostile server answers with the ServerHello and a Certificate header, then streams its "body".
    let flood: ReturnType<typeof blast> | undefined;
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => {
        s.write(Buffer.concat([serverHello, record(0x16, Buffer.from([0x0b, 0xff, 0xff, 0xff]))]));
        flood = blast(s, record(0x16, Buffer.alloc(16_000)), 64 * 2 ** 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const result = await nssAgainst({ chunks: [] }, { version: 'tls1.2', port, timeout: 30_000 });
      expect(isNSSError(result), String(result)).toBe(true);
      tally.outcome((result as NSPRError).code);
      tally.notes.hugeCertificate = {
        code: (result as NSPRError).code,
        writtenMiB: Math.round((flood?.written() ?? 0) / 2 ** 20),
      };
      expect(flood?.written() ?? 0).toBeLessThan(32 * 2 ** 20);
      tally.add(1, 1);
    } finally {
      server.close();
    }
  });

  it.each(['tls1.2', 'tls1.3'] as const)(
    'a real %s server flight cut into 1-byte records is a valid handshake (node-nss and node:tls servers)',
    async (version) => {
      const done: string[] = [];
      for (const [name, port] of [
        ['node-nss', real.port],
        ['node:tls', realNodePort],
      ] as const) {
        const proxy = await fragmentingProxy(port, 'client', 1);
        try {
          const sock = await nssClient(proxy.port, { version });
          const echoed = new Promise<Buffer>((resolve) => sock.once('data', resolve));
          sock.write('through the proxy');
          expect((await within(10_000, 'echo', echoed)).toString()).toBe('through the proxy');
          sock.destroy();
          done.push(name);
        } finally {
          proxy.close();
        }
      }
      tally.add(1, 2);
      expect(done).toEqual(['node-nss', 'node:tls']);
    },
  );
});

describe('alerts in place of each server flight', () => {
  const alerts: Array<[string, Buffer]> = [
    ['fatal handshake_failure', alert(2, 40)],
    ['fatal protocol_version', alert(2, 70)],
    ['fatal unknown description', alert(2, 255)],
    ['warning close_notify', alert(1, 0)],
    ['warning user_canceled', alert(1, 90)],
    ['level 3', alert(3, 40)],
    ['one byte', record(0x15, Buffer.from([2]))],
  ];

  it.each(['node-nss tls1.3', 'node-nss tls1.2', 'node:tls tls1.2'])(
    'in a %s flight: instead of the first record, and after each of its records',
    async (which) => {
      const flight = flights[which] as Buffer;
      const cuts = [0];
      for (const r of records(flight)) cuts.push((cuts[cuts.length - 1] ?? 0) + 5 + r.fragment.length);
      const inputs = cuts.flatMap((cut) =>
        alerts.map(([, a]) => ({ chunks: [Buffer.concat([flight.subarray(0, cut), a])] })),
      );
      tally.notes[`alertSteps ${which}`] = cuts.length;
      await batch(`alerts in ${which}`, inputs, { version: versionOf(which) });
    },
    60_000,
  );
});

describe('stalling servers', () => {
  it("the client's own timeout ends a silent server, a half ServerHello and a drip-fed flight", async () => {
    const flight = flights['node-nss tls1.3'] as Buffer;
    const stalls: Plan[] = [
      { chunks: [], end: false },
      { chunks: [flight.subarray(0, 40)], end: false },
      { chunks: [...flight.subarray(0, 20)].map((b) => Buffer.from([b])), gapMs: 500, end: false },
    ];
    const started = Date.now();
    const results = await Promise.all(stalls.map((plan) => nssAgainst(plan, { timeout: 1500 })));
    for (const err of results) {
      expect(isNSSError(err), String(err)).toBe(true);
      expect((err as NSPRError).code).toBe('PR_IO_TIMEOUT_ERROR');
      tally.outcome('PR_IO_TIMEOUT_ERROR');
    }
    expect(Date.now() - started).toBeLessThan(15_000);
    tally.add(stalls.length, stalls.length);
  });

  it('destroy() during a stalled handshake closes the socket and the connection', async () => {
    const sock = new SSLSocket();
    sock.on('error', () => undefined);
    sock.setHostname('localhost');
    await sock.connect({ host: '127.0.0.1', port: hostilePort });
    plans.set(sock.localPort ?? 0, { chunks: [], end: false });
    const handshake = sock.forceHandshake();
    await within(
      5000,
      'the hostile server to hold the connection',
      (async () => {
        while (hostileSockets.size === 0) await new Promise((r) => setTimeout(r, 20));
      })(),
    );
    const closed = new Promise((r) => sock.once('close', r));
    sock.destroy();
    await expect(handshake).rejects.toBeInstanceOf(Error);
    await within(5000, 'close', closed);
    await within(
      5000,
      'the hostile side to see the close',
      (async () => {
        while (hostileSockets.size > 0) await new Promise((r) => setTimeout(r, 20));
      })(),
    );
    tally.add(1, 1);
  });
});

describe('a server streaming while the client decides', () => {
  // While an async callback decides (the server's certificate, the client's own), NSS reads nothing; a
  // server that keeps sending meanwhile must meet TCP backpressure, not a buffer that grows as it sends.
  it.each(['auth certificate', 'client auth data'] as const)(
    'during an async %s callback the client stops reading after a bounded amount',
    async (which) => {
      const echo = which === 'auth certificate' ? real : await nssEchoServer({ requireClientCert: true });
      let flood: ReturnType<typeof blast> | undefined;
      const proxy = net.createServer((client) => {
        const upstream = net.connect(echo.port, '127.0.0.1');
        client.on('error', () => undefined);
        upstream.on('error', () => undefined);
        client.pipe(upstream);
        upstream.once('data', (d: Buffer) => {
          // The server's first flight, then junk records for as long as the client takes them.
          client.write(d);
          flood = blast(client, record(0x17, Buffer.alloc(16_000, 7)), 256 * 2 ** 20);
        });
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      const sock = new SSLSocket();
      const failed = new Promise<unknown>((resolve) => sock.once('error', resolve));
      sock.setHostname('localhost');
      const decide = async () => {
        while (!flood) await new Promise((r) => setTimeout(r, 20));
        await flood.settle(1000);
      };
      if (which === 'auth certificate') {
        sock.setAuthCertificateCallback(async () => {
          await decide();
          return true;
        });
      } else {
        const db = getDefaultCertDB();
        const cert = db.findCertFromNickname('test_user');
        const key = db.findKeyByAnyCert(cert);
        sock.setClientAuthDataCallback(async () => {
          await decide();
          return [cert, key];
        });
      }
      try {
        await sock.connect({ host: '127.0.0.1', port: (proxy.address() as net.AddressInfo).port });
        const outcome = await sock.forceHandshake({ timeout: 60_000 }).then(
          () => failed,
          (err: unknown) => err,
        );
        const written = flood?.written() ?? 0;
        tally.notes[`heldWhileDeciding ${which} MiB`] = Math.round((written / 2 ** 20) * 10) / 10;
        expect(written / 2 ** 20).toBeLessThan(64);
        // The junk is then read, and fails the connection.
        expect(isNSSError(await within(20_000, 'the failure', Promise.resolve(outcome)))).toBe(true);
        tally.outcome((outcome as NSPRError).code);
        tally.add(1, 1);
      } finally {
        sock.destroy();
        proxy.close();
        if (echo !== real) {
          echo.sockets.forEach((s) => s.destroy());
          await echo.server.close();
        }
      }
    },
    90_000,
  );
});

describe('TLS 1.3 KeyUpdate flood from the server', () => {
  it('20,000 KeyUpdates from a node-nss server: the client answers at most once per write, memory flat', async () => {
    const proxy = await countingProxy(real.port);
    const sock = await nssClient(proxy.port, { version: 'tls1.3' });
    try {
      const echo = async (text: string) => {
        const got = new Promise<Buffer>((resolve, reject) => {
          sock.once('data', resolve);
          sock.once('error', reject);
        });
        sock.write(text);
        expect((await within(20_000, 'echo', got)).toString()).toBe(text);
      };
      await echo('before');
      const server = real.sockets[real.sockets.length - 1] as SSLSocket;
      const before = await resources();
      const up = proxy.counts.up;
      const N = 20_000;
      for (let i = 0; i < N; i++) {
        server.keyUpdate(i % 2 === 0);
        if (i % 200 === 0) await new Promise((r) => setImmediate(r));
      }
      await echo('after the flood');
      const after = await resources();
      const answered = proxy.counts.up - up;
      tally.notes.keyUpdateFlood = {
        updates: N,
        clientBytesDuringFlood: answered,
        rssDeltaMiB: Math.round((after.rssMiB - before.rssMiB) * 10) / 10,
      };
      expect(answered).toBeLessThan(200);
      if (!SANITIZED) expect(after.rssMiB - before.rssMiB).toBeLessThan(30);
      tally.add(1, 1);
    } finally {
      sock.destroy();
      proxy.close();
    }
  }, 90_000);
});

describe('bounded resources', () => {
  it('descriptors, live NSS objects and RSS after every attack', async () => {
    const now = await resources();
    tally.notes.resources = { start, now };
    expect(now.fds - start.fds).toBeLessThanOrEqual(8);
    expect(now.live - start.live).toBeLessThanOrEqual(20);
    if (!SANITIZED) expect(now.rssMiB - start.rssMiB).toBeLessThan(120);
  });
});
