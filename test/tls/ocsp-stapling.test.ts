// OCSP stapling both ways, with an OCSP response made by openssl ocsp for the server certificate: a node-nss
// client with requestOCSP gets the response openssl s_server (and node:tls) staples, byte for byte, as
// 'OCSPResponse'; a node-nss server staples its configured response to openssl s_client -status and to a
// node:tls client.
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, createSecureContext, init, SSLServer, shutdown } from 'node-nss';
import * as nssTLS from 'node-nss/tls';
import { makePemPKI, type PemPKI } from '../support/pem-pki.js';
import { spawnPeer, type PeerProcess } from '../support/peers.js';
import { freePort, waitForPort, within } from '../support/tls.js';
import { removeTemps, runOk } from '../support/tools.js';

let pki: PemPKI;
let response: Buffer;
const peers: PeerProcess[] = [];

beforeAll(() => {
  pki = makePemPKI();
  const dir = pki.dir;
  const file = (name: string) => path.join(dir, name);
  // An OCSP response saying server-ec is good, signed by the CA itself, as openssl's responder makes it.
  // openssl's CA database: server-ec is valid ('V'), so the responder says good.
  const x509 = new X509Certificate(pki.pem['server-ec']!);
  const end = new Date(x509.validTo);
  const two = (n: number) => String(n).padStart(2, '0');
  const expiry = `${two(end.getUTCFullYear() % 100)}${two(end.getUTCMonth() + 1)}${two(end.getUTCDate())}${two(end.getUTCHours())}${two(end.getUTCMinutes())}${two(end.getUTCSeconds())}Z`;
  fs.writeFileSync(file('index.txt'), `V\t${expiry}\t\t${x509.serialNumber}\tunknown\t/CN=localhost\n`);
  runOk('openssl', [
    'ocsp',
    '-issuer',
    file('ca.crt'),
    '-cert',
    file('server-ec.crt'),
    '-no_nonce',
    '-reqout',
    file('req.der'),
  ]);
  runOk('openssl', [
    ...['ocsp', '-index', file('index.txt'), '-CA', file('ca.crt'), '-rsigner', file('ca.crt')],
    ...['-rkey', file('ca.key'), '-reqin', file('req.der'), '-respout', file('resp.der'), '-ndays', '1'],
  ]);
  response = fs.readFileSync(file('resp.der'));
  init({ loadBuiltinRoots: false });
});
afterEach(() => peers.splice(0).forEach((p) => p.stop()));
afterAll(() => {
  shutdown();
  removeTemps();
});

/** A node-nss client's stapled responses, and whether it connected. */
async function stapledTo(port: number, requestOCSP: boolean): Promise<Buffer[]> {
  const got: Buffer[] = [];
  const sock = createConnection({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: pki.pem.ca,
    requestOCSP,
  });
  sock.on('OCSPResponse', (r: Buffer) => got.push(r));
  await within(
    10_000,
    'handshake',
    new Promise((resolve, reject) => {
      sock.once('secureConnect', resolve);
      sock.once('error', reject);
    }),
  );
  sock.destroy();
  return got;
}

/** openssl s_client -status against `port`: its output once the handshake is done (stdin closed at once). */
function sClientStatus(port: number): Promise<string> {
  return within(
    15_000,
    's_client',
    new Promise((resolve) => {
      const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-status'];
      const proc = spawn('openssl', [...args, '-CAfile', pki.file('ca.crt')], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
      proc.stdin.end();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      proc.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    }),
  );
}

describe('OCSP stapling', () => {
  it('a node-nss client with requestOCSP reads what openssl s_server and node:tls staple', async () => {
    const port = await freePort();
    peers.push(
      spawnPeer('openssl', [
        ...[
          's_server',
          '-accept',
          String(port),
          '-cert',
          pki.file('server-ec.crt'),
          '-key',
          pki.file('server-ec.key'),
        ],
        ...['-status_file', pki.file('resp.der'), '-quiet', '-www'],
      ]),
    );
    await waitForPort(port);
    const fromOpenSSL = await stapledTo(port, true);
    expect(fromOpenSSL).toHaveLength(1);
    expect(fromOpenSSL[0]!.equals(response)).toBe(true);
    // without requestOCSP nothing is asked for, and nothing comes
    expect(await stapledTo(port, false)).toEqual([]);

    const server = tls.createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }, (s) =>
      s.end(),
    );
    server.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer, cb: (err: Error | null, r: Buffer) => void) =>
      cb(null, response),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const fromNode = await stapledTo((server.address() as { port: number }).port, true);
      expect(fromNode.map((r) => r.equals(response))).toEqual([true]);
    } finally {
      server.close();
    }
  });

  it('a node-nss server staples its response to openssl s_client -status and to a node:tls client', async () => {
    const context = createSecureContext({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] });
    const { cert, key } = context.identities[0]!;
    const server = new SSLServer();
    server.configSecureServer(cert, key, undefined, { ocspResponse: response });
    server.on('secureConnection', (s) => s.end());
    server.on('tlsClientError', () => undefined);
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      // (spawned, not spawnSync: the server answers from this process's event loop)
      const status = await sClientStatus(port);
      expect(status).toContain('OCSP Response Status: successful');
      expect(status).toContain('Cert Status: good');
      const got = await within(
        10_000,
        'node client',
        new Promise<Buffer>((resolve, reject) => {
          const sock = tls.connect({
            port,
            host: '127.0.0.1',
            servername: 'localhost',
            ca: pki.pem.ca,
            requestOCSP: true,
          } as tls.ConnectionOptions);
          sock.once('OCSPResponse', (r: Buffer) => {
            sock.destroy();
            resolve(r);
          });
          sock.once('error', reject);
        }),
      );
      expect(got.equals(response)).toBe(true);
    } finally {
      await server.close();
    }
  });

  describe("'OCSPRequest' on a server, against node:tls in every pairing", () => {
    const IMPLS = { node: tls, nss: nssTLS } as const;
    type Impl = keyof typeof IMPLS;
    type Answer = (done: (err: Error | null, response?: Buffer | null) => void) => void;
    interface Outcome {
      /** Each 'OCSPRequest': the certificate's subject and its issuer's (or null). */
      requests: Array<[string, string | null, string]>;
      /** What the client's 'OCSPResponse' gave: 'response' for the openssl response, else what came. */
      responses: Array<string | null>;
      connected: boolean;
      /** The key type of the certificate the client was served. */
      served?: string;
      /** The message of the server's 'tlsClientError', when there was one. */
      clientError?: string;
    }

    async function scenario(
      serverImpl: Impl,
      clientImpl: Impl,
      answer: Answer,
      opts: { requestOCSP?: boolean; sni?: 'same key type' | 'RSA default' } = {},
    ): Promise<Outcome> {
      const impl = IMPLS[serverImpl];
      const outcome: Outcome = { requests: [], responses: [], connected: false };
      // With sni, SNICallback picks server-ec (issued by the root) for 'localhost'; the default is server-int
      // (EC too, issued by the intermediate) or server-rsa (another key type, which NSS keeps beside an answer
      // unless node-nss configures the answer first: see #configureSNIAnswer).
      const ec = { key: pki.pem['server-ec.key']!, cert: pki.pem['server-ec']!, ca: pki.pem.ca };
      const viaInt = {
        key: pki.pem['server-int.key']!,
        cert: pki.pem['server-int']! + pki.pem.int!,
        ca: pki.pem.ca,
      };
      const rsa = { key: pki.pem['server-rsa.key']!, cert: pki.pem['server-rsa']!, ca: pki.pem.ca };
      const ecContext = opts.sni ? impl.createSecureContext(ec) : undefined;
      const server = (impl.createServer as typeof tls.createServer)(
        {
          ...(opts.sni === 'RSA default' ? rsa : opts.sni ? viaInt : ec),
          ...(opts.sni
            ? {
                SNICallback: (_name: string, cb: (e: Error | null, c: unknown) => void) =>
                  cb(null, ecContext),
              }
            : {}),
        } as tls.TlsOptions,
        (sock) => sock.end(),
      );
      server.on('OCSPRequest', (cert: Buffer, issuer: Buffer | null, done: Parameters<Answer>[0]) => {
        const asked = new X509Certificate(cert);
        outcome.requests.push([
          asked.subject,
          issuer ? new X509Certificate(issuer).subject : null,
          asked.publicKey.asymmetricKeyType ?? '?',
        ]);
        answer(done);
      });
      server.on('tlsClientError', (err: Error) => (outcome.clientError = err.message));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const port = (server.address() as { port: number }).port;
        await within(
          10_000,
          `${serverImpl} server, ${clientImpl} client`,
          new Promise<void>((resolve) => {
            const sock = (IMPLS[clientImpl].connect as typeof tls.connect)({
              port,
              host: '127.0.0.1',
              servername: 'localhost',
              ca: pki.pem.ca,
              requestOCSP: opts.requestOCSP ?? true,
            } as tls.ConnectionOptions);
            sock.on('OCSPResponse', (r: Buffer | null) =>
              outcome.responses.push(r === null ? null : r.equals(response) ? 'response' : r.toString('hex')),
            );
            sock.once('secureConnect', () => {
              outcome.connected = true;
              outcome.served = sock.getPeerX509Certificate()?.publicKey.asymmetricKeyType;
              sock.end();
            });
            sock.once('error', () => undefined);
            sock.once('close', () => resolve());
          }),
        );
        // The server's 'tlsClientError' may come just after the client saw the connection close.
        if (outcome.requests.length > 0 && !outcome.connected) await new Promise((r) => setTimeout(r, 100));
      } finally {
        server.close();
      }
      return outcome;
    }

    async function everyPairing(
      answer: Answer,
      opts?: { requestOCSP?: boolean; sni?: 'same key type' | 'RSA default' },
    ) {
      const out: Record<string, Outcome> = {};
      for (const s of ['node', 'nss'] as const)
        for (const c of ['node', 'nss'] as const)
          out[`${s} server, ${c} client`] = await scenario(s, c, answer, opts);
      return out;
    }

    function same(outcomes: Record<string, Outcome>, expected: Outcome) {
      expect(outcomes).toEqual(Object.fromEntries(Object.keys(outcomes).map((k) => [k, expected])));
    }

    // The certificate asked about (subject, issuer, key type); every scenario serves server-ec's.
    const request: [string, string, string] = ['CN=localhost', 'CN=PEM Test CA', 'ec'];

    it('the listener gets the certificate and its issuer; its response is stapled, at once or later', async () => {
      const ok = { requests: [request], responses: ['response'], connected: true, served: 'ec' };
      same(await everyPairing((done) => done(null, response)), ok);
      same(await everyPairing((done) => setTimeout(() => done(null, response), 50)), ok);
    });

    it('null staples nothing (the client hears null); a client that does not ask causes no event', async () => {
      same(await everyPairing((done) => done(null, null)), {
        requests: [request],
        responses: [null],
        connected: true,
        served: 'ec',
      });
      same(await everyPairing((done) => done(null, response), { requestOCSP: false }), {
        requests: [],
        responses: [],
        connected: true,
        served: 'ec',
      });
    });

    it("the SNI callback's certificate is the one asked about and stapled", async () => {
      for (const sni of ['same key type', 'RSA default'] as const) {
        same(await everyPairing((done) => done(null, response), { sni }), {
          requests: [request],
          responses: ['response'],
          connected: true,
          served: 'ec',
        });
      }
    });

    it("an error from the listener ends the connection: the server's tlsClientError carries it", async () => {
      const outcomes = await everyPairing((done) => done(new Error('no responder')));
      for (const [pairing, outcome] of Object.entries(outcomes)) {
        expect(outcome.requests, pairing).toEqual([request]);
        expect(outcome.connected, pairing).toBe(false);
        expect(outcome.responses, pairing).toEqual([]);
        expect(outcome.clientError, pairing).toMatch(/no responder/);
      }
    });

    /**
     * An SSLServer with an RSA certificate configured first and an EC one after it; its 'OCSPRequest' records the
     * key type of each certificate asked about and staples `staple(keyType)`.
     */
    async function rsaAndEcServer(staple: (keyType: string) => Buffer) {
      const rsa = createSecureContext({ key: pki.pem['server-rsa.key'], cert: pki.pem['server-rsa'] })
        .identities[0]!;
      const ec = createSecureContext({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] })
        .identities[0]!;
      const server = new SSLServer();
      server.configSecureServer(rsa.cert, rsa.key);
      server.configSecureServer(ec.cert, ec.key);
      const asked: string[] = [];
      server.on('OCSPRequest', (cert: Buffer, _issuer: Buffer | null, done: (e: null, r: Buffer) => void) => {
        const keyType = new X509Certificate(cert).publicKey.asymmetricKeyType ?? '?';
        asked.push(keyType);
        done(null, staple(keyType));
      });
      server.on('secureConnection', (s) => s.end());
      server.on('tlsClientError', () => undefined);
      const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
      return { server, port, asked };
    }

    it('stapling for a server with an RSA and an EC certificate leaves the certificate served as it was', async () => {
      const { server, port, asked } = await rsaAndEcServer(() => response);
      try {
        const servedTo = (requestOCSP: boolean) =>
          within(
            10_000,
            'node client',
            new Promise<string>((resolve, reject) => {
              const sock = tls.connect({
                port,
                host: '127.0.0.1',
                servername: 'localhost',
                ca: pki.pem.ca,
                requestOCSP,
              } as tls.ConnectionOptions);
              sock.once('secureConnect', () => {
                resolve(sock.getPeerCertificate().asn1Curve !== undefined ? 'ec' : 'rsa');
                sock.destroy();
              });
              sock.once('error', reject);
            }),
          );
        const without = await servedTo(false);
        expect(await servedTo(true)).toBe(without);
        // The listener was asked about the first certificate configured.
        expect(asked).toEqual(['rsa']);
      } finally {
        await server.close();
      }
    });

    it('with an RSA and an EC certificate, the one asked about is the one served, whatever the client can take', async () => {
      // Each certificate's staple says whose it is, so that the client can tell which one it got.
      const { server, port, asked } = await rsaAndEcServer((keyType) => Buffer.from(`staple for ${keyType}`));
      const client = (options: Partial<tls.ConnectionOptions>) =>
        within(
          10_000,
          'node client',
          new Promise<{ served: string; staple: string | null }>((resolve, reject) => {
            let staple: string | null = null;
            const sock = tls.connect({
              port,
              host: '127.0.0.1',
              servername: 'localhost',
              ca: pki.pem.ca,
              requestOCSP: true,
              ...options,
            } as tls.ConnectionOptions);
            sock.on('OCSPResponse', (r: Buffer | null) => (staple = r && r.toString()));
            sock.once('secureConnect', () => {
              resolve({ served: sock.getPeerX509Certificate()?.publicKey.asymmetricKeyType ?? '?', staple });
              sock.destroy();
            });
            sock.once('error', reject);
          }),
        );
      try {
        const cases: Array<[string, Partial<tls.ConnectionOptions>, string]> = [
          ['TLS 1.3, ECDSA signatures only', { sigalgs: 'ecdsa_secp256r1_sha256' }, 'ec'],
          ['TLS 1.3, RSA-PSS only', { sigalgs: 'rsa_pss_rsae_sha256' }, 'rsa'],
          [
            'TLS 1.2, ECDSA suites only',
            { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
            'ec',
          ],
          [
            'TLS 1.2, RSA suites only',
            { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' },
            'rsa',
          ],
          ['TLS 1.2, both', { maxVersion: 'TLSv1.2' }, 'rsa'],
          ['TLS 1.3, both', {}, 'rsa'],
        ];
        for (const [name, options, expected] of cases) {
          asked.length = 0;
          const { served, staple } = await client(options);
          expect({ name, asked, served, staple }).toEqual({
            name,
            asked: [expected],
            served: expected,
            staple: `staple for ${expected}`,
          });
        }
      } finally {
        await server.close();
      }
    });

    it('a response that is not a Buffer fails that connection with a TypeError as its cause; the next one is served', async () => {
      const bad = await scenario('nss', 'nss', (done) => done(null, 'good' as unknown as Buffer));
      expect(bad).toMatchObject({ requests: [request], connected: false });
      expect(bad.clientError).toMatch(/'OCSPRequest' response must be a Buffer/);
      expect(await scenario('nss', 'nss', (done) => done(null, response))).toMatchObject({
        connected: true,
        responses: ['response'],
      });
    });
  });
});
