// The cycle pool (configThreadPool): node-nss's NSS work on native threads. What must hold with it on is what
// holds without it — the same bytes, the same certificates chosen, the same verdicts, against node:tls peers —
// and that nothing of a socket's teardown (destroy() mid-cycle, shutdown(), a worker's end, the garbage
// collector) meets a cycle still running on another thread. The pairing and stream-contract suites run again
// with the pool on next to this file; here are the pool's own cases.
import * as nodeTLS from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nssTLS from 'node-nss/tls';
import { configThreadPool, threadPool } from 'node-nss';
import { makePemPKI, type PemPKI } from '../support/pem-pki.js';
import { nodeScript, removeTemps } from '../support/tools.js';

let pki: PemPKI;
beforeAll(() => {
  pki = makePemPKI();
  configThreadPool({ threads: 2 });
});
afterAll(() => {
  configThreadPool({ threads: 0 });
  removeTemps();
});

type TLSModule = Pick<typeof nodeTLS, 'connect' | 'createServer' | 'createSecureContext'>;
const nss = nssTLS as unknown as TLSModule;

function listen(server: nodeTLS.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

async function serving<T>(server: nodeTLS.Server, body: (port: number) => Promise<T>): Promise<T> {
  const port = await listen(server);
  try {
    return await body(port);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A client's options for the echo servers here: 127.0.0.1:`port` as `localhost`, trusting the PKI's root. */
const toLocalhost = (port: number) => ({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.pem.ca });

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Sends `data`, ends, and resolves with the SHA-256 of all that came back and whether the socket verified. */
function echoRound(
  tls: TLSModule,
  port: number,
  data: Buffer,
  extra: nodeTLS.ConnectionOptions = {},
): Promise<{ digest: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ ...toLocalhost(port), ...extra }, () => {
      sock.end(data);
    });
    const got: Buffer[] = [];
    sock.on('data', (chunk: Buffer) => got.push(chunk));
    sock.on('error', reject);
    sock.on('close', () => resolve({ digest: sha256(Buffer.concat(got)), authorized: sock.authorized }));
  });
}

function echoServer(tls: TLSModule, options: nodeTLS.TlsOptions = {}): nodeTLS.Server {
  return tls.createServer(
    { key: pki.pem['server-ec.key'], cert: pki.pem['server-ec'], allowHalfOpen: true, ...options },
    (sock) => {
      sock.on('data', (chunk: Buffer) => sock.write(chunk));
      sock.on('end', () => sock.end());
      sock.on('error', () => undefined);
    },
  );
}

describe('configThreadPool', () => {
  it('refuses what is not a thread count, naming the argument, and keeps the pool as it was', () => {
    expect(() => configThreadPool(2 as unknown as { threads: number })).toThrow(TypeError);
    expect(() => configThreadPool({ threads: 1.5 })).toThrow(/opts\.threads/);
    expect(() => configThreadPool({ threads: '2' as unknown as number })).toThrow(TypeError);
    expect(() => configThreadPool({ threads: 257 })).toThrow(RangeError);
    expect(() => configThreadPool({ threads: -1 })).toThrow(/opts\.threads/);
    expect(threadPool().threads).toBe(2);
  });

  it('NODE_NSS_THREADS that is not a count fails node-nss loading with a RangeError that names it', async () => {
    const r = await nodeScript(`require('node-nss')`, {
      env: { ...(process.env as Record<string, string>), NODE_NSS_THREADS: 'many' },
      ms: 20_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/RangeError: NODE_NSS_THREADS must be an integer/);
  });
});

describe('with the pool on', () => {
  const pairings: Array<[string, TLSModule, TLSModule]> = [
    ['node-nss/tls server, node:tls clients', nss, nodeTLS],
    ['node:tls server, node-nss/tls clients', nodeTLS, nss],
    ['node-nss/tls on both ends', nss, nss],
  ];

  it.each(pairings)('%s: every byte of 8 concurrent 512 KiB echoes comes back', async (_, server, client) => {
    const before = threadPool().cycles;
    const payloads = Array.from({ length: 8 }, () => randomBytes(512 * 1024));
    const results = await serving(echoServer(server), (port) =>
      Promise.all(payloads.map((data) => echoRound(client, port, data))),
    );
    expect(results).toEqual(payloads.map((data) => ({ digest: sha256(data), authorized: true })));
    // The node-nss ends' handshakes went to the pool: at least two cycles per connection.
    expect(threadPool().cycles - before).toBeGreaterThanOrEqual(8 * 2);
  });

  it('SNI: a node-nss/tls server serves each name its certificate, of either key type, from the pool', async () => {
    const contexts: Record<string, nodeTLS.SecureContext> = {
      'rsa.test': nssTLS.createSecureContext({
        key: pki.pem['server-rsa.key'],
        cert: pki.pem['server-rsa'],
      }) as unknown as nodeTLS.SecureContext,
      'int.test': nssTLS.createSecureContext({
        key: pki.pem['server-int.key'],
        cert: pki.pem['server-int'],
      }) as unknown as nodeTLS.SecureContext,
    };
    const server = echoServer(nss, { SNICallback: (name, cb) => cb(null, contexts[name]) });
    const served = (port: number, servername: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = nodeTLS.connect(
          { port, host: '127.0.0.1', servername, rejectUnauthorized: false },
          () => {
            resolve(sock.getPeerCertificate().fingerprint256);
            sock.destroy();
          },
        );
        sock.on('error', reject);
      });
    const fingerprint = (name: string) => new X509Certificate(pki.pem[name]!).fingerprint256;
    const before = threadPool().cycles;
    const seen = await serving(server, async (port) => ({
      rsa: await served(port, 'rsa.test'),
      int: await served(port, 'int.test'),
      other: await served(port, 'other.test'),
    }));
    expect(seen).toEqual({
      rsa: fingerprint('server-rsa'),
      int: fingerprint('server-int'),
      other: fingerprint('server-ec'),
    });
    expect(threadPool().cycles).toBeGreaterThan(before);
  });

  it('a server that verifies client certificates (a JavaScript check inside NSS) still decides each one', async () => {
    const server = echoServer(nss, { requestCert: true, ca: pki.pem.ca });
    const verdicts = await serving(server, async (port) => {
      const good = await echoRound(nodeTLS, port, Buffer.from('with a certificate'), {
        key: pki.pem['client.key'],
        cert: pki.pem.client,
      });
      const refused = await echoRound(nodeTLS, port, Buffer.from('other CA'), {
        key: pki.pem['other-client.key'],
        cert: pki.pem['other-client'],
      }).then(
        () => 'connected',
        () => 'refused',
      );
      return { good, refused };
    });
    expect(verdicts).toEqual({
      good: { digest: sha256(Buffer.from('with a certificate')), authorized: true },
      refused: 'refused',
    });
  });

  it("a server's refusal (an alert, then its FIN) is the client's error from the pool, as inline", async () => {
    // A node:tls server that takes TLS 1.3 only, a node-nss/tls client that offers TLS 1.2 only.
    const server = nodeTLS.createServer({
      key: pki.pem['server-ec.key'],
      cert: pki.pem['server-ec'],
      minVersion: 'TLSv1.3',
    });
    server.on('tlsClientError', () => undefined);
    const refusal = (port: number) =>
      new Promise<string>((resolve) => {
        const sock = nssTLS.connect({ ...toLocalhost(port), maxVersion: 'TLSv1.2' });
        sock.on('secureConnect', () => resolve('connected'));
        sock.on('error', (err: NodeJS.ErrnoException) => resolve(String(err.code)));
      });
    const codes = await serving(server, async (port) => {
      configThreadPool({ threads: 0 });
      const inline = await refusal(port);
      configThreadPool({ threads: 2 });
      const pooled = await Promise.all(Array.from({ length: 20 }, () => refusal(port)));
      return { inline, pooled };
    });
    expect(codes.inline).toMatch(/^SSL_ERROR_/);
    expect(codes.pooled).toEqual(Array.from({ length: 20 }, () => codes.inline));
  });

  it('destroy() while a cycle runs on the pool: every socket closes, nothing is thrown', async () => {
    const server = echoServer(nss);
    const closes = await serving(server, (port) =>
      Promise.all(
        Array.from(
          { length: 30 },
          (_, i) =>
            new Promise<string>((resolve) => {
              const sock = nssTLS.connect(toLocalhost(port));
              // Destroyed at different points: before the handshake's flight is back, right after sending, and
              // while the echo comes in.
              if (i % 3 === 0) setImmediate(() => sock.destroy());
              sock.once('secureConnect', () => {
                sock.write(randomBytes(256 * 1024));
                if (i % 3 === 1) sock.destroy();
              });
              sock.once('data', () => sock.destroy());
              sock.on('error', () => undefined);
              sock.on('close', () => resolve(sock.destroyed ? 'closed' : 'open'));
            }),
        ),
      ),
    );
    expect(closes).toEqual(Array.from({ length: 30 }, () => 'closed'));
  });

  // Each in a child process: what ends NSS or a thread there must not take this test process along.
  const child = (body: string, args: string[] = [], env: Record<string, string> = {}) =>
    nodeScript(
      `const tls = require(process.env.TLS_MODULE || 'node-nss/tls'); const nss = require('node-nss');
       const fs = require('node:fs');
       const path = require('node:path');
       const pem = (name) => fs.readFileSync(path.join(process.env.PKI, name));
       const echoServer = () => new Promise((resolve) => {
         const server = tls.createServer({ key: pem('server-ec.key'), cert: pem('server-ec.crt') }, (s) => {
           s.on('data', (d) => s.write(d)); s.on('error', () => {});
         });
         server.listen(0, '127.0.0.1', () => resolve(server));
       });
       (${body})().then((out) => process.stdout.write(JSON.stringify(out)), (err) => {
         process.stdout.write(JSON.stringify({ failed: String(err) })); process.exitCode = 3; });`,
      {
        args,
        env: { ...(process.env as Record<string, string>), PKI: pki.dir, NODE_NSS_THREADS: '2', ...env },
        ms: 30_000,
      },
    );

  it("a 'data' listener that throws is the process's uncaught exception, and the socket goes on, as node:tls's", async () => {
    const body = `async () => {
      const server = tls.createServer({ key: pem('server-ec.key'), cert: pem('server-ec.crt'),
        allowHalfOpen: true }, (s) => { s.on('data', (d) => s.write(d)); s.on('end', () => s.end()); });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const uncaught = [];
      process.on('uncaughtException', (err) => uncaught.push(err.message));
      const seen = await new Promise((resolve) => {
        const s = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
          ca: pem('ca.crt') }, () => s.write('one'));
        let got = '';
        let thrown = false;
        s.on('data', (d) => {
          got += d;
          if (!thrown) { thrown = true; s.write('two'); throw new Error('listener failed'); }
          if (got === 'onetwo') s.end();
        });
        s.on('close', () => resolve({ got, closed: true }));
      });
      server.close();
      return { ...seen, uncaught };
    }`;
    const expected = { got: 'onetwo', closed: true, uncaught: ['listener failed'] };
    for (const [module, threads] of [
      ['node:tls', '0'],
      ['node-nss/tls', '0'],
      ['node-nss/tls', '2'],
    ] as const) {
      const r = await child(body, [], { TLS_MODULE: module, NODE_NSS_THREADS: threads });
      expect({ module, threads, out: r.stdout ? JSON.parse(r.stdout) : r.stderr }).toEqual({
        module,
        threads,
        out: expected,
      });
    }
  });

  it('shutdown() while handshakes run on the pool closes every socket; the process ends cleanly', async () => {
    const r = await child(`async () => {
      const server = await echoServer();
      const port = server.address().port;
      const closed = [];
      // Handshakes keep starting, so that some are on the pool when shutdown() comes.
      const socks = [];
      const open = () => {
        const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pem('ca.crt') });
        s.on('error', () => {});
        s.on('close', () => closed.push(true));
        socks.push(s);
      };
      for (let i = 0; i < 20; i++) open();
      await new Promise((resolve) => socks[0].once('secureConnect', resolve));
      const cycles = nss.threadPool().cycles;
      nss.shutdown();
      // A socket learns of it at its next cycle (an idle one stays open until then): each writes.
      for (const s of socks) if (!s.destroyed) s.write('after the shutdown');
      while (closed.length < socks.length) await new Promise((resolve) => setTimeout(resolve, 10));
      server.close();
      // (node-nss/tls initialises NSS again for what comes after, as it did the first time.)
      return { cycled: cycles > 0, closed: closed.length };
    }`);
    expect({ status: r.status, out: r.stdout ? JSON.parse(r.stdout) : r.stderr }).toEqual({
      status: 0,
      out: { cycled: true, closed: 20 },
    });
  });

  it('a worker terminated while its sockets cycle on the pool leaves the process healthy', async () => {
    const r = await child(`async () => {
      const { Worker } = require('node:worker_threads');
      const source = \`
        const { parentPort } = require('node:worker_threads');
        const tls = require('node-nss/tls'); const fs = require('node:fs'); const path = require('node:path');
        const pem = (name) => fs.readFileSync(path.join(process.env.PKI, name));
        const server = tls.createServer({ key: pem('server-ec.key'), cert: pem('server-ec.crt') }, (s) => {
          s.on('data', (d) => s.write(d)); s.on('error', () => {});
        });
        server.listen(0, '127.0.0.1', () => {
          // Handshakes one after another, four at a time, so that some run on the pool at the end.
          const open = () => {
            const s = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
              ca: pem('ca.crt') }, () => { parentPort.postMessage('connected'); s.destroy(); });
            s.on('error', () => {});
            s.on('close', open);
          };
          for (let i = 0; i < 4; i++) open();
        });\`;
      for (let round = 0; round < 3; round++) {
        const worker = new Worker(source, { eval: true });
        await new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
        await worker.terminate();
      }
      // NSS still serves this thread.
      const server = await echoServer();
      const echoed = await new Promise((resolve, reject) => {
        const s = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost',
          ca: pem('ca.crt') }, () => s.write('after the workers'));
        s.on('data', (d) => { resolve(String(d)); s.destroy(); });
        s.on('error', reject);
      });
      server.close();
      return { echoed, cycles: nss.threadPool().cycles > 0 };
    }`);
    expect({ status: r.status, out: r.stdout ? JSON.parse(r.stdout) : r.stderr }).toEqual({
      status: 0,
      out: { echoed: 'after the workers', cycles: true },
    });
  });

  it('sockets that cycled on the pool are freed by the garbage collector once closed', async () => {
    const r = await child(
      `async () => {
      const server = await echoServer();
      const port = server.address().port;
      const round = () => Promise.all(Array.from({ length: 20 }, () => new Promise((resolve) => {
        const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pem('ca.crt') },
          () => s.write(Buffer.alloc(100 * 1024)));
        let got = 0;
        s.on('data', (d) => { got += d.length; if (got === 100 * 1024) s.end(); });
        s.on('close', resolve);
      })));
      await round();
      const settle = async () => {
        for (let i = 0; i < 10; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
        return nss.liveHandles();
      };
      const base = await settle();
      for (let i = 0; i < 5; i++) await round();
      const after = await settle();
      server.close();
      return { grew: after - base, cycles: nss.threadPool().cycles > 0 };
    }`,
      ['--expose-gc'],
    );
    expect({ status: r.status, out: r.stdout ? JSON.parse(r.stdout) : r.stderr }).toEqual({
      status: 0,
      out: { grew: 0, cycles: true },
    });
  });
});
