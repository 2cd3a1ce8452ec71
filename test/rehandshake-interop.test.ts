// Renegotiation (TLS 1.2), post-handshake client authentication and KeyUpdate (TLS 1.3) against openssl,
// driven through s_server's and s_client's interactive command letters; `-msg` shows what crossed the wire.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { init, shutdown, SSL_REQUEST_CERTIFICATE, SSLSocket } from 'node-nss';
import { interactive, spawnPeer, type Interactive, type PeerProcess } from './support/peers.js';
import {
  freePort,
  nssClient,
  nssEchoServer,
  readBytes,
  waitForPort,
  within,
  type Version,
  waitWhile,
} from './support/tls.js';

const fx = inject('fixtures').ec;
const opensslVersion = { 'tls1.2': '-tls1_2', 'tls1.3': '-tls1_3' } as const;

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

const running: Array<{ stop: () => void }> = [];
afterEach(() => running.splice(0).forEach((p) => p.stop()));

function started(peer: PeerProcess): Interactive {
  const p = interactive(peer);
  running.push(p);
  return p;
}

async function opensslServer(
  version: Version,
  extra: string[] = [],
): Promise<{ port: number; peer: Interactive }> {
  const port = await freePort();
  const args = ['s_server', '-accept', String(port), '-msg', opensslVersion[version]];
  args.push('-cert', fx.certs.test_server.pemPath, '-key', fx.keyPemPaths.test_server, ...extra);
  const peer = started(spawnPeer('openssl', args));
  await waitForPort(port);
  return { port, peer };
}

function opensslClient(port: number, version: Version, extra: string[] = []): Interactive {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-msg'];
  args.push(opensslVersion[version], '-CAfile', fx.certs.test_ca.pemPath, '-verify_return_error', ...extra);
  return started(spawnPeer('openssl', args));
}

/** Sends a line to a node-nss socket's peer and waits until the peer printed it. */
async function sendTo(peer: Interactive, sock: SSLSocket, line: string): Promise<void> {
  const before = peer.count(new RegExp(line));
  sock.write(`${line}\n`);
  await peer.seen(new RegExp(line), before + 1);
}

/** Has the openssl peer type a line, and reads it on the node-nss socket. */
async function receiveFrom(peer: Interactive, sock: SSLSocket, line: string): Promise<void> {
  const got = readBytes(sock, line.length + 1);
  peer.command(line);
  const data = await within(5000, 'data from openssl', got).catch((err: Error) => {
    throw new Error(`${err.message}; openssl output:\n${peer.output().slice(-2000)}`);
  });
  expect(data.toString()).toBe(`${line}\n`);
}

async function countingClient(
  port: number,
  version: Version,
): Promise<{ sock: SSLSocket; handshakes: () => number }> {
  const sock = await nssClient(port, { version, peerID: `openssl-${Math.random()}` });
  running.push({ stop: () => sock.destroy() });
  let handshakes = 1; // the callback is set after the first handshake; count it
  sock.setHandshakeCallback(() => handshakes++);
  return { sock, handshakes: () => handshakes };
}

/** A node-nss echo server whose accepted socket and handshake count the test reads. */
async function countingServer(version: Version) {
  const { server, port, sockets } = await nssEchoServer({ version });
  // Client-initiated renegotiation is refused by default; these tests renegotiate from openssl too.
  server.renegotiationLimit = 3;
  let handshakes = 0;
  server.setHandshakeCallback(() => handshakes++);
  const accepted = async (): Promise<SSLSocket> => {
    await waitWhile(5000, 'accepted connection', () => sockets.length === 0 || handshakes === 0);
    return sockets[0] as SSLSocket;
  };
  const close = async (): Promise<void> => {
    sockets.forEach((s) => s.destroy());
    await server.close();
  };
  return { port, accepted, handshakes: () => handshakes, close };
}

describe('TLS 1.2 renegotiation with openssl', () => {
  it('openssl s_server sends HelloRequest: the node-nss client renegotiates, its handshake callback fires again', async () => {
    const { port, peer } = await opensslServer('tls1.2');
    const { sock, handshakes } = await countingClient(port, 'tls1.2');
    await sendTo(peer, sock, 'before');
    peer.command('r');
    await peer.seen(/ClientHello/, 2);
    await receiveFrom(peer, sock, 'after');
    expect(handshakes()).toBe(2);
    await sendTo(peer, sock, 'still');
  });

  it('a node-nss client renegotiates with openssl s_server', async () => {
    const { port, peer } = await opensslServer('tls1.2', ['-client_renegotiation']);
    const { sock, handshakes } = await countingClient(port, 'tls1.2');
    await sendTo(peer, sock, 'before');
    expect(await within(5000, 'renegotiation', sock.rehandshake(true))).toEqual({ kind: 'renegotiation' });
    expect(peer.count(/ClientHello/)).toBe(2);
    expect(handshakes()).toBe(2);
    await sendTo(peer, sock, 'after');
    await receiveFrom(peer, sock, 'reply');
  });

  it('a node-nss server renegotiates with openssl s_client, and s_client renegotiates with it', async () => {
    const srv = await countingServer('tls1.2');
    try {
      const client = opensslClient(srv.port, 'tls1.2');
      const sock = await srv.accepted();
      await client.seen(/Verify return code: 0/);
      expect(await within(5000, 'renegotiation', sock.rehandshake(false))).toEqual({ kind: 'renegotiation' });
      expect(srv.handshakes()).toBe(2);
      expect(client.count(/HelloRequest/)).toBe(1);
      client.command('R');
      await client.seen(/ClientHello/, 3);
      client.command('echo after');
      await client.seen(/echo after/); // echoed back
      expect(srv.handshakes()).toBe(3);
      // Both renegotiations were full handshakes although s_client offered its ticket: an NSS server that
      // resumes inside a renegotiation leaks a certificate reference (and then cannot shut down).
      expect(client.count(/\], Certificate\s/)).toBe(3);
    } finally {
      await srv.close();
    }
  });
});

describe('TLS 1.3 post-handshake authentication and KeyUpdate with openssl', () => {
  it('a node-nss server asks openssl s_client -enable_pha for its certificate after the handshake', async () => {
    const srv = await countingServer('tls1.3');
    try {
      const client = opensslClient(srv.port, 'tls1.3', [
        '-enable_pha',
        '-cert',
        fx.certs.test_user.pemPath,
        '-key',
        fx.keyPemPaths.test_user,
      ]);
      const sock = await srv.accepted();
      await client.seen(/Verify return code: 0/);
      expect(sock.getPeerCertificate()).toBeNull();
      sock.setSSLOption(SSL_REQUEST_CERTIFICATE, true);
      expect(await within(5000, 'post-handshake auth', sock.rehandshake(false))).toEqual({
        kind: 'post-handshake-auth',
      });
      expect(sock.getPeerCertificate()?.subjectCommonName).toBe('test_user');
      // The server has the certificate once NSS processed it; openssl's -msg line may print a moment later.
      await client.seen(/CertificateRequest/);
      expect(client.count(/CertificateRequest/)).toBe(1);
      client.command('echo authenticated');
      await client.seen(/echo authenticated/);
    } finally {
      await srv.close();
    }
  });

  it('KeyUpdate both ways between a node-nss client and openssl s_server', async () => {
    const { port, peer } = await opensslServer('tls1.3');
    const { sock, handshakes } = await countingClient(port, 'tls1.3');
    await sendTo(peer, sock, 'before');
    // Ours, asking for theirs: openssl receives one KeyUpdate and answers with one.
    sock.keyUpdate(true);
    await sendTo(peer, sock, 'after ours');
    await peer.seen(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
    await receiveFrom(peer, sock, 'reply'); // openssl sends its answer with its next record
    await peer.seen(/>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
    // Theirs, asking for ours.
    peer.command('K');
    // (s_server drops the rest of a read that held a command: wait before typing the next line.)
    await peer.seen(/>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate/, 2);
    await receiveFrom(peer, sock, 'after theirs');
    await sendTo(peer, sock, 'answered');
    await peer.seen(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/, 2);
    expect(handshakes()).toBe(1);
  });

  it('KeyUpdate both ways between a node-nss server and openssl s_client', async () => {
    const srv = await countingServer('tls1.3');
    try {
      const client = opensslClient(srv.port, 'tls1.3');
      const sock = await srv.accepted();
      await client.seen(/Verify return code: 0/);
      client.command('K');
      await client.seen(/>>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
      client.command('echo one');
      await client.seen(/echo one/);
      await client.seen(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/);
      sock.keyUpdate(false);
      client.command('echo two');
      await client.seen(/echo two/);
      await client.seen(/<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/, 2);
      expect(srv.handshakes()).toBe(1);
    } finally {
      await srv.close();
    }
  });
});
