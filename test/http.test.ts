import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getDefaultCertDB, init, shutdown, SSLServer, SSLSocket, type NSPRError } from 'node-nss';
import { within } from './support/tls.js';

const fx = inject('fixtures').ec;

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

/** An http.Server fed with node-nss's TLS connections, as `tls.Server` feeds `https.Server`. */
async function nssHTTPServer(
  handler: http.RequestListener,
): Promise<{ port: number; close: () => Promise<void> }> {
  const db = getDefaultCertDB();
  const server = new SSLServer();
  const cert = db.findCertFromNickname('test_server');
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  server.setALPNProtocols(['http/1.1']);
  const httpServer = http.createServer(handler);
  server.on('secureConnection', (sock: SSLSocket) => httpServer.emit('connection', sock));
  server.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
  const { port } = await server.listen({ port: 0 });
  return { port, close: () => server.close() };
}

function nssConnection(
  port: number,
): (opts: unknown, cb: (err: Error | null, sock?: Duplex) => void) => undefined {
  return (_opts, cb) => {
    const sock = new SSLSocket();
    sock.setHostname('localhost');
    sock.setALPNProtocols(['http/1.1']);
    sock
      .connect({ host: '127.0.0.1', port })
      .then(() => sock.forceHandshake({ timeout: 5000 }))
      .then(
        () => cb(null, sock),
        (err: NSPRError) => cb(err),
      );
    return undefined;
  };
}

describe('the Node HTTP stack over node-nss', () => {
  it('https.request({ createConnection }) talks to an http.Server fed by SSLServer', async () => {
    const server = await nssHTTPServer((req, res) => {
      const sock = req.socket as unknown as SSLSocket;
      res.setHeader('x-protocol', String(sock.getProtocol()));
      res.setHeader('x-alpn', String(sock.alpnProtocol));
      res.setHeader('x-encrypted', String((req.socket as { encrypted?: boolean }).encrypted));
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
    });
    try {
      const response = await within(
        10_000,
        'https request',
        new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
          (resolve, reject) => {
            const req = https.request(
              {
                method: 'POST',
                host: 'localhost',
                port: server.port,
                path: '/hello',
                createConnection: nssConnection(
                  server.port,
                ) as unknown as https.RequestOptions['createConnection'],
              },
              (res) => {
                let body = '';
                res.on('data', (d: Buffer) => (body += d.toString()));
                res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
              },
            );
            req.on('error', reject);
            req.end('payload');
          },
        ),
      );
      expect(response.status).toBe(200);
      expect(response.body).toBe('POST /hello payload');
      expect(response.headers['x-protocol']).toBe('TLSv1.3');
      expect(response.headers['x-alpn']).toBe('http/1.1');
      expect(response.headers['x-encrypted']).toBe('true');
    } finally {
      await server.close();
    }
  });

  it('serves several requests on one keep-alive connection', async () => {
    let connections = 0;
    const server = await nssHTTPServer((req, res) => res.end(req.url));
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const create = nssConnection(server.port);
    (agent as unknown as { createConnection: typeof create }).createConnection = (opts, cb) => {
      connections++;
      return create(opts, cb);
    };
    try {
      for (const path of ['/a', '/b', '/c']) {
        const body = await within(
          10_000,
          path,
          new Promise<string>((resolve, reject) => {
            https
              .get({ host: 'localhost', port: server.port, path, agent }, (res) => {
                let text = '';
                res.on('data', (d: Buffer) => (text += d.toString()));
                res.on('end', () => resolve(text));
              })
              .on('error', reject);
          }),
        );
        expect(body).toBe(path);
      }
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});
