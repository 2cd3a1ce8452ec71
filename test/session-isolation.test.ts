// Sessions never cross peers: NSS's client session cache keys on the peer address that the memory
// transport reports, so IPv6 peers must keep their own addresses.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer, init, shutdown, SSLSocket, type SSLServer } from 'node-nss';
import { readBytes, within } from './support/tls.js';

const fx = inject('fixtures').ec;

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

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
