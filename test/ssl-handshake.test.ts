import * as net from 'node:net';
import * as tls from 'node:tls';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  clearSessionCache,
  configClientSessionCache,
  getDefaultCertDB,
  init,
  shutdown,
  SSL_ENABLE_POST_HANDSHAKE_AUTH,
  SSL_REQUEST_CERTIFICATE,
  SSLServer,
  SSLSocket,
  type SNIResult,
} from 'node-nss';
import { nssClient, nssEchoServer, readBytes, within, type Version, waitWhile } from './support/tls.js';

const fx = inject('fixtures').ec;

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

/** One echo round trip, so that both ends have processed everything the other sent (tickets included). */
async function roundTrip(sock: SSLSocket, text = 'ping'): Promise<string> {
  const back = readBytes(sock, text.length);
  sock.write(text);
  return (await within(5000, 'round trip', back)).toString();
}

async function closeClient(sock: SSLSocket): Promise<void> {
  const closed = new Promise((resolve) => sock.once('close', resolve));
  sock.resume(); // a Duplex closes only after its readable side has ended, i.e. been read to the end
  sock.end();
  await within(5000, 'close', closed);
}

describe('session resumption', () => {
  it.each(['tls1.2', 'tls1.3'] as Version[])(
    '%s: the second connection resumes; another peer ID does not',
    async (version) => {
      const { server, port, sockets } = await nssEchoServer({ version });
      try {
        const first = await nssClient(port, { version });
        expect(await roundTrip(first)).toBe('ping');
        expect(first.getSSLChannelInfo().resumed).toBe(false);
        await closeClient(first);

        const second = await nssClient(port, { version });
        expect(await roundTrip(second)).toBe('ping');
        expect(second.getSSLChannelInfo().resumed).toBe(true);
        await closeClient(second);

        const other = new SSLSocket();
        other.on('error', () => undefined);
        other.setHostname('localhost');
        other.setSSLVersionRange(version, version);
        other.setSockPeerID('another identity');
        await other.connect({ host: '127.0.0.1', port });
        await other.forceHandshake({ timeout: 5000 });
        expect(await roundTrip(other)).toBe('ping');
        expect(other.getSSLChannelInfo().resumed).toBe(false);
        await closeClient(other);
      } finally {
        sockets.forEach((s) => s.destroy());
        await server.close();
      }
    },
  );
});

describe('SNI callback', () => {
  /** A node-nss server whose SNI callback serves test_wrong_host for wrong.example.com, after `delay` ms. */
  async function sniServer(answer: (name: string) => unknown) {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.3' });
    const names: string[] = [];
    server.setSNICallback((name) => {
      names.push(name);
      return answer(name) as SNIResult;
    });
    const errors: Error[] = [];
    server.on('tlsClientError', (err: Error) => errors.push(err));
    const close = async () => {
      sockets.forEach((s) => s.destroy());
      await server.close();
    };
    return { port, names, errors, close };
  }
  const other = (): SNIResult => {
    const db = getDefaultCertDB();
    const cert = db.findCertFromNickname('test_wrong_host');
    return { cert, key: db.findKeyByAnyCert(cert) };
  };
  const later = <T>(value: T, ms = 20): Promise<T> => new Promise((r) => setTimeout(() => r(value), ms));

  it.each([
    ['synchronous', (name: string) => (name === 'wrong.example.com' ? other() : undefined)],
    ['asynchronous', (name: string) => later(name === 'wrong.example.com' ? other() : undefined)],
  ])('%s: serves the certificate for the name the client asked for', async (_kind, answer) => {
    const srv = await sniServer(answer);
    try {
      const asked = await nssClient(srv.port, { hostname: 'wrong.example.com', peerID: `sni-${_kind}` });
      expect(asked.getPeerCertificate()?.subjectAltNames).toEqual(['DNS:wrong.example.com']);
      expect(await roundTrip(asked)).toBe('ping');
      await closeClient(asked);
      const fallback = await nssClient(srv.port, { peerID: `sni-default-${_kind}` });
      expect(fallback.getPeerCertificate()?.subjectCommonName).toBe('localhost');
      await closeClient(fallback);
      expect(srv.names).toEqual(['wrong.example.com', 'localhost']);
    } finally {
      await srv.close();
    }
  });

  it('a ClientHello that arrives one byte at a time still reaches the async callback', async () => {
    const srv = await sniServer((name) => later(name === 'wrong.example.com' ? other() : undefined));
    // A relay that forwards the client's bytes one per write, with a pause between them.
    const relay = net.createServer((inbound) => {
      const outbound = net.connect(srv.port, '127.0.0.1');
      outbound.setNoDelay(true);
      let queue = Promise.resolve();
      inbound.on('data', (chunk: Buffer) => {
        for (const byte of chunk) {
          queue = queue.then(
            () => new Promise((r) => outbound.write(Buffer.of(byte), () => setImmediate(r))),
          );
        }
      });
      outbound.pipe(inbound);
      inbound.on('error', () => outbound.destroy());
      outbound.on('error', () => inbound.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const { port } = relay.address() as net.AddressInfo;
      const client = tls.connect({
        port,
        host: '127.0.0.1',
        servername: 'wrong.example.com',
        ca: fs.readFileSync(fx.certs.test_ca.pemPath),
      });
      await within(
        10_000,
        'node:tls handshake',
        new Promise((r, j) => client.once('secureConnect', r).once('error', j)),
      );
      expect(client.getPeerX509Certificate()?.subjectAltName).toBe('DNS:wrong.example.com');
      client.destroy();
      expect(srv.names).toEqual(['wrong.example.com']);
    } finally {
      relay.close();
      await srv.close();
    }
  });

  const failFor = (name: string, failure: () => unknown): unknown =>
    name === 'localhost' ? undefined : failure();
  it.each([
    [
      'throws',
      (name: string) =>
        failFor(name, () => {
          throw new Error('no such tenant');
        }),
    ],
    [
      'rejects',
      (name: string) =>
        failFor(name, () => later(null).then(() => Promise.reject(new Error('no such tenant')))),
    ],
    ['answers garbage', (name: string) => failFor(name, () => later({ cert: 'nope' }))],
  ])('a callback that %s fails that handshake on both ends', async (_kind, answer) => {
    const srv = await sniServer(answer);
    try {
      const failed = nssClient(srv.port, { hostname: 'wrong.example.com', peerID: `sni-fail-${_kind}` });
      await expect(failed).rejects.toThrow();
      await waitWhile(5000, 'server error', () => srv.errors.length === 0);
      expect(srv.errors[0]?.message).toMatch(/SNI callback failed/);
      // The server goes on serving other clients.
      const fine = await nssClient(srv.port, { peerID: `sni-after-${_kind}` });
      expect(await roundTrip(fine)).toBe('ping');
      await closeClient(fine);
    } finally {
      await srv.close();
    }
  });
});

describe('ALPN callback', () => {
  const later = <T>(value: T, ms = 20): Promise<T> => new Promise((r) => setTimeout(() => r(value), ms));

  async function alpnServer(answer: (protocols: string[]) => unknown) {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.3' });
    const order: string[] = [];
    const asked: unknown[] = [];
    server.setALPNProtocols(['h2']);
    server.setSNICallback((name) => {
      order.push(`sni ${name}`);
      return undefined;
    });
    server.setALPNCallback((request) => {
      order.push('alpn');
      asked.push(request);
      return answer(request.protocols) as string | undefined;
    });
    const errors: Array<Error & { code?: string }> = [];
    server.on('tlsClientError', (err: Error) => errors.push(err));
    const close = async () => {
      sockets.forEach((s) => s.destroy());
      await server.close();
    };
    const serverErrors = (n: number) => waitWhile(5000, 'server error', () => errors.length < n);
    return { server, port, order, asked, errors, serverErrors, close };
  }

  async function alpnClient(port: number, protocols: string[]): Promise<SSLSocket> {
    const sock = new SSLSocket();
    sock.on('error', () => undefined);
    sock.setHostname('localhost');
    sock.setALPNProtocols(protocols);
    await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
    await sock.forceHandshake({ timeout: 10_000 });
    return sock;
  }

  it('an asynchronous answer, after the SNI callback, replaces the server’s list for that connection', async () => {
    const srv = await alpnServer((protocols) => later(protocols.find((p) => p.startsWith('acme'))));
    try {
      const sock = await alpnClient(srv.port, ['h2', 'acme-tls/1']);
      expect(sock.alpnProtocol).toBe('acme-tls/1');
      expect(await roundTrip(sock)).toBe('ping');
      await closeClient(sock);
      expect(srv.order).toEqual(['sni localhost', 'alpn']);
      expect(srv.asked).toEqual([{ serverName: 'localhost', protocols: ['h2', 'acme-tls/1'] }]);
      // node:tls as the client, offering no protocol: not asked, and no protocol agreed on.
      const client = tls.connect({
        port: srv.port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: fs.readFileSync(fx.certs.test_ca.pemPath),
      });
      await within(
        10_000,
        'node:tls',
        new Promise((r, j) => client.once('secureConnect', r).once('error', j)),
      );
      expect(client.alpnProtocol).toBe(false);
      client.destroy();
      expect(srv.asked).toHaveLength(1);
    } finally {
      await srv.close();
    }
  });

  it('undefined refuses the client’s protocols: no_application_protocol at both ends', async () => {
    const srv = await alpnServer(() => later(undefined));
    try {
      await expect(alpnClient(srv.port, ['h2', 'http/1.1'])).rejects.toMatchObject({
        code: 'SSL_ERROR_NEXT_PROTOCOL_NO_PROTOCOL',
      });
      await srv.serverErrors(1);
      expect(srv.errors[0]).toMatchObject({ code: 'SSL_ERROR_NEXT_PROTOCOL_NO_PROTOCOL' });
      expect(srv.errors[0]?.message).toMatch(/refused the client's protocols \(h2, http\/1\.1\)/);
    } finally {
      await srv.close();
    }
  });

  it.each([
    [
      'rejects',
      () => later(null).then(() => Promise.reject(new Error('no protocol service'))),
      /ALPN callback failed: no protocol service/,
    ],
    [
      'throws',
      () => {
        throw new Error('no protocol service');
      },
      /ALPN callback failed: no protocol service/,
    ],
    ['names a protocol not offered', () => 'spdy/3', /answered "spdy\/3", not one of the client's protocols/],
    ['answers a number', () => 42, /answered number/],
  ])('a callback that %s fails that handshake only', async (_kind, answer, message) => {
    let calls = 0;
    const srv = await alpnServer((protocols) => (calls++ === 0 ? answer() : protocols[0]));
    try {
      await expect(alpnClient(srv.port, ['h2'])).rejects.toThrow();
      await srv.serverErrors(1);
      expect(srv.errors[0]?.message).toMatch(message);
      const fine = await alpnClient(srv.port, ['h2']);
      expect(fine.alpnProtocol).toBe('h2');
      await closeClient(fine);
    } finally {
      await srv.close();
    }
  });

  it('takes a function or null; null leaves the server’s own list', async () => {
    const srv = await alpnServer(() => 'never');
    try {
      expect(() => srv.server.setALPNCallback('h2' as never)).toThrow(/"cb"/);
      expect(() => srv.server.setALPNCallback('h2' as never)).toThrow(TypeError);
      srv.server.setALPNCallback(null);
      const sock = await alpnClient(srv.port, ['http/1.1', 'h2']);
      expect(sock.alpnProtocol).toBe('h2');
      await closeClient(sock);
      expect(srv.asked).toEqual([]);
    } finally {
      await srv.close();
    }
  });
});

describe('sockets made with a model', () => {
  it('importTCPSocket(tcp, { asServer, model: server }) serves as the server’s own accepted sockets do', async () => {
    const db = getDefaultCertDB();
    const server = new SSLServer();
    const cert = db.findCertFromNickname('test_server');
    server.configSecureServer(cert, db.findKeyByAnyCert(cert));
    const other = db.findCertFromNickname('test_wrong_host');
    const otherKey = db.findKeyByAnyCert(other);
    const names: string[] = [];
    server.setSNICallback((name) => {
      names.push(name);
      return name === 'wrong.example.com' ? { cert: other, key: otherKey } : undefined;
    });
    server.setALPNCallback(({ protocols }) => protocols[protocols.length - 1]);
    // A STARTTLS-style server: plain TCP accepted by the application, TLS started over it with the model.
    const served: SSLSocket[] = [];
    const tcpServer = net.createServer({ allowHalfOpen: true }, (tcp) => {
      const sock = SSLSocket.importTCPSocket(tcp, { asServer: true, model: server });
      served.push(sock);
      sock.on('error', () => undefined);
      sock.on('data', (d: Buffer) => sock.write(d));
    });
    await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
    try {
      const { port } = tcpServer.address() as net.AddressInfo;
      const client = new SSLSocket();
      client.on('error', () => undefined);
      client.setHostname('wrong.example.com');
      client.setALPNProtocols(['h2', 'http/1.1']);
      await client.connect({ host: '127.0.0.1', port, timeout: 5000 });
      await client.forceHandshake({ timeout: 10_000 });
      // The model's SNI and ALPN callbacks answered (before, a socket made with a model had neither).
      expect(client.getPeerCertificate()?.subjectAltNames).toEqual(['DNS:wrong.example.com']);
      expect(client.alpnProtocol).toBe('http/1.1');
      expect(names).toEqual(['wrong.example.com']);
      expect(await roundTrip(client)).toBe('ping');
      await closeClient(client);
    } finally {
      served.forEach((s) => s.destroy());
      tcpServer.close();
      await server.close();
    }
  });

  it('a client made from a configured client takes its callbacks too', async () => {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.3' });
    try {
      const model = new SSLSocket();
      const seen: string[] = [];
      model.setAuthCertificateCallback((sock: SSLSocket) => {
        seen.push(sock.getPeerCertificate()?.subjectCommonName ?? '');
        return true;
      });
      const child = new SSLSocket({ model });
      child.on('error', () => undefined);
      // A name the certificate does not have: only the inherited callback lets this connection through.
      child.setHostname('not-the-server.example');
      await child.connect({ host: '127.0.0.1', port, timeout: 5000 });
      await child.forceHandshake({ timeout: 10_000 });
      expect(seen).toEqual(['localhost']);
      expect(await roundTrip(child)).toBe('ping');
      await closeClient(child);
      model.destroy();
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });
});

describe('client session cache', () => {
  it('clearSessionCache() and the used-ticket limit make the next connection a full handshake', async () => {
    expect(() => configClientSessionCache(null as never)).toThrow(TypeError);
    expect(() => configClientSessionCache({ maxUsedTickets: '2' as never })).toThrow(/opts\.maxUsedTickets/);
    expect(() => configClientSessionCache({ maxUsedTickets: -1 })).toThrow(RangeError);
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.3' });
    const resumedFlags = async (peerID: string, count: number): Promise<boolean[]> => {
      const flags: boolean[] = [];
      for (let i = 0; i < count; i++) {
        const sock = await nssClient(port, { version: 'tls1.3', peerID });
        expect(await roundTrip(sock)).toBe('ping');
        flags.push(sock.getSSLChannelInfo().resumed);
        await closeClient(sock);
      }
      return flags;
    };
    try {
      configClientSessionCache({ maxUsedTickets: 2 });
      expect(await resumedFlags('cache A', 1)).toEqual([false]);
      // The second resumption from a spent ticket empties the cache; B's last connection then caches the
      // fresh ticket it receives, A's session is gone.
      expect(await resumedFlags('cache B', 3)).toEqual([false, true, true]);
      expect(await resumedFlags('cache B', 1)).toEqual([true]);
      expect(await resumedFlags('cache A', 1)).toEqual([false]);
      clearSessionCache();
      expect(await resumedFlags('cache A', 2)).toEqual([false, true]);
    } finally {
      configClientSessionCache({ maxUsedTickets: 5000 });
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });
});

describe('rehandshake', () => {
  it('TLS 1.2 renegotiation between two node-nss peers fires both handshake callbacks again', async () => {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.2' });
    let serverHandshakes = 0;
    server.setHandshakeCallback(() => serverHandshakes++);
    try {
      const client = await nssClient(port, { version: 'tls1.2' });
      let clientHandshakes = 0;
      client.setHandshakeCallback(() => clientHandshakes++);
      expect(await roundTrip(client)).toBe('ping');
      const accepted = sockets[0] as SSLSocket;
      const result = await within(5000, 'renegotiation', accepted.rehandshake(true));
      expect(result).toEqual({ kind: 'renegotiation' });
      expect(await roundTrip(client, 'after')).toBe('after');
      expect(clientHandshakes).toBe(1);
      expect(serverHandshakes).toBe(2);
      await closeClient(client);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });

  it('TLS 1.3 rehandshake is a KeyUpdate; data keeps flowing', async () => {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.3' });
    try {
      const client = await nssClient(port, { version: 'tls1.3' });
      expect(await roundTrip(client)).toBe('ping');
      expect(await client.rehandshake(false)).toEqual({ kind: 'key-update' });
      expect(await roundTrip(client, 'still here')).toBe('still here');
      client.keyUpdate(false);
      expect(await roundTrip(client, 'and here')).toBe('and here');
      await closeClient(client);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });

  it('TLS 1.3 server-initiated post-handshake client authentication', async () => {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.3' });
    try {
      const db = getDefaultCertDB();
      const client = new SSLSocket();
      client.on('error', () => undefined);
      client.setHostname('localhost');
      client.setSSLOption(SSL_ENABLE_POST_HANDSHAKE_AUTH, true);
      let asked = 0;
      client.setClientAuthDataCallback(async () => {
        asked++;
        const cert = db.findCertFromNickname('test_user');
        return [cert, db.findKeyByAnyCert(cert)];
      });
      await client.connect({ host: '127.0.0.1', port });
      await client.forceHandshake({ timeout: 5000 });
      expect(await roundTrip(client)).toBe('ping');
      const accepted = sockets[0] as SSLSocket;
      expect(accepted.getPeerCertificate()).toBeNull();
      accepted.setSSLOption(SSL_REQUEST_CERTIFICATE, true);
      const result = await within(5000, 'post-handshake auth', accepted.rehandshake(false));
      expect(result).toEqual({ kind: 'post-handshake-auth' });
      expect(asked).toBe(1);
      expect(accepted.getPeerCertificate()?.subjectCommonName).toBe('test_user');
      expect(await roundTrip(client, 'authenticated')).toBe('authenticated');
      await closeClient(client);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });
});

describe('channel state', () => {
  it('reports the negotiated channel on both ends', async () => {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.3' });
    try {
      // A fresh peer ID: a full handshake, not one resumed from the tests above.
      const client = await nssClient(port, { peerID: 'channel-state' });
      expect(await roundTrip(client)).toBe('ping');
      const info = client.getSSLChannelInfo();
      expect(info.resumed).toBe(false);
      expect(info.protocolVersion).toBe('tls1.3');
      expect(info.cipherSuiteName).toMatch(/^TLS_(AES|CHACHA20)/);
      expect(info.expirationTime.getTime()).toBeGreaterThan(Date.now());
      const status = client.getSecurityStatus();
      expect(status.on).toBe(1);
      expect(status.subject).toContain('CN=localhost');
      expect(client.getPeerCertificate()?.subjectCommonName).toBe('localhost');
      expect(client.getPeerCertificateChain().map((c) => c.subjectCommonName)).toContain('localhost');
      expect(client.getCertificate()).toBeNull();
      const accepted = sockets[0] as SSLSocket;
      expect(accepted.getCertificate()?.subjectCommonName).toBe('localhost');
      expect(accepted.getNegotiatedHost()).toBe('localhost');
      expect(accepted.servername).toBe('localhost');
      const a = client.exportKeyingMaterial(32, 'EXPORTER-test', Buffer.from('ctx'));
      const b = accepted.exportKeyingMaterial(32, 'EXPORTER-test', Buffer.from('ctx'));
      expect(a.equals(b)).toBe(true);
      expect(client.connectionInfoString()).toMatch(/^tls1\.3 TLS_/);
      expect(client.getCipher()?.version).toBe('TLSv1.3');
      expect(client.dataPending()).toBe(0);
      await closeClient(client);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });
});
