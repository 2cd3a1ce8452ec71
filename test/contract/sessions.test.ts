// Session isolation (API.md §8, "sessions never cross trust or identity"), written as an attacker would use
// it: make a session under a weaker policy or another identity, then connect again to the same host:port
// under the stronger one and see whether the saved session lets the connection through. Each sequence also
// runs with node:tls (tls.connect, https.Agent), which must (and does) refuse the same way: the reference.
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { useContractCredentials } from './contract.js';
import {
  errorClass,
  nodeClient,
  nodeServer,
  nssClient,
  nssServer,
  type AgentOptions,
  type ClientImpl,
  type ServerImpl,
  type TLSEnd,
  type TLSVersion,
} from './harness.js';
import { freePort, waitForPort } from '../support/tls.js';

const credentials = useContractCredentials();
const versions: TLSVersion[] = ['TLSv1.2', 'TLSv1.3'];
const names = ['node:tls', 'node-nss'] as const;
type Name = (typeof names)[number];
// made inside each test: the credentials exist from beforeAll on
const clientOf = (name: Name): ClientImpl =>
  name === 'node:tls' ? nodeClient(credentials()) : nssClient(credentials());
const serverOf = (name: Name): ServerImpl =>
  name === 'node:tls' ? nodeServer(credentials()) : nssServer(credentials());

/** What one connection attempt came to. */
interface Outcome {
  ok: boolean;
  /** 'untrusted-certificate', 'alert:certificate_required', … (harness.ts errorClass). */
  error?: string;
  /** Whether a successful connection resumed a session. */
  resumed?: boolean;
  /** A successful connection's `authorized`. */
  authorized?: boolean;
  /** What openssl's -www page said (its first line: "New, TLSv1.3, …" / "Reused, …"). */
  page?: { reused: boolean; clientCertificate: boolean };
}

const within = <T>(ms: number, what: string, promise: Promise<T>): Promise<T> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms),
    ),
  ]);

function resumed(sock: TLSEnd): boolean {
  const s = sock as unknown as {
    isSessionReused?: () => boolean;
    getSSLChannelInfo?: () => { resumed: boolean };
  };
  return s.getSSLChannelInfo ? s.getSSLChannelInfo().resumed : Boolean(s.isSessionReused?.());
}

/** Errors that reach the process during `fn` are failures of the sequence, not of the test run. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  const uncaught: string[] = [];
  const on = (err: unknown) => uncaught.push(errorClass(err));
  process.on('uncaughtException', on);
  process.on('unhandledRejection', on);
  try {
    const value = await fn();
    await new Promise((r) => setTimeout(r, 30));
    expect(uncaught, 'errors that reached the process').toEqual([]);
    return value;
  } finally {
    process.removeListener('uncaughtException', on);
    process.removeListener('unhandledRejection', on);
  }
}

/** A server with the untrusted certificate: echoes on TLS, or answers HTTP requests with 'hello'. */
async function untrustedServer(impl: ServerImpl, version: TLSVersion, mode: 'echo' | 'http') {
  return echoOrHTTPServer(impl, version, mode, 'untrusted');
}

async function trustedServer(impl: ServerImpl, version: TLSVersion) {
  return echoOrHTTPServer(impl, version, 'http', 'trusted');
}

async function echoOrHTTPServer(
  impl: ServerImpl,
  version: TLSVersion,
  mode: 'echo' | 'http',
  identity: 'trusted' | 'untrusted',
) {
  const server = impl.create({ version, identity });
  const httpServer = http.createServer((_req, res) => res.end('hello'));
  const sockets: TLSEnd[] = [];
  server.events.on('secureConnection', (sock: TLSEnd) => {
    sockets.push(sock);
    sock.on('error', () => undefined);
    if (mode === 'http') httpServer.emit('connection', sock);
    else {
      sock.on('data', (d: Buffer) => sock.write(d));
      sock.on('end', () => sock.end());
    }
  });
  server.events.on('tlsClientError', () => undefined);
  const port = await server.listen(() => undefined);
  return {
    port,
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await within(3000, 'server close', server.close()).catch(() => undefined);
    },
  };
}

/** One echo round trip (TLS 1.3 tickets arrive after the handshake), then a clean end. */
async function roundTrip(sock: TLSEnd): Promise<void> {
  await within(
    3000,
    'echo',
    new Promise<void>((resolve, reject) => {
      sock.once('data', () => resolve());
      sock.once('error', reject);
      sock.write('ping');
    }),
  );
  await within(
    3000,
    'close',
    new Promise<void>((resolve) => {
      sock.once('close', () => resolve());
      sock.resume();
      sock.end();
    }),
  ).catch(() => sock.destroy());
}

const authorized = (sock: TLSEnd): boolean => (sock as unknown as { authorized: boolean }).authorized;

async function viaConnectAsync(
  impl: ClientImpl,
  port: number,
  version: TLSVersion,
  rejectUnauthorized?: boolean,
) {
  try {
    const sock = await within(
      5000,
      'connect',
      impl.connectAsync({ port, version, ...(rejectUnauthorized === false ? { rejectUnauthorized } : {}) }),
    );
    const outcome: Outcome = { ok: true, resumed: resumed(sock), authorized: authorized(sock) };
    await roundTrip(sock);
    return outcome;
  } catch (err) {
    return { ok: false, error: errorClass(err) };
  }
}

async function viaConnect(impl: ClientImpl, port: number, version: TLSVersion, rejectUnauthorized?: boolean) {
  const sock = impl.connect({
    port,
    version,
    ...(rejectUnauthorized === false ? { rejectUnauthorized } : {}),
  });
  try {
    await within(
      5000,
      'handshake',
      new Promise<void>((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject)),
    );
    const outcome: Outcome = { ok: true, resumed: resumed(sock), authorized: authorized(sock) };
    await roundTrip(sock);
    return outcome;
  } catch (err) {
    sock.on('error', () => undefined);
    sock.destroy();
    return { ok: false, error: errorClass(err) };
  }
}

/** https.get through `agent`; the outcome, with whether the connection resumed. */
function get(agent: https.Agent, port: number, opts: https.RequestOptions = {}): Promise<Outcome> {
  return within(
    3000,
    'https.get',
    new Promise<Outcome>((resolve) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/', agent, ...opts }, (res) => {
        let text = '';
        // asked now: node-nss's getSSLChannelInfo() throws once the socket has closed
        const sock = res.socket as unknown as TLSEnd | null;
        const wasResumed = sock ? resumed(sock) : undefined;
        const wasAuthorized = sock ? authorized(sock) : undefined;
        res.setEncoding('latin1');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          resolve({
            ok: res.statusCode === 200,
            ...(wasResumed !== undefined ? { resumed: wasResumed } : {}),
            ...(wasAuthorized !== undefined ? { authorized: wasAuthorized } : {}),
            ...(readPage(text) ? { page: readPage(text) } : {}),
          });
        });
        res.on('error', (err) => resolve({ ok: false, error: errorClass(err) }));
      });
      req.on('socket', (s: net.Socket) => s.on('error', () => undefined));
      req.on('error', (err) => resolve({ ok: false, error: errorClass(err) }));
    }),
  ).catch((err: Error) => ({ ok: false, error: `timeout: ${err.message}` }));
}

/** Checks an outcome; the message shows it whole (an error class hidden by toMatchObject is the point). */
async function expectOutcome(pending: Promise<Outcome>, expected: Record<string, unknown>, what = '') {
  const actual = await pending;
  expect(actual, `${what} ${JSON.stringify(actual)}`.trim()).toMatchObject(expected);
}

const refusedUntrusted = { ok: false, error: 'untrusted-certificate' };

for (const version of versions) {
  describe(`${version}: a session made with rejectUnauthorized: false never lets a verifying client through`, () => {
    for (const serverName of names) {
      for (const clientName of names) {
        const pairing = `${clientName} client, ${serverName} server with an untrusted certificate`;

        it(`promise connect: rejectUnauthorized: false, then a default connect to the same host:port — ${pairing}`, async () => {
          const client = clientOf(clientName);
          const server = await untrustedServer(serverOf(serverName), version, 'echo');
          try {
            await guarded(async () => {
              await expectOutcome(viaConnectAsync(client, server.port, version, false), { ok: true });
              await expectOutcome(viaConnectAsync(client, server.port, version), refusedUntrusted);
              await expectOutcome(viaConnectAsync(client, server.port, version), refusedUntrusted);
            });
          } finally {
            await server.close();
          }
        });

        it(`createConnection: rejectUnauthorized: false, then a default one to the same host:port — ${pairing}`, async () => {
          const client = clientOf(clientName);
          const server = await untrustedServer(serverOf(serverName), version, 'echo');
          try {
            await guarded(async () => {
              await expectOutcome(viaConnect(client, server.port, version, false), { ok: true });
              await expectOutcome(viaConnect(client, server.port, version), refusedUntrusted);
              await expectOutcome(viaConnect(client, server.port, version), refusedUntrusted);
            });
          } finally {
            await server.close();
          }
        });

        it(`new Agent() + https.get with rejectUnauthorized: false, then a fresh new Agent() — ${pairing}`, async () => {
          const client = clientOf(clientName);
          const server = await untrustedServer(serverOf(serverName), version, 'http');
          const agents: https.Agent[] = [];
          const agent = (opts?: AgentOptions) => {
            const a = client.agent({ maxVersion: version, minVersion: version, ...opts });
            agents.push(a);
            return a;
          };
          try {
            await guarded(async () => {
              await expectOutcome(get(agent({ rejectUnauthorized: false }), server.port), {
                ok: true,
              });
              await expectOutcome(get(agent(), server.port), refusedUntrusted);
              // and the request-level option on one keep-alive agent
              const shared = agent({ keepAlive: true });
              await expectOutcome(get(shared, server.port, { rejectUnauthorized: false }), {
                ok: true,
              });
              await expectOutcome(get(shared, server.port), refusedUntrusted);
            });
          } finally {
            agents.forEach((a) => a.destroy());
            await server.close();
          }
        });
      }
    }
  });
}

for (const version of versions) {
  describe(`${version}: a resumed session is as authorized as the handshake that made it`, () => {
    for (const serverName of names) {
      for (const clientName of names) {
        const pairing = `${clientName} client, ${serverName} server`;
        it(`one Agent, two requests: verified, then resumed, authorized both times; the same unverified: neither — ${pairing}`, async () => {
          const client = clientOf(clientName);
          const trusted = await trustedServer(serverOf(serverName), version);
          const untrusted = await untrustedServer(serverOf(serverName), version, 'http');
          const verifying = client.agent({ maxVersion: version, minVersion: version });
          const lenient = client.agent({
            maxVersion: version,
            minVersion: version,
            rejectUnauthorized: false,
          });
          try {
            await guarded(async () => {
              const verified = { ok: true, authorized: true };
              await expectOutcome(get(verifying, trusted.port), { ...verified, resumed: false });
              await expectOutcome(get(verifying, trusted.port), { ...verified, resumed: true });
              const unverified = { ok: true, authorized: false };
              await expectOutcome(get(lenient, untrusted.port), { ...unverified, resumed: false });
              await expectOutcome(get(lenient, untrusted.port), { ...unverified, resumed: true });
            });
          } finally {
            verifying.destroy();
            lenient.destroy();
            await trusted.close();
            await untrusted.close();
          }
        });
      }
    }
  });
}

// ---- client identities against openssl s_server -www --------------------------------------------------

interface OpenSSLServer {
  port: number;
  stop: () => void;
}
const running: ChildProcess[] = [];
afterAll(() => running.forEach((p) => p.kill('SIGKILL')));

/** openssl s_server -www: answers GET with a page saying "New"/"Reused" and the client certificate. */
async function opensslWWW(version: TLSVersion, verify: '-Verify' | '-verify'): Promise<OpenSSLServer> {
  const files = credentials().files;
  const port = await freePort();
  const proc = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      String(port),
      '-4',
      '-cert',
      files.serverCert,
      '-key',
      files.serverKey,
      '-CAfile',
      files.caCert,
      verify,
      '1',
      '-www',
      version === 'TLSv1.3' ? '-tls1_3' : '-tls1_2',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  running.push(proc);
  await waitForPort(port);
  return { port, stop: () => proc.kill('SIGKILL') };
}

/** What openssl's -www page says. */
function readPage(text: string): Outcome['page'] {
  return text.includes('no client certificate available') || text.includes('Client certificate')
    ? { reused: /^Reused,/m.test(text), clientCertificate: !text.includes('no client certificate available') }
    : undefined;
}

/** The promise connect(), then "GET /" written once the handshake is done: the page, or the error. */
async function pageAfterHandshake(
  impl: ClientImpl,
  port: number,
  version: TLSVersion,
  clientCert: boolean,
): Promise<Outcome> {
  let sock: TLSEnd | undefined;
  try {
    sock = await within(5000, 'connect', impl.connectAsync({ port, version, clientCert }));
    const s = sock;
    const text = await within(
      5000,
      'page',
      new Promise<string>((resolve, reject) => {
        let got = '';
        s.setEncoding('latin1');
        s.on('data', (d: string) => (got += d));
        s.on('end', () => resolve(got));
        s.on('close', () => resolve(got));
        s.on('error', reject);
        s.write('GET / HTTP/1.0\r\n\r\n');
      }),
    );
    const page = readPage(text);
    return { ok: page !== undefined, resumed: resumed(s), ...(page ? { page } : {}) };
  } catch (err) {
    return { ok: false, error: errorClass(err) };
  } finally {
    sock?.on('error', () => undefined);
    sock?.destroy();
  }
}

type Attempt = (clientCert: boolean) => Promise<Outcome>;
const ways: Array<
  [string, (name: Name, version: TLSVersion, port: number, agents: https.Agent[]) => Attempt]
> = [
  [
    'a fresh new Agent() + https.get each time',
    (name, version, port, agents) => (clientCert) => {
      const agent = clientOf(name).agent({ maxVersion: version, minVersion: version, clientCert });
      agents.push(agent);
      return get(agent, port);
    },
  ],
  [
    'promise connect(), the request written after the handshake',
    (name, version, port) => (clientCert) => pageAfterHandshake(clientOf(name), port, version, clientCert),
  ],
];

for (const version of versions) {
  describe(`${version}: client identities do not cross through sessions (openssl s_server -www)`, () => {
    for (const clientName of names) {
      for (const [how, attemptOf] of ways) {
        const run = async (verify: '-Verify' | '-verify', sequence: (attempt: Attempt) => Promise<void>) => {
          const server = await opensslWWW(version, verify);
          const agents: https.Agent[] = [];
          try {
            await guarded(() => sequence(attemptOf(clientName, version, server.port, agents)));
          } finally {
            agents.forEach((a) => a.destroy());
            server.stop();
          }
        };

        it(`-Verify 1: no certificate refused, test_user accepted, then no certificate refused again (not "Reused"), ${how} — ${clientName} client`, () =>
          run('-Verify', async (attempt) => {
            await expectOutcome(attempt(false), { ok: false });
            await expectOutcome(attempt(true), {
              ok: true,
              page: { reused: false, clientCertificate: true },
            });
            await expectOutcome(
              attempt(false),
              { ok: false },
              'a client without a certificate must not ride on the identity session:',
            );
            await expectOutcome(attempt(true), { ok: true, page: { clientCertificate: true } });
            await expectOutcome(attempt(false), { ok: false });
          }));

        it(`-verify 1 (optional): test_user first, then no certificate: a new anonymous session, ${how} — ${clientName} client`, () =>
          run('-verify', async (attempt) => {
            await expectOutcome(attempt(true), {
              ok: true,
              page: { reused: false, clientCertificate: true },
            });
            await expectOutcome(attempt(false), {
              ok: true,
              page: { reused: false, clientCertificate: false },
            });
          }));

        it(`-verify 1 (optional): no certificate first, then test_user presents its certificate (an identity does not resume an anonymous session), ${how} — ${clientName} client`, () =>
          run('-verify', async (attempt) => {
            await expectOutcome(attempt(false), {
              ok: true,
              page: { reused: false, clientCertificate: false },
            });
            await expectOutcome(attempt(true), {
              ok: true,
              page: { reused: false, clientCertificate: true },
            });
          }));
      }
    }
  });
}
