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
  let resumed = 0;
  for (let i = 1; i <= Number(total); i++) {
    const sock = new nss.SSLSocket();
    sock.setHostname('localhost');
    // A third each: TLS 1.2 resumed from a session ID, TLS 1.3 resumed from a ticket, full TLS 1.3.
    // (Separate peer IDs: NSS keeps one cached session per peer, and a TLS 1.2 session cannot resume as 1.3.)
    if (i % 3 === 0) {
      sock.setSSLVersionRange('tls1.2', 'tls1.2');
      sock.setSockPeerID('tls1.2');
    } else if (i % 3 === 1) sock.setSSLOption(nss.SSL_NO_CACHE, true);
    else sock.setSockPeerID('tls1.3');
    await sock.connect({ host: '127.0.0.1', port });
    await sock.forceHandshake({ timeout: 10000 });
    if (sock.getSSLChannelInfo().resumed) resumed++;
    await new Promise((resolve, reject) => {
      sock.once('data', resolve);
      sock.once('error', reject);
      sock.write('x');
    });
    await new Promise((resolve) => { sock.once('close', resolve); sock.end(); });
    if (i === (Number(total) * 3) / 20 || i === Number(total) / 2 || i === Number(total)) {
      global.gc();
      await new Promise((r) => setTimeout(r, 50));
      global.gc();
      samples.push({ at: i, rss: process.memoryUsage().rss, fds: fds(), live: nss.liveHandles(), resumed });
    }
  }
  await server.close();
  nss.shutdown();
  console.log(JSON.stringify(samples));
})().catch((e) => { console.error(e); process.exit(1); });
`;

// 20,000 by default; the sanitizer run (npm run test:asan) makes fewer, each several times slower there.
const TOTAL = Number(process.env.NODE_NSS_SOAK_CONNECTIONS ?? 20000);
// Under AddressSanitizer freed memory waits in a quarantine, so RSS says nothing there; LeakSanitizer
// judges leaks in that run instead.
const SANITIZED = process.env.NODE_NSS_SANITIZED === '1';

describe('soak', () => {
  // Measured: the V8 heap reservation and the malloc arenas settle by about 12,000 connections (about 45 MiB
  // above the first sample, the same shape node:tls shows); after that RSS stays flat. Without clearing NSS's
  // client session cache, each TLS 1.3 resumption would keep its spent ticket (about 1 KiB) for two days.
  it(`${TOTAL} sequential connections: no growth in descriptors or live NSS objects, bounded RSS`, () => {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '-e', script, fx.db, fx.password, String(TOTAL)],
      {
        cwd: path.join(__dirname, '..'),
        encoding: 'utf8',
        timeout: 600_000,
      },
    );
    if (process.env.NODE_NSS_SOAK_VERBOSE) console.log(out);
    const [warm, half, end] = JSON.parse(out) as Array<{
      at: number;
      rss: number;
      fds: number;
      live: number;
      resumed: number;
    }>;
    expect([warm?.at, half?.at, end?.at]).toEqual([(TOTAL * 3) / 20, TOTAL / 2, TOTAL]);
    const mib = (from?: { rss: number }, to?: { rss: number }): number =>
      ((to?.rss ?? 0) - (from?.rss ?? 0)) / 2 ** 20;
    if (!SANITIZED) {
      expect(mib(warm, end)).toBeLessThan(50);
      expect(mib(half, end)).toBeLessThan(12);
    }
    expect(end?.fds).toBeLessThanOrEqual((warm?.fds ?? 0) + 2);
    // Every socket, certificate and key of the finished connections was released.
    expect(end?.live).toBeLessThanOrEqual(warm?.live ?? 0);
    // Two thirds resumed, less the first connection of each kind and those after the one cache clearing.
    expect(end?.resumed).toBeGreaterThan((TOTAL * 2) / 3 - 10);
  }, 700_000);
});
