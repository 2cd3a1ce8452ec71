// node-nss vs node:tls, side by side in one run on this machine: full handshakes per second and bulk
// throughput over loopback, each library talking to itself with the same ECDSA P-256 certificate.
// Usage: npm run bench  (after npm ci). Prints a table and the node-nss/node:tls ratios.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { createRequire } from 'node:module';
import nss from 'node-nss';

const require = createRequire(import.meta.url);
const { createDatabase, createCertificate } = require('../dist/cli/nss-tools.js');

const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 1000);
const BULK_MIB = Number(process.env.BENCH_MIB ?? 256);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-bench-'));
const database = createDatabase(dir, '');
createCertificate(database, {
  nickname: 'ca',
  subject: 'CN=Bench CA',
  serial: 1,
  keyType: 'ec',
  trust: 'CT,,',
  caPathLength: 0,
  keyUsage: 'certSigning',
});
createCertificate(database, {
  nickname: 'server',
  subject: 'CN=localhost',
  serial: 2,
  issuer: 'ca',
  keyType: 'ec',
  trust: 'u,u,u',
  extKeyUsage: 'serverAuth',
  san: 'dns:localhost',
});
const pem = (nick) =>
  execFileSync('certutil', ['-L', '-d', database.db, '-n', nick, '-a'], { encoding: 'utf8' });
execFileSync('pk12util', ['-o', path.join(dir, 's.p12'), '-n', 'server', '-d', database.db, '-W', 'x'], {
  stdio: 'ignore',
});
const keyPem = execFileSync(
  'openssl',
  ['pkcs12', '-in', path.join(dir, 's.p12'), '-nocerts', '-nodes', '-passin', 'pass:x'],
  { encoding: 'utf8' },
);
const caPem = pem('ca');
const serverPem = pem('server');

nss.init({ dbDir: database.db, loadBuiltinRoots: false });
const db = nss.getDefaultCertDB();
const chunk = Buffer.alloc(64 * 1024, 7);

async function nssServer() {
  const server = new nss.SSLServer();
  const cert = db.findCertFromNickname('server');
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  server.on('connection', (s) => {
    s.on('error', () => {});
    s.on('data', (d) => {
      if (d[d.length - 1] === 0x3f) s.write('!');
    });
    s.on('end', () => s.end());
  });
  const { port } = await server.listen({ port: 0 });
  return { port, close: () => server.close() };
}

async function nodeServer() {
  const server = tls.createServer({ key: keyPem, cert: serverPem }, (s) => {
    s.on('error', () => {});
    s.on('data', (d) => {
      if (d[d.length - 1] === 0x3f) s.write('!');
    });
    s.on('end', () => s.end());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

async function nssConnect(port) {
  const sock = new nss.SSLSocket();
  sock.on('error', () => {});
  sock.setHostname('localhost');
  sock.setSSLOption(nss.SSL_NO_CACHE, true); // full handshakes only
  await sock.connect({ host: '127.0.0.1', port });
  await sock.forceHandshake();
  return sock;
}

function nodeConnect(port) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', ca: caPem, session: undefined },
      () => resolve(sock),
    );
    sock.on('error', reject);
  });
}

async function handshakes(connect, port) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < HANDSHAKES; i++) {
    const sock = await connect(port);
    await new Promise((r) => {
      sock.once('close', r);
      sock.destroy();
    });
  }
  return HANDSHAKES / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function throughput(connect, port) {
  const sock = await connect(port);
  const total = BULK_MIB * 1024 * 1024;
  const start = process.hrtime.bigint();
  let sent = 0;
  while (sent < total) {
    if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
    sent += chunk.length;
  }
  await new Promise((r) => {
    sock.once('data', r);
    sock.write('?');
  });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  sock.destroy();
  return BULK_MIB / secs;
}

const results = [];
for (const [name, startServer, connect] of [
  ['node-nss', nssServer, nssConnect],
  ['node:tls', nodeServer, nodeConnect],
]) {
  const server = await startServer();
  await handshakes(connect, server.port); // warm-up
  const hs = await handshakes(connect, server.port);
  const mib = await throughput(connect, server.port);
  await server.close();
  results.push({ name, hs, mib });
}
const [ours, theirs] = results;
console.log(
  `TLS 1.3, ECDSA P-256, loopback, ${os.cpus().length} cores, node ${process.version}, NSS ${nss.version.nss}`,
);
console.log('library    handshakes/s   MiB/s (one direction, 64 KiB writes)');
for (const r of results)
  console.log(`${r.name.padEnd(10)} ${r.hs.toFixed(0).padStart(12)}   ${r.mib.toFixed(0).padStart(6)}`);
console.log(
  `ratio node-nss/node:tls: handshakes ${(ours.hs / theirs.hs).toFixed(2)}, throughput ${(ours.mib / theirs.mib).toFixed(2)}`,
);
nss.shutdown();
fs.rmSync(dir, { recursive: true, force: true });
