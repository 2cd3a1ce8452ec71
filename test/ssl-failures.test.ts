import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getDefaultCertDB, init, NSPRError, shutdown, SSLSocket } from 'node-nss';
import { opensslP256Request, removeTemps, tempDir } from './support/tools.js';
import { nssEchoServer, within } from './support/tls.js';

const fx = inject('fixtures').ec;

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => {
  shutdown();
  removeTemps();
});

/**
 * Connects a client and returns how its handshake ended: 'ok' or the NSPRError. In TLS 1.3 a server judges
 * the client's certificate after the client has finished, so a refusal arrives with the first read.
 */
async function handshake(
  port: number,
  setup: (sock: SSLSocket) => void = () => undefined,
): Promise<NSPRError | 'ok'> {
  const sock = new SSLSocket();
  sock.on('error', () => undefined);
  sock.setHostname('localhost');
  setup(sock);
  await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
  try {
    await within(10_000, 'handshake', sock.forceHandshake({ timeout: 8000 }));
    const verdict = await within(
      10_000,
      'first exchange',
      new Promise<'ok' | NSPRError>((resolve) => {
        sock.once('error', resolve);
        sock.once('data', () => resolve('ok'));
        sock.write('ping');
      }),
    );
    sock.destroy();
    return verdict;
  } catch (err) {
    sock.destroy();
    expect(err).toBeInstanceOf(NSPRError);
    return err as NSPRError;
  }
}

async function serving(
  nickname: string,
  run: (port: number) => Promise<void>,
  opts: { requireClientCert?: boolean } = {},
) {
  const { server, port, sockets } = await nssEchoServer({ nickname, ...opts });
  try {
    await run(port);
  } finally {
    sockets.forEach((s) => s.destroy());
    await server.close();
  }
}

describe('certificate failures are the handshake’s failures, with NSS codes', () => {
  it('an unknown issuer: SEC_ERROR_UNKNOWN_ISSUER', async () => {
    // A leaf from a CA the client's database has never seen.
    const dir = tempDir('stranger');
    const f = (name: string) => path.join(dir, name);
    const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    opensslP256Request({ keyOut: f('ca.key'), out: f('ca.pem'), subject: '/CN=Stranger CA', days: 2 });
    opensslP256Request({ keyOut: f('k.pem'), out: f('c.csr'), subject: '/CN=localhost' });
    fs.writeFileSync(f('ext'), 'subjectAltName=DNS:localhost\n');
    ossl(
      'x509',
      '-req',
      '-in',
      f('c.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-set_serial',
      '5',
      '-days',
      '2',
      '-extfile',
      f('ext'),
      '-out',
      f('c.pem'),
    );
    const server = tls.createServer(
      { key: fs.readFileSync(f('k.pem')), cert: fs.readFileSync(f('c.pem')) },
      (s) => s.on('error', () => undefined),
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const result = await handshake((server.address() as net.AddressInfo).port);
      expect(result).not.toBe('ok');
      expect((result as NSPRError).code).toBe('SEC_ERROR_UNKNOWN_ISSUER');
    } finally {
      server.close();
    }
  });

  it('an expired certificate: SEC_ERROR_EXPIRED_CERTIFICATE', async () => {
    await serving('test_expired', async (port) => {
      expect(((await handshake(port)) as NSPRError).code).toBe('SEC_ERROR_EXPIRED_CERTIFICATE');
    });
  });

  it('the wrong host: SSL_ERROR_BAD_CERT_DOMAIN, and no hostname at all fails the same way', async () => {
    await serving('test_wrong_host', async (port) => {
      expect(((await handshake(port)) as NSPRError).code).toBe('SSL_ERROR_BAD_CERT_DOMAIN');
    });
    await serving('test_server', async (port) => {
      expect(((await handshake(port, (s) => s.setHostname('example.com'))) as NSPRError).code).toBe(
        'SSL_ERROR_BAD_CERT_DOMAIN',
      );
    });
  });

  it('a bad-cert callback returning true lets the certificate through and sees the error', async () => {
    await serving('test_wrong_host', async (port) => {
      const seen: string[] = [];
      const result = await handshake(port, (sock) =>
        sock.setBadCertCallback((s, err, tag) => {
          expect(s).toBe(sock);
          seen.push(`${err.code}:${String(tag)}`);
          return true;
        }, 'ud'),
      );
      expect(result).toBe('ok');
      expect(seen).toEqual(['SSL_ERROR_BAD_CERT_DOMAIN:ud']);
    });
  });

  it('a bad-cert callback may answer with a Promise (false keeps the failure)', async () => {
    await serving('test_expired', async (port) => {
      const result = await handshake(port, (sock) => sock.setBadCertCallback(async () => false));
      expect((result as NSPRError).code).toBe('SEC_ERROR_EXPIRED_CERTIFICATE');
    });
  });

  it('a client without a certificate against a server that requires one', async () => {
    const { server, port, sockets } = await nssEchoServer({ requireClientCert: true });
    const serverErrors: string[] = [];
    server.on('connection', (s) => s.on('error', (e: NSPRError) => serverErrors.push(e.code)));
    try {
      const result = await handshake(port);
      expect(result).not.toBe('ok');
      expect((result as NSPRError).code).toMatch(/^SSL_ERROR_/);
      await within(
        5000,
        'server error',
        (async () => {
          while (!serverErrors.length) await new Promise((r) => setTimeout(r, 20));
        })(),
      );
      expect(serverErrors[0]).toBe('SSL_ERROR_NO_CERTIFICATE');
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });
});

describe('callbacks that throw or reject fail the handshake cleanly', () => {
  it('a throwing auth certificate callback', async () => {
    await serving('test_server', async (port) => {
      const result = (await handshake(port, (s) =>
        s.setAuthCertificateCallback(() => {
          throw new Error('boom');
        }),
      )) as NSPRError;
      expect(result.code).toBe('SSL_ERROR_BAD_CERTIFICATE');
      expect(result.message).toContain('boom');
      expect((result as Error).cause).toBeInstanceOf(Error);
    });
  });

  it('a rejecting auth certificate callback', async () => {
    await serving('test_server', async (port) => {
      const result = (await handshake(port, (s) =>
        s.setAuthCertificateCallback(() => Promise.reject(new Error('no'))),
      )) as NSPRError;
      expect(result.code).toBe('SSL_ERROR_BAD_CERTIFICATE');
      expect(result.message).toContain('no');
    });
  });

  it('an auth certificate callback answering false, sync or async', async () => {
    await serving('test_server', async (port) => {
      expect(
        ((await handshake(port, (s) => s.setAuthCertificateCallback(() => false))) as NSPRError).code,
      ).toBe('SSL_ERROR_BAD_CERTIFICATE');
      expect(await handshake(port, (s) => s.setAuthCertificateCallback(async () => true))).toBe('ok');
    });
  });

  it('a throwing client auth data callback', async () => {
    await serving(
      'test_server',
      async (port) => {
        const result = (await handshake(port, (s) =>
          s.setClientAuthDataCallback(() => {
            throw new Error('no card');
          }),
        )) as NSPRError;
        expect(result.message).toContain('no card');
      },
      { requireClientCert: true },
    );
  });

  it('a server auth callback returning a Promise fails with a message saying so', async () => {
    const { server, port, sockets } = await nssEchoServer({ requireClientCert: true });
    server.setAuthCertificateCallback(async () => true);
    const serverErrors: NSPRError[] = [];
    server.on('connection', (s) => s.on('error', (e: NSPRError) => serverErrors.push(e)));
    try {
      const db = getDefaultCertDB();
      const cert = db.findCertFromNickname('test_user');
      const key = db.findKeyByAnyCert(cert);
      const result = await handshake(port, (s) => s.setClientAuthDataCallback(() => [cert, key]));
      expect(result).not.toBe('ok');
      await within(
        5000,
        'server error',
        (async () => {
          while (!serverErrors.length) await new Promise((r) => setTimeout(r, 20));
        })(),
      );
      expect(serverErrors[0]?.message).toMatch(/must return a boolean, not a Promise/);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });
});

describe('broken peers', () => {
  async function rawServer(onConnection: (s: net.Socket) => void): Promise<[net.Server, number]> {
    const server = net.createServer(onConnection);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return [server, (server.address() as net.AddressInfo).port];
  }

  it('garbage instead of a ServerHello', async () => {
    const [server, port] = await rawServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    });
    try {
      const result = (await handshake(port)) as NSPRError;
      expect(result.code).toMatch(/^SSL_ERROR_/);
    } finally {
      server.close();
    }
  });

  it('garbage instead of a ClientHello: the server reports it and carries on', async () => {
    const { server, port, sockets } = await nssEchoServer();
    const errors: string[] = [];
    server.on('connection', (s) => s.on('error', (e: NSPRError) => errors.push(e.code)));
    try {
      const raw = net.connect({ host: '127.0.0.1', port });
      raw.on('error', () => undefined);
      raw.write('GET / HTTP/1.1\r\nHost: x\r\n' + 'X-Padding: ' + 'x'.repeat(20_000) + '\r\n\r\n');
      await within(
        5000,
        'server error',
        (async () => {
          while (!errors.length) await new Promise((r) => setTimeout(r, 20));
        })(),
      );
      expect(errors[0]).toMatch(/^SSL_ERROR_/);
      raw.destroy();
      expect(await handshake(port)).toBe('ok');
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });

  it('a TCP reset in the middle of the handshake', async () => {
    const [server, port] = await rawServer((s) => s.once('data', () => s.resetAndDestroy()));
    try {
      const result = (await handshake(port)) as NSPRError;
      expect(['PR_CONNECT_RESET_ERROR', 'PR_END_OF_FILE_ERROR']).toContain(result.code);
    } finally {
      server.close();
    }
  });

  it('a TCP reset in the middle of the stream', async () => {
    const { server, port, sockets } = await nssEchoServer();
    // A proxy that resets the client's connection once data flows after the handshake.
    let bytes = 0;
    const [proxy, proxyPort] = await rawServer((client) => {
      client.on('error', () => undefined);
      const upstream = net.connect({ host: '127.0.0.1', port });
      upstream.on('error', () => undefined);
      upstream.pipe(client);
      client.on('data', (d: Buffer) => {
        bytes += d.length;
        if (bytes > 4000) client.resetAndDestroy();
        else upstream.write(d);
      });
    });
    try {
      const sock = new SSLSocket();
      sock.setHostname('localhost');
      const failed = new Promise<NSPRError>((resolve) => sock.on('error', resolve));
      await sock.connect({ host: '127.0.0.1', port: proxyPort });
      await sock.forceHandshake({ timeout: 5000 });
      sock.write(Buffer.alloc(64 * 1024, 1));
      const err = await within(5000, 'reset error', failed);
      expect(['PR_CONNECT_RESET_ERROR', 'PR_END_OF_FILE_ERROR']).toContain(err.code);
    } finally {
      proxy.close();
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });

  it('destroy() in the middle of a handshake is safe', async () => {
    await serving('test_server', async (port) => {
      const sock = new SSLSocket();
      sock.on('error', () => undefined);
      sock.setHostname('localhost');
      sock.setAuthCertificateCallback(() => new Promise((resolve) => setTimeout(() => resolve(true), 200)));
      await sock.connect({ host: '127.0.0.1', port });
      const hs = sock.forceHandshake({ timeout: 5000 });
      setTimeout(() => sock.destroy(), 50);
      await expect(hs).rejects.toBeInstanceOf(Error);
      await new Promise((r) => setTimeout(r, 300));
      expect(sock.destroyed).toBe(true);
    });
  });
});

describe('server handshake timeout', () => {
  it('drops a client that stalls before or inside its ClientHello, with PR_IO_TIMEOUT_ERROR', async () => {
    const { server, port, sockets } = await nssEchoServer({ version: 'tls1.3' });
    expect(server.handshakeTimeout).toBe(120_000);
    expect(() => (server.handshakeTimeout = -1)).toThrow(RangeError);
    server.handshakeTimeout = 1000;
    // An async SNI callback makes the server hold a partial ClientHello; the timeout covers that too.
    server.setSNICallback(async () => undefined);
    const errors: NSPRError[] = [];
    server.on('tlsClientError', (err: NSPRError) => errors.push(err));
    try {
      const silent = net.connect(port, '127.0.0.1');
      const partial = net.connect(port, '127.0.0.1');
      partial.on('connect', () => partial.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])));
      const closed = (s: net.Socket) =>
        new Promise((resolve) => s.once('close', resolve).on('error', () => undefined));
      await within(5000, 'both dropped', Promise.all([closed(silent), closed(partial)]));
      expect(errors.map((e) => e.code)).toEqual(['PR_IO_TIMEOUT_ERROR', 'PR_IO_TIMEOUT_ERROR']);
      expect(errors[0]?.message).toMatch(/within 1000 ms/);
      // A client that does its handshake is not affected.
      const sock = new SSLSocket();
      sock.on('error', () => undefined);
      sock.setHostname('localhost');
      await sock.connect({ host: '127.0.0.1', port });
      await sock.forceHandshake({ timeout: 5000 });
      await new Promise((r) => setTimeout(r, 1200));
      expect(sock.destroyed).toBe(false);
      sock.destroy();
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });
});
