// Differential mutation fuzzing of the ClientHello reader (src/tls/client-hello.ts), which parses bytes from
// the network before NSS sees them (async SNI). libFuzzer cannot run TypeScript, so this test mutates
// ClientHellos recorded from real clients (node-nss, node:tls, openssl s_client) with a fixed seed and
// checks every answer against two independent oracles written here: when the reader may say "more bytes
// needed" (only while the input is shorter than its own declared lengths), and, for inputs that are a
// well-formed ClientHello, which name it must return.
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, shutdown, SSLServer, SSLSocket } from 'node-nss';
import { Duplex } from 'node:stream';
import { ClientHelloReader, clientHelloServerName, readClientHello } from '../../dist/tls/client-hello.js';
import { prng } from '../support/hostile.js';

const LIMIT = 64 * 1024; // the reader's bound (client-hello.ts)
const ITERATIONS = 20_000;

// ---- oracles --------------------------------------------------------------------------------------------

/**
 * Oracle 1, by the declared lengths alone: 'incomplete' while the records seen so far end before the
 * handshake message they declare; 'decided' once the message is complete or the bytes cannot be a
 * ClientHello (another record type, another message type, a message larger than the bound).
 */
function completeness(data: Buffer): 'incomplete' | 'decided' {
  const message: number[] = [];
  let pos = 0;
  for (;;) {
    if (message.length >= 4) {
      if (message[0] !== 1) return 'decided';
      const need = 4 + ((message[1]! << 16) | (message[2]! << 8) | message[3]!);
      if (need > LIMIT || message.length >= need) return 'decided';
    }
    if (pos + 5 > data.length) return 'incomplete';
    if (data[pos] !== 22) return 'decided';
    const length = (data[pos + 3]! << 8) | data[pos + 4]!;
    if (pos + 5 + length > data.length) return 'incomplete';
    for (let i = 0; i < length; i++) message.push(data[pos + 5 + i]!);
    pos += 5 + length;
  }
}

/** The handshake bytes of the records at the start of `data`, as far as they are complete. */
function handshakeBytes(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let pos = 0; pos + 5 <= data.length && data[pos] === 22;) {
    const length = data.readUInt16BE(pos + 3);
    if (pos + 5 + length > data.length) break;
    parts.push(data.subarray(pos + 5, pos + 5 + length));
    pos += 5 + length;
  }
  return Buffer.concat(parts);
}

/**
 * Oracle 2, a strict parser: for a well-formed ClientHello (every length exact, the extensions ending where
 * the message ends), `{ name }` — the first host_name of server_name, or null without one; otherwise
 * undefined (the reader may then answer anything but undefined... as oracle 1 says).
 */
function strictServerName(data: Buffer): { name: string | null } | undefined {
  const hs = handshakeBytes(data);
  if (hs.length < 4 || hs[0] !== 1) return undefined;
  const end = 4 + hs.readUIntBE(1, 3);
  if (end > hs.length || end > LIMIT) return undefined;
  const body = hs.subarray(4, end);
  let pos = 34;
  const skip = (width: 1 | 2): boolean => {
    if (pos + width > body.length) return false;
    const n = width === 1 ? body[pos]! : body.readUInt16BE(pos);
    pos += width + n;
    return pos <= body.length;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return undefined; // session id, cipher suites, compression
  if (pos === body.length) return { name: null }; // no extensions at all
  if (pos + 2 > body.length || pos + 2 + body.readUInt16BE(pos) !== body.length) return undefined;
  let name: string | null = null;
  for (pos += 2; pos < body.length;) {
    if (pos + 4 > body.length) return undefined;
    const type = body.readUInt16BE(pos);
    const length = body.readUInt16BE(pos + 2);
    const ext = body.subarray(pos + 4, pos + 4 + length);
    if (ext.length !== length) return undefined;
    pos += 4 + length;
    if (type !== 0 || name !== null) continue;
    if (length < 2 || ext.readUInt16BE(0) !== length - 2) return undefined;
    for (let p = 2; p < length;) {
      if (p + 3 > length) return undefined;
      const nameLength = ext.readUInt16BE(p + 1);
      if (p + 3 + nameLength > length) return undefined;
      if (ext[p] === 0 && name === null) name = ext.toString('latin1', p + 3, p + 3 + nameLength);
      p += 3 + nameLength;
    }
    // A server_name extension without a host_name entry: the reader answers null, as here.
    if (name === null) return { name: null };
    // Only the first server_name extension counts for the reader; a later one must not change the answer.
    return { name };
  }
  return { name };
}

/**
 * The strict parse's extensions of a well-formed ClientHello (every one whole, to the end of the message;
 * strictServerName stops at server_name), by type, the first of each; `undefined` when it is not well formed.
 */
function strictExtensions(data: Buffer): Map<number, Buffer> | undefined {
  if (strictServerName(data) === undefined) return undefined;
  const hs = handshakeBytes(data);
  const body = hs.subarray(4, 4 + hs.readUIntBE(1, 3));
  let pos = 34;
  pos += 1 + body[pos]!;
  pos += 2 + body.readUInt16BE(pos);
  pos += 1 + body[pos]!;
  const extensions = new Map<number, Buffer>();
  if (pos === body.length) return extensions;
  for (pos += 2; pos < body.length; pos += 4 + body.readUInt16BE(pos + 2)) {
    if (pos + 4 > body.length || pos + 4 + body.readUInt16BE(pos + 2) > body.length) return undefined;
    const type = body.readUInt16BE(pos);
    if (!extensions.has(type))
      extensions.set(type, body.subarray(pos + 4, pos + 4 + body.readUInt16BE(pos + 2)));
  }
  return extensions;
}

/** Oracle 3, the same strict parse for status_request: whether a well-formed ClientHello carries it. */
function strictStatusRequest(data: Buffer): boolean | undefined {
  return strictExtensions(data)?.has(5);
}

/**
 * Oracle 4, the same strict parse for ALPN: the protocol list of a well-formed ClientHello, `null` without an
 * ALPN extension or with one NSS would refuse (its list length not the data's, an empty list or name).
 */
function strictALPN(data: Buffer): string[] | null | undefined {
  const extensions = strictExtensions(data);
  if (extensions === undefined) return undefined;
  const alpn = extensions.get(16);
  if (alpn === undefined || alpn.length < 2 || alpn.readUInt16BE(0) !== alpn.length - 2) return null;
  const names: string[] = [];
  for (let at = 2; at < alpn.length; at += 1 + alpn[at]!) {
    if (alpn[at] === 0 || at + 1 + alpn[at]! > alpn.length) return null;
    names.push(alpn.subarray(at + 1, at + 1 + alpn[at]!).toString('utf8'));
  }
  return names.length ? names : null;
}

// ---- recorded hellos -------------------------------------------------------------------------------------

interface Recorded {
  from: string;
  /** The name the client sent as SNI, or null (none). */
  name: string | null;
  /** Whether the client asked for a stapled OCSP response (status_request). */
  status?: boolean;
  /** The protocols the client offered (ALPN), if any. */
  alpn?: string[];
  /** The bytes up to the end of the ClientHello, as received. */
  bytes: Buffer;
}

/** A net.Server that keeps the first complete ClientHello of one connection, then drops the connection. */
async function capture(connect: (port: number) => void | Promise<void>): Promise<Buffer> {
  let received = Buffer.alloc(0);
  let done: (b: Buffer) => void = () => undefined;
  const result = new Promise<Buffer>((resolve) => (done = resolve));
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    sock.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (completeness(received) === 'decided') {
        done(received);
        sock.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const connecting = Promise.resolve(connect(port)).catch(() => undefined);
  const timeout = new Promise<Buffer>((_, reject) =>
    setTimeout(() => reject(new Error('no ClientHello within 10 s')), 10_000),
  );
  try {
    return await Promise.race([result, timeout]);
  } finally {
    server.close();
    await connecting;
  }
}

function nodeHello(
  name: string | null,
  maxVersion: tls.SecureVersion,
  requestOCSP = false,
  ALPNProtocols?: string[],
): Promise<Buffer> {
  return capture((port) => {
    const sock = tls.connect({
      port,
      host: '127.0.0.1',
      servername: name ?? undefined,
      maxVersion,
      ALPNProtocols,
      rejectUnauthorized: false,
      requestOCSP, // a TLSSocket option tls.connect passes on (not in @types/node's ConnectionOptions)
    } as tls.ConnectionOptions);
    sock.on('error', () => undefined);
  });
}

function nssHello(name: string | null, version: 'tls1.2' | 'tls1.3'): Promise<Buffer> {
  return capture(async (port) => {
    const sock = new SSLSocket();
    sock.on('error', () => undefined);
    if (name !== null) sock.setHostname(name);
    sock.setSSLVersionRange('tls1.2', version);
    await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
    await sock.forceHandshake({ timeout: 5000 }).catch(() => undefined);
    sock.destroy();
  });
}

function opensslHello(name: string, status = false, alpn?: string[]): Promise<Buffer> {
  return capture((port) => {
    const proc = spawn(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        '-servername',
        name,
        '-ign_eof',
        ...(status ? ['-status'] : []),
        ...(alpn ? ['-alpn', alpn.join(',')] : []),
      ],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    proc.on('error', () => undefined);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill(), 8000);
      proc.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      setTimeout(() => proc.kill(), 1500);
    });
  });
}

const hellos: Recorded[] = [];

beforeAll(async () => {
  init({ loadBuiltinRoots: false });
  const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.example`;
  hellos.push({
    from: 'node:tls 1.3',
    name: 'node.example',
    bytes: await nodeHello('node.example', 'TLSv1.3'),
  });
  hellos.push({
    from: 'node:tls 1.2',
    name: 'n12.example',
    bytes: await nodeHello('n12.example', 'TLSv1.2'),
  });
  hellos.push({ from: 'node:tls long name', name: long, bytes: await nodeHello(long, 'TLSv1.3') });
  // node:tls sends no SNI for an IP address.
  hellos.push({ from: 'node:tls no SNI', name: null, bytes: await nodeHello(null, 'TLSv1.3') });
  hellos.push({ from: 'node-nss 1.3', name: 'nss.example', bytes: await nssHello('nss.example', 'tls1.3') });
  hellos.push({
    from: 'node-nss 1.2',
    name: 'nss12.example',
    bytes: await nssHello('nss12.example', 'tls1.2'),
  });
  hellos.push({ from: 'node-nss no SNI', name: null, bytes: await nssHello(null, 'tls1.3') });
  hellos.push({
    from: 'openssl s_client',
    name: 'openssl.example',
    bytes: await opensslHello('openssl.example'),
  });
  hellos.push({
    from: 'node:tls requestOCSP',
    name: 'ocsp.example',
    status: true,
    bytes: await nodeHello('ocsp.example', 'TLSv1.3', true),
  });
  hellos.push({
    from: 'openssl s_client -status',
    name: 'status.example',
    status: true,
    bytes: await opensslHello('status.example', true),
  });
  hellos.push({
    from: 'node:tls ALPN',
    name: 'alpn.example',
    alpn: ['h2', 'http/1.1'],
    bytes: await nodeHello('alpn.example', 'TLSv1.3', false, ['h2', 'http/1.1']),
  });
  hellos.push({
    from: 'openssl s_client -alpn',
    name: 'alpn2.example',
    alpn: ['acme-tls/1', 'x'.repeat(255)],
    bytes: await opensslHello('alpn2.example', false, ['acme-tls/1', 'x'.repeat(255)]),
  });
}, 60_000);

afterAll(() => shutdown());

// ---- mutations -------------------------------------------------------------------------------------------

/** The handshake message of a recorded hello split into records of random sizes (1 byte and up). */
function fragment(hello: Buffer, rand: () => number, maxFragment: number): Buffer {
  const message = handshakeBytes(hello);
  const version = hello.subarray(1, 3);
  const out: Buffer[] = [];
  for (let pos = 0; pos < message.length;) {
    const size = Math.min(message.length - pos, 1 + Math.floor(rand() * maxFragment));
    const header = Buffer.from([22, version[0]!, version[1]!, size >> 8, size & 0xff]);
    out.push(header, message.subarray(pos, pos + size));
    pos += size;
  }
  return Buffer.concat(out);
}

/** Offsets of the length fields of a single-record ClientHello: [offset, width]. */
function lengthFields(hello: Buffer): Array<[number, 1 | 2 | 3]> {
  const fields: Array<[number, 1 | 2 | 3]> = [
    [3, 2],
    [6, 3],
  ];
  let pos = 5 + 4 + 34;
  fields.push([pos, 1]);
  pos += 1 + hello[pos]!;
  fields.push([pos, 2]);
  pos += 2 + hello.readUInt16BE(pos);
  fields.push([pos, 1]);
  pos += 1 + hello[pos]!;
  if (pos + 2 > hello.length) return fields;
  fields.push([pos, 2]);
  const end = pos + 2 + hello.readUInt16BE(pos);
  for (pos += 2; pos + 4 <= end && pos + 4 <= hello.length;) {
    fields.push([pos + 2, 2]);
    const type = hello.readUInt16BE(pos);
    const length = hello.readUInt16BE(pos + 2);
    if (type === 0 && pos + 9 <= hello.length) fields.push([pos + 4, 2], [pos + 7, 2]);
    pos += 4 + length;
  }
  return fields;
}

function flip(data: Buffer, at: number, mask: number): void {
  data[at] = (data[at] ?? 0) ^ mask;
}

function mutate(hello: Buffer, rand: () => number): Buffer {
  const pick = (n: number): number => Math.floor(rand() * n);
  const data = Buffer.from(hello);
  switch (pick(8)) {
    case 0: {
      for (let i = 1 + pick(4); i > 0; i--) flip(data, pick(data.length), 1 << pick(8));
      return data;
    }
    case 1: {
      for (let i = 1 + pick(8); i > 0; i--) data[pick(data.length)] = pick(256);
      return data;
    }
    case 2:
      return data.subarray(0, pick(data.length + 1));
    case 3: {
      const fields = lengthFields(hello);
      const [offset, width] = fields[pick(fields.length)]!;
      const max = 2 ** (8 * width) - 1;
      const old = data.readUIntBE(offset, width);
      const choices = [0, 1, max, old - 1, old + 1, pick(max + 1), old + pick(64)];
      data.writeUIntBE(Math.min(max, Math.max(0, choices[pick(choices.length)]!)), offset, width);
      return data;
    }
    case 4: {
      const at = pick(data.length + 1);
      const inserted = Buffer.from(Array.from({ length: 1 + pick(16) }, () => pick(256)));
      return pick(2)
        ? Buffer.concat([data.subarray(0, at), inserted, data.subarray(at)])
        : Buffer.concat([data.subarray(0, at), data.subarray(Math.min(data.length, at + 1 + pick(16)))]);
    }
    case 5:
      return fragment(mutate(hello, rand), rand, 1 + pick(300));
    case 6: {
      const random = Buffer.from(Array.from({ length: pick(600) }, () => pick(256)));
      // Half of them look like a handshake record, so that the reader gets past the first byte.
      if (pick(2) && random.length >= 5) random.set([22, 3, 1], 0);
      return random;
    }
    default: {
      const fragmented = fragment(hello, rand, 1 + pick(64));
      flip(fragmented, pick(fragmented.length), 1 << pick(8));
      return fragmented;
    }
  }
}

// ---- tests -----------------------------------------------------------------------------------------------

function check(data: Buffer): string | null | undefined {
  let answer: string | null | undefined;
  expect(() => (answer = clientHelloServerName(data))).not.toThrow();
  expect(answer === undefined || answer === null || typeof answer === 'string').toBe(true);
  const incomplete = completeness(data) === 'incomplete' && data.length <= LIMIT;
  if ((answer === undefined) !== incomplete) {
    throw new Error(
      `reader said ${String(answer)} for ${incomplete ? 'an incomplete' : 'a complete'} input: ${data.toString('hex')}`,
    );
  }
  // Whatever the input, a name returned is a whole host_name entry of it: type 0, its length, its bytes.
  if (typeof answer === 'string') {
    const entry = Buffer.concat([
      Buffer.from([0, answer.length >> 8, answer.length & 0xff]),
      Buffer.from(answer, 'latin1'),
    ]);
    if (!handshakeBytes(data).includes(entry)) {
      throw new Error(`reader said '${answer}', which is no host_name entry of ${data.toString('hex')}`);
    }
  }
  const strict = strictServerName(data);
  if (strict !== undefined && answer !== strict.name) {
    throw new Error(
      `reader said ${String(answer)}, a strict parse ${String(strict.name)}: ${data.toString('hex')}`,
    );
  }
  // The status_request reading answers with the name (undefined together) and agrees with the strict parse.
  const info = readClientHello(data);
  if ((info === undefined) !== (answer === undefined))
    throw new Error(`readClientHello disagrees: ${data.toString('hex')}`);
  // The same bytes in chunks of 1 to 7 bytes, as a socket receives them, give the same answer.
  const chunked = new ClientHelloReader();
  let chunkedInfo = chunked.push(Buffer.alloc(0));
  for (let pos = 0, k = 0; pos < data.length; k++) {
    const n = 1 + ((k * 5) % 7);
    chunkedInfo = chunked.push(data.subarray(pos, pos + n));
    pos += n;
  }
  if (JSON.stringify(chunkedInfo) !== JSON.stringify(info) || chunked.length !== data.length)
    throw new Error(`the reader fed in chunks disagrees: ${data.toString('hex')}`);
  const status = strictStatusRequest(data);
  if (info !== undefined && status !== undefined && info.statusRequest !== status) {
    throw new Error(
      `reader said statusRequest ${String(info.statusRequest)}, a strict parse ${String(status)}: ${data.toString('hex')}`,
    );
  }
  const alpn = strictALPN(data);
  if (
    info !== undefined &&
    alpn !== undefined &&
    JSON.stringify(info.alpnProtocols) !== JSON.stringify(alpn)
  ) {
    throw new Error(
      `reader said ALPN ${JSON.stringify(info.alpnProtocols)}, a strict parse ${JSON.stringify(alpn)}: ${data.toString('hex')}`,
    );
  }
  return answer;
}

describe('clientHelloServerName on recorded ClientHellos', () => {
  it('recorded several real clients', () => {
    expect(hellos.map((h) => h.from)).toHaveLength(12);
    for (const h of hellos) expect(h.bytes[0], h.from).toBe(22);
    // Those that asked for a staple say so, and only those; those that offered protocols list them.
    for (const h of hellos) {
      expect(readClientHello(h.bytes)?.statusRequest, h.from).toBe(h.status ?? false);
      expect(readClientHello(h.bytes)?.alpnProtocols, h.from).toEqual(h.alpn ?? null);
      expect(strictALPN(h.bytes), h.from).toEqual(h.alpn ?? null);
      // Every sender offers suites, signs with ECDSA P-256 or RSA-PSS, and offers TLS 1.3 unless held to 1.2.
      const info = readClientHello(h.bytes)!;
      expect(info.cipherSuites.length, h.from).toBeGreaterThan(3);
      expect(info.signatureSchemes, h.from).toEqual(expect.arrayContaining([0x0403, 0x0804]));
      if (/1\.2$/.test(h.from)) expect(info.versions?.includes(0x0304) ?? false, h.from).toBe(false);
      else expect(info.versions, h.from).toContain(0x0304);
    }
  });

  it('reads the name each sender used, from the hello as received and refragmented', () => {
    const rand = prng(1);
    for (const h of hellos) {
      expect(check(h.bytes), h.from).toBe(h.name);
      expect(strictServerName(h.bytes), h.from).toEqual({ name: h.name });
      for (const size of [1, 2, 3, 4, 5, 7, 16, 100, 255, 16384]) {
        expect(check(fragment(h.bytes, () => 1 - Number.EPSILON, size)), `${h.from} / ${size}`).toBe(h.name);
      }
      for (let i = 0; i < 50; i++) expect(check(fragment(h.bytes, rand, 1 + i * 7)), h.from).toBe(h.name);
    }
  });

  it('answers "more bytes needed" for every strict prefix, and the name at the full length', () => {
    for (const h of hellos) {
      // Every recorded hello is one record holding exactly the ClientHello.
      const full = 5 + h.bytes.readUInt16BE(3);
      expect(4 + h.bytes.readUIntBE(6, 3), h.from).toBe(full - 5);
      for (let n = 0; n < full; n++)
        expect(check(h.bytes.subarray(0, n)), `${h.from} / ${n}`).toBeUndefined();
      expect(check(h.bytes.subarray(0, full))).toBe(h.name);
      // And for a hello fragmented into 1-byte records.
      const ones = fragment(h.bytes, () => 0, 1);
      for (let n = 0; n < ones.length; n += 3) expect(check(ones.subarray(0, n))).toBeUndefined();
    }
  });

  it(`survives ${ITERATIONS} mutations and agrees with both oracles`, () => {
    const rand = prng(0x5eed);
    const seen = { string: 0, null: 0, undefined: 0, strict: 0, alpn: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const h = hellos[i % hellos.length]!;
      const data = mutate(h.bytes, rand);
      const answer = check(data);
      seen[answer === undefined ? 'undefined' : answer === null ? 'null' : 'string']++;
      if (strictServerName(data) !== undefined) seen.strict++;
      if (strictALPN(data)) seen.alpn++;
    }
    // Hellos with protocols the strict parse read, so that the ALPN comparison ran on mutated ones.
    expect(seen.alpn).toBeGreaterThan(ITERATIONS / 50);
    // The mutations reach every kind of answer, and the strict oracle decides a good share of them.
    expect(seen.string).toBeGreaterThan(ITERATIONS / 20);
    expect(seen.null).toBeGreaterThan(ITERATIONS / 20);
    expect(seen.undefined).toBeGreaterThan(ITERATIONS / 20);
    expect(seen.strict).toBeGreaterThan(ITERATIONS / 20);
  });

  it('regression: a server_name extension whose length runs past the message yields no name', () => {
    // Found by the mutation test (seed 0x5eed): a node:tls hello whose compression-methods length went from
    // 1 to 2, so that the extensions were read one byte off. The reader then returned 160 bytes from the
    // middle of the hello (from "ode.example" on), cut off at its end, as the host name.
    const hello = Buffer.from(
      '160301016d010001690303e93edb54978fa67cfae5e2f75e823a4deac7fae11a974832796696334ee7af1620bb40c9f09a8df95b5f559c00515533eecf1d9a1e83189481d70d50110f51f7cf0076130213031301c02fc02bc030c02c009ec0270067c028006b00a3009fcca9cca8ccaac0afc0adc0a3c09fc05dc061c057c05300a2c0aec0acc0a2c09ec05cc060c056c052c024006ac0230040c00ac01400390038c009c01300330032009dc0a1c09dc051009cc0a0c09cc050003d003c0035002f00ff020000aa00000011000f00000c6e6f64652e6578616d706c65000b000403000102000a00160014001d0017001e0019001801000101010201030104002300000016000000170000000d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602002b00050403040303002d00020101003300260024001d0020ae4631f7c1f1c4317ae693b6a4f268de2f5d1b612a6de14967869a261fd78979',
      'hex',
    );
    expect(check(hello)).toBeNull();
  });

  it('gives up (null) past its 64 KiB bound instead of waiting for more', () => {
    // A ClientHello declaring 70,000 bytes, and a stream of empty-looking records going on forever.
    const huge = Buffer.from([22, 3, 1, 0, 4, 1, 0x01, 0x11, 0x70]);
    expect(check(huge)).toBeNull();
    const records = Buffer.concat(Array.from({ length: 13_200 }, () => Buffer.from([22, 3, 1, 0, 0])));
    expect(check(records)).toBeNull();
  });
});

describe('a server holding a ClientHello for its SNI callback', () => {
  it('looks at each byte a few times, not once per chunk that came after it (a hello sent a byte at a time)', async () => {
    // node:tls's hello in one-byte records, delivered one byte per 'data' event: each chunk once made the
    // socket copy everything held so far and parse it again (quadratic: 2.4 MB copied for this 2.2 KB hello, measured).
    const hello = hellos.find((h) => h.from === 'node:tls 1.3')!;
    const ones = fragment(hello.bytes, () => 0, 1);
    const server = new SSLServer();
    const names: Array<string | null> = [];
    server.setSNICallback((name) => {
      names.push(name);
      return undefined;
    });
    const transport = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
    const sock = server.handleConnection(transport as never);
    sock.on('error', () => undefined);
    const concat = Buffer.concat;
    let copied = 0;
    Buffer.concat = ((list: readonly Uint8Array[], length?: number) => {
      const out = concat(list, length);
      copied += out.length;
      return out;
    }) as typeof Buffer.concat;
    try {
      for (const byte of ones) {
        transport.push(Buffer.from([byte]));
        await new Promise((resolve) => setImmediate(resolve));
        if (names.length) break;
      }
    } finally {
      Buffer.concat = concat;
      transport.destroy();
    }
    expect(names).toEqual([hello.name]);
    expect(copied).toBeLessThan(4 * ones.length);
  });
});
