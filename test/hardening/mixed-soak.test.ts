// A soak of mixed traffic against one SSLServer (60 s by default; NODE_NSS_SOAK_SECONDS changes it): full and
// resumed handshakes over TLS 1.2 and 1.3, client authentication, bulk transfers, server-initiated
// renegotiations and KeyUpdates both ways, on eight connections at a time. RSS, descriptors and live NSS
// objects are sampled after a warm-up and at the end, each time with every lane paused and the heap collected.
import { describe, expect, inject, it } from 'vitest';
import { recordFigures } from '../support/figures.js';
import { nodeScript } from '../support/tools.js';

const fx = inject('fixtures').rsa;
const SECONDS = Number(process.env.NODE_NSS_SOAK_SECONDS ?? 60);
// RSS under AddressSanitizer includes its quarantine of freed memory; LeakSanitizer judges leaks there.
const SANITIZED = process.env.NODE_NSS_SANITIZED === '1';

const script = `
const fs = require('node:fs');
const crypto = require('node:crypto');
const nss = require('node-nss');
nss.init({ dbDir: ${JSON.stringify(fx.db)}, password: ${JSON.stringify(fx.password)}, loadBuiltinRoots: false });
const db = nss.getDefaultCertDB();
const fds = () => fs.readdirSync('/proc/self/fd').length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const counts = { connections: 0, full: 0, resumed: 0, clientAuth: 0, bulkBytes: 0, renegotiations: 0, postHandshakeAuth: 0, keyUpdates: 0 };

const server = new nss.SSLServer();
const serverCert = db.findCertFromNickname('test_server');
server.configSecureServer(serverCert, db.findKeyByAnyCert(serverCert));
server.setSSLOption(nss.SSL_REQUEST_CERTIFICATE, true);
server.setSSLOption(nss.SSL_REQUIRE_CERTIFICATE, nss.SSL_REQUIRE_NEVER);
const serverFailures = [];
server.on('tlsClientError', (e) => serverFailures.push(e.code));
server.on('secureConnection', (sock) => {
  sock.on('error', (e) => serverFailures.push(e.code));
  sock.on('data', (d) => {
    // The one command comes alone in its record (the client waits for each answer); anything else is echoed.
    const text = d.toString('latin1');
    if (text === 'renegotiate\\n')
      sock.rehandshake(false).then((r) => sock.write(r.kind + '\\n'), (e) => serverFailures.push(e.code));
    else if (text === 'keyupdate\\n') {
      sock.keyUpdate(true);
      sock.write('key-update\\n');
    } else sock.write(d);
  });
  sock.on('end', () => sock.end());
});

const clientCert = db.findCertFromNickname('test_user');
const clientKey = db.findKeyByAnyCert(clientCert);

/** Writes \`data\` and resolves with the first \`length\` bytes that come back. */
function exchange(sock, data, length) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let got = 0;
    const onData = (d) => {
      chunks.push(d);
      got += d.length;
      if (got >= length) { sock.off('data', onData); sock.off('error', reject); resolve(Buffer.concat(chunks)); }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(data);
  });
}

// A connection that takes longer than this is stuck: the script says where and fails, rather than hang.
const STUCK_MS = 30000;
async function oneConnection(port, i) {
  const kind = i % 6;
  const at = { step: 'connect' };
  const watchdog = setTimeout(() => {
    console.error('connection ' + i + ' (kind ' + kind + ') stuck at ' + at.step);
    process.exit(1);
  }, STUCK_MS);
  try {
    await connectionSteps(port, kind, at);
  } finally {
    clearTimeout(watchdog);
  }
}

async function connectionSteps(port, kind, at) {
  const sock = new nss.SSLSocket();
  sock.setHostname('localhost');
  if (kind === 0) sock.setSSLOption(nss.SSL_NO_CACHE, true);
  if (kind === 1 || kind === 4) { sock.setSSLVersionRange('tls1.2', 'tls1.2'); sock.setSockPeerID('tls1.2-' + kind); }
  else sock.setSockPeerID('tls1.3-' + kind);
  if (kind === 5) sock.setSSLOption(nss.SSL_ENABLE_POST_HANDSHAKE_AUTH, true);
  if (kind === 2 || kind === 4 || kind === 5) sock.setClientAuthDataCallback(() => [clientCert, clientKey]);
  await sock.connect({ host: '127.0.0.1', port, timeout: 20000 });
  at.step = 'handshake';
  await sock.forceHandshake({ timeout: 20000 });
  counts.connections++;
  if (sock.getSSLChannelInfo().resumed) counts.resumed++; else counts.full++;
  if (sock.getPeerCertificate() === null) throw new Error('no server certificate');
  if (kind === 2 || kind === 4) counts.clientAuth++;
  at.step = 'hello';
  const hello = await exchange(sock, 'hello\\n', 6);
  if (hello.toString() !== 'hello\\n') throw new Error('echo mismatch');
  if (kind === 3) {
    // Bulk: 1 MiB each way, checked byte for byte.
    at.step = 'bulk';
    const data = crypto.randomBytes(1 << 20);
    const back = await exchange(sock, data, data.length);
    if (!back.equals(data)) throw new Error('bulk mismatch');
    counts.bulkBytes += data.length * 2;
  }
  if (kind === 4 || kind === 5) {
    // TLS 1.2: the server renegotiates. TLS 1.3: the server asks for the client's certificate after the
    // handshake, then updates its keys and the client's, and the client updates its own and the server's.
    at.step = 'renegotiate';
    const reply = (await exchange(sock, 'renegotiate\\n', 1)).toString();
    if (kind === 4) counts.renegotiations++;
    else {
      counts.postHandshakeAuth++;
      at.step = 'server key update';
      await exchange(sock, 'keyupdate\\n', 1);
      at.step = 'client key update';
      sock.keyUpdate(true);
      counts.keyUpdates += 2;
    }
    at.step = 'after';
    const after = await exchange(sock, 'after\\n', 6);
    if (after.toString() !== 'after\\n') throw new Error('echo after ' + reply.trim() + ' mismatch');
  }
  at.step = 'close';
  await new Promise((resolve) => { sock.once('close', resolve); sock.end(); });
}

(async () => {
  const { port } = await server.listen({ port: 0 });
  let paused = false;
  let i = 0;
  const lane = async () => { while (!paused) await oneConnection(port, i++); };
  const phase = async (ms) => {
    paused = false;
    const lanes = Array.from({ length: 8 }, lane);
    await sleep(ms);
    paused = true;
    await Promise.all(lanes);
  };
  // Live objects once they stop falling: the server's side of the last connections closes after the client's,
  // and finalizers run after the collection (a busy machine left one more object at the end, measured).
  const settledLive = async () => {
    let last = -1;
    for (let k = 0; k < 20; k++) {
      global.gc(); await sleep(100);
      const now = nss.liveHandles();
      if (now === last) return now;
      last = now;
    }
    return last;
  };
  const sample = async () => {
    const live = await settledLive();
    return { connections: counts.connections, rss: process.memoryUsage().rss, fds: fds(), live };
  };
  const total = ${SECONDS} * 1000;
  // Warm-up, then two equal spans: the V8 heap and malloc arenas settle in the first.
  await phase(total / 3);
  const warm = await sample();
  await phase(total / 3);
  const mid = await sample();
  await phase(total / 3);
  const end = await sample();
  await server.close();
  nss.shutdown();
  console.log(JSON.stringify({ warm, mid, end, counts, serverFailures }));
})().catch((e) => { console.error(e.code ?? '', e.stack); process.exit(1); });
`;

describe('mixed soak', () => {
  it(
    `${SECONDS} s of mixed traffic: no failures; RSS, descriptors and live NSS objects flat at the end`,
    async () => {
      const r = await nodeScript(script, { args: ['--expose-gc'], ms: (SECONDS + 120) * 1000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      type Sample = { connections: number; rss: number; fds: number; live: number };
      const { warm, mid, end, counts, serverFailures } = JSON.parse(r.stdout) as {
        warm: Sample;
        mid: Sample;
        end: Sample;
        counts: Record<string, number>;
        serverFailures: string[];
      };
      if (process.env.NODE_NSS_SOAK_VERBOSE) console.log(JSON.stringify({ warm, mid, end, counts }));
      recordFigures('mixed-soak', {
        seconds: SECONDS,
        ...counts,
        rssGrowthLastThirdMiB: (end.rss - mid.rss) / 2 ** 20,
        fds: [warm.fds, mid.fds, end.fds],
        liveHandles: [warm.live, mid.live, end.live],
        serverFailures: serverFailures.length,
      });
      expect(serverFailures).toEqual([]);
      // Every kind of traffic happened, and kept happening to the end.
      for (const key of [
        'full',
        'resumed',
        'clientAuth',
        'bulkBytes',
        'renegotiations',
        'postHandshakeAuth',
        'keyUpdates',
      ])
        expect(counts[key], key).toBeGreaterThan(0);
      // A stall, or a leak that slows every connection down, leaves the last third far behind the middle one.
      // Not half: a second test run on the same 2 cores brought it to 0.46 under the sanitizers (measured).
      expect(end.connections - mid.connections).toBeGreaterThan((mid.connections - warm.connections) / 4);
      for (const later of [mid, end]) {
        expect(later.fds).toBeLessThanOrEqual(warm.fds);
        expect(later.live).toBeLessThanOrEqual(warm.live);
      }
      if (!SANITIZED) expect((end.rss - mid.rss) / 2 ** 20).toBeLessThan(12);
    },
    (SECONDS + 180) * 1000,
  );
});
