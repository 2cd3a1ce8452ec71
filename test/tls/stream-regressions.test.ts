// Regressions of the engine's stream contract, each against node:tls as the peer (the reference for what a
// TLS socket in Node does): writes before the handshake, end() and 'close', destroy(), ragged EOFs,
// half-open, and the python-nss style error channel and re-entrant callbacks (in child processes, where a
// crash or a hang shows as an exit status).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createConnection, createServer, init, shutdown, SSLSocket, type SSLServer } from 'node-nss';
import { within } from '../support/tls.js';
import { nodeScript } from '../support/tools.js';

const fx = inject('fixtures').rsa;
type Version = 'TLSv1.2' | 'TLSv1.3';

function nodeServer(
  version: Version,
  onSecure: (sock: tls.TLSSocket) => void,
  extra: tls.TlsOptions = {},
): Promise<{ port: number; close: () => void }> {
  const server = tls.createServer(
    {
      key: fs.readFileSync(fx.keyPemPaths.test_server),
      cert: fs.readFileSync(fx.certs.test_server.pemPath),
      minVersion: version,
      maxVersion: version,
      ...extra,
    },
    (sock) => {
      sock.on('error', () => undefined);
      onSecure(sock);
    },
  );
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as net.AddressInfo).port, close: () => server.close() }),
    ),
  );
}

/** Collects `length` bytes from a readable. */
function collect(stream: NodeJS.ReadableStream, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    stream.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= length) resolve(Buffer.concat(chunks));
    });
    stream.on('error', reject);
    stream.on('end', () => (got >= length ? undefined : reject(new Error(`ended after ${got} bytes`))));
  });
}

/** A TCP relay between a client and `port` that counts the client's bytes and can cut the server side. */
function relay(port: number): Promise<{
  port: number;
  fromClient: () => number;
  finClient: () => void;
  close: () => void;
}> {
  let bytes = 0;
  let client: net.Socket | undefined;
  const server = net.createServer({ allowHalfOpen: true }, (c) => {
    client = c;
    const upstream = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    c.on('data', (d: Buffer) => {
      bytes += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => c.write(d));
    c.on('error', () => undefined);
    upstream.on('error', () => undefined);
    c.on('close', () => upstream.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        fromClient: () => bytes,
        // A FIN to the client with no close_notify before it: a truncating peer.
        finClient: () => client?.end(),
        close: () => server.close(),
      }),
    ),
  );
}

function events(sock: NodeJS.EventEmitter, names: string[]): string[] {
  const seen: string[] = [];
  for (const name of names) sock.on(name, () => seen.push(name));
  return seen;
}

function closed(sock: NodeJS.EventEmitter): Promise<boolean> {
  return new Promise((resolve) => sock.once('close', (hadError: boolean) => resolve(hadError)));
}

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

describe('writes before the handshake are queued and sent after it, in order', () => {
  it.each([
    ['TLSv1.2', 2],
    ['TLSv1.2', 10],
    ['TLSv1.2', 100],
    ['TLSv1.3', 2],
    ['TLSv1.3', 10],
    ['TLSv1.3', 100],
  ] as const)('%s, %d writes right after createConnection, to a node:tls echo server', async (version, n) => {
    const server = await nodeServer(version, (sock) => sock.pipe(sock));
    const sock = createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
    const chunks = Array.from({ length: n }, (_, i) => Buffer.from(`chunk ${i} of ${n};`));
    for (const chunk of chunks) sock.write(chunk);
    const expected = Buffer.concat(chunks);
    const echoed = await within(10_000, 'echo', collect(sock, expected.length));
    expect(echoed.equals(expected)).toBe(true);
    sock.destroy();
    server.close();
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    '%s, a node:tls client writing 10 times before its handshake, to a node-nss echo server',
    async (version) => {
      const server = createServer({ certNickname: 'test_server', minVersion: version, maxVersion: version });
      server.on('secureConnection', (s) => s.pipe(s));
      const { port } = await server.listen({ port: 0 });
      const sock = tls.connect({
        port,
        host: '127.0.0.1',
        ca: fs.readFileSync(fx.certs.test_ca.pemPath),
        servername: 'localhost',
      });
      const chunks = Array.from({ length: 10 }, (_, i) => Buffer.from(`n${i};`));
      for (const chunk of chunks) sock.write(chunk);
      const expected = Buffer.concat(chunks);
      expect((await within(10_000, 'echo', collect(sock, expected.length))).equals(expected)).toBe(true);
      sock.destroy();
      await server.close();
    },
  );
});

describe('event order', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    "%s: 'secureConnect' comes before the data a server writes at once, and before its end",
    async (version) => {
      const server = await nodeServer(version, (sock) => sock.end('first words'));
      const sock = createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
      const seen = events(sock, ['secureConnect', 'data', 'end', 'close']);
      await within(5000, "'close'", closed(sock));
      expect(seen).toEqual(['secureConnect', 'data', 'end', 'close']);
      server.close();
    },
  );
});

describe('a transport the application hands in', () => {
  it('a net.Socket without allowHalfOpen that ends itself on the peer’s FIN: a clean close, no error', async () => {
    const server = await nodeServer('TLSv1.2', (sock) => sock.end('bye'));
    const tcp = net.connect({ port: server.port, host: '127.0.0.1' });
    await new Promise((r) => tcp.once('connect', r));
    const sock = SSLSocket.importTCPSocket(tcp);
    sock.setHostname('localhost');
    const errors: Error[] = [];
    sock.on('error', (e) => errors.push(e));
    sock.resume();
    const hadError = await within(5000, "'close'", closed(sock));
    expect(errors).toEqual([]);
    expect(hadError).toBe(false);
    server.close();
  });
});

describe('async iteration', () => {
  it('for await over the socket ends when the peer ends, without an error', async () => {
    const server = await nodeServer('TLSv1.2', (sock) => sock.end('all of it'));
    const sock = createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
    let text = '';
    await within(
      5000,
      'the iteration',
      (async () => {
        for await (const chunk of sock) text += (chunk as Buffer).toString();
      })(),
    );
    expect(text).toBe('all of it');
    server.close();
  });
});

describe('end() completes: finish, end and close on both sides', () => {
  it('the node-nss client ends first; the node:tls server answers and ends', async () => {
    const server = await nodeServer('TLSv1.3', (sock) => {
      const got: Buffer[] = [];
      sock.on('data', (d: Buffer) => got.push(d));
      sock.on('end', () => sock.end(`you said ${Buffer.concat(got).toString()}`));
    });
    const sock = createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
    const seen = events(sock, ['finish', 'end', 'close']);
    let reply = '';
    sock.on('data', (d: Buffer) => (reply += d.toString()));
    sock.end('hello');
    const hadError = await within(5000, "the client's 'close'", closed(sock));
    expect(hadError).toBe(false);
    expect(reply).toBe('you said hello');
    expect(seen).toEqual(['finish', 'end', 'close']);
    server.close();
  });

  it('end() with nothing written, before the TCP connection is up: the handshake runs, then both sides end', async () => {
    // Found by node's own test-tls-zero-clear-in run against node-nss/tls: the client finished at once and
    // then never handshook or closed. node:tls is the reference: the same client against the same server.
    const outcomes: Record<string, string[]> = {};
    for (const client of ['node:tls', 'node-nss'] as const) {
      let serverEnded: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => (serverEnded = resolve));
      const server = await nodeServer('TLSv1.3', (sock) => {
        sock.resume();
        sock.on('end', () => {
          serverEnded();
          sock.end();
        });
      });
      const sock =
        client === 'node:tls'
          ? tls.connect({
              host: '127.0.0.1',
              port: server.port,
              servername: 'localhost',
              rejectUnauthorized: false,
            })
          : createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
      const seen = events(sock, ['secureConnect', 'finish', 'end', 'close']);
      sock.resume();
      sock.end();
      const hadError = await within(5000, `the ${client} client's 'close'`, closed(sock));
      expect(hadError, client).toBe(false);
      // node-nss's close_notify and FIN reach the server as its 'end' (node:tls's client, measured, is not
      // always seen to end by the server before it closes, so this is asserted for node-nss only).
      if (client === 'node-nss') await within(5000, "the server's 'end'", ended);
      // 'finish' comes before or after 'secureConnect' as the stream machinery schedules it.
      outcomes[client] = seen.filter((e) => e !== 'finish');
      expect(seen, client).toContain('finish');
      server.close();
    }
    expect(outcomes['node-nss']).toEqual(outcomes['node:tls']);
    expect(outcomes['node:tls']).toEqual(['secureConnect', 'end', 'close']);
  });

  it('the node:tls client ends first; the node-nss server socket ends and closes', async () => {
    const server = createServer({ certNickname: 'test_server' });
    const serverSide = new Promise<{ seen: string[]; hadError: boolean }>((resolve) => {
      server.on('secureConnection', (s) => {
        const seen = events(s, ['finish', 'end', 'close']);
        s.on('data', () => undefined);
        s.on('end', () => s.end('bye'));
        s.once('close', (hadError: boolean) => resolve({ seen, hadError }));
      });
    });
    const { port } = await server.listen({ port: 0 });
    const client = tls.connect({
      port,
      host: '127.0.0.1',
      ca: fs.readFileSync(fx.certs.test_ca.pemPath),
      servername: 'localhost',
    });
    let reply = '';
    client.on('data', (d: Buffer) => (reply += d.toString()));
    client.on('secureConnect', () => client.end());
    const clientClosed = closed(client);
    const result = await within(5000, "the server socket's 'close'", serverSide);
    expect(result.seen).toEqual(['end', 'finish', 'close']);
    expect(result.hadError).toBe(false);
    await within(5000, "the node:tls client's 'close'", clientClosed);
    expect(reply).toBe('bye');
    await server.close();
  });
});

describe('destroy() releases the transport at once and sends nothing', () => {
  it('no close_notify (no byte at all) reaches the peer after destroy()', async () => {
    const server = await nodeServer('TLSv1.2', (sock) => sock.pipe(sock));
    const hop = await relay(server.port);
    const sock = createConnection({ host: '127.0.0.1', port: hop.port, servername: 'localhost' });
    sock.write('ping');
    await within(5000, 'echo', collect(sock, 4));
    await new Promise((r) => setTimeout(r, 50));
    const before = hop.fromClient();
    const hadError = closed(sock);
    sock.destroy();
    expect(await within(2000, "'close'", hadError)).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(hop.fromClient() - before).toBe(0);
    hop.close();
    server.close();
  });

  it('a peer that does not read: the TCP connection is closed within half a second', async () => {
    const server = await nodeServer('TLSv1.3', (sock) => sock.pause());
    const tcp = net.connect({ port: server.port, host: '127.0.0.1' });
    const sock = createConnection({ socket: tcp, servername: 'localhost' });
    await within(5000, 'secureConnect', new Promise((r) => sock.once('secureConnect', r)));
    const big = Buffer.alloc(4 * 1024 * 1024, 1);
    sock.write(big);
    await new Promise((r) => setTimeout(r, 100));
    const tcpClosed = new Promise<void>((r) => tcp.once('close', () => r()));
    sock.destroy();
    await within(500, 'the TCP close after destroy()', tcpClosed);
    server.close();
  });

  it("'close' says whether the socket was destroyed with an error", async () => {
    const server = await nodeServer('TLSv1.3', (sock) => sock.pipe(sock));
    const a = createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
    await within(5000, 'secureConnect', new Promise((r) => a.once('secureConnect', r)));
    const aClosed = closed(a);
    a.destroy();
    expect(await aClosed).toBe(false);
    const b = createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
    await within(5000, 'secureConnect', new Promise((r) => b.once('secureConnect', r)));
    const errors: Error[] = [];
    b.on('error', (e) => errors.push(e));
    const bClosed = closed(b);
    b.destroy(new Error('given up'));
    expect(await bClosed).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['given up']);
    server.close();
  });
});

describe("a peer's FIN without close_notify", () => {
  it("is an 'end' (ragged EOF suppressed, as node:tls and Python do), flagged as not clean", async () => {
    const server = await nodeServer('TLSv1.3', (sock) => sock.write('hi'));
    const hop = await relay(server.port);
    const sock = createConnection({ host: '127.0.0.1', port: hop.port, servername: 'localhost' });
    const errors: Error[] = [];
    sock.on('error', (e) => errors.push(e));
    await within(5000, 'data', collect(sock, 2));
    const ended = new Promise((r) => sock.once('end', r));
    hop.finClient();
    await within(5000, "'end'", ended);
    expect(errors).toEqual([]);
    expect(sock.closeNotifyReceived).toBe(false);
    sock.destroy();
    hop.close();
    server.close();
  });

  it('is an error with suppressRaggedEOFs: false', async () => {
    const server = await nodeServer('TLSv1.3', (sock) => sock.write('hi'));
    const hop = await relay(server.port);
    const sock = createConnection({
      host: '127.0.0.1',
      port: hop.port,
      servername: 'localhost',
      suppressRaggedEOFs: false,
    });
    const failed = new Promise<Error>((r) => sock.once('error', r));
    await within(5000, 'data', collect(sock, 2));
    hop.finClient();
    const err = (await within(5000, "'error'", failed)) as Error & { code?: string };
    expect(err.code).toBe('PR_END_OF_FILE_ERROR');
    hop.close();
    server.close();
  });

  // TLS 1.2: a node:tls (OpenSSL 3.0) server's end() right after a TLS 1.3 handshake sends FIN without
  // close_notify (measured with openssl s_client -msg: no close_notify arrives), so 1.3 would test nothing.
  it('a clean close sets closeNotifyReceived', async () => {
    const server = await nodeServer('TLSv1.2', (sock) => sock.end('bye'));
    const sock = createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
    sock.resume();
    await within(5000, "'close'", closed(sock));
    expect(sock.closeNotifyReceived).toBe(true);
    server.close();
  });
});

describe('half-open', () => {
  it("allowHalfOpen: false (the default): the peer's end ends this side too", async () => {
    const serverGotEnd = new Promise<void>((resolve, reject) => {
      void nodeServer(
        'TLSv1.3',
        (sock) => {
          sock.resume();
          sock.on('end', () => resolve());
          sock.end();
        },
        { allowHalfOpen: true },
      ).then(({ port, close }) => {
        const sock = createConnection({ host: '127.0.0.1', port, servername: 'localhost' });
        sock.resume();
        sock.on('error', reject);
        sock.on('close', () => close());
      });
    });
    await within(5000, "the server's 'end'", serverGotEnd);
  });

  it('allowHalfOpen: true: this side keeps writing after the peer ended', async () => {
    let server: { port: number; close: () => void } | undefined;
    const got = new Promise<string>((resolve) => {
      void nodeServer(
        'TLSv1.3',
        (sock) => {
          let text = '';
          sock.on('data', (d: Buffer) => (text += d.toString()));
          sock.on('end', () => resolve(text));
          sock.end();
        },
        { allowHalfOpen: true },
      ).then((s) => {
        server = s;
        const sock = createConnection({
          host: '127.0.0.1',
          port: s.port,
          servername: 'localhost',
          allowHalfOpen: true,
        });
        sock.resume();
        sock.on('end', () => {
          sock.write('after your end');
          sock.end();
        });
      });
    });
    expect(await within(5000, 'the late write', got)).toBe('after your end');
    server?.close();
  });
});

describe('write after end', () => {
  it("is ERR_STREAM_WRITE_AFTER_END, emitted before 'finish' as node:tls does", async () => {
    const server = await nodeServer('TLSv1.3', (sock) => sock.resume());
    const sock = createConnection({ host: '127.0.0.1', port: server.port, servername: 'localhost' });
    await within(5000, 'secureConnect', new Promise((r) => sock.once('secureConnect', r)));
    const seen: string[] = [];
    sock.on('error', (e: Error & { code?: string }) => seen.push(`error ${e.code}`));
    sock.on('finish', () => seen.push('finish'));
    sock.end();
    sock.write('late');
    await within(5000, "'close'", closed(sock));
    expect(seen[0]).toBe('error ERR_STREAM_WRITE_AFTER_END');
    server.close();
  });
});

/** Runs `body` in a child process with NSS open on the fixture DB and a node-nss server on `port`. */
function child(
  body: string,
  ms = 20_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const script = `
    const nss = require('node-nss');
    const fs = require('node:fs');
    const out = (s) => process.stdout.write(s + '\\n');
    nss.init({ dbDir: ${JSON.stringify(fx.db)}, password: ${JSON.stringify(fx.password)}, loadBuiltinRoots: false });
    const db = nss.getDefaultCertDB();
    (async () => { ${body} })().then(
      () => out('done'),
      (e) => { out('rejected ' + (e && (e.code || e.message))); process.exitCode = 3; },
    );
  `;
  return nodeScript(script, { args: ['--expose-gc'], ms });
}

const SERVER = `
  const server = nss.createServer({ certNickname: 'test_server' });
  server.on('secureConnection', (s) => { s.on('error', () => {}); s.pipe(s); });
  const { port } = await server.listen({ port: 0 });
`;

describe('python-nss style: the pending promise is the error channel', () => {
  it('connect() + forceHandshake() against a certificate that does not verify rejects, with no unhandled error', async () => {
    const r = await child(`${SERVER}
      const s = new nss.SSLSocket();
      s.setHostname('wrong.example');
      try {
        await s.connect({ host: '127.0.0.1', port });
        await s.forceHandshake();
        out('connected');
      } catch (e) {
        out('caught ' + e.code);
      }
      await new Promise((r) => setTimeout(r, 200));
      await server.close();
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('caught SSL_ERROR_BAD_CERT_DOMAIN\ndone\n');
    expect(r.status).toBe(0);
  });

  it('end() then shutdown() does not kill the process', async () => {
    const r = await child(`${SERVER}
      const s = new nss.SSLSocket();
      s.setHostname('localhost');
      await s.connect({ host: '127.0.0.1', port });
      await s.forceHandshake();
      s.end();
      await server.close();
      nss.shutdown();
      await new Promise((r) => setTimeout(r, 200));
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('done\n');
    expect(r.status).toBe(0);
  });
});

describe('calls into the socket from inside synchronous NSS hooks are deferred, not deadlocked', () => {
  it.each([
    ['destroy()', 'sock.destroy()'],
    ['end()', "sock.end('x')"],
    ['write()', "sock.write('x')"],
  ])('%s inside the server auth-certificate callback', async (_name, call) => {
    const r = await child(`
      const server = new nss.SSLServer();
      const cert = db.findCertFromNickname('test_server');
      server.configSecureServer(cert, db.findKeyByAnyCert(cert));
      server.setSSLOption(nss.SSL_REQUEST_CERTIFICATE, true);
      server.setAuthCertificateCallback((sock) => { ${call}; return true; });
      server.on('connection', (s) => s.on('error', () => {}));
      const { port } = await server.listen({ port: 0 });
      const c = nss.createConnection({ host: '127.0.0.1', port, servername: 'localhost', clientCertNickname: 'test_user' });
      c.on('error', () => {});
      c.resume();
      await new Promise((r) => { c.on('close', r); setTimeout(() => { c.destroy(); r(); }, 3000); });
      await server.close();
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('done\n');
  });

  it('destroy() inside a synchronous SNI callback', async () => {
    const r = await child(`
      const server = new nss.SSLServer();
      const cert = db.findCertFromNickname('test_server');
      server.configSecureServer(cert, db.findKeyByAnyCert(cert));
      let sock;
      server.on('connection', (s) => { sock = s; s.on('error', () => {}); });
      server.setSNICallback(() => { sock.destroy(); return undefined; });
      const { port } = await server.listen({ port: 0 });
      const c = nss.createConnection({ host: '127.0.0.1', port, servername: 'localhost' });
      c.on('error', () => {});
      await new Promise((r) => c.on('close', r));
      await server.close();
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('done\n');
  });
});

describe('model sockets', () => {
  it("a socket made from a model that watched sessions keeps its own session events; the model's collection does not crash it", async () => {
    const r = await child(`
      const server = new nss.SSLServer();
      const cert = db.findCertFromNickname('test_server');
      server.configSecureServer(cert, db.findKeyByAnyCert(cert));
      server.on('secureConnection', (s) => { s.on('error', () => {}); s.end('x'); });
      const { port } = await server.listen({ port: 0 });
      let model = new nss.SSLSocket();
      model.on('session', () => out('model session'));
      const sock = new nss.SSLSocket({ model });
      model = null;
      for (let i = 0; i < 5; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
      sock.setHostname('localhost');
      let sessions = 0;
      sock.on('session', () => sessions++);
      sock.on('error', () => {});
      await sock.connect({ host: '127.0.0.1', port });
      await sock.forceHandshake();
      sock.resume();
      await new Promise((r) => sock.on('close', r));
      for (let i = 0; i < 5; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
      out('sessions ' + (sessions > 0));
      await server.close();
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('sessions true\ndone\n');
  });
});

describe('server-side client certificates', () => {
  let server: SSLServer | undefined;
  afterAll(async () => server?.close());

  it('a server with only a bad-cert callback accepts a valid client certificate without calling it', async () => {
    server = createServer({ certNickname: 'test_server', requireCert: true });
    let badCertCalls = 0;
    server.setBadCertCallback(() => {
      badCertCalls++;
      return false;
    });
    const secured = new Promise<SSLSocket>((r) => server?.on('secureConnection', r));
    server.on('connection', (s: SSLSocket) => s.on('error', () => undefined));
    const { port } = await server.listen({ port: 0 });
    const client = createConnection({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      clientCertNickname: 'test_user',
    });
    client.on('error', () => undefined);
    const s = await within(5000, 'secureConnection', secured);
    expect(s.authorized).toBe(true);
    expect(badCertCalls).toBe(0);
    client.destroy();
    await server.close();
    server = undefined;
  });

  it('requestCert only asks: a client without a certificate connects, unauthorized', async () => {
    server = createServer({ certNickname: 'test_server', requestCert: true });
    const secured = new Promise<SSLSocket>((r) => server?.on('secureConnection', r));
    const { port } = await server.listen({ port: 0 });
    const client = createConnection({ host: '127.0.0.1', port, servername: 'localhost' });
    client.on('error', () => undefined);
    const s = await within(5000, 'secureConnection', secured);
    expect(s.authorized).toBe(false);
    expect(s.authorizationError).toBe('SSL_ERROR_NO_CERTIFICATE');
    client.destroy();
    await server.close();
    server = undefined;
  });

  it('requireCert with a client that sent none: the error says so', async () => {
    server = createServer({ certNickname: 'test_server', requireCert: true });
    const failed = new Promise<Error>((r) => server?.on('tlsClientError', r));
    const { port } = await server.listen({ port: 0 });
    const client = createConnection({ host: '127.0.0.1', port, servername: 'localhost' });
    client.on('error', () => undefined);
    const err = (await within(5000, 'tlsClientError', failed)) as Error & { code?: string };
    expect(err.code).toBe('SSL_ERROR_NO_CERTIFICATE');
    expect(err.message).toMatch(/client sent no certificate/);
    client.destroy();
    await server.close();
    server = undefined;
  });
});
