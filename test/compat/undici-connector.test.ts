// undiciConnector as undici's `connect` option, against node's own https and http2 servers: requests,
// HTTP/2 through ALPN, sessions resumed, failures through undici's callback, port-less URLs.
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { init, shutdown, undiciConnector } from 'node-nss';
import { readFileSync } from 'node:fs';
import { removeTemps, writableCopy } from '../support/tools.js';
import type { FixtureDB } from '../fixtures/nssdb.js';

let fx: FixtureDB;
beforeAll(() => {
  fx = writableCopy(inject('fixtures').ec);
  init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
});
afterAll(() => {
  shutdown();
  removeTemps();
});

const credentials = () => ({
  key: readFileSync(fx.keyPemPaths.test_server),
  cert: readFileSync(fx.certs.test_server.pemPath),
});

describe('undiciConnector', () => {
  it('HTTP/1.1 requests through NSS; the second connection resumes the first one’s session', async () => {
    const reused: boolean[] = [];
    const server = https.createServer(credentials(), (req, res) => res.end(`hello ${req.url}`));
    server.on('secureConnection', (sock: TLSSocket) => {
      // isSessionReused is known once the handshake is done, which is when this event fires
      reused.push(sock.isSessionReused());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      for (let i = 0; i < 2; i++) {
        // a new Agent each time: a new connection, which NSS's session cache resumes
        const agent = new Agent({ connect: undiciConnector() });
        const res = await request(`https://localhost:${port}/x${i}`, { dispatcher: agent });
        expect(res.statusCode).toBe(200);
        expect(await res.body.text()).toBe(`hello /x${i}`);
        await agent.close();
      }
      expect(reused).toEqual([false, true]);
    } finally {
      server.close();
    }
  });

  it('HTTP/2 with allowH2: ALPN picks h2 and undici speaks it', async () => {
    const server = http2.createSecureServer({ ...credentials(), allowHTTP1: true }, (req, res) =>
      res.end(`h${req.httpVersion}`),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const agent = new Agent({ allowH2: true, connect: undiciConnector({ allowH2: true }) });
      const res = await request(`https://localhost:${port}/`, { dispatcher: agent });
      expect(await res.body.text()).toBe('h2.0');
      await agent.close();
      // without allowH2, HTTP/1.1 (the server allows it)
      const http1 = new Agent({ connect: undiciConnector() });
      const res1 = await request(`https://localhost:${port}/`, { dispatcher: http1 });
      expect(await res1.body.text()).toBe('h1.1');
      await http1.close();
    } finally {
      server.close();
    }
  });

  it('failures reach undici’s callback: an untrusted server, a wrong name, nothing listening on 443', async () => {
    const server = https.createServer(credentials(), (_req, res) => res.end('x'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const connect = undiciConnector({ timeout: 5000 });
    const attempt = (opts: Parameters<typeof connect>[0]) =>
      new Promise<string>((resolve) =>
        connect(opts, (err, sock) => {
          sock?.destroy();
          resolve(err ? String((err as Error & { code?: string }).code) : 'connected');
        }),
      );
    try {
      expect(await attempt({ hostname: 'localhost', protocol: 'https:', port: String(port) })).toBe(
        'connected',
      );
      expect(
        await attempt({
          hostname: '127.0.0.1',
          protocol: 'https:',
          port: String(port),
          servername: 'wrong.example',
        }),
      ).toBe('SSL_ERROR_BAD_CERT_DOMAIN');
      // a port-less https URL means 443 (nothing listens there in the tests)
      const portless = await new Promise<Error | null>((resolve) =>
        connect({ hostname: '127.0.0.1', protocol: 'https:', port: '' }, (...args) => resolve(args[0])),
      );
      expect(portless?.message).toContain('127.0.0.1:443');
    } finally {
      server.close();
    }
    const untrusted = new Agent({ connect: undiciConnector({ ca: readFileSync(fx.untrustedCaPemPath) }) });
    const other = https.createServer(credentials(), (_req, res) => res.end('x'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const err = await request(`https://localhost:${(other.address() as AddressInfo).port}/`, {
        dispatcher: untrusted,
      }).catch((e: unknown) => e as Error & { code?: string });
      expect((err as { code?: string }).code).toMatch(/^SEC_ERROR_/);
    } finally {
      other.close();
      await untrusted.close();
    }
  });
});
