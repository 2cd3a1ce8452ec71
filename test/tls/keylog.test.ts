// Key logs ('keylog' events and SSLKEYLOGFILE) checked against node:tls (OpenSSL) on the other end of the
// same connection: both ends derive the same traffic secrets, so every line node-nss writes must be one
// OpenSSL writes for that connection, byte for byte (OpenSSL adds EXPORTER_SECRET, which NSS's secret
// callback does not give).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, createServer, init, shutdown, type SSLSocket } from 'node-nss';
import * as nssTLS from 'node-nss/tls';
import { makePemPKI, type PemPKI } from '../support/pem-pki.js';
import { nodeScript, removeTemps, tempDir } from '../support/tools.js';
import { within, waitWhile } from '../support/tls.js';

let pki: PemPKI;
beforeAll(() => {
  pki = makePemPKI();
  init({ loadBuiltinRoots: false });
});
afterAll(() => {
  shutdown();
  removeTemps();
});

/** Waits (bounded) until `lines` holds `count` lines: the other end logs as its handshake finishes. */
const untilLines = (lines: string[], count: number) =>
  waitWhile(5000, 'key log lines', () => lines.length < count);

const labels = (lines: string[]) => lines.map((l) => l.split(' ')[0]).sort();
const withoutExporter = (lines: string[]) => lines.filter((l) => !l.startsWith('EXPORTER_SECRET')).sort();

async function nodeServer(
  options: tls.TlsOptions = {},
): Promise<{ port: number; lines: string[]; close: () => void }> {
  const lines: string[] = [];
  const server = tls.createServer(
    { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'], ...options },
    (s) => s.end('x'),
  );
  server.on('keylog', (line: Buffer) => lines.push(line.toString('latin1')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, lines, close: () => server.close() };
}

async function nssClient(
  port: number,
  extra: Parameters<typeof createConnection>[0] = {},
): Promise<string[]> {
  const lines: string[] = [];
  const sock = createConnection({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: pki.pem.ca,
    ...extra,
  });
  sock.on('keylog', (line: Buffer) => lines.push(line.toString('latin1')));
  await within(
    10_000,
    'connection',
    new Promise((resolve, reject) => {
      sock.resume();
      sock.once('end', resolve);
      sock.once('error', reject);
    }),
  );
  return lines;
}

describe('key logs', () => {
  it('a node-nss client’s lines are OpenSSL’s lines for the same connection', async () => {
    const server = await nodeServer();
    try {
      const lines = await nssClient(server.port);
      expect(labels(lines)).toEqual([
        'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
        'CLIENT_TRAFFIC_SECRET_0',
        'SERVER_HANDSHAKE_TRAFFIC_SECRET',
        'SERVER_TRAFFIC_SECRET_0',
      ]);
      expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
      await untilLines(server.lines, 5);
      expect(lines.sort()).toEqual(withoutExporter(server.lines));
    } finally {
      server.close();
    }
  });

  it('after a HelloRetryRequest (the server wants P-384) the lines still match: the random is the first ClientHello’s', async () => {
    const server = await nodeServer({ ecdhCurve: 'P-384' });
    try {
      const lines = await nssClient(server.port);
      await untilLines(server.lines, 5);
      expect(lines.sort()).toEqual(withoutExporter(server.lines));
    } finally {
      server.close();
    }
  });

  it('servers: SSLServer and node-nss/tls Server emit (line, socket), matching a node:tls client’s lines', async () => {
    for (const kind of ['SSLServer', 'node-nss/tls'] as const) {
      const serverLines: string[] = [];
      const sockets = new Set<unknown>();
      let port: number;
      let close: () => Promise<void>;
      if (kind === 'SSLServer') {
        const server = createServer({ key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] }, (s) =>
          s.end('x'),
        );
        server.on('keylog', (line: Buffer, sock: SSLSocket) => {
          serverLines.push(line.toString('latin1'));
          sockets.add(sock);
        });
        port = (await server.listen({ port: 0, host: '127.0.0.1' })).port;
        close = () => server.close();
      } else {
        const server = nssTLS.createServer(
          { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'] },
          (s) => s.end('x'),
        );
        server.on('keylog', (line: Buffer, sock: unknown) => {
          serverLines.push(line.toString('latin1'));
          sockets.add(sock);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        port = (server.address() as AddressInfo).port;
        close = () => new Promise((resolve) => server.close(() => resolve()));
      }
      try {
        const clientLines: string[] = [];
        const client = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca });
        client.on('keylog', (line: Buffer) => clientLines.push(line.toString('latin1')));
        client.resume();
        await within(10_000, kind, new Promise((resolve) => client.once('end', resolve)));
        expect(serverLines.sort(), kind).toEqual(withoutExporter(clientLines));
        expect(sockets.size, kind).toBe(1);
      } finally {
        await close();
      }
    }
  });

  it('SSLKEYLOGFILE: a process started with it writes the lines there', async () => {
    const server = await nodeServer();
    const file = path.join(tempDir('keylog-'), 'keys.log');
    try {
      const r = await nodeScript(
        `const nss = require('node-nss');
        nss.init({ loadBuiltinRoots: false });
        const s = nss.createConnection({ host: '127.0.0.1', port: ${server.port}, servername: 'localhost', ca: ${JSON.stringify(pki.pem.ca)} });
        s.resume();
        s.on('end', () => { nss.shutdown(); process.exit(0); });
        s.on('error', (e) => { console.error(e); process.exit(1); });`,
        { env: { SSLKEYLOGFILE: file } },
      );
      expect(r.status, r.stderr).toBe(0);
      await untilLines(server.lines, 5);
      const written = fs.readFileSync(file, 'latin1').split(/(?<=\n)/);
      expect(written.sort()).toEqual(withoutExporter(server.lines));
    } finally {
      server.close();
    }
  });

  it('TLS 1.2: NSS hands out no secrets, so there are no lines (node:tls writes CLIENT_RANDOM)', async () => {
    const server = await nodeServer();
    try {
      expect(await nssClient(server.port, { maxVersion: 'TLSv1.2' })).toEqual([]);
    } finally {
      server.close();
    }
  });
});
