// TLS test helpers: node-nss servers and clients over the fixture database, and byte-exact exchanges.
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import {
  getDefaultCertDB,
  SSLServer,
  SSLSocket,
  SSL_REQUEST_CERTIFICATE,
  SSL_REQUIRE_CERTIFICATE,
  SSL_REQUIRE_ALWAYS,
} from 'node-nss';

export type Version = 'tls1.2' | 'tls1.3';

/** Rejects after `ms` so that no test waits forever. */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits while `waiting()` holds, looking every 10 ms; rejects after `ms`, as {@link within}, and stops looking. */
export function waitWhile(ms: number, what: string, waiting: () => boolean): Promise<void> {
  let stopped = false;
  const looking = (async () => {
    while (!stopped && waiting()) await new Promise((r) => setTimeout(r, 10));
  })();
  return within(ms, what, looking).finally(() => {
    stopped = true;
  });
}

/** Reads from `stream` until `length` bytes arrived; resolves with them. */
export function readBytes(stream: Duplex | NodeJS.ReadableStream, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const cleanup = () => {
      stream.removeListener('data', onData);
      stream.removeListener('error', onError);
      stream.removeListener('end', onEnd);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= length) {
        cleanup();
        resolve(Buffer.concat(chunks));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`stream ended after ${got} of ${length} bytes`));
    };
    stream.on('data', onData);
    stream.on('error', onError);
    stream.on('end', onEnd);
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random payload. */
export function payload(length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = 0x12345678 ^ length;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Printable lines of exactly `length` bytes. */
export function textPayload(length: number): Buffer {
  const text = payload(length).toString('base64').slice(0, length).split('');
  for (let i = 63; i < text.length; i += 64) text[i] = '\n';
  return Buffer.from(text.join(''));
}

/** A node-nss server serving `nickname` from the database, echoing what it receives. */
export async function nssEchoServer(
  opts: {
    nickname?: string;
    version?: Version;
    requireClientCert?: boolean;
    echo?: (data: Buffer) => Buffer;
  } = {},
): Promise<{ server: SSLServer; port: number; sockets: SSLSocket[] }> {
  const db = getDefaultCertDB();
  const server = new SSLServer();
  const cert = db.findCertFromNickname(opts.nickname ?? 'test_server');
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  if (opts.version) server.setSSLVersionRange(opts.version, opts.version);
  if (opts.requireClientCert) {
    server.setSSLOption(SSL_REQUEST_CERTIFICATE, true);
    server.setSSLOption(SSL_REQUIRE_CERTIFICATE, SSL_REQUIRE_ALWAYS);
  }
  const sockets: SSLSocket[] = [];
  server.on('connection', (sock: SSLSocket) => {
    sockets.push(sock);
    sock.on('error', () => undefined);
    sock.on('data', (data: Buffer) => sock.write(opts.echo ? opts.echo(data) : data));
    sock.on('end', () => sock.end());
  });
  const { port } = await server.listen({ port: 0 });
  return { server, port, sockets };
}

/** A node-nss client connected and handshaken to localhost:port. */
export async function nssClient(
  port: number,
  opts: { version?: Version; clientCert?: string; hostname?: string; peerID?: string } = {},
): Promise<SSLSocket> {
  const sock = new SSLSocket();
  // Tests look at failures through forceHandshake() and their own listeners; a peer that goes away
  // after the test must not turn into an unhandled 'error'.
  sock.on('error', () => undefined);
  sock.setHostname(opts.hostname ?? 'localhost');
  if (opts.version) sock.setSSLVersionRange(opts.version, opts.version);
  if (opts.peerID) sock.setSockPeerID(opts.peerID);
  if (opts.clientCert) {
    const db = getDefaultCertDB();
    const cert = db.findCertFromNickname(opts.clientCert);
    const key = db.findKeyByAnyCert(cert);
    sock.setClientAuthDataCallback(() => [cert, key]);
  }
  await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
  await sock.forceHandshake({ timeout: 10_000 });
  return sock;
}

/** A free TCP port on loopback (for tools that need one on the command line). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts TCP connections on the port. */
export async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
