// Helpers for the hostile-peer suites (test/hardening): seeded random bytes, TLS record surgery, recorded
// first flights, bounded concurrency, resource readings and the machine-readable summary.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { liveHandles, NSPRError } from 'node-nss';

/** mulberry32: a small deterministic PRNG, so a failing case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function randomBytes(rand: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** One TLS record: type, legacy version, fragment. */
export function record(type: number, fragment: Buffer, version = 0x0303, length = fragment.length): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeUInt16BE(version, 1);
  header.writeUInt16BE(length, 3);
  return Buffer.concat([header, fragment]);
}

export function alert(level: number, description: number): Buffer {
  return record(0x15, Buffer.from([level, description]));
}

/** The records in `data` (a trailing partial record is left out). */
export function records(data: Buffer): Array<{ type: number; version: number; fragment: Buffer }> {
  const out: Array<{ type: number; version: number; fragment: Buffer }> = [];
  let pos = 0;
  while (pos + 5 <= data.length) {
    const length = data.readUInt16BE(pos + 3);
    if (pos + 5 + length > data.length) break;
    out.push({
      type: data[pos] ?? 0,
      version: data.readUInt16BE(pos + 1),
      fragment: data.subarray(pos + 5, pos + 5 + length),
    });
    pos += 5 + length;
  }
  return out;
}

/** The same plaintext records cut into records of `size` bytes each (handshake fragmentation). */
export function refragment(data: Buffer, size: number): Buffer {
  return Buffer.concat(
    records(data).flatMap((r) => {
      const parts: Buffer[] = [];
      for (let i = 0; i < r.fragment.length; i += size)
        parts.push(record(r.type, r.fragment.subarray(i, i + size), r.version));
      return parts;
    }),
  );
}

/** `data` with bit `bit` (0 = the first byte's most significant) inverted. */
export function flipBit(data: Buffer, bit: number): Buffer {
  const out = Buffer.from(data);
  out[bit >> 3] = (out[bit >> 3] ?? 0) ^ (0x80 >> (bit & 7));
  return out;
}

/** Distinct bit positions in [0, bits): all of them if `count` covers them, else a seeded sample. */
export function bitSample(bits: number, count: number, seed: number): number[] {
  if (count >= bits) return [...Array(bits).keys()];
  const rand = prng(seed);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(rand() * bits));
  return [...chosen].sort((a, b) => a - b);
}

/** Whether a whole TLS record (or more) has arrived: the first flight of a peer is complete. */
export function wholeRecords(data: Buffer): boolean {
  let pos = 0;
  while (pos + 5 <= data.length) {
    pos += 5 + data.readUInt16BE(pos + 3);
    if (pos === data.length) return true;
  }
  return false;
}

/**
 * A plain TCP server that records what a real client sends first: `connect` makes the client connect to
 * the given port; resolves with the bytes once they form whole records (a ClientHello).
 */
export async function recordClientHello(connect: (port: number) => void): Promise<Buffer> {
  let done: (b: Buffer) => void = () => undefined;
  const got = new Promise<Buffer>((resolve) => (done = resolve));
  const server = net.createServer((s) => {
    let data = Buffer.alloc(0);
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      if (wholeRecords(data)) {
        done(data);
        s.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    connect((server.address() as net.AddressInfo).port);
    return await got;
  } finally {
    server.close();
  }
}

/**
 * What a real server answers to `hello` (its first flight): collected until `idleMs` pass without more.
 */
export function recordServerFlight(port: number, hello: Buffer, idleMs = 300): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(hello));
    let data = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      clearTimeout(timer);
      timer = setTimeout(() => {
        s.destroy();
        resolve(data);
      }, idleMs);
    });
  });
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function pool<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i] as T, i);
    }
  });
  await Promise.all(runners);
}

/**
 * A hostile client: connects, writes `chunks` (with `gapMs` between them), half-closes, and resolves with
 * what came back once the connection has closed (`ms` at most: then it is destroyed and `timedOut` is set).
 */
export function rawClient(
  port: number,
  chunks: Buffer[],
  opts: { gapMs?: number; ms?: number; end?: boolean } = {},
): Promise<{ received: Buffer; timedOut: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      s.destroy();
    }, opts.ms ?? 15_000);
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => received.push(d));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(received), timedOut });
    });
    s.on('connect', async () => {
      for (const chunk of chunks) {
        if (s.destroyed) return;
        if (chunk.length) s.write(chunk);
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
      if (opts.end !== false && !s.destroyed) s.end();
    });
  });
}

const NSS_CODE = /^(SSL_ERROR_|SEC_ERROR_|PR_)[A-Z0-9_]+$/;

/** Whether `err` is an NSPRError naming an NSS/NSPR error. */
export function isNSSError(err: unknown): err is NSPRError {
  return err instanceof NSPRError && NSS_CODE.test(err.code);
}

// A full collection on demand without --expose-gc on the command line: RSS and live native objects are
// read after one, so that what is merely not yet collected does not count as growth.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * Under AddressSanitizer (npm run test:asan) freed memory waits in a quarantine and shows as RSS, so RSS
 * bounds hold only in normal runs; LeakSanitizer judges leaks in the sanitized one.
 */
export const SANITIZED = process.env.NODE_NSS_SANITIZED === '1';

export interface Resources {
  rssMiB: number;
  fds: number;
  live: number;
}

export async function resources(): Promise<Resources> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return {
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    fds: fs.readdirSync('/proc/self/fd').length,
    live: liveHandles(),
  };
}

/** Counters of one hostile suite, written as one JSON line to $HARDENING_SUMMARY (if set) for docs figures. */
export class Tally {
  cases = 0;
  connections = 0;
  realClientsServed = 0;
  readonly outcomes: Record<string, number> = {};
  readonly notes: Record<string, unknown> = {};

  constructor(readonly file: string) {}

  /** One hostile case: a distinct input or behaviour (it may use several connections). */
  add(cases: number, connections: number): void {
    this.cases += cases;
    this.connections += connections;
  }

  outcome(name: string): void {
    this.outcomes[name] = (this.outcomes[name] ?? 0) + 1;
  }

  write(before: Resources, after: Resources): void {
    const path = process.env.HARDENING_SUMMARY;
    if (!path) return;
    const line = {
      file: this.file,
      cases: this.cases,
      connections: this.connections,
      realClientsServed: this.realClientsServed,
      rssDeltaMiB: Math.round((after.rssMiB - before.rssMiB) * 10) / 10,
      fdDelta: after.fds - before.fds,
      liveHandlesDelta: after.live - before.live,
      outcomes: this.outcomes,
      notes: this.notes,
    };
    fs.appendFileSync(path, JSON.stringify(line) + '\n');
  }
}

/** A proxy counting the bytes each way (`up`: towards `port`), to count what a peer answers to a flood. */
export async function countingProxy(port: number) {
  const counts = { up: 0, down: 0 };
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (d: Buffer) => {
      counts.up += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      counts.down += d.length;
      client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return { counts, port: (proxy.address() as net.AddressInfo).port, close: () => proxy.close() };
}

/**
 * A proxy to `port` that re-sends the plaintext handshake records of one direction (`towards`: 'server' for
 * what the client sends, 'client' for what the server sends) as records of `size` bytes each, until that
 * side's ChangeCipherSpec or first encrypted record.
 */
export async function fragmentingProxy(port: number, towards: 'server' | 'client', size = 1) {
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    const [from, to] = towards === 'server' ? [client, upstream] : [upstream, client];
    (towards === 'server' ? upstream : client).pipe(towards === 'server' ? client : upstream);
    let pending = Buffer.alloc(0);
    let plaintext = true;
    from.on('data', (d: Buffer) => {
      if (!plaintext) {
        to.write(d);
        return;
      }
      pending = Buffer.concat([pending, d]);
      const out: Buffer[] = [];
      while (plaintext && pending.length >= 5) {
        const length = pending.readUInt16BE(3);
        if (pending.length < 5 + length) break;
        const whole = pending.subarray(0, 5 + length);
        pending = pending.subarray(5 + length);
        if (whole[0] === 0x16) out.push(refragment(whole, size));
        else {
          plaintext = false;
          out.push(whole);
        }
      }
      if (!plaintext) {
        out.push(pending);
        pending = Buffer.alloc(0);
      }
      if (out.length) to.write(Buffer.concat(out));
    });
    from.on('end', () => to.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return { port: (proxy.address() as net.AddressInfo).port, close: () => proxy.close() };
}

/**
 * Writes `chunk` to `socket` again and again (up to `limit` bytes) as fast as the peer takes it. `stalled()`
 * says whether the peer has stopped reading: a write has waited for 'drain' for `ms`.
 */
export function blast(socket: net.Socket, chunk: Buffer, limit: number) {
  const state = { written: 0, waitingSince: 0 };
  const go = (): void => {
    state.waitingSince = 0;
    while (state.written < limit && !socket.destroyed) {
      state.written += chunk.length;
      if (!socket.write(chunk)) {
        state.waitingSince = Date.now();
        socket.once('drain', go);
        return;
      }
    }
  };
  go();
  return {
    written: () => state.written,
    stalled: (ms: number) => state.waitingSince > 0 && Date.now() - state.waitingSince >= ms,
    /** Resolves once `limit` bytes went out or the peer stalled for `ms` (at most `max` ms). */
    settle: async (ms: number, max = 30_000): Promise<void> => {
      const deadline = Date.now() + max;
      while (state.written < limit && !(state.waitingSince > 0 && Date.now() - state.waitingSince >= ms)) {
        if (Date.now() > deadline || socket.destroyed) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
