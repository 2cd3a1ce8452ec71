// The Node-style helpers: connect/createConnection (tls.connect's options), an https.Agent that https, ws
// and undici use, createServer.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  Agent,
  connect,
  createConnection,
  createServer,
  init,
  NSPRError,
  shutdown,
  SSLSocket,
} from 'node-nss';
import { readBytes, within, waitWhile } from './support/tls.js';

const fx = inject('fixtures').ec;
const pem = (file: string) => fs.readFileSync(file);

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

/** A node:tls-backed https server answering every request with its path. */
async function httpsServer(
  opts: https.ServerOptions = {},
): Promise<{ port: number; server: https.Server; close: () => Promise<void> }> {
  const server = https.createServer(
    { cert: pem(fx.certs.test_server.pemPath), key: pem(fx.keyPemPaths.test_server), ...opts },
    (req, res) => res.end(`you asked for ${req.url ?? ''}`),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    server,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('connect()', () => {
  it('verifies the server like tls.connect and negotiates ALPN', async () => {
    const { port, close } = await httpsServer({ ALPNProtocols: ['http/1.1'] });
    try {
      const sock = await connect({
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        ALPNProtocols: ['h2', 'http/1.1'],
        minVersion: 'TLSv1.3',
        timeout: 5000,
      });
      expect(sock.authorized).toBe(true);
      expect(sock.alpnProtocol).toBe('http/1.1');
      expect(sock.getProtocol()).toBe('TLSv1.3');
      sock.destroy();
    } finally {
      await close();
    }
  });

  it('rejects a wrong host name by default; rejectUnauthorized: false records it instead', async () => {
    const { port, close } = await httpsServer();
    try {
      const refused = connect({ host: '127.0.0.1', port, servername: 'wrong.example.com', timeout: 5000 });
      await expect(refused).rejects.toMatchObject({ code: 'SSL_ERROR_BAD_CERT_DOMAIN' });
      const sock = await connect({
        host: '127.0.0.1',
        port,
        servername: 'wrong.example.com',
        rejectUnauthorized: false,
        timeout: 5000,
      });
      expect(sock.authorized).toBe(false);
      expect(sock.authorizationError).toBe('SSL_ERROR_BAD_CERT_DOMAIN');
      sock.destroy();
    } finally {
      await close();
    }
  });

  it('answers a server that asks for a certificate with clientCertNickname', async () => {
    const { port, server, close } = await httpsServer({
      requestCert: true,
      rejectUnauthorized: true,
      ca: pem(fx.certs.test_ca.pemPath),
    });
    let peer = '';
    server.removeAllListeners('request');
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      peer = String((req.socket as tls.TLSSocket).getPeerCertificate().subject.CN);
      res.end('ok');
    });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port,
              servername: 'localhost',
              agent: new Agent({ nss: { clientCertNickname: 'test_user' } }),
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString()));
              res.on('end', () => resolve(text));
            },
          )
          .on('error', reject);
      });
      expect(body).toBe('ok');
      expect(peer).toBe('test_user');
    } finally {
      await close();
    }
  });

  it('takes over a socket the caller paused after reading from it (a STARTTLS client does), as tls.connect does', async () => {
    // A server that greets in plain text, then speaks TLS (node:tls) on the same connection.
    const context = tls.createSecureContext({
      cert: pem(fx.certs.test_server.pemPath),
      key: pem(fx.keyPemPaths.test_server),
    });
    const server = net.createServer((plain) => {
      plain.write('220 ready for TLS\r\n');
      const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
      secure.on('data', (d: Buffer) => secure.end(`you said ${d.toString()}`));
      secure.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      for (const client of ['node:tls', 'node-nss'] as const) {
        const plain = net.connect({ host: '127.0.0.1', port });
        await new Promise<void>((resolve) =>
          plain.once('data', () => {
            plain.pause(); // the greeting was read; TLS starts now
            resolve();
          }),
        );
        const options = { socket: plain, servername: 'localhost', ca: pem(fx.certs.test_ca.pemPath) };
        const sock = client === 'node:tls' ? tls.connect(options) : createConnection(options);
        // Nothing reads the TLS socket before its handshake: the handshake alone must drive the transport.
        await within(
          5000,
          `${client} handshake over a paused socket`,
          new Promise((r) => sock.once('secureConnect', r)),
        );
        const chunks: Buffer[] = [];
        sock.on('data', (chunk: Buffer) => chunks.push(chunk));
        sock.write('hello');
        await within(5000, `${client} answer`, new Promise((r) => sock.once('end', r)));
        expect(Buffer.concat(chunks).toString(), client).toBe('you said hello');
        sock.destroy();
      }
    } finally {
      server.close();
    }
  });

  it('bad arguments are TypeErrors and RangeErrors naming them; a refused TCP connection is an error', async () => {
    expect(() => createConnection(null as never)).toThrow(TypeError);
    expect(() => createConnection({ host: 'localhost', port: 65536 })).toThrow(/opts\.port/);
    expect(() => createConnection({ host: 'localhost', port: -1 })).toThrow(RangeError);
    // Port 0 as net.connect takes it: no argument error, the connection fails.
    const zero = createConnection({ host: '127.0.0.1', port: 0 });
    await expect(
      within(5000, 'port 0', new Promise((_resolve, reject) => zero.once('error', reject))),
    ).rejects.toThrow();
    expect(() => createConnection({ host: 'localhost', port: 1, minVersion: 'TLSv1' as never })).toThrow(
      RangeError,
    );
    expect(() => createConnection({ host: 5 as never, port: 1 })).toThrow(/opts\.host/);
    const closed = await new Promise<http.Server>((resolve) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => resolve(s));
    });
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(connect({ host: '127.0.0.1', port, timeout: 5000 })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("'session' events", () => {
  /** One connection: echo round trip, close; the sessions it emitted and whether it resumed. */
  async function once(port: number, opts: { session?: Buffer; servername?: string } = {}) {
    const sessions: Buffer[] = [];
    const sock = createConnection({ host: '127.0.0.1', port, servername: 'localhost', ...opts });
    sock.on('session', (session: Buffer) => sessions.push(session));
    await within(
      5000,
      'handshake',
      new Promise((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject)),
    );
    const back = readBytes(sock, 4);
    sock.write('ping');
    await within(5000, 'echo', back); // TLS 1.3 tickets arrive after the handshake
    const resumed = sock.getSSLChannelInfo().resumed;
    await within(
      5000,
      'close',
      new Promise((resolve) => {
        sock.once('close', resolve);
        sock.resume();
        sock.end();
      }),
    );
    return { sessions, resumed };
  }

  /** An echo server of `kind` on loopback: node-nss (TLS 1.3 tickets only) or node:tls (tickets in both). */
  async function echoServer(kind: 'node-nss' | 'node:tls', maxVersion: 'TLSv1.2' | 'TLSv1.3') {
    if (kind === 'node-nss') {
      const server = createServer({ certNickname: 'test_server', maxVersion }, (sock) => sock.pipe(sock));
      server.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
      const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
      return { port, close: () => server.close() };
    }
    const server = tls.createServer(
      { cert: pem(fx.certs.test_server.pemPath), key: pem(fx.keyPemPaths.test_server), maxVersion },
      (s) => s.pipe(s),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }

  // NSS exports ticket sessions only, and node-nss servers send TLS 1.2 clients none (server-sessions.ts):
  // TLS 1.2 is tried against node:tls.
  it.each([
    ['TLSv1.2', 'node:tls'],
    ['TLSv1.3', 'node-nss'],
    ['TLSv1.3', 'node:tls'],
  ] as const)('%s: a session from one connection resumes the next (%s server)', async (version, kind) => {
    const { port, close } = await echoServer(kind, version);
    try {
      const first = await once(port);
      expect(first.resumed).toBe(false);
      expect(first.sessions.length).toBeGreaterThan(0);
      const session = first.sessions.at(-1) as Buffer;
      expect((await once(port, { session })).resumed).toBe(true);
      expect((await once(port)).resumed).toBe(false); // sessions watched by the application stay out of NSS's cache
      // Another name: not resumed, a full handshake (the certificate is checked against the name).
      await expect(once(port, { session, servername: 'wrong.example.com' })).rejects.toMatchObject({
        code: 'SSL_ERROR_BAD_CERT_DOMAIN',
      });
    } finally {
      await close();
    }
  });

  it('a node-nss TLS 1.2 server hands out no session to export; its session resumes from NSS’s cache', async () => {
    const { port, close } = await echoServer('node-nss', 'TLSv1.2');
    try {
      const watched = await once(port);
      expect(watched.sessions).toEqual([]);
      // The watched connection's session, having no ticket, went to NSS's cache (NSS dropped it before):
      // the next connection of the same policy resumes it there, with or without a 'session' listener.
      const resumedFromCache = async () => {
        const sock = await connect({ host: '127.0.0.1', port, servername: 'localhost', timeout: 5000 });
        const resumed = sock.getSSLChannelInfo().resumed;
        sock.destroy();
        return resumed;
      };
      expect(await resumedFromCache()).toBe(true);
      expect((await once(port)).resumed).toBe(true);
    } finally {
      await close();
    }
  });

  it('setSession refuses what is not a session', () => {
    const sock = new SSLSocket();
    expect(() => sock.setSession('x' as never)).toThrow(/"session"/);
    let caught: unknown;
    try {
      sock.setSession(Buffer.from('not a session'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NSPRError);
    expect((caught as NSPRError).code).toBe('SSL_ERROR_BAD_RESUMPTION_TOKEN_ERROR');
    sock.destroy();
  });
});

describe('over Node HTTP clients', () => {
  it('https.request with the Agent, two requests on one kept-alive connection', async () => {
    const { port, server, close } = await httpsServer();
    let connections = 0;
    server.on('secureConnection', () => connections++);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        https
          .get({ host: 'localhost', port, path, agent }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
    try {
      expect(await within(5000, 'first request', get('/one'))).toBe('you asked for /one');
      expect(await within(5000, 'second request', get('/two'))).toBe('you asked for /two');
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
      await close();
    }
  });

  it("a request's timeout reaches the connection the Agent is still opening", async () => {
    const { port, server, close } = await httpsServer();
    server.removeAllListeners('request');
    server.on('request', () => undefined); // never answers
    const agent = new Agent();
    try {
      const timedOut = await within(
        5000,
        'request timeout',
        new Promise<boolean>((resolve, reject) => {
          const req = https.get({ host: 'localhost', port, agent, timeout: 300 }, () =>
            reject(new Error('answered')),
          );
          req.on('timeout', () => {
            req.destroy();
            resolve(true);
          });
          req.on('error', () => undefined);
        }),
      );
      expect(timedOut).toBe(true);
    } finally {
      agent.destroy();
      await close();
    }
  });

  it("a request's timeout set on a reused keep-alive connection fires, as with node's https.Agent", async () => {
    // Found by node's own TLS tests against node-nss/tls: `connecting` was an internal method (always truthy),
    // so node's http waited for a 'connect' that had long passed and the timeout never fired.
    const { port, server, close } = await httpsServer();
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      if (req.url === '/first') res.end('first');
      // the second is never answered
    });
    const outcomes: Record<string, string> = {};
    try {
      for (const [name, agent] of [
        ['node:https', new https.Agent({ keepAlive: true, ca: pem(fx.certs.test_ca.pemPath) })],
        ['node-nss', new Agent({ keepAlive: true })],
      ] as const) {
        const get = (path: string) => https.get({ host: 'localhost', port, path, agent });
        await new Promise<void>((resolve, reject) => {
          get('/first')
            .on('response', (res) => res.resume().on('end', () => resolve()))
            .on('error', reject);
        });
        outcomes[name] = await within(
          5000,
          `${name}: the second request's timeout`,
          new Promise<string>((resolve) => {
            const req = get('/second');
            req.on('socket', (sock: net.Socket) => {
              expect(sock.connecting).toBe(false); // the kept-alive connection, open already
              req.setTimeout(300);
            });
            req.on('timeout', () => {
              req.destroy();
              resolve('timeout');
            });
            req.on('response', () => resolve('answered'));
            req.on('error', () => undefined);
          }),
        );
        agent.destroy();
      }
    } finally {
      await close();
    }
    expect(outcomes).toEqual({ 'node:https': 'timeout', 'node-nss': 'timeout' });
  });

  it('undici through its connect option', async () => {
    const { port, close } = await httpsServer({ ALPNProtocols: ['http/1.1'] });
    const dispatcher = new UndiciAgent({
      connect: (opts, callback) => {
        const sock: SSLSocket = createConnection({
          host: opts.hostname,
          port: Number(opts.port),
          servername: opts.servername ?? undefined,
          ALPNProtocols: ['http/1.1'],
        });
        sock.once('secureConnect', () => callback(null, sock as never));
        sock.once('error', (err) => callback(err, null));
      },
    });
    try {
      const res = await undiciRequest(`https://localhost:${port}/undici`, { dispatcher });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('you asked for /undici');
    } finally {
      await dispatcher.close();
      await close();
    }
  });

  it('ws: a WebSocket over the Agent', async () => {
    const { port, server, close } = await httpsServer();
    const wss = new WebSocketServer({ server });
    wss.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(`echo ${data.toString()}`)));
    const agent = new Agent();
    try {
      const ws = new WebSocket(`wss://localhost:${port}/`, { agent });
      await within(
        5000,
        'ws open',
        new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)),
      );
      const reply = within(
        5000,
        'ws message',
        new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString()))),
      );
      ws.send('hello');
      expect(await reply).toBe('echo hello');
      ws.close();
    } finally {
      wss.close();
      agent.destroy();
      await close();
    }
  });
});

describe('createServer()', () => {
  it('a listen that fails (the port is taken) leaves the server free to listen elsewhere, as net.Server does', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const server = createServer({ certNickname: 'test_server' }, (s) => s.end('ok'));
    try {
      await expect(server.listen({ port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const bound = await server.listen({ port: 0, host: '127.0.0.1' });
      expect(bound.port).not.toBe(port);
      const sock = await connect({ host: '127.0.0.1', port: bound.port, servername: 'localhost' });
      expect(sock.authorized).toBe(true);
      sock.destroy();
    } finally {
      await server.close();
      taken.close();
    }
  });

  it('serves the named certificate to node:tls; requireCert refuses a client without one', async () => {
    const server = createServer({ certNickname: 'test_server', ALPNProtocols: ['echo'] }, (sock) =>
      sock.pipe(sock),
    );
    server.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const client = tls.connect({
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pem(fx.certs.test_ca.pemPath),
        ALPNProtocols: ['echo'],
      });
      await within(
        5000,
        'handshake',
        new Promise((resolve, reject) => client.once('secureConnect', resolve).once('error', reject)),
      );
      expect(client.alpnProtocol).toBe('echo');
      const back = readBytes(client, 5);
      client.write('hello');
      expect((await within(5000, 'echo', back)).toString()).toBe('hello');
      client.destroy();
    } finally {
      await server.close();
    }

    const strict = createServer({ certNickname: ['test_server'], requireCert: true });
    strict.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
    const errors: Error[] = [];
    strict.on('tlsClientError', (err: Error) => errors.push(err));
    const strictPort = (await strict.listen({ port: 0, host: '127.0.0.1' })).port;
    try {
      const client = tls.connect({
        port: strictPort,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pem(fx.certs.test_ca.pemPath),
      });
      // TLS 1.3: the client learns of the refusal on its first read.
      const failed = await within(
        5000,
        'refusal',
        new Promise<Error>((resolve) => {
          client.once('error', resolve);
          client.once('secureConnect', () => client.write('x'));
        }),
      );
      expect(failed.message).toMatch(/certificate required|alert/i);
      await waitWhile(5000, 'server error', () => errors.length === 0);
      expect(errors[0]).toBeInstanceOf(NSPRError);
    } finally {
      await strict.close();
    }
    expect(() => createServer({ certNickname: [] })).toThrow(RangeError);
    expect(() => createServer({ certNickname: 'no such cert' })).toThrow(NSPRError);
  });
});

describe('SSLSocket.connect()', () => {
  /** A TLS echo server on loopback (node:tls), counting the TCP connections it holds open. */
  async function echoServer() {
    const open = new Set<net.Socket>();
    const server = tls.createServer(
      { cert: pem(fx.certs.test_server.pemPath), key: pem(fx.keyPemPaths.test_server) },
      (s) => s.pipe(s),
    );
    server.on('connection', (tcp: net.Socket) => {
      open.add(tcp);
      tcp.on('close', () => open.delete(tcp));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const close = () =>
      new Promise<void>((resolve) => {
        open.forEach((tcp) => tcp.destroy());
        server.close(() => resolve());
      });
    return { port, open, close };
  }

  async function refusedPort(): Promise<number> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return port;
  }

  const stateOf = (sock: SSLSocket) => ({
    pending: sock.pending,
    connecting: sock.connecting,
    readyState: sock.readyState,
    destroyed: sock.destroyed,
  });

  it('a refused connection leaves the socket as it was made: connect() may be tried again', async () => {
    const fresh = stateOf(new SSLSocket());
    const sock = new SSLSocket();
    sock.on('error', () => undefined);
    sock.setHostname('localhost');
    await expect(sock.connect({ host: '127.0.0.1', port: await refusedPort() })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    expect(stateOf(sock)).toEqual(fresh);
    const srv = await echoServer();
    try {
      await sock.connect({ host: '127.0.0.1', port: srv.port, timeout: 5000 });
      await sock.forceHandshake({ timeout: 5000 });
      const back = readBytes(sock, 5);
      sock.write('again');
      expect((await within(5000, 'echo', back)).toString()).toBe('again');
      sock.destroy();
    } finally {
      await srv.close();
    }
  });

  it('one connection per socket: a second connect() fails without touching the first', async () => {
    const srv = await echoServer();
    try {
      const sock = new SSLSocket();
      sock.on('error', () => undefined);
      sock.setHostname('localhost');
      const first = sock.connect({ host: '127.0.0.1', port: srv.port, timeout: 5000 });
      // (this threw from the first connection's 'connect' event, uncaught, before)
      await expect(sock.connect({ host: '127.0.0.1', port: srv.port })).rejects.toMatchObject({
        code: 'PR_IN_PROGRESS_ERROR',
      });
      await first;
      await expect(sock.connect({ host: '127.0.0.1', port: srv.port })).rejects.toMatchObject({
        code: 'PR_IS_CONNECTED_ERROR',
      });
      await sock.forceHandshake({ timeout: 5000 });
      expect(srv.open.size).toBe(1);
      sock.destroy();
      await expect(sock.connect({ host: '127.0.0.1', port: srv.port })).rejects.toMatchObject({
        code: 'PR_INVALID_STATE_ERROR',
      });
    } finally {
      await srv.close();
    }
  });

  it('destroyed while it connects: connect() fails and the TCP connection does not stay open', async () => {
    const srv = await echoServer();
    try {
      const sock = new SSLSocket();
      sock.on('error', () => undefined);
      const connecting = sock.connect({ host: '127.0.0.1', port: srv.port, timeout: 5000 });
      sock.destroy();
      await expect(connecting).rejects.toMatchObject({ code: 'PR_CONNECT_RESET_ERROR' });
      expect(sock.destroyed).toBe(true);
      // Whatever reached the server is closed again.
      await waitWhile(5000, 'server side closed', () => srv.open.size > 0);
    } finally {
      await srv.close();
    }
  });
});
