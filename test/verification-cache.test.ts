// The cache of successful peer verifications (src/tls/verification-cache.ts) must never let a connection
// through that NSS's own check would refuse: each test is the sequence of connections that would break that,
// against openssl s_server and node-nss servers. Every client connection here is a full handshake (a peer
// ID of its own), so that the certificate check runs.
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  Certificate,
  clearVerificationCache,
  configVerificationCache,
  createCertificate,
  generateKeyPair,
  getDefaultCertDB,
  init,
  shutdown,
  SSL_REQUEST_CERTIFICATE,
  SSL_REQUIRE_ALWAYS,
  SSL_REQUIRE_CERTIFICATE,
  SSLServer,
  type SSLSocket,
} from 'node-nss';
import { spawnPeer, type PeerProcess } from './support/peers.js';
import { freePort, nssClient, waitForPort } from './support/tls.js';
import { removeTemps, writableCopy } from './support/tools.js';
import type { FixtureDB } from './fixtures/nssdb.js';

let fx: FixtureDB;
beforeAll(() => {
  fx = writableCopy(inject('fixtures').ec);
  init({ dbDir: fx.db, password: fx.password, readOnly: false, loadBuiltinRoots: false });
});
afterAll(() => {
  shutdown();
  removeTemps();
});

const peers: PeerProcess[] = [];
afterEach(() => {
  peers.splice(0).forEach((p) => p.stop());
  configVerificationCache({ maxEntries: 1000, maxAge: 600_000 });
  const db = getDefaultCertDB();
  db.setTrust(db.findCertFromNickname('test_ca'), 'CT,,CT');
});

let connections = 0;
/**
 * A full handshake to 127.0.0.1:port as `hostname`, then closed (s_server serves one connection at a time):
 * resolves with what the socket says of it, rejects with the NSS error.
 */
async function open(
  port: number,
  opts: { hostname?: string; peerID?: string; clientCert?: string } = {},
): Promise<{ authorized: boolean; resumed: boolean }> {
  const sock = await nssClient(port, { peerID: `verification-cache-${++connections}`, ...opts });
  const seen = { authorized: sock.authorized, resumed: sock.getSSLChannelInfo().resumed };
  await new Promise((resolve) => {
    sock.once('close', resolve);
    sock.end();
  });
  return seen;
}

/** openssl s_server with the fixture's localhost certificate, one connection after another. */
async function opensslServer(): Promise<number> {
  const port = await freePort();
  const peer = spawnPeer('openssl', [
    ...['s_server', '-accept', String(port), '-www'],
    ...['-cert', fx.certs.test_server.pemPath, '-key', fx.keyPemPaths.test_server],
    ...['-cert_chain', fx.certs.test_ca.pemPath],
  ]);
  peers.push(peer);
  await waitForPort(port);
  return port;
}

/** Changes the CA's trust the way nothing in node-nss sees (the binding alone): shows what the cache keeps. */
function distrustBehindNodeNSS(): void {
  const ca = getDefaultCertDB().findCertFromNickname('test_ca') as unknown as {
    native: { setTrust(trust: string, pinArgs: unknown[]): void };
  };
  ca.native.setTrust(',,', []);
}

describe('the verification cache', () => {
  it('keeps a verified chain: a change node-nss cannot see shows only after clearVerificationCache()', async () => {
    const port = await opensslServer();
    expect((await open(port)).authorized).toBe(true);
    distrustBehindNodeNSS();
    // The same chain again: taken from the cache (NSS itself would now refuse it, as below).
    expect((await open(port)).authorized).toBe(true);
    clearVerificationCache();
    await expect(open(port)).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
  });

  it('maxEntries: 0 turns it off: every connection is verified by NSS', async () => {
    configVerificationCache({ maxEntries: 0 });
    const port = await opensslServer();
    expect((await open(port)).authorized).toBe(true);
    distrustBehindNodeNSS();
    await expect(open(port)).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
  });

  it('checks the host name on every connection, also for a chain it keeps', async () => {
    const port = await opensslServer();
    expect((await open(port, { hostname: 'localhost' })).authorized).toBe(true);
    await expect(open(port, { hostname: 'other.example' })).rejects.toMatchObject({
      code: 'SSL_ERROR_BAD_CERT_DOMAIN',
    });
    expect((await open(port, { hostname: 'localhost' })).authorized).toBe(true);
  });

  it('a trust change through CertDB.setTrust applies to the very next connection', async () => {
    const port = await opensslServer();
    expect((await open(port)).authorized).toBe(true);
    const db = getDefaultCertDB();
    db.setTrust(db.findCertFromNickname('test_ca'), ',,');
    await expect(open(port)).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
    db.setTrust(db.findCertFromNickname('test_ca'), 'CT,,CT');
    expect((await open(port)).authorized).toBe(true);
  });

  it('a CA deleted from the database and imported again without trust is not trusted from the cache', async () => {
    const port = await opensslServer();
    expect((await open(port)).authorized).toBe(true);
    const db = getDefaultCertDB();
    const ca = db.findCertFromNickname('test_ca');
    const der = ca.derData;
    db.deleteCertificate(ca);
    await expect(open(port)).rejects.toMatchObject({ code: expect.stringMatching(/^SEC_ERROR_/) });
    db.importCertificate(der, { nickname: 'test_ca' });
    await expect(open(port)).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
    db.setTrust(db.findCertFromNickname('test_ca'), 'CT,,CT');
    expect((await open(port)).authorized).toBe(true);
  });

  it('a session made before a trust change is not resumed after it', async () => {
    const port = await opensslServer();
    const peerID = 'verification-cache-resumption';
    expect(await open(port, { peerID })).toEqual({ authorized: true, resumed: false });
    expect(await open(port, { peerID })).toEqual({ authorized: true, resumed: true }); // they do resume
    const db = getDefaultCertDB();
    db.setTrust(db.findCertFromNickname('test_ca'), ',,');
    await expect(open(port, { peerID })).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
  });

  it("a trust change in a worker thread applies to the main thread's next connection", async () => {
    const port = await opensslServer();
    expect((await open(port)).authorized).toBe(true);
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const nss = require('node-nss');
      nss.init(workerData);
      const db = nss.getDefaultCertDB();
      db.setTrust(db.findCertFromNickname('test_ca'), ',,');
      nss.shutdown();
      parentPort.postMessage('done');
    `;
    const worker = new Worker(source, {
      eval: true,
      workerData: { dbDir: fx.db, password: fx.password, readOnly: false, loadBuiltinRoots: false },
    });
    await new Promise<void>((resolve, reject) => {
      worker.on('message', () => resolve());
      worker.on('error', reject);
      worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exit ${code}`))));
    });
    await expect(open(port)).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
  });

  it("a server certificate the client verified is still checked for client use when it is a client's", async () => {
    // A server whose check goes through node-nss (a bad-cert callback that overrides nothing), TLS 1.2 so
    // that its verdict reaches the client within the handshake.
    const db = getDefaultCertDB();
    const serverCert = db.findCertFromNickname('test_server');
    const server = new SSLServer();
    server.configSecureServer(serverCert, db.findKeyByAnyCert(serverCert));
    server.setSSLVersionRange('tls1.2', 'tls1.2');
    server.setSSLOption(SSL_REQUEST_CERTIFICATE, true);
    server.setSSLOption(SSL_REQUIRE_CERTIFICATE, SSL_REQUIRE_ALWAYS);
    const verdicts: string[] = [];
    server.setBadCertCallback((_sock: SSLSocket, err: Error & { code?: string }) => {
      verdicts.push(String(err.code));
      return false;
    });
    server.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
    const { port } = await server.listen({ port: 0 });
    try {
      // The client verifies test_server as a server's certificate, the server test_user as a client's: both
      // chains are now kept, each for its use.
      expect((await open(port, { clientCert: 'test_user' })).authorized).toBe(true);
      // test_server as a client's certificate (serverAuth only): the server's check must refuse it.
      await expect(open(port, { clientCert: 'test_server' })).rejects.toMatchObject({
        code: expect.stringMatching(/^SSL_ERROR_\w*CERT\w*_ALERT$/),
      });
      expect(verdicts).toEqual(['SEC_ERROR_INADEQUATE_CERT_TYPE']);
      // Again, after test_user was accepted from the cache.
      expect((await open(port, { clientCert: 'test_user' })).authorized).toBe(true);
      await expect(open(port, { clientCert: 'test_server' })).rejects.toMatchObject({
        code: expect.stringMatching(/^SSL_ERROR_\w*CERT\w*_ALERT$/),
      });
      expect(verdicts).toEqual(['SEC_ERROR_INADEQUATE_CERT_TYPE', 'SEC_ERROR_INADEQUATE_CERT_TYPE']);
    } finally {
      await server.close();
    }
  });

  it('a kept chain is not used past the end of its certificate’s validity', async () => {
    const db = getDefaultCertDB();
    const caCert = db.findCertFromNickname('test_ca');
    const caKey = db.findKeyByAnyCert(caCert);
    const key = await generateKeyPair({ type: 'ec', permanent: false });
    // Valid for four seconds from now.
    const cert: Certificate = createCertificate({
      subject: 'CN=localhost',
      publicKeyFrom: key,
      issuer: { certificate: caCert, key: caKey },
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 4_000),
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['serverAuth'],
      subjectAltNames: ['DNS:localhost'],
    });
    const server = new SSLServer();
    server.configSecureServer(cert, key);
    server.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
    const { port } = await server.listen({ port: 0 });
    try {
      expect((await open(port)).authorized).toBe(true);
      expect((await open(port)).authorized).toBe(true);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, cert.validNotAfter.getTime() - Date.now()) + 1_200),
      );
      await expect(open(port)).rejects.toMatchObject({ code: 'SEC_ERROR_EXPIRED_CERTIFICATE' });
    } finally {
      await server.close();
    }
  });

  it('maxAge bounds how long a kept chain is used', async () => {
    configVerificationCache({ maxAge: 1 });
    const port = await opensslServer();
    expect((await open(port)).authorized).toBe(true);
    distrustBehindNodeNSS();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await expect(open(port)).rejects.toMatchObject({ code: 'SEC_ERROR_UNTRUSTED_ISSUER' });
  });

  it('rejects bad options with TypeError and RangeError naming them, and keeps the old settings', () => {
    expect(() => configVerificationCache('x' as never)).toThrow(TypeError);
    expect(() => configVerificationCache({ maxEntries: 'many' as never })).toThrow(/opts\.maxEntries/);
    expect(() => configVerificationCache({ maxEntries: -1 })).toThrow(RangeError);
    expect(() => configVerificationCache({ maxAge: 1.5 })).toThrow(/opts\.maxAge/);
    expect(() => configVerificationCache({ maxAge: 10, maxEntries: -1 })).toThrow(/opts\.maxEntries/);
  });
});
