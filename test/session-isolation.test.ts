// Sessions never cross trust or identity: NSS's client session cache is process-wide and a resumed
// handshake runs neither the certificate check nor the client-certificate choice, so every socket's peer
// ID (SSL_SetSockPeerID) covers the verification policy and the client identity, and session tokens
// ('session' / setSession) carry the policy they were made under. Peers: openssl s_server -www (it says
// "Reused" for a resumed session) and node-nss servers on 127.0.0.1 and ::1.
import { spawn } from 'node:child_process';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  Agent,
  connect,
  createConnection,
  createServer,
  init,
  shutdown,
  SSLSocket,
  type SSLServer,
} from 'node-nss';
import { spawnPeer, type PeerProcess } from './support/peers.js';
import { freePort, readBytes, waitForPort, within, type Version } from './support/tls.js';
import { removeTemps, runOk, tempDir } from './support/tools.js';

const fx = inject('fixtures').ec;
const opensslVersion = { 'tls1.2': '-tls1_2', 'tls1.3': '-tls1_3' } as const;
const versions: Version[] = ['tls1.2', 'tls1.3'];

/** A self-signed certificate for localhost that nothing in the fixture database trusts. */
let untrusted: { cert: string; key: string };

beforeAll(() => {
  init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
  const dir = tempDir('untrusted');
  untrusted = { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
  runOk('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2'],
    ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ...['-keyout', untrusted.key, '-out', untrusted.cert],
  ]);
});
afterAll(() => {
  shutdown();
  removeTemps();
});

const peers: PeerProcess[] = [];
afterEach(() => peers.splice(0).forEach((p) => p.stop()));

/** openssl s_server -www on a free port. */
async function wwwServer(version: Version, extra: string[]): Promise<number> {
  const port = await freePort();
  const peer = spawnPeer('openssl', [
    ...['s_server', '-accept', String(port), '-www', opensslVersion[version], ...extra],
  ]);
  peers.push(peer);
  await waitForPort(port);
  return port;
}

const fixtureServer = ['-cert', fx.certs.test_server.pemPath, '-key', fx.keyPemPaths.test_server];

/** GET / through an agent: the status and s_server's page, or the error. */
function get(agent: https.Agent, port: number): Promise<{ status: number; body: string }> {
  return within(
    10_000,
    'https.get',
    new Promise((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, servername: 'localhost', path: '/', agent }, (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
    }),
  );
}

/** Whether s_server's page says the session was resumed. */
const reused = (body: string): boolean => /^Reused, /m.test(body);

/** An HTTP/1.0 request over a connected socket; resolves with the page once the server closes. */
async function fetchPage(sock: SSLSocket): Promise<string> {
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise<void>((resolve, reject) => {
    sock.once('end', resolve);
    sock.once('error', reject);
  });
  sock.write('GET / HTTP/1.0\r\n\r\n');
  await within(10_000, 'page', ended);
  sock.destroy();
  return Buffer.concat(chunks).toString('latin1');
}

describe('verification is never skipped by resumption', () => {
  it.each(versions)(
    '%s: a default connect() after a rejectUnauthorized: false one to the same server is refused',
    async (version) => {
      const port = await wwwServer(version, ['-cert', untrusted.cert, '-key', untrusted.key]);
      const base = { host: '127.0.0.1', port, servername: 'localhost', timeout: 10_000 };
      const insecure = await connect({ ...base, rejectUnauthorized: false });
      expect(insecure.authorized).toBe(false);
      expect(reused(await fetchPage(insecure))).toBe(false);
      // The insecure policy's own sessions still resume (same policy).
      const again = await connect({ ...base, rejectUnauthorized: false });
      expect(again.authorized).toBe(false);
      expect(reused(await fetchPage(again))).toBe(true);

      await expect(connect(base)).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
    },
  );

  it.each(versions)(
    '%s: https.get through a fresh Agent() after an insecure Agent is refused',
    async (version) => {
      const port = await wwwServer(version, ['-cert', untrusted.cert, '-key', untrusted.key]);
      const first = await get(new Agent({ nss: { rejectUnauthorized: false } }), port);
      expect(first.status).toBe(200);
      await expect(get(new Agent(), port)).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
    },
  );

  it.each(versions)(
    '%s: an SSLSocket with an auth callback resumes only sessions made under that same function',
    async (version) => {
      const port = await wwwServer(version, ['-cert', untrusted.cert, '-key', untrusted.key]);
      const calls: string[] = [];
      const lenient = () => {
        calls.push('lenient');
        return true;
      };
      const strict = () => {
        calls.push('strict');
        return false;
      };
      const open = async (
        auth: (() => boolean) | undefined,
        peerID?: string,
      ): Promise<{ sock: SSLSocket; done: Promise<void> }> => {
        const sock = new SSLSocket();
        sock.on('error', () => undefined);
        sock.setHostname('localhost');
        if (auth) sock.setAuthCertificateCallback(auth);
        await sock.connect({ host: '127.0.0.1', port, timeout: 10_000 });
        // python-nss style: settings may still change after connect(), until the handshake starts.
        if (peerID !== undefined) sock.setSockPeerID(peerID);
        return { sock, done: sock.forceHandshake({ timeout: 10_000 }) };
      };

      const a = await open(lenient);
      await a.done;
      expect(reused(await fetchPage(a.sock))).toBe(false);
      const b = await open(lenient);
      await b.done;
      expect(reused(await fetchPage(b.sock))).toBe(true); // the same function: resumed, not asked again
      expect(calls).toEqual(['lenient']);

      const c = await open(strict);
      await expect(c.done).rejects.toMatchObject({ code: 'SSL_ERROR_BAD_CERTIFICATE' });
      expect(calls).toEqual(['lenient', 'strict']); // asked: no session from `lenient` was offered

      const d = await open(undefined);
      await expect(d.done).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });

      // Within an explicit peer ID the application vouches for its callbacks: another function resumes
      // a session of the first, but a socket with NSS's default verification still does not.
      const e = await open(lenient, 'tenant 1');
      await e.done;
      expect(reused(await fetchPage(e.sock))).toBe(false);
      const f = await open(() => true, 'tenant 1');
      await f.done;
      expect(reused(await fetchPage(f.sock))).toBe(true);
      const g = await open(undefined, 'tenant 1');
      await expect(g.done).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
    },
  );
});

describe('client identities do not share sessions', () => {
  const caFile = ['-CAfile', fx.certs.test_ca.pemPath];

  it.each(versions)(
    '%s: a server that requires a certificate: Agent() after a clientCertNickname Agent is refused',
    async (version) => {
      const port = await wwwServer(version, [...fixtureServer, ...caFile, '-Verify', '1']);
      await expect(get(new Agent(), port)).rejects.toThrow();
      const alice = await get(new Agent({ nss: { clientCertNickname: 'test_user' } }), port);
      expect(alice.status).toBe(200);
      const again = await get(new Agent({ nss: { clientCertNickname: 'test_user' } }), port);
      expect(again.status).toBe(200); // the same identity (a new chooser each time) may resume
      await expect(get(new Agent(), port)).rejects.toThrow();
    },
  );

  it.each(versions)(
    '%s: a server that only asks: a clientCertNickname Agent after an anonymous one shows its certificate',
    async (version) => {
      const port = await wwwServer(version, [...fixtureServer, ...caFile, '-verify', '1']);
      const anonymous = await get(new Agent(), port);
      expect(anonymous.body).toMatch(/no client certificate available/);
      const alice = await get(new Agent({ nss: { clientCertNickname: 'test_user' } }), port);
      expect(reused(alice.body)).toBe(false);
      expect(alice.body).not.toMatch(/no client certificate available/);
    },
  );
});

describe('session tokens keep the policy they were made under', () => {
  it('a session from a rejectUnauthorized: false connection does not resume a verifying one', async () => {
    const port = await wwwServer('tls1.3', ['-cert', untrusted.cert, '-key', untrusted.key]);
    const base = { host: '127.0.0.1', port, servername: 'localhost', timeout: 10_000 };
    const sessions: Buffer[] = [];
    const insecure = createConnection({ ...base, rejectUnauthorized: false });
    insecure.on('session', (s: Buffer) => sessions.push(s));
    await within(
      10_000,
      'handshake',
      new Promise((r, j) => insecure.once('secureConnect', r).once('error', j)),
    );
    await fetchPage(insecure);
    expect(sessions.length).toBeGreaterThan(0);
    const session = sessions.at(-1) as Buffer;

    const sameInsecure = await connect({ ...base, rejectUnauthorized: false, session });
    expect(reused(await fetchPage(sameInsecure))).toBe(true);
    await expect(connect({ ...base, session })).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
  });
});

describe('IPv6 peers', () => {
  /**
   * node-nss TLS 1.3 servers with the same port number on 127.0.0.1 (test_server) and ::1 (test_int_server:
   * another certificate). Both live in this process and so accept each other's tickets: the client alone
   * decides which session it offers where, and the certificate a resumed session reports shows whose it was.
   */
  async function twoServers(): Promise<{ port: number; servers: SSLServer[] }> {
    const server = (certNickname: string) => {
      const s = createServer({ certNickname, minVersion: 'TLSv1.3' }, (sock) => sock.pipe(sock));
      s.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
      return s;
    };
    for (let attempt = 0; ; attempt++) {
      const v4 = server('test_server');
      const { port } = await v4.listen({ port: 0, host: '127.0.0.1' });
      const v6 = server('test_int_server');
      try {
        await v6.listen({ port, host: '::1' });
        return { port, servers: [v4, v6] };
      } catch (err) {
        await v4.close();
        if (attempt >= 10) throw err;
      }
    }
  }

  /**
   * A round trip over a TCP connection to `host` (the socket has no host name of its own: only the address
   * tells the servers apart): whether it resumed and the organisational unit of the server's certificate.
   */
  async function visit(host: string, port: number): Promise<{ resumed: boolean; server: string }> {
    const tcp = net.connect({ host, port });
    await within(5000, 'tcp', new Promise((r, j) => tcp.once('connect', r).once('error', j)));
    const sock = SSLSocket.importTCPSocket(tcp);
    sock.on('error', () => undefined);
    sock.setHostname('localhost');
    await sock.forceHandshake({ timeout: 10_000 });
    const back = readBytes(sock, 4);
    sock.write('ping');
    await within(5000, 'echo', back); // the ticket arrives after the handshake
    const resumed = sock.getSSLChannelInfo().resumed;
    const server = /OU=intermediate/.test(sock.getPeerCertificate()?.subject ?? '') ? '::1' : '127.0.0.1';
    sock.destroy();
    return { resumed, server };
  }

  it('sessions of the server on ::1 are not offered to the one on 127.0.0.1 (same port), nor back', async () => {
    const { port, servers } = await twoServers();
    try {
      expect(await visit('::1', port)).toEqual({ resumed: false, server: '::1' });
      expect(await visit('::1', port)).toEqual({ resumed: true, server: '::1' });
      // 127.0.0.1 in its IPv6 form: a full handshake with that server, not the ::1 server's session.
      expect(await visit('::ffff:127.0.0.1', port)).toEqual({ resumed: false, server: '127.0.0.1' });
      // ... which is the same peer as 127.0.0.1 to NSS.
      expect(await visit('127.0.0.1', port)).toEqual({ resumed: true, server: '127.0.0.1' });
      expect(await visit('::1', port)).toEqual({ resumed: true, server: '::1' });
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
  });
});

describe("server side: a resumed session passes the server's policy of now", () => {
  // NSS's server session-ID cache and ticket keys are process-wide. An attacker holding a session from a
  // lenient server (any client certificate will do) offers it to a strict one in the same process (its auth
  // callback accepts only test_user); a resumed handshake runs no certificate check of its own. Then the
  // lenient server itself is made strict: a session it made before is judged by its policy of now.
  it.each(versions)(
    '%s: a stricter server refuses it, and so does its own server made stricter',
    async (version) => {
      const range = { minVersion: version, maxVersion: version } as const;
      const lenient = createServer({ certNickname: 'test_server', requireCert: true, ...range });
      lenient.setAuthCertificateCallback(() => true);
      const strict = createServer({ certNickname: 'test_server', requireCert: true, ...range });
      const strictSaw: string[] = [];
      const strictCheck = (sock: SSLSocket) => {
        const cn = sock.getPeerCertificate()?.subjectCommonName ?? 'none';
        strictSaw.push(cn);
        return cn === 'test_user';
      };
      strict.setAuthCertificateCallback(strictCheck);
      const accepted: string[] = [];
      for (const server of [lenient, strict]) {
        server.on('secureConnection', (s: SSLSocket) => {
          if (server === strict) accepted.push(s.getPeerCertificate()?.subjectCommonName ?? 'none');
          s.end('welcome');
        });
        server.on('connection', (s: SSLSocket) => s.on('error', () => undefined));
      }
      const a = await lenient.listen({ port: 0 });
      const b = await strict.listen({ port: 0 });
      // The attacker is openssl s_client: it keeps the lenient server's session (-sess_out) and offers it to
      // the strict one (-sess_in), with a certificate the strict server does not accept.
      const sess = path.join(tempDir('sess'), `${version}.pem`);
      const flag = opensslVersion[version];
      // Asynchronous: the servers answer from this process's event loop.
      const client = (port: number, extra: string[]) =>
        within(
          20_000,
          'openssl s_client',
          new Promise<{ stdout: string }>((resolve) => {
            const proc = spawn('openssl', [
              ...['s_client', '-connect', `127.0.0.1:${port}`, flag, '-servername', 'localhost', '-ign_eof'],
              ...['-cert', fx.certs.test_server.pemPath, '-key', fx.keyPemPaths.test_server, ...extra],
            ]);
            let stdout = '';
            proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
            proc.stdin.end();
            proc.on('close', () => resolve({ stdout }));
          }),
        );
      try {
        const first = await client(a.port, ['-sess_out', sess]);
        expect(first.stdout).toContain('welcome');
        const again = await client(a.port, ['-sess_in', sess]);
        expect(again.stdout).toMatch(/^Reused, /m); // the lenient server resumes its own session
        const attack = await client(b.port, ['-sess_in', sess]);
        expect(accepted).toEqual([]);
        expect(attack.stdout).not.toContain('welcome');
        expect(strictSaw).toEqual([]); // refused as another server's session, before any check
        // One server made strict after it made the session: its own session is re-checked when resumed.
        const sess2 = path.join(tempDir('sess'), `${version}-own.pem`);
        expect((await client(a.port, ['-sess_out', sess2])).stdout).toContain('welcome');
        lenient.setAuthCertificateCallback(strictCheck);
        const resumedAtA = await client(a.port, ['-sess_in', sess2]);
        expect(resumedAtA.stdout).not.toContain('welcome');
        expect(strictSaw).toContain('localhost'); // the strict callback judged the resumed session's certificate
      } finally {
        await lenient.close();
        await strict.close();
      }
    },
  );
});

describe('server side: a session made at one server is never resumed at another', () => {
  // NSS's server cache and ticket keys are process-wide and a resumed handshake shows no certificate: a
  // client that made a session with one SSLServer and is sent (by an attacker, or by a port that changed
  // hands) to another in the same process must not resume there as if it were still speaking to the first.

  /** A server with `certNickname` that echoes; its accepted and failed connections are recorded. */
  function server(certNickname: string, version: Version) {
    const range = { minVersion: version, maxVersion: version } as const;
    const s = createServer({ certNickname, ...range }, (sock) => sock.pipe(sock));
    const seen = { secure: [] as boolean[], failed: [] as string[] };
    s.on('secureConnection', (sock: SSLSocket) => seen.secure.push(sock.getSSLChannelInfo().resumed));
    s.on('tlsClientError', (err: Error & { code?: string }) => seen.failed.push(err.code ?? err.message));
    s.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
    return { s, seen };
  }

  /** A round trip with a default, verifying client; whose certificate it saw and whether it resumed. */
  async function visit(
    port: number,
    opts: { session?: Buffer; watch?: boolean } = {},
  ): Promise<{ resumed: boolean; server: string; session: Buffer | undefined }> {
    const sock = createConnection({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      session: opts.session,
    });
    let latest: Buffer | undefined;
    // As in node:tls, a socket that listens for 'session' keeps its sessions out of the shared cache.
    if (opts.watch) sock.on('session', (s: Buffer) => (latest = s));
    try {
      await within(
        10_000,
        'handshake',
        new Promise((r, j) => sock.once('secureConnect', r).once('error', j)),
      );
      const back = readBytes(sock, 4);
      sock.write('ping');
      await within(10_000, 'echo', back); // a TLS 1.3 ticket arrives after the handshake
      const resumed = sock.getSSLChannelInfo().resumed;
      const cert = sock.getPeerCertificate()?.subject ?? '';
      return { resumed, server: /OU=intermediate/.test(cert) ? 'B' : 'A', session: latest };
    } finally {
      sock.destroy();
    }
  }

  // node-nss servers send no TLS 1.2 tickets (see server-sessions.ts), and NSS exports only ticket sessions:
  // for TLS 1.2 the port take-over below is the way to offer one server's session to another.
  it('tls1.3: a session exported at one server and offered to another fails there; each resumes its own', async () => {
    const a = server('test_server', 'tls1.3');
    const b = server('test_int_server', 'tls1.3');
    const pa = (await a.s.listen({ port: 0, host: '127.0.0.1' })).port;
    const pb = (await b.s.listen({ port: 0, host: '127.0.0.1' })).port;
    try {
      expect(await visit(pa)).toMatchObject({ resumed: false, server: 'A' });
      expect(await visit(pa)).toMatchObject({ resumed: true, server: 'A' }); // its own: resumed
      const exported = await visit(pa, { watch: true });
      expect(exported.session).toBeDefined();
      // A's session, offered to B (the same client policy, so the client offers it).
      await expect(visit(pb, { session: exported.session })).rejects.toThrow();
      expect(b.seen.secure).toEqual([]);
      expect(b.seen.failed).toEqual(['SSL_ERROR_APPLICATION_ABORT']);
      // B's own sessions still resume at B.
      expect(await visit(pb)).toMatchObject({ resumed: false, server: 'B' });
      expect(await visit(pb)).toMatchObject({ resumed: true, server: 'B' });
      expect(a.seen.secure).toEqual([false, true, true]);
    } finally {
      await Promise.all([a.s.close(), b.s.close()]);
    }
  });

  it.each(versions)(
    '%s: a server that takes over a port does not inherit the sessions made there',
    async (version) => {
      const a = server('test_server', version);
      const { port } = await a.s.listen({ port: 0, host: '127.0.0.1' });
      expect(await visit(port)).toMatchObject({ resumed: false, server: 'A' });
      expect(await visit(port)).toMatchObject({ resumed: true, server: 'A' });
      await a.s.close();
      const b = server('test_int_server', version);
      await b.s.listen({ port, host: '127.0.0.1' });
      try {
        // The client's cache offers A's sessions for 127.0.0.1:port, and B refuses each (NSS cannot decline
        // one and go on with a full handshake): in TLS 1.3 the handshake fails and the client drops that
        // ticket (it holds one per connection made); in TLS 1.2 the client finishes first, the connection fails
        // and the session leaves NSS's server cache. Then a full handshake with B.
        const outcomes: string[] = [];
        for (let i = 0; i < 4 && outcomes.at(-1) !== 'B'; i++) {
          const seen = await visit(port).then(
            (r) => (r.resumed ? `resumed ${r.server}` : r.server),
            () => 'refused',
          );
          outcomes.push(seen);
        }
        expect(outcomes.at(-1)).toBe('B');
        const refusals = outcomes.length - 1;
        expect(outcomes.slice(0, -1)).toEqual(Array<string>(refusals).fill('refused'));
        expect(refusals).toBeGreaterThanOrEqual(1);
        expect(refusals).toBeLessThanOrEqual(2);
        expect(b.seen).toEqual({
          secure: [false],
          failed: Array<string>(refusals).fill('SSL_ERROR_APPLICATION_ABORT'),
        });
        expect(await visit(port)).toMatchObject({ resumed: true, server: 'B' });
      } finally {
        await b.s.close();
      }
    },
  );
});
