import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { init, shutdown } from 'node-nss';
import {
  selfserv,
  gnutlsClient,
  gnutlsServer,
  nodeTLSClient,
  nodeTLSServer,
  opensslClient,
  opensslServer,
  tstclnt,
  type ClientPeer,
  type ServerPeer,
} from './support/peers.js';
import {
  nssClient,
  nssEchoServer,
  payload,
  readBytes,
  sha256,
  textPayload,
  type Version,
} from './support/tls.js';

const fx = inject('fixtures').ec;
// gnutls-cli moves its stdin at about 0.5 MB/s whoever the server is (2 MiB of text: 4.9 s through a
// node:tls echo server, 5.1 s through node-nss), so 8 MiB took 70-155 s per case in CI, and over 400 s under
// the sanitizers; the gnutls tools get 1 MiB as their large payload, still 64 full records.
vi.setConfig({ testTimeout: 420_000 });
// 1 byte, one record plus one byte, and 8 MiB: sent one after the other over one connection.
const sizes = [1, 16 * 1024 + 1, 8 * 1024 * 1024];
const textSizes = [1, 16 * 1024 + 1, 1024 * 1024];
const versions: Version[] = ['tls1.2', 'tls1.3'];
const certModes = [false, true];

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

type ServerFactory = (version: Version, clientCert: boolean) => Promise<ServerPeer>;
// The gnutls tools handle their data as text: they get printable payloads of the same sizes.
const servers: Array<[string, ServerFactory, boolean]> = [
  ['openssl s_server', (v, c) => opensslServer(fx, v, c), false],
  ['gnutls-serv', (v, c) => gnutlsServer(fx, v, c), true],
  ['node:tls', (v, c) => nodeTLSServer(fx, v, c), false],
];

describe.each(servers)('node-nss client against %s', (_name, start, textOnly) => {
  for (const version of versions) {
    for (const clientCert of certModes) {
      it(`${version}, ${clientCert ? 'with' : 'without'} a client certificate: payloads arrive intact both ways`, async () => {
        const peer = await start(version, clientCert);
        try {
          const sock = await nssClient(peer.port, {
            version,
            ...(clientCert ? { clientCert: 'test_user' } : {}),
          });
          expect(sock.getProtocol()).toBe(version === 'tls1.3' ? 'TLSv1.3' : 'TLSv1.2');
          expect(sock.authorized).toBe(true);
          const data = Buffer.concat(textOnly ? textSizes.map(textPayload) : sizes.map(payload));
          if (peer.echoWindow) {
            const back: Buffer[] = [];
            for (let at = 0; at < data.length; at += peer.echoWindow) {
              const piece = data.subarray(at, at + peer.echoWindow);
              const echoed = readBytes(sock, piece.length);
              sock.write(piece);
              back.push(await echoed);
            }
            expect(sha256(Buffer.concat(back))).toBe(sha256(data));
          } else if (peer.echoes) {
            const back = readBytes(sock, data.length);
            sock.write(data);
            expect(sha256(await back)).toBe(sha256(data));
          } else {
            sock.write(data);
            expect(sha256(await peer.received!(data.length, 30_000))).toBe(sha256(data));
            const back = readBytes(sock, data.length);
            peer.send!(data);
            expect(sha256(await back)).toBe(sha256(data));
          }
          sock.destroy();
        } finally {
          peer.stop();
        }
      });
    }
  }
});

describe('node-nss client against NSS selfserv', () => {
  for (const version of versions) {
    for (const clientCert of certModes) {
      it(`${version}, ${clientCert ? 'with' : 'without'} a client certificate: the request comes back in the response`, async () => {
        const peer = await selfserv(fx, version, clientCert);
        try {
          // selfserv answers one request per connection.
          for (const size of [1, 8000]) {
            const sock = await nssClient(peer.port, {
              version,
              ...(clientCert ? { clientCert: 'test_user' } : {}),
            });
            expect(sock.getProtocol()).toBe(version === 'tls1.3' ? 'TLSv1.3' : 'TLSv1.2');
            const data = textPayload(size).toString().replace(/\n/g, '.');
            const request = `GET /x HTTP/1.0\r\nX-Data: ${data}\r\n\r\n`;
            const chunks: Buffer[] = [];
            const response = new Promise<string>((resolve) => {
              sock.on('data', (d: Buffer) => {
                chunks.push(d);
                const text = Buffer.concat(chunks).toString('latin1');
                if (text.includes('EOF\r\n')) resolve(text);
              });
            });
            sock.write(request);
            const text = await response;
            expect(text.startsWith('HTTP/1.0 200 OK')).toBe(true);
            expect(text).toContain(request);
            sock.destroy();
          }
        } finally {
          peer.stop();
        }
      });
    }
  }
});

type ClientFactory = (port: number, version: Version, clientCert: boolean) => ClientPeer;
const clients: Array<[string, ClientFactory, boolean]> = [
  ['openssl s_client', (p, v, c) => opensslClient(fx, p, v, c), false],
  ['gnutls-cli', (p, v, c) => gnutlsClient(fx, p, v, c), true],
  ['NSS tstclnt', (p, v, c) => tstclnt(fx, p, v, c), false],
  ['node:tls', (p, v, c) => nodeTLSClient(fx, p, v, c), false],
];

describe.each(clients)('node-nss server against %s', (_name, connect, textOnly) => {
  for (const version of versions) {
    for (const clientCert of certModes) {
      it(`${version}, ${clientCert ? 'requiring' : 'without'} a client certificate: payloads arrive intact both ways`, async () => {
        const { server, port, sockets } = await nssEchoServer({ version, requireClientCert: clientCert });
        const peer = connect(port, version, clientCert);
        try {
          const data = Buffer.concat(textOnly ? textSizes.map(textPayload) : sizes.map(payload));
          const back = peer.received(data.length, 400_000);
          peer.send(data);
          expect(sha256(await back)).toBe(sha256(data));
          const sock = sockets[0];
          expect(sock?.getProtocol()).toBe(version === 'tls1.3' ? 'TLSv1.3' : 'TLSv1.2');
          expect(sock?.getPeerCertificate()?.subjectCommonName ?? null).toBe(clientCert ? 'test_user' : null);
        } finally {
          peer.stop();
          sockets.forEach((s) => s.destroy());
          await server.close();
        }
      });
    }
  }
});
