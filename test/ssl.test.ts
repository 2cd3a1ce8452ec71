import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  Certificate,
  certificateUsageSSLClient,
  certificateUsageSSLServer,
  getDefaultCertDB,
  init,
  NSPRError,
  PrivateKey,
  shutdown,
  SSL_REQUEST_CERTIFICATE,
  SSL_REQUIRE_ALWAYS,
  SSL_REQUIRE_CERTIFICATE,
  SSLServer,
  SSLSocket,
} from 'node-nss';
import { within } from './support/tls.js';

const fixtures = inject('fixtures');

// python-nss's own client/server test (test_client_server.py), in node-nss: the server requires a client
// certificate and checks it in its auth callback; the client verifies the server and its hostname and
// answers with test_user; "foo" comes back as "{foo}".
describe.each([
  ['RSA', fixtures.rsa],
  ['ECDSA', fixtures.ec],
] as const)('python-nss client/server test with %s keys', (_kind, fx) => {
  beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
  afterAll(() => shutdown());

  it.each(['tls1.2', 'tls1.3'] as const)('%s', async (version) => {
    const db = getDefaultCertDB();
    const calls = { serverAuth: 0, serverHandshake: 0, clientAuth: 0, clientHandshake: 0, clientAuthData: 0 };

    const server = new SSLServer();
    const serverCert = db.findCertFromNickname('test_server');
    server.configSecureServer(serverCert, db.findKeyByAnyCert(serverCert));
    server.setSSLVersionRange(version, version);
    server.setSSLOption(SSL_REQUEST_CERTIFICATE, true);
    server.setSSLOption(SSL_REQUIRE_CERTIFICATE, SSL_REQUIRE_ALWAYS);
    server.setAuthCertificateCallback((sock, checkSig, isServer, certdb) => {
      calls.serverAuth++;
      expect(isServer).toBe(true);
      const peer = sock.getPeerCertificate();
      if (!peer) return false;
      const usages = peer.verifyNow(certdb as typeof db, checkSig, certificateUsageSSLClient);
      return (usages & certificateUsageSSLClient) !== 0 && peer.subjectCommonName === 'test_user';
    }, db);
    server.setHandshakeCallback(() => calls.serverHandshake++);
    const served = new Promise<string>((resolve, reject) => {
      server.on('secureConnection', (sock: SSLSocket) => {
        sock.on('error', reject);
        sock.once('data', (data: Buffer) => {
          sock.write(`{${data.toString()}}`);
          resolve(sock.getPeerCertificate()?.subject ?? '');
        });
        sock.on('end', () => sock.end());
      });
    });
    const { port } = await server.listen({ port: 0 });

    const client = new SSLSocket();
    client.setHostname('localhost');
    client.setAuthCertificateCallback((sock, checkSig, isServer, certdb) => {
      calls.clientAuth++;
      expect(isServer).toBe(false);
      const cert = sock.getPeerCertificate();
      if (!cert) return false;
      const usages = cert.verifyNow(certdb as typeof db, checkSig, certificateUsageSSLServer);
      const host = sock.getHostname();
      return (usages & certificateUsageSSLServer) !== 0 && host !== null && cert.verifyHostname(host);
    }, db);
    client.setClientAuthDataCallback((caNames, nickname) => {
      calls.clientAuthData++;
      const cert = db.findCertFromNickname(nickname as string);
      expect(cert.hasSignerInCaNames(caNames)).toBe(true);
      return [cert, db.findKeyByAnyCert(cert)];
    }, 'test_user');
    client.setHandshakeCallback((sock) => {
      calls.clientHandshake++;
      expect(sock).toBe(client);
    });
    await client.connect({ host: '127.0.0.1', port });
    client.write('foo');
    const reply = await within(
      10_000,
      'echo',
      new Promise<string>((resolve, reject) => {
        client.once('data', (d: Buffer) => resolve(d.toString()));
        client.once('error', reject);
      }),
    );
    expect(reply).toBe('{foo}');
    expect(await served).toBe(fx.certs.test_user.subject);
    expect(client.getProtocol()).toBe(version === 'tls1.3' ? 'TLSv1.3' : 'TLSv1.2');
    expect(client.authorized).toBe(true);
    expect(client.getSSLChannelInfo().protocolVersion).toBe(version);
    const closed = new Promise((resolve) => client.on('close', resolve));
    client.end();
    await within(5000, 'close', closed);
    await server.close();
    expect(calls).toEqual({
      serverAuth: 1,
      serverHandshake: 1,
      clientAuth: 1,
      clientHandshake: 1,
      clientAuthData: 1,
    });
  });
});

describe('SSLSocket basics', () => {
  const fx = fixtures.ec;
  beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
  afterAll(() => shutdown());

  it('is secure by default: TLS 1.2 to 1.3, verification on', () => {
    const sock = new SSLSocket();
    expect(sock.getSSLVersionRange()).toEqual(['tls1.2', 'tls1.3']);
    expect(sock.encrypted).toBe(true);
    sock.destroy();
  });

  it('rejects unknown options and bad values with RangeError, wrong types with TypeError', () => {
    const sock = new SSLSocket();
    expect(() => sock.setSSLOption(4, true)).toThrow(RangeError);
    expect(() => sock.setSSLOption(9999, true)).toThrow(/not an SSL option/);
    expect(() => sock.setSSLOption(SSL_REQUEST_CERTIFICATE, 7)).toThrow(RangeError);
    expect(() => sock.setSSLOption(SSL_REQUIRE_CERTIFICATE, 9)).toThrow(RangeError);
    expect(() => sock.setSSLOption('x' as never, true)).toThrow(/"option"/);
    expect(() => sock.setSSLVersionRange('tls9', 'tls1.3')).toThrow(RangeError);
    expect(() => sock.setSSLVersionRange('tls1.3', 'tls1.2')).toThrow(RangeError);
    expect(() => sock.setHostname(5 as never)).toThrow(/"name"/);
    expect(() => sock.setAuthCertificateCallback('x' as never)).toThrow(/"cb"/);
    expect(() => sock.setCipherPref(0xfefe, true)).toThrow(RangeError);
    expect(() => sock.setALPNProtocols([''])).toThrow(RangeError);
    sock.setSSLOption(SSL_REQUEST_CERTIFICATE, true);
    expect(sock.getSSLOption(SSL_REQUEST_CERTIFICATE)).toBe(1);
    sock.setSSLVersionRange('tls1.3', 'tls1.3');
    expect(sock.getSSLVersionRange()).toEqual(['tls1.3', 'tls1.3']);
    sock.destroy();
  });

  it('sets and reads the hostname and pin args', () => {
    const sock = new SSLSocket();
    expect(sock.getHostname()).toBeNull();
    sock.setHostname('example.com');
    expect(sock.getHostname()).toBe('example.com');
    sock.setPKCS11PinArg('pw', 1);
    expect(sock.getPKCS11PinArg()).toEqual(['pw', 1]);
    sock.destroy();
  });

  it('uses the same Certificate and PrivateKey classes as the database', () => {
    const db = getDefaultCertDB();
    const cert = db.findCertFromNickname('test_user');
    expect(cert).toBeInstanceOf(Certificate);
    expect(db.findKeyByAnyCert(cert)).toBeInstanceOf(PrivateKey);
    expect(new NSPRError(-12276).code).toBe('SSL_ERROR_BAD_CERT_DOMAIN');
  });
});
