// Secure defaults: the cipher suites, signature schemes and Diffie-Hellman groups every socket and server
// starts with (Mozilla's "intermediate" profile), checked against what NSS implements, against openssl
// peers limited to weak choices, against sslscan run on the `serve` command, and the limit on renegotiations
// a client may start. NSS_SetDomesticPolicy alone enables every implemented suite.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DEFAULT_TLS_PROFILE,
  getCipherSuiteInfo,
  init,
  shutdown,
  SSLServer,
  SSLSocket,
  SSL_ENABLE_RENEGOTIATION,
  SSL_RENEGOTIATE_REQUIRES_XTN,
  SSL_REQUIRE_DH_NAMED_GROUPS,
  ssl_sig_dsa_sha1,
  ssl_sig_dsa_sha256,
  ssl_sig_ecdsa_sha1,
  ssl_sig_rsa_pkcs1_sha1,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  TLS_RSA_WITH_AES_128_CBC_SHA,
} from 'node-nss';
import { interactive, spawnPeer, type Interactive, type PeerProcess } from './support/peers.js';
import { freePort, nssEchoServer, waitForPort, within, waitWhile } from './support/tls.js';
import { removeTemps, runOk, tempDir } from './support/tools.js';

const fx = inject('fixtures').rsa;
// The raw native module (the same instance the package loaded): what NSS implements.
const native = createRequire(__filename)('node-gyp-build')(path.join(__dirname, '..')) as {
  implementedCiphers(): number[];
};

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => {
  shutdown();
  removeTemps();
});

const running: Array<{ stop: () => void }> = [];
afterEach(() => running.splice(0).forEach((p) => p.stop()));

function started(peer: PeerProcess): Interactive {
  const p = interactive(peer);
  running.push(p);
  return p;
}

/** Mozilla's intermediate profile: TLS 1.3's suites, TLS 1.2 ECDHE/DHE with AES-GCM or ChaCha20-Poly1305. */
const INTERMEDIATE = [
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
].sort((a, b) => a - b);

const enabledSuites = (target: SSLSocket | SSLServer): number[] =>
  native
    .implementedCiphers()
    .filter((suite) => target.getCipherPref(suite))
    .sort((a, b) => a - b);

describe('what a socket and a server start with', () => {
  it('only the intermediate profile of all the suites NSS implements', () => {
    const implemented = native.implementedCiphers();
    expect(implemented.length).toBeGreaterThan(INTERMEDIATE.length);
    for (const suite of INTERMEDIATE) expect(implemented).toContain(suite);
    const sock = new SSLSocket();
    const server = new SSLServer();
    try {
      expect(enabledSuites(sock)).toEqual(INTERMEDIATE);
      expect(enabledSuites(server)).toEqual(INTERMEDIATE);
      expect([...DEFAULT_TLS_PROFILE.cipherSuites].sort((a, b) => a - b)).toEqual(INTERMEDIATE);
      for (const suite of enabledSuites(sock)) {
        const info = getCipherSuiteInfo(suite);
        expect(info.symCipherName).toMatch(/^(AES-GCM|CHACHA20POLY1305)$/);
        expect(info.keaTypeName).toMatch(/^(ECDHE|DHE|TLS 1\.3)$/); // TLS 1.3 suites name no exchange
      }
      // Another socket made from a configured one keeps that one's choices (opt-in is per socket).
      sock.setCipherPref(TLS_RSA_WITH_AES_128_CBC_SHA, true);
      const child = new SSLSocket({ model: sock });
      expect(child.getCipherPref(TLS_RSA_WITH_AES_128_CBC_SHA)).toBe(true);
      expect(new SSLSocket().getCipherPref(TLS_RSA_WITH_AES_128_CBC_SHA)).toBe(false);
      child.destroy();
    } finally {
      sock.destroy();
    }
  });

  it('no SHA-1 or DSA signature schemes, Diffie-Hellman only with the RFC 7919 groups', () => {
    const sock = new SSLSocket();
    const server = new SSLServer();
    try {
      for (const target of [sock, server]) {
        const schemes = target.getSignatureSchemes();
        expect(schemes.length).toBeGreaterThan(0);
        for (const weak of [ssl_sig_rsa_pkcs1_sha1, ssl_sig_ecdsa_sha1, ssl_sig_dsa_sha1, ssl_sig_dsa_sha256])
          expect(schemes).not.toContain(weak);
        expect(schemes).toEqual([...DEFAULT_TLS_PROFILE.signatureSchemes]);
        // Clients never take a server's own prime; an NSS server only ever sends RFC 7919 groups anyway.
        expect(target.getSSLOption(SSL_REQUIRE_DH_NAMED_GROUPS)).toBe(target === sock ? 1 : 0);
        expect(target.getSSLVersionRange()).toEqual(['tls1.2', 'tls1.3']);
        expect(target.getSSLOption(SSL_ENABLE_RENEGOTIATION)).toBe(SSL_RENEGOTIATE_REQUIRES_XTN);
      }
      expect(server.renegotiationLimit).toBe(0);
      expect(server.renegotiationWindow).toBe(600_000);
      expect(() => (server.renegotiationLimit = -1)).toThrow(/"renegotiationLimit"/);
      expect(() => (server.renegotiationWindow = 0.5)).toThrow(/"renegotiationWindow"/);
    } finally {
      sock.destroy();
    }
  });
});

/**
 * openssl s_client limited by `extra`: whether the handshake with a node-nss echo server completed (its
 * "New, <version>, Cipher is" line names the suite's first protocol version, not the one negotiated).
 */
function opensslHandshakes(port: number, extra: string[]): Promise<boolean> {
  const peer = spawnPeer('openssl', [
    ...['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-tls1_2', ...extra],
  ]);
  running.push(peer);
  peer.proc.stdin?.end('Q\n');
  return within(
    20_000,
    'openssl s_client',
    new Promise<boolean>((resolve) =>
      peer.proc.once('exit', () =>
        resolve(/^New, \S+, Cipher is (?!\(NONE\))/m.test(Buffer.concat(peer.stdout).toString())),
      ),
    ),
  );
}

describe('weak choices are refused', () => {
  it.each([
    ['static RSA key exchange with AES-GCM', ['-cipher', 'AES128-GCM-SHA256']],
    ['static RSA key exchange with CBC', ['-cipher', 'AES128-SHA']],
    ['ECDHE with CBC and SHA-1', ['-cipher', 'ECDHE-RSA-AES128-SHA']],
    ['DHE with CBC and SHA-256', ['-cipher', 'DHE-RSA-AES256-SHA256']],
    [
      'RSA PKCS#1 signatures with SHA-1',
      ['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256@SECLEVEL=0', '-sigalgs', 'RSA+SHA1'],
    ],
  ])('a node-nss server refuses an openssl client offering only %s', async (_what, extra) => {
    const { server, port, sockets } = await nssEchoServer({ nickname: 'test_server' });
    try {
      expect(await opensslHandshakes(port, ['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'])).toBe(true);
      expect(await opensslHandshakes(port, extra)).toBe(false);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });

  it('a suite enabled by setCipherPref is accepted: weaker suites are opt-in', async () => {
    const { server, port, sockets } = await nssEchoServer({ nickname: 'test_server' });
    try {
      expect(await opensslHandshakes(port, ['-cipher', 'AES128-SHA'])).toBe(false);
      server.setCipherPref(TLS_RSA_WITH_AES_128_CBC_SHA, true);
      expect(await opensslHandshakes(port, ['-cipher', 'AES128-SHA'])).toBe(true);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });

  it('a node-nss client refuses Diffie-Hellman with a prime that is not an RFC 7919 group', async () => {
    const dir = tempDir('dh');
    const params = path.join(dir, 'dh.pem');
    // RFC 5114's 2048-bit group: big enough for NSS's minimum, but the server's own choice of prime.
    runOk('openssl', [
      'genpkey',
      '-genparam',
      '-algorithm',
      'DH',
      '-pkeyopt',
      'dh_rfc5114:2',
      '-out',
      params,
    ]);
    const port = await freePort();
    started(
      spawnPeer('openssl', [
        ...['s_server', '-accept', String(port), '-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256'],
        ...['-dhparam', params, '-cert', fx.certs.test_server.pemPath, '-key', fx.keyPemPaths.test_server],
      ]),
    );
    await waitForPort(port);
    const handshake = async (requireNamed?: boolean): Promise<void> => {
      const sock = new SSLSocket();
      running.push({ stop: () => sock.destroy() });
      sock.on('error', () => undefined);
      sock.setHostname('localhost');
      sock.setSSLVersionRange('tls1.2', 'tls1.2');
      if (requireNamed !== undefined) sock.setSSLOption(SSL_REQUIRE_DH_NAMED_GROUPS, requireNamed);
      await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
      await sock.forceHandshake({ timeout: 10_000 });
      expect(sock.getSSLChannelInfo().cipherSuite).toBe(TLS_DHE_RSA_WITH_AES_128_GCM_SHA256);
    };
    await expect(handshake()).rejects.toMatchObject({ code: 'SSL_ERROR_WEAK_SERVER_EPHEMERAL_DH_KEY' });
    await handshake(false); // the same server, with the check turned off: the prime is what was refused
  });
});

describe('sslscan against node-nss serve', () => {
  it('shows TLS 1.2 and 1.3 only, forward-secret AEAD suites only, no SHA-1 signatures', async () => {
    const serve = started(
      spawnPeer(process.execPath, [
        path.join(__dirname, '..', 'dist', 'cli', 'index.js'),
        ...['serve', '-d', fx.db, '-w', fx.password, '-n', 'test_server', '-p', '0'],
      ]),
    );
    await serve.seen(/listening on \d+/);
    const port = Number(/listening on (\d+)/.exec(serve.output())?.[1]);
    // Group enumeration (which also tries FFDHE-8192) takes minutes and is not what this looks at.
    const scan = spawnSync(
      'sslscan',
      ['--no-colour', '--no-heartbleed', '--no-groups', '--show-sigs', `127.0.0.1:${port}`],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const out = scan.stdout;
    expect(out).toMatch(/^TLSv1\.2 +enabled/m);
    expect(out).toMatch(/^TLSv1\.3 +enabled/m);
    for (const old of ['SSLv2', 'SSLv3', 'TLSv1\\.0', 'TLSv1\\.1'])
      expect(out).toMatch(new RegExp(`^${old} +disabled`, 'm'));
    const suites = [...out.matchAll(/^(?:Preferred|Accepted) +(TLSv1\.[0-3]) +\d+ bits +(\S+)/gm)].map(
      ([, version, name]) => `${version} ${name}`,
    );
    expect(suites.length).toBeGreaterThanOrEqual(6);
    for (const suite of suites) {
      expect(suite).toMatch(
        /^(TLSv1\.3 TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)|TLSv1\.2 (ECDHE|DHE)-RSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305))$/,
      );
    }
    // DHE with OpenSSL (which lists no FFDHE group for TLS 1.2): NSS's ffdhe2048.
    const dhe = [...out.matchAll(/^(?:Preferred|Accepted) +TLSv1\.2 .* DHE-RSA-\S+ +DHE (\d+) bits/gm)];
    expect(dhe.length).toBe(3);
    for (const [, bits] of dhe) expect(Number(bits)).toBeGreaterThanOrEqual(2048);
    const signatures = [...out.matchAll(/^(TLSv1\.[23]) +([a-z0-9_]+)$/gm)].map(([, v, s]) => `${v} ${s}`);
    expect(signatures.length).toBeGreaterThan(0);
    for (const sig of signatures) expect(sig).not.toMatch(/sha1|dsa/);
  });
});

describe('renegotiations a client starts', () => {
  /** openssl s_client on TLS 1.2 against a node-nss echo server; `R` on stdin renegotiates. */
  async function renegotiatingClient(configure: (server: SSLServer) => void = () => undefined) {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.2' });
    configure(server);
    let handshakes = 0;
    server.setHandshakeCallback(() => handshakes++);
    const client = started(
      spawnPeer('openssl', [
        ...['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-tls1_2', '-msg'],
        ...['-CAfile', fx.certs.test_ca.pemPath, '-verify_return_error'],
      ]),
    );
    await client.seen(/Verify return code: 0/);
    await waitWhile(5000, 'accepted', () => sockets.length === 0 || handshakes === 0);
    const sock = sockets[0] as SSLSocket;
    const failure = new Promise<Error>((resolve) => sock.once('error', resolve));
    /** Types R and waits until the server completed that renegotiation (its `n`th after the handshake). */
    const renegotiate = async (n: number): Promise<void> => {
      client.command('R');
      await client.seen(/ClientHello/, n + 1);
      await waitWhile(5000, `renegotiation ${n}`, () => handshakes < n + 1);
    };
    const echo = async (line: string): Promise<void> => {
      client.command(line);
      await client.seen(new RegExp(line)); // echoed back (s_client does not print what is typed)
    };
    const close = async (): Promise<void> => {
      sockets.forEach((s) => s.destroy());
      await server.close();
    };
    return { client, sock, failure, renegotiate, echo, handshakes: () => handshakes, close };
  }

  it('by default a client may not renegotiate at all: the first attempt fails the connection', async () => {
    const c = await renegotiatingClient();
    try {
      await c.echo('before');
      c.client.command('R');
      const err = (await within(5000, 'the connection to fail', c.failure)) as Error & { code?: string };
      expect(err.code).toBe('SSL_ERROR_RENEGOTIATION_NOT_ALLOWED');
      expect(err.message).toMatch(/refuses renegotiations a client starts/);
      expect(c.handshakes()).toBe(1);
    } finally {
      await c.close();
    }
  });

  it("with node:tls's limit (3 per 10 minutes) a flood from openssl s_client is cut after 3", async () => {
    const c = await renegotiatingClient((server) => (server.renegotiationLimit = 3));
    try {
      for (let n = 1; n <= 3; n++) {
        await c.renegotiate(n);
        await c.echo(`after ${n}`);
      }
      expect(c.handshakes()).toBe(4);
      c.client.command('R');
      const err = (await within(5000, 'the connection to fail', c.failure)) as Error & { code?: string };
      expect(err.code).toBe('SSL_ERROR_RENEGOTIATION_NOT_ALLOWED');
      expect(err.message).toMatch(/renegotiat.*more than 3 times in 600 s/);
      expect(c.handshakes()).toBe(4);
      await within(5000, 'closed', new Promise((r) => (c.sock.closed ? r(null) : c.sock.once('close', r))));
    } finally {
      await c.close();
    }
  });

  it('the limit is the server’s to choose', async () => {
    const c = await renegotiatingClient((server) => (server.renegotiationLimit = 1));
    try {
      await c.renegotiate(1);
      await c.echo('first');
      c.client.command('R');
      const err = (await within(5000, 'the connection to fail', c.failure)) as Error & { code?: string };
      expect(err.message).toMatch(/more than 1 time in 600 s/);
      expect(c.handshakes()).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('once the window has passed, the client may renegotiate again', async () => {
    // Only the direction a slow machine cannot break: waiting longer than the window always reopens it.
    const c = await renegotiatingClient((server) => {
      server.renegotiationLimit = 1;
      server.renegotiationWindow = 1000;
    });
    try {
      await c.renegotiate(1);
      await c.echo('first');
      await new Promise((r) => setTimeout(r, 1500));
      await c.renegotiate(2);
      await c.echo('second');
      expect(c.handshakes()).toBe(3);
    } finally {
      await c.close();
    }
  });

  it('server-initiated renegotiations do not count', async () => {
    const c = await renegotiatingClient((server) => (server.renegotiationLimit = 1));
    try {
      for (let i = 0; i < 3; i++) {
        expect(await within(5000, 'rehandshake', c.sock.rehandshake(false))).toEqual({
          kind: 'renegotiation',
        });
      }
      await c.echo('after ours');
      await c.renegotiate(4);
      await c.echo('after theirs');
      expect(c.handshakes()).toBe(5);
    } finally {
      await c.close();
    }
  });
});
