// Revocation: OCSP (openssl ocsp as the responder, stapled responses from node:tls servers) and CRLs (in the
// database and in memory), checked against the references that do the same job — vfychain for OCSP verdicts,
// crlutil for the database's CRLs, node:tls's `crl` option for CRLs in memory — and attacked: sessions made
// without revocation checking, forged CRLs, responders that never answer.
import * as nodeTLS from 'node:tls';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Certificate,
  CertVerifyError,
  certificateUsageSSLServer,
  clearOCSPCache,
  clearOCSPDefaultResponder,
  configOCSPCache,
  connect,
  createConnection,
  createSecureContext,
  createServer,
  getDefaultCertDB,
  getDefaultRevocationMode,
  init,
  NSPRError,
  setDefaultRevocationMode,
  setOCSPDefaultResponder,
  setOCSPTimeout,
  shutdown,
  type RevocationMode,
  type SSLSocket,
} from 'node-nss';
import * as nssTLS from 'node-nss/tls';
import {
  makeRevocationPKI,
  startResponder,
  type LeafName,
  type RevocationPKI,
} from './support/revocation-pki.js';
import type { PeerProcess } from './support/peers.js';
import { freePort, readBytes, within } from './support/tls.js';
import { emptyDB, nodeScript, removeTemps, run, runOk } from './support/tools.js';

let pki: RevocationPKI;
let responder: PeerProcess & { requests: () => number };
let db: { dir: string; db: string };
let silent: net.Server;
const silentSockets = new Set<net.Socket>();

beforeAll(async () => {
  // The silent port accepts connections and never answers: an OCSP responder that hangs.
  silent = net.createServer((sock) => {
    silentSockets.add(sock);
    sock.on('close', () => silentSockets.delete(sock));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  pki = makeRevocationPKI(await freePort(), (silent.address() as AddressInfo).port);
  responder = await startResponder(pki);
  db = emptyDB();
  runOk('certutil', ['-A', '-d', db.db, '-n', 'revocation-ca', '-t', 'CT,C,C', '-i', pki.file('ca.crt')]);
  init({ dbDir: db.db, readOnly: false, loadBuiltinRoots: false });
  // A hanging responder costs this long, not NSS's 60 s.
  setOCSPTimeout(2);
});

afterAll(() => {
  responder?.stop();
  for (const sock of silentSockets) sock.destroy();
  silent?.close();
  shutdown();
  removeTemps();
});

beforeEach(() => {
  clearOCSPCache();
  setDefaultRevocationMode('off');
});

/** The NSS code `fn` throws with (it must throw an NSPRError). */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NSPRError);
    return (err as NSPRError).code;
  }
  throw new Error('did not throw');
}

function leaf(name: LeafName): Certificate {
  return Certificate.fromPEM(pki.pem(`${name}.crt`));
}

/** NSS's own verdict: vfychain, PKIX, OCSP for the leaf (`-g leaf -m ocsp`), hard or soft. */
function vfychainVerdict(name: LeafName, mode: 'soft' | 'hard'): string {
  const args = ['-d', db.db, '-pp', '-u', '1', '-g', 'leaf', '-m', 'ocsp'];
  if (mode === 'hard') args.push('-s', 'failIfNoInfo');
  const r = run('vfychain', [...args, '-a', pki.file(`${name}.crt`)]);
  const out = r.stdout + r.stderr;
  if (/Chain is good/.test(out)) return 'good';
  const match = /ERROR (-\d+)/.exec(out);
  return match ? (new NSPRError(Number(match[1])).code ?? match[1]) : out;
}

async function verdict(name: LeafName, mode: RevocationMode, trustAnchors?: Certificate[]): Promise<string> {
  try {
    await leaf(name).verifyAsync(getDefaultCertDB(), certificateUsageSSLServer, {
      revocation: mode,
      trustAnchors,
    });
    return 'good';
  } catch (err) {
    expect(err).toBeInstanceOf(CertVerifyError);
    return (err as CertVerifyError).code ?? String(err);
  }
}

/** A node:tls server (the reference peer) with `name`'s certificate, stapling `staple` when asked. */
async function tlsServer(
  name: LeafName,
  opts: { staple?: Buffer; requestCert?: boolean } = {},
): Promise<{ port: number; stapled: () => number; close: () => Promise<void> }> {
  let stapled = 0;
  const server = nodeTLS.createServer(
    {
      key: pki.pem(`${name}.key`),
      cert: pki.pem(`${name}.crt`),
      ...(opts.requestCert ? { requestCert: true, rejectUnauthorized: false, ca: pki.pem('ca.crt') } : {}),
    },
    (sock) => sock.end('ok'),
  );
  server.on('tlsClientError', () => undefined);
  if (opts.staple) {
    const staple = opts.staple;
    server.on(
      'OCSPRequest',
      (_cert: Buffer, _issuer: Buffer, cb: (err: Error | null, resp: Buffer) => void) => {
        stapled++;
        cb(null, staple);
      },
    );
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stapled: () => stapled,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** node-nss's connect: `'connected'`, or the NSS code it failed with. */
async function nssConnect(port: number, opts: Parameters<typeof connect>[0] = {}): Promise<string> {
  try {
    const sock = await within(20_000, 'connect', connect({ host: 'localhost', port, ...opts }));
    sock.destroy();
    return 'connected';
  } catch (err) {
    return (err as NSPRError).code ?? String(err);
  }
}

describe('OCSP through the AIA URL (openssl ocsp as responder)', () => {
  it('gives the verdicts vfychain gives, in each mode', async () => {
    const seen: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const name of ['ocsp-good', 'ocsp-revoked'] as const) {
      for (const mode of ['soft', 'hard'] as const) {
        clearOCSPCache();
        seen[`${name} ${mode}`] = await verdict(name, mode);
        expected[`${name} ${mode}`] = vfychainVerdict(name, mode);
      }
      seen[`${name} off`] = await verdict(name, 'off');
      expected[`${name} off`] = 'good';
    }
    expect(seen).toEqual(expected);
    // And what that is: only the revoked certificate fails, once OCSP is asked.
    expect(seen['ocsp-revoked hard']).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
    expect(seen['ocsp-revoked soft']).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
    expect(seen['ocsp-good hard']).toBe('good');
  });

  it('fails a TLS client on a revoked server certificate when asked to check, and only then', async () => {
    const revoked = await tlsServer('ocsp-revoked');
    const good = await tlsServer('ocsp-good');
    try {
      const results: Record<string, string> = {};
      for (const mode of ['off', 'soft', 'hard'] as const) {
        clearOCSPCache();
        results[`revoked ${mode}`] = await nssConnect(revoked.port, { revocation: mode });
        results[`good ${mode}`] = await nssConnect(good.port, { revocation: mode });
      }
      expect(results).toEqual({
        'revoked off': 'connected',
        'good off': 'connected',
        'revoked soft': 'SEC_ERROR_REVOKED_CERTIFICATE',
        'good soft': 'connected',
        'revoked hard': 'SEC_ERROR_REVOKED_CERTIFICATE',
        'good hard': 'connected',
      });
    } finally {
      await revoked.close();
      await good.close();
    }
  });

  it('uses the process default, which register sets from NODE_NSS_REVOCATION', async () => {
    const revoked = await tlsServer('ocsp-revoked');
    try {
      expect(await nssConnect(revoked.port)).toBe('connected');
      setDefaultRevocationMode('hard');
      expect(getDefaultRevocationMode()).toBe('hard');
      expect(await nssConnect(revoked.port)).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
      // A socket's own mode wins.
      expect(await nssConnect(revoked.port, { revocation: 'off' })).toBe('connected');
    } finally {
      await revoked.close();
    }
  });

  it('node-nss/tls takes `revocation` as well, with checkServerIdentity too', async () => {
    const revoked = await tlsServer('ocsp-revoked');
    try {
      const attempt = (options: nssTLS.ConnectionOptions) =>
        within(
          20_000,
          'node-nss/tls connect',
          new Promise<string>((resolve) => {
            const sock = nssTLS.connect({ host: 'localhost', port: revoked.port, ...options }, () => {
              sock.destroy();
              resolve('connected');
            });
            sock.once('error', (err: NSPRError) => resolve(err.code ?? String(err)));
          }),
        );
      expect(await attempt({ revocation: 'hard' })).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
      let identityChecked = 0;
      const checkServerIdentity = () => {
        identityChecked++;
        return undefined;
      };
      expect(await attempt({ revocation: 'hard', checkServerIdentity })).toBe(
        'SEC_ERROR_REVOKED_CERTIFICATE',
      );
      // The application's check is not reached for a revoked certificate, and is for a good one.
      expect(identityChecked).toBe(0);
      const good = await tlsServer('ocsp-good');
      try {
        const ok = await within(
          20_000,
          'good',
          new Promise<string>((resolve) => {
            const sock = nssTLS.connect(
              { host: 'localhost', port: good.port, revocation: 'hard', checkServerIdentity },
              () => {
                sock.destroy();
                resolve('connected');
              },
            );
            sock.once('error', (err: NSPRError) => resolve(err.code ?? String(err)));
          }),
        );
        expect(ok).toBe('connected');
        expect(identityChecked).toBe(1);
      } finally {
        await good.close();
      }
    } finally {
      await revoked.close();
    }
  });

  it('asks the responder once per certificate while its answer is fresh (NSS caches it)', async () => {
    const good = await tlsServer('ocsp-good');
    try {
      const before = responder.requests();
      for (let i = 0; i < 3; i++)
        expect(await nssConnect(good.port, { revocation: 'hard' })).toBe('connected');
      expect(responder.requests() - before).toBe(1);
      clearOCSPCache();
      expect(await nssConnect(good.port, { revocation: 'hard' })).toBe('connected');
      expect(responder.requests() - before).toBe(2);
    } finally {
      await good.close();
    }
  });
});

describe('an OCSP responder that never answers', () => {
  // (vfychain is no reference here: NSS's own fetchers wait 30 or 60 s whatever the timeout says.)
  it("soft lets the certificate through, hard fails it with NSS's OCSP error, within the timeout", async () => {
    expect(await verdict('silent-good', 'soft')).toBe('good');
    expect(await verdict('silent-good', 'hard')).toMatch(/^SEC_ERROR_OCSP_/);
  });

  it('does not block the event loop while a client waits for it', async () => {
    const server = await tlsServer('silent-good');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    try {
      const result = await nssConnect(server.port, { revocation: 'hard' });
      expect(result).toMatch(/^SEC_ERROR_OCSP_/);
      // The request waited for the timeout (2 s): timers ran all along. Blocked, they would not have run.
      expect(ticks).toBeGreaterThan(20);
    } finally {
      clearInterval(timer);
      await server.close();
    }
  });
});

describe('stapled OCSP responses', () => {
  it('a stapled good answer satisfies hard mode without the responder', async () => {
    const server = await tlsServer('silent-good', { staple: pki.staple('silent-good') });
    try {
      expect(await nssConnect(server.port, { revocation: 'hard' })).toBe('connected');
      expect(server.stapled()).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });

  it('a stapled revoked answer fails the handshake in soft mode', async () => {
    const server = await tlsServer('silent-revoked', { staple: pki.staple('silent-revoked') });
    try {
      expect(await nssConnect(server.port, { revocation: 'soft' })).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
      clearOCSPCache();
      // Without checking, the same staple is only reported ('OCSPResponse'), not acted on.
      expect(await nssConnect(server.port, { revocation: 'off', requestOCSP: true })).toBe('connected');
    } finally {
      await server.close();
    }
  });

  it('a staple for another certificate does not count', async () => {
    // The server staples silent-good's answer while serving silent-revoked: NSS ignores it, asks the
    // (silent) responder and, hard, fails without an answer rather than accept.
    const server = await tlsServer('silent-revoked', { staple: pki.staple('silent-good') });
    try {
      expect(await nssConnect(server.port, { revocation: 'hard' })).toMatch(/^SEC_ERROR_OCSP_/);
    } finally {
      await server.close();
    }
  });
});

describe('sessions never cross revocation modes', () => {
  /** A connection that reads the server's 'ok' (TLS 1.3 tickets come before it); its sessions and reuse. */
  async function readOk(
    port: number,
    opts: { revocation: RevocationMode; session?: Buffer; watch?: boolean },
  ) {
    const sessions: Buffer[] = [];
    const sock = createConnection({
      host: 'localhost',
      port,
      revocation: opts.revocation,
      session: opts.session,
    });
    if (opts.watch) sock.on('session', (session: Buffer) => sessions.push(session));
    await within(
      10_000,
      'handshake',
      new Promise((resolve, reject) => sock.once('secureConnect', resolve).once('error', reject)),
    );
    expect((await within(10_000, 'read', readBytes(sock, 2))).toString()).toBe('ok');
    const resumed = sock.getSSLChannelInfo().resumed;
    sock.destroy();
    return { sessions, resumed };
  }

  it("a session made without checking is not resumed by a client that checks (NSS's cache)", async () => {
    const revoked = await tlsServer('ocsp-revoked');
    try {
      expect((await readOk(revoked.port, { revocation: 'off' })).resumed).toBe(false);
      // The session is in NSS's cache: the same policy resumes it...
      expect((await readOk(revoked.port, { revocation: 'off' })).resumed).toBe(true);
      // ...a client that checks does not, and sees the revocation.
      expect(await nssConnect(revoked.port, { revocation: 'hard' })).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
    } finally {
      await revoked.close();
    }
  });

  it('nor from a session token handed to the application', async () => {
    const revoked = await tlsServer('ocsp-revoked');
    try {
      const { sessions } = await readOk(revoked.port, { revocation: 'off', watch: true });
      const session = sessions.at(-1);
      expect(session).toBeInstanceOf(Buffer);
      expect(await nssConnect(revoked.port, { revocation: 'hard', session })).toBe(
        'SEC_ERROR_REVOKED_CERTIFICATE',
      );
      expect((await readOk(revoked.port, { revocation: 'off', session })).resumed).toBe(true);
    } finally {
      await revoked.close();
    }
  });
});

describe('the default responder', () => {
  afterAll(() => clearOCSPDefaultResponder());

  it('answers for certificates without an AIA URL, and under trust anchors alone', async () => {
    const ca = Certificate.fromPEM(pki.pem('ca.crt'));
    // Nobody to ask: revoked or not, the certificate passes, even hard.
    expect(await verdict('noaia-revoked', 'hard')).toBe('good');
    // Under anchors, with the CA also trusted by the database: the responder's signature checks out.
    expect(await verdict('ocsp-good', 'hard', [ca])).toBe('good');
    expect(await verdict('ocsp-revoked', 'hard', [ca])).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
    setOCSPDefaultResponder(`http://127.0.0.1:${pki.responderPort}/`, 'revocation-ca');
    clearOCSPCache();
    expect(await verdict('noaia-revoked', 'hard')).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
    expect(await verdict('noaia-good', 'hard')).toBe('good');
    expect(await verdict('noaia-revoked', 'hard', [ca])).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
    expect(await verdict('noaia-good', 'hard', [ca])).toBe('good');
    clearOCSPDefaultResponder();
    clearOCSPCache();
    expect(await verdict('noaia-revoked', 'hard')).toBe('good');
  });

  it("under trust anchors alone (no database), says the responder's answer cannot be checked", async () => {
    // NSS verifies a responder's certificate against the database's trust only: with none, a response the CA
    // signed is not accepted, and node-nss says so instead of libpkix's "revoked".
    const script = `
      const nss = require('node-nss');
      const fs = require('node:fs');
      nss.init();
      const ca = nss.Certificate.fromPEM(fs.readFileSync(${JSON.stringify(pki.file('ca.crt'))}, 'utf8'));
      const verdict = async (name, revocation) => {
        const cert = nss.Certificate.fromPEM(fs.readFileSync(${JSON.stringify(pki.dir)} + '/' + name + '.crt', 'utf8'));
        try { await cert.verifyAsync(nss.getDefaultCertDB(), nss.certificateUsageSSLServer, { revocation, trustAnchors: [ca] }); return 'good'; }
        catch (err) { return err.code; }
      };
      (async () => {
        const out = [await verdict('ocsp-good', 'off'), await verdict('ocsp-good', 'soft'), await verdict('ocsp-good', 'hard'),
          await verdict('ocsp-revoked', 'hard')];
        nss.shutdown();
        console.log(out.join(' '));
      })();`;
    const r = await nodeScript(script, { ms: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(
      'good good SEC_ERROR_OCSP_INVALID_SIGNING_CERT SEC_ERROR_OCSP_INVALID_SIGNING_CERT',
    );
  });

  it('takes a Certificate with a nickname, and refuses bad input clearly', () => {
    expect(() => setOCSPDefaultResponder('', 'revocation-ca')).toThrow(/url/);
    expect(() => setOCSPDefaultResponder('https://ocsp.test/', 'revocation-ca')).toThrow(RangeError);
    expect(() => setOCSPDefaultResponder('http://127.0.0.1:1/', 42 as never)).toThrow(TypeError);
    expect(() =>
      setOCSPDefaultResponder('http://127.0.0.1:1/', Certificate.fromPEM(pki.pem('ocsp-good.crt'))),
    ).toThrow(RangeError);
    let error: unknown;
    try {
      setOCSPDefaultResponder('http://127.0.0.1:1/', 'no such nickname');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NSPRError);
    expect((error as NSPRError).code).toMatch(/^SEC_ERROR_/);
    const fromDB = getDefaultCertDB().findCertFromNickname('revocation-ca');
    setOCSPDefaultResponder(`http://127.0.0.1:${pki.responderPort}/`, fromDB);
    clearOCSPDefaultResponder();
  });
});

describe("node-nss's OCSP HTTP client", () => {
  it('takes an answer from a responder that keeps the connection open (Content-Length ends it)', async () => {
    // A relay to openssl ocsp that answers as an HTTP/1.1 server would and never closes: a client that waited
    // for the end of the connection would time out, and 'hard' would fail with an OCSP error.
    const open = new Set<net.Socket>();
    const relay = net.createServer((sock) => {
      open.add(sock);
      sock.on('error', () => undefined);
      let request = Buffer.alloc(0);
      sock.on('data', (chunk: Buffer) => {
        request = Buffer.concat([request, chunk]);
        const end = request.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = request.subarray(0, end).toString('latin1');
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (request.length < end + 4 + length) return;
        const [method = 'GET', path = '/'] = head.split(' ');
        const upstream = net.connect(pki.responderPort, '127.0.0.1', () => {
          upstream.end(
            Buffer.concat([
              Buffer.from(
                `${method} ${path} HTTP/1.0\r\nContent-Type: application/ocsp-request\r\nContent-Length: ${length}\r\n\r\n`,
              ),
              request.subarray(end + 4, end + 4 + length),
            ]),
          );
        });
        const answer: Buffer[] = [];
        upstream.on('data', (d: Buffer) => answer.push(d));
        upstream.on('end', () => {
          const whole = Buffer.concat(answer);
          const body = whole.subarray(whole.indexOf('\r\n\r\n') + 4);
          sock.write(
            `HTTP/1.1 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: ${body.length}\r\n\r\n`,
          );
          sock.write(body); // and the connection stays open
        });
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      setOCSPDefaultResponder(`http://127.0.0.1:${(relay.address() as AddressInfo).port}/`, 'revocation-ca');
      expect(await verdict('noaia-revoked', 'hard')).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
      expect(await verdict('noaia-good', 'hard')).toBe('good');
      expect(open.size).toBeGreaterThan(0);
    } finally {
      clearOCSPDefaultResponder();
      for (const sock of open) sock.destroy();
      relay.close();
    }
  });
});

describe('a server checking client certificates', () => {
  it('refuses a revoked client certificate when asked to check, as NSS must answer inside the handshake', async () => {
    const results: Record<string, string> = {};
    for (const mode of ['off', 'hard'] as const) {
      const server = createServer(
        {
          cert: pki.pem('ocsp-good.crt'),
          key: pki.pem('ocsp-good.key'),
          requireCert: true,
          revocation: mode,
        },
        (sock: SSLSocket) => sock.end('ok'),
      );
      const failures: string[] = [];
      server.on('tlsClientError', (err: NSPRError) => failures.push(err.code ?? String(err)));
      const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
      for (const client of ['client-good', 'client-revoked'] as const) {
        clearOCSPCache();
        const outcome = await within(
          20_000,
          'node:tls client',
          new Promise<string>((resolve) => {
            const sock = nodeTLS.connect({
              host: '127.0.0.1',
              port,
              ca: pki.pem('ca.crt'),
              servername: 'localhost',
              cert: pki.pem(`${client}.crt`),
              key: pki.pem(`${client}.key`),
            });
            let data = '';
            sock.on('data', (d: Buffer) => (data += d.toString()));
            sock.on('end', () => resolve(data === 'ok' ? 'served' : `ended: ${data}`));
            sock.on('error', () => resolve('refused'));
          }),
        );
        results[`${mode} ${client}`] = outcome;
      }
      results[`${mode} server errors`] = failures.join(',');
      await server.close();
    }
    expect(results).toEqual({
      'off client-good': 'served',
      'off client-revoked': 'served',
      'off server errors': '',
      'hard client-good': 'served',
      'hard client-revoked': 'refused',
      'hard server errors': 'SEC_ERROR_REVOKED_CERTIFICATE',
    });
  });
});

describe('bad input', () => {
  it('names the argument', async () => {
    expect(() => setDefaultRevocationMode('strict' as never)).toThrow(RangeError);
    expect(() => setDefaultRevocationMode(1 as never)).toThrow(TypeError);
    // As every option of connect(): checked before anything starts.
    expect(() => connect({ host: 'localhost', port: 1, revocation: 'sometimes' as never })).toThrow(
      /opts\.revocation/,
    );
    await expect(
      leaf('ocsp-good').verifyAsync(getDefaultCertDB(), certificateUsageSSLServer, {
        revocation: 'x' as never,
      }),
    ).rejects.toThrow(/opts\.revocation/);
    await expect(leaf('ocsp-good').verifyAsync(getDefaultCertDB(), 3)).rejects.toThrow(RangeError);
    expect(() => setOCSPTimeout(0)).toThrow(RangeError);
    expect(() => configOCSPCache({ maxEntries: 10, minSeconds: 10, maxSeconds: 5 })).toThrow(RangeError);
    expect(() => createSecureContext({ crl: 'not a CRL' })).toThrow(/X509 CRL/);
    let error: unknown;
    try {
      createSecureContext({ crl: Buffer.from('30030201', 'hex') });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NSPRError);
    expect((error as NSPRError).code).toMatch(/^SEC_ERROR_/);
  });
});

// CRLs come last: a CRL applies to every verification in the process while it is held (the database's
// CRL is deleted again before the ones in memory are tried).
describe('CRLs in the database, against crlutil', () => {
  it('imports, lists and deletes as crlutil sees it; verification follows', () => {
    const certdb = getDefaultCertDB();
    const cert = leaf('noaia-revoked');
    const check = () => {
      try {
        cert.verifyNow(certdb, true, certificateUsageSSLServer);
        return 'good';
      } catch (err) {
        return (err as NSPRError).code;
      }
    };
    expect(check()).toBe('good');
    certdb.importCRL(pki.pem('ca.crl'), { url: 'http://crl.test/ca.crl' });
    expect(check()).toBe('SEC_ERROR_REVOKED_CERTIFICATE');
    const listed = certdb.listCRLs();
    expect(listed.map((crl) => crl.issuer)).toEqual(['CN=Revocation Test CA']);
    expect(listed[0]?.url).toBe('http://crl.test/ca.crl');
    // crlutil names a CRL by its issuer's nickname in the database.
    expect(runOk('crlutil', ['-L', '-d', db.db])).toMatch(/revocation-ca\s+CRL/);
    // vfychain, a separate process, reads the same database: it sees the revocation too.
    const v = run('vfychain', ['-d', db.db, '-u', '1', '-a', pki.file('noaia-revoked.crt')]);
    expect(v.stdout + v.stderr).toMatch(/-8180/);
    // A forged CRL does not import: its signature does not verify under the CA in the database.
    expect(codeOf(() => certdb.importCRL(pki.pem('forged.crl')))).toMatch(/^SEC_ERROR_CRL_/);
    certdb.deleteCRL(pki.pem('ca.crl'));
    expect(certdb.listCRLs()).toEqual([]);
    expect(runOk('crlutil', ['-L', '-d', db.db])).not.toMatch(/revocation-ca\s+CRL/);
    expect(check()).toBe('good');
    expect(codeOf(() => certdb.deleteCRL(pki.pem('ca.crl')))).toBe('SEC_ERROR_CRL_NOT_FOUND');
  });
});

describe("CRLs in memory (node:tls's `crl`), against node:tls", () => {
  type Client = (port: number, options: nodeTLS.ConnectionOptions) => Promise<string>;
  const clients: Record<string, Client> = {
    'node:tls': (port, options) =>
      within(
        10_000,
        'node:tls',
        new Promise<string>((resolve) => {
          const sock = nodeTLS.connect(
            { host: '127.0.0.1', port, servername: 'localhost', ...options },
            () => {
              sock.destroy();
              resolve('connected');
            },
          );
          sock.once('error', () => resolve('refused'));
        }),
      ),
    'node-nss/tls': (port, options) =>
      within(
        10_000,
        'node-nss/tls',
        new Promise<string>((resolve) => {
          const sock = nssTLS.connect(
            { host: '127.0.0.1', port, servername: 'localhost', ...(options as nssTLS.ConnectionOptions) },
            () => {
              sock.destroy();
              resolve('connected');
            },
          );
          sock.once('error', (err: NSPRError) =>
            resolve(err.code === 'SEC_ERROR_REVOKED_CERTIFICATE' ? 'refused' : `refused (${err.code})`),
          );
        }).catch((err: NSPRError) =>
          // A CRL whose signature does not verify is refused when it is given (see below).
          err.code === 'SEC_ERROR_CRL_BAD_SIGNATURE' ? 'refused' : `threw ${err.code}`,
        ),
      ),
  };

  it('refuses what node:tls refuses, and a forged CRL revokes nothing', async () => {
    const revoked = await tlsServer('noaia-revoked');
    const good = await tlsServer('noaia-good');
    try {
      const ca = pki.pem('ca.crt');
      const results: Record<string, Record<string, string>> = {};
      for (const [impl, client] of Object.entries(clients)) {
        results[impl] = {
          'revoked, no crl': await client(revoked.port, { ca }),
          'revoked, crl': await client(revoked.port, { ca, crl: pki.pem('ca.crl') }),
          'good, crl': await client(good.port, { ca, crl: pki.pem('ca.crl') }),
          'good, forged crl': await client(good.port, { ca, crl: pki.pem('forged.crl') }),
        };
      }
      // A CRL whose signature does not verify: OpenSSL fails the handshake (X509_V_ERR_CRL_SIGNATURE_FAILURE);
      // node-nss refuses it when it is given, since NSS would let one such CRL switch its CRL checks for that
      // issuer off (see below).
      expect(results['node-nss/tls']).toEqual(results['node:tls']);
      expect(results['node:tls']).toEqual({
        'revoked, no crl': 'connected',
        'revoked, crl': 'refused',
        'good, crl': 'connected',
        'good, forged crl': 'refused',
      });
      // Under the database's trust (NSS's own check, SSL_AuthCertificate) as well as under `ca`.
      expect(await nssConnect(revoked.port, { crl: pki.pem('ca.crl') })).toBe(
        'SEC_ERROR_REVOKED_CERTIFICATE',
      );
      expect(await nssConnect(good.port, { crl: pki.pem('ca.crl') })).toBe('connected');
    } finally {
      await revoked.close();
      await good.close();
    }
  });

  it('a forged CRL given beside the real one does not switch the real one off', async () => {
    // Measured before node-nss checked signatures: with the forger's CRL cached next to the CA's, NSS ignored
    // both, and the revoked certificate verified.
    const ca = pki.pem('ca.crt');
    let error: unknown;
    try {
      createSecureContext({ ca, crl: [pki.pem('ca.crl'), pki.pem('forged.crl')] });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NSPRError);
    expect((error as NSPRError).code).toBe('SEC_ERROR_CRL_BAD_SIGNATURE');
    // Nor does the forger's CA certificate, held in memory but trusted by no one, vouch for its CRL.
    const forger = Certificate.fromPEM(pki.pem('forger.crt'));
    expect(codeOf(() => createSecureContext({ crl: pki.pem('forged.crl') }))).toBe(
      'SEC_ERROR_CRL_BAD_SIGNATURE',
    );
    expect(forger.isCA).toBe(true);
    const context = createSecureContext({ ca, crl: pki.pem('ca.crl') });
    expect(await verdict('noaia-revoked', 'off', [...(context.trustAnchors ?? [])])).toBe(
      'SEC_ERROR_REVOKED_CERTIFICATE',
    );
    expect(context.crlCount).toBe(1);
  });

  it('holds the CRL while a context holds it, and lets it go when the context is collected', async () => {
    const script = `
      const nss = require('node-nss');
      const fs = require('node:fs');
      nss.init({ dbDir: ${JSON.stringify(db.db)}, loadBuiltinRoots: false });
      const cert = nss.Certificate.fromPEM(fs.readFileSync(${JSON.stringify(pki.file('noaia-revoked.crt'))}, 'utf8'));
      const check = () => { try { cert.verifyNow(nss.getDefaultCertDB(), true, nss.certificateUsageSSLServer); return 'good'; }
        catch (err) { return err.code; } };
      (async () => {
        const out = [check()];
        let context = nss.createSecureContext({ crl: fs.readFileSync(${JSON.stringify(pki.file('ca.crl'))}) });
        out.push(check(), String(context.crlCount));
        context = null;
        for (let i = 0; i < 10; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
        out.push(check());
        nss.shutdown();
        console.log(out.join(' '));
      })();`;
    const r = await nodeScript(script, { args: ['--expose-gc'], ms: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('good SEC_ERROR_REVOKED_CERTIFICATE 1 good');
  });
});

describe('a server resuming a client', () => {
  it("checks the client's certificate again: a session made before a CRL revoked it does not let it back in", async () => {
    const server = createServer(
      {
        cert: pki.pem('ocsp-good.crt'),
        key: pki.pem('ocsp-good.key'),
        ca: pki.pem('ca.crt'),
        requireCert: true,
      },
      (sock: SSLSocket) => sock.end('ok'),
    );
    const failures: string[] = [];
    server.on('tlsClientError', (err: NSPRError) => failures.push(err.code ?? String(err)));
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    const attempt = (session?: Buffer) =>
      within(
        20_000,
        'node:tls client',
        new Promise<{ outcome: string; session?: Buffer; reused: boolean }>((resolve) => {
          let saved: Buffer | undefined;
          const sock = nodeTLS.connect({
            host: '127.0.0.1',
            port,
            ca: pki.pem('ca.crt'),
            servername: 'localhost',
            cert: pki.pem('client-good.crt'),
            key: pki.pem('client-good.key'),
            maxVersion: 'TLSv1.2',
            session,
          });
          sock.on('session', (s: Buffer) => (saved = s));
          let data = '';
          sock.on('data', (d: Buffer) => (data += d.toString()));
          sock.on('end', () => resolve({ outcome: data, session: saved, reused: sock.isSessionReused() }));
          sock.on('error', () => resolve({ outcome: 'refused', reused: false }));
        }),
      );
    try {
      const first = await attempt();
      expect(first.outcome).toBe('ok');
      expect(first.session).toBeInstanceOf(Buffer);
      // Before the CRL, the session resumes.
      const again = await attempt(first.session);
      expect(again).toMatchObject({ outcome: 'ok', reused: true });
      // The CA's next CRL revokes this client.
      const context = createSecureContext({ ca: pki.pem('ca.crt'), crl: pki.pem('later.crl') });
      expect(context.crlCount).toBe(1);
      // The server refuses it once the resumed handshake is done (the client may see an alert or a bare end).
      expect((await attempt(first.session)).outcome).not.toBe('ok');
      expect(failures).toEqual(['SEC_ERROR_REVOKED_CERTIFICATE']);
    } finally {
      await server.close();
    }
  });
});
