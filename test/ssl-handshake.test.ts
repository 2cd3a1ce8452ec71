import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  clearSessionCache,
  configClientSessionCache,
  getDefaultCertDB,
  init,
  shutdown,
  SSL_ENABLE_POST_HANDSHAKE_AUTH,
  SSL_REQUEST_CERTIFICATE,
  SSLSocket,
} from 'node-nss';
import { nssClient, nssEchoServer, readBytes, within, type Version } from './support/tls.js';

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
