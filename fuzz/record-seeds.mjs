#!/usr/bin/env node
// Regenerates the seed corpora in fuzz/corpus/ from real peers on loopback: each TLS scenario runs a real
// client against a real server through a recording TCP proxy, and what each side received is written in
// the engine harnesses' framing (fuzz/common.h): [flags][length16 BE][chunk]..., one chunk per TCP 'data'
// event as it arrived. Client-to-server bytes seed engine_server, server-to-client bytes engine_client.
// PKCS#12 seeds are made by openssl pkcs12 and pk12util, DER seeds by openssl.
//
// Needs openssl, certutil and pk12util on PATH, and the compiled package (npm run compile; the addon built).
// Usage: node fuzz/record-seeds.mjs   (rewrites fuzz/corpus/{engine_server,engine_client,pkcs12,cert_der};
// files named regression-* there are reproducers of findings and are kept)
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const corpus = path.join(here, 'corpus');
const nss = createRequire(import.meta.url)(path.join(root, 'dist', 'index.js'));

// The harnesses' flags byte (fuzz/engine.cc).
const REQUEST_CERT = 1; // server: request a certificate; client: answer with one
const WATCH_SESSIONS = 2; // client: resumption token callback, tickets on
const ACCEPT_ALL = 4; // server: an auth callback that accepts any certificate
const NO_LIMIT = 8; // server: renegotiations allowed; client: TLS 1.2 only
const ALPN = 16;
const EOF = 64;
const ECHO = 128;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-seeds-'));
const file = (name) => path.join(work, name);
const run = (cmd, args, input) => execFileSync(cmd, args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function makeMaterial() {
  const req = ['req', '-x509', '-nodes', '-days', '3650', '-sha256'];
  run('openssl', [
    ...req,
    '-newkey',
    'rsa:2048',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.pem'),
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  run('openssl', [
    ...req,
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-keyout',
    file('client.key'),
    '-out',
    file('client.pem'),
    '-subj',
    '/CN=test_user/O=node-nss',
    '-addext',
    'extendedKeyUsage=clientAuth',
  ]);
  // An NSS database holding both, for the node-nss peers.
  const db = `sql:${file('db')}`;
  fs.mkdirSync(file('db'));
  run('certutil', ['-N', '-d', db, '--empty-password']);
  for (const [name, nick] of [
    ['server', 'test_server'],
    ['client', 'test_user'],
  ]) {
    run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      file(`${name}.pem`),
      '-inkey',
      file(`${name}.key`),
      '-name',
      nick,
      '-passout',
      'pass:fuzz',
      '-out',
      file(`${name}.p12`),
    ]);
    run('pk12util', ['-i', file(`${name}.p12`), '-d', db, '-W', 'fuzz', '-K', '']);
  }
  return db;
}

/** Runs `client(port)` against the server on `target` through a proxy; resolves with what each side received. */
async function record(target, client) {
  const toServer = [];
  const toClient = [];
  let closed;
  const done = new Promise((resolve) => (closed = resolve));
  const proxy = net.createServer({ allowHalfOpen: true }, (c) => {
    const u = net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true });
    let open = 2;
    const close = () => --open === 0 && closed();
    c.on('data', (d) => (toServer.push(Buffer.from(d)), u.write(d)));
    u.on('data', (d) => (toClient.push(Buffer.from(d)), c.write(d)));
    c.on('end', () => u.end());
    u.on('end', () => c.end());
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.on('close', close);
    u.on('close', close);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const clientDone = client(proxy.address().port);
  await Promise.race([Promise.all([done, clientDone]), sleep(8000)]);
  proxy.close();
  return { toServer, toClient };
}

function frame(flags, chunks) {
  const parts = [Buffer.from([flags])];
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i += 0xffff) {
      const piece = chunk.subarray(i, i + 0xffff);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(piece.length);
      parts.push(length, piece);
    }
  }
  return Buffer.concat(parts);
}

function versionArgs(version) {
  return version === 'tls1.2' ? ['-tls1_2'] : ['-tls1_3'];
}

async function opensslServer(opts) {
  const port = await new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const args = [
    's_server',
    '-accept',
    `127.0.0.1:${port}`,
    '-naccept',
    '1',
    '-cert',
    file('server.pem'),
    '-key',
    file('server.key'),
  ];
  if (opts.clientCert) args.push('-Verify', '1', '-CAfile', file('client.pem'));
  if (opts.alpn) args.push('-alpn', 'h2,http/1.1');
  const proc = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  await new Promise((resolve) => {
    proc.stdout.on('data', (d) => d.toString().includes('ACCEPT') && resolve());
    setTimeout(resolve, 3000);
  });
  return { port, stop: () => proc.kill() };
}

function nodeServer(opts) {
  return new Promise((resolve) => {
    const server = tls.createServer(
      {
        key: fs.readFileSync(file('server.key')),
        cert: fs.readFileSync(file('server.pem')),
        requestCert: !!opts.clientCert,
        rejectUnauthorized: false,
        ALPNProtocols: opts.alpn ? ['h2', 'http/1.1'] : undefined,
      },
      (s) => {
        s.on('error', () => undefined);
        s.pipe(s);
      },
    );
    server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, stop: () => server.close() }));
  });
}

async function nssServer(opts) {
  const db = nss.getDefaultCertDB();
  const server = new nss.SSLServer();
  const cert = db.findCertFromNickname('test_server');
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  if (opts.clientCert) {
    server.setSSLOption(nss.SSL_REQUEST_CERTIFICATE, true);
    server.setAuthCertificateCallback(() => true);
  }
  if (opts.renegotiate) server.renegotiationLimit = Infinity;
  server.on('connection', (sock) => {
    sock.on('error', () => undefined);
    sock.on('data', (d) => sock.write(d));
    sock.on('end', () => sock.end());
  });
  const { port } = await server.listen({ port: 0 });
  return { port, stop: () => server.close() };
}

/** openssl s_client: sends a line, optionally renegotiates (R) or updates keys (K), then ends. */
function opensslClient(port, opts) {
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'localhost',
    ...versionArgs(opts.version),
  ];
  if (opts.clientCert) args.push('-cert', file('client.pem'), '-key', file('client.key'));
  if (opts.alpn) args.push('-alpn', 'h2,http/1.1');
  if (opts.cipher) args.push('-cipher', opts.cipher);
  if (opts.groups) args.push('-groups', opts.groups);
  const proc = spawn('openssl', args, { stdio: ['pipe', 'ignore', 'ignore'] });
  return (async () => {
    await sleep(500);
    proc.stdin.write('hello\n');
    if (opts.command) {
      await sleep(300);
      proc.stdin.write(`${opts.command}\n`);
      await sleep(500);
      proc.stdin.write('again\n');
    }
    await sleep(300);
    proc.stdin.end();
    await new Promise((resolve) => {
      proc.on('exit', resolve);
      setTimeout(() => (proc.kill(), resolve()), 3000);
    });
  })();
}

function nodeClient(port, opts) {
  return new Promise((resolve) => {
    const s = tls.connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      rejectUnauthorized: false,
      minVersion: opts.version === 'tls1.2' ? 'TLSv1.2' : 'TLSv1.3',
      maxVersion: opts.version === 'tls1.2' ? 'TLSv1.2' : 'TLSv1.3',
      key: opts.clientCert ? fs.readFileSync(file('client.key')) : undefined,
      cert: opts.clientCert ? fs.readFileSync(file('client.pem')) : undefined,
      ALPNProtocols: opts.alpn ? ['h2', 'http/1.1'] : undefined,
    });
    s.on('error', resolve);
    s.on('secureConnect', () => s.write('hello\n'));
    s.on('data', () => s.end());
    s.on('close', resolve);
    setTimeout(() => (s.destroy(), resolve()), 4000);
  });
}

async function nssClient(port, opts) {
  const sock = new nss.SSLSocket();
  sock.on('error', () => undefined);
  sock.setHostname('localhost');
  sock.setSSLVersionRange(opts.version, opts.version);
  sock.setAuthCertificateCallback(() => true);
  if (opts.clientCert) {
    const db = nss.getDefaultCertDB();
    const cert = db.findCertFromNickname('test_user');
    sock.setClientAuthDataCallback(() => [cert, db.findKeyByAnyCert(cert)]);
  }
  if (opts.alpn) sock.setALPNProtocols(['h2', 'http/1.1']);
  try {
    await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
    await sock.forceHandshake({ timeout: 5000 });
    sock.write('hello\n');
    await Promise.race([new Promise((resolve) => sock.once('data', resolve)), sleep(1500)]);
  } catch {
    // a peer that refuses still leaves its bytes recorded
  }
  const closed = new Promise((resolve) => sock.once('close', resolve));
  sock.resume();
  sock.end();
  await Promise.race([closed, sleep(2000)]);
}

const clients = { openssl: opensslClient, node: nodeClient, nss: nssClient };
const servers = { openssl: opensslServer, node: nodeServer, nss: nssServer };

// [name, client, server, options]
const scenarios = [
  ['openssl-tls13', 'openssl', 'openssl', { version: 'tls1.3' }],
  ['openssl-tls12', 'openssl', 'openssl', { version: 'tls1.2' }],
  ['openssl-tls13-client-auth', 'openssl', 'openssl', { version: 'tls1.3', clientCert: true }],
  ['openssl-tls12-client-auth', 'openssl', 'openssl', { version: 'tls1.2', clientCert: true }],
  [
    'openssl-tls12-renegotiation',
    'openssl',
    'openssl',
    { version: 'tls1.2', command: 'R', renegotiate: true },
  ],
  ['openssl-tls13-key-update', 'openssl', 'openssl', { version: 'tls1.3', command: 'K' }],
  ['openssl-tls12-alpn', 'openssl', 'openssl', { version: 'tls1.2', alpn: true }],
  ['openssl-tls12-dhe', 'openssl', 'openssl', { version: 'tls1.2', cipher: 'DHE-RSA-AES128-GCM-SHA256' }],
  ['node-tls13', 'node', 'node', { version: 'tls1.3' }],
  ['node-tls12-client-auth', 'node', 'node', { version: 'tls1.2', clientCert: true }],
  ['node-tls13-alpn', 'node', 'node', { version: 'tls1.3', alpn: true }],
  ['nss-tls13', 'nss', 'openssl', { version: 'tls1.3' }],
  ['nss-tls12-client-auth', 'nss', 'openssl', { version: 'tls1.2', clientCert: true }],
  ['nss-tls13-client-auth', 'nss', 'nss', { version: 'tls1.3', clientCert: true }],
  ['nss-tls12', 'nss', 'nss', { version: 'tls1.2' }],
  ['openssl-to-nss-tls13', 'openssl', 'nss', { version: 'tls1.3' }],
  // A key share for a group NSS does not enable: the server answers with a HelloRetryRequest.
  ['openssl-to-nss-tls13-hello-retry', 'openssl', 'nss', { version: 'tls1.3', groups: 'ffdhe8192:X25519' }],
  [
    'openssl-to-nss-tls12-renegotiation',
    'openssl',
    'nss',
    { version: 'tls1.2', command: 'R', renegotiate: true },
  ],
  ['openssl-to-nss-tls12-client-auth', 'openssl', 'nss', { version: 'tls1.2', clientCert: true }],
];

function serverFlags(opts) {
  let flags = EOF | ECHO;
  if (opts.clientCert) flags |= REQUEST_CERT | ACCEPT_ALL;
  if (opts.renegotiate) flags |= NO_LIMIT;
  if (opts.alpn) flags |= ALPN;
  return flags;
}

function clientFlags(opts) {
  let flags = EOF | WATCH_SESSIONS;
  if (opts.clientCert) flags |= REQUEST_CERT;
  if (opts.alpn) flags |= ALPN;
  if (opts.version === 'tls1.2') flags |= NO_LIMIT;
  return flags;
}

/** Empties a corpus directory of recorded seeds; regression-* files (reproducers of findings) stay. */
function clearSeeds(dir) {
  const full = path.join(corpus, dir);
  fs.mkdirSync(full, { recursive: true });
  for (const name of fs.readdirSync(full)) {
    if (!name.startsWith('regression-')) fs.rmSync(path.join(full, name));
  }
  return full;
}

function writeSeed(dir, name, data) {
  fs.mkdirSync(path.join(corpus, dir), { recursive: true });
  fs.writeFileSync(path.join(corpus, dir, name), data);
}

async function recordHandshakes() {
  for (const dir of ['engine_server', 'engine_client']) clearSeeds(dir);
  for (const [name, clientKind, serverKind, opts] of scenarios) {
    const server = await servers[serverKind](opts);
    const { toServer, toClient } = await record(server.port, (port) => clients[clientKind](port, opts));
    server.stop();
    const bytes = (chunks) => chunks.reduce((n, c) => n + c.length, 0);
    console.log(
      `${name}: client sent ${bytes(toServer)} bytes in ${toServer.length} chunks, server ${bytes(toClient)} in ${toClient.length}`,
    );
    if (toServer.length) writeSeed('engine_server', name, frame(serverFlags(opts), toServer));
    if (toClient.length) writeSeed('engine_client', name, frame(clientFlags(opts), toClient));
  }
}

function makePKCS12Seeds() {
  const dir = clearSeeds('pkcs12');
  const base = ['pkcs12', '-export', '-in', file('server.pem'), '-inkey', file('server.key')];
  const variants = [
    ['openssl-aes-fuzz.p12', ['-passout', 'pass:fuzz']],
    ['openssl-aes-empty.p12', ['-passout', 'pass:']],
    [
      'openssl-named-chain.p12',
      ['-passout', 'pass:fuzz', '-name', 'server', '-certfile', file('client.pem')],
    ],
    ['openssl-certs-unencrypted.p12', ['-passout', 'pass:fuzz', '-certpbe', 'NONE']],
    ['openssl-no-mac-iter.p12', ['-passout', 'pass:fuzz', '-nomaciter', '-noiter']],
    ['openssl-3des.p12', ['-passout', 'pass:fuzz', '-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES']],
    ['openssl-sha512-mac.p12', ['-passout', 'pass:fuzz', '-macalg', 'sha512']],
  ];
  for (const [name, extra] of variants) run('openssl', [...base, ...extra, '-out', path.join(dir, name)]);
  run('openssl', [
    'pkcs12',
    '-export',
    '-nokeys',
    '-in',
    file('client.pem'),
    '-passout',
    'pass:fuzz',
    '-out',
    path.join(dir, 'openssl-cert-only.p12'),
  ]);
  run('openssl', [
    'pkcs12',
    '-export',
    '-in',
    file('client.pem'),
    '-inkey',
    file('client.key'),
    '-passout',
    'pass:',
    '-out',
    path.join(dir, 'openssl-ec-empty.p12'),
  ]);
  // pk12util writes 600,000 PBKDF2 iterations: the harness skips such inputs (see HasLargeIterationCount),
  // but the file documents NSS's own layout for mutations that lower the count.
  run('pk12util', [
    '-o',
    path.join(dir, 'pk12util-ec.p12'),
    '-n',
    'test_user',
    '-d',
    `sql:${file('db')}`,
    '-W',
    'fuzz',
    '-K',
    '',
  ]);
}

function makeDERSeeds() {
  const dir = clearSeeds('cert_der');
  const der = (pem, name) =>
    run('openssl', ['x509', '-in', pem, '-outform', 'der', '-out', path.join(dir, name)]);
  der(file('server.pem'), 'rsa-server.der');
  der(file('client.pem'), 'ec-client-eku.der');
  const req = [
    'req',
    '-x509',
    '-nodes',
    '-days',
    '30',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-384',
    '-keyout',
    file('x.key'),
  ];
  const certs = [
    [
      'ca-basic-constraints.der',
      [
        '-subj',
        '/CN=Fuzz CA/O=node-nss/C=DE',
        '-addext',
        'basicConstraints=critical,CA:TRUE,pathlen:1',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
    ],
    [
      'many-alt-names.der',
      [
        '-subj',
        '/CN=alt',
        '-addext',
        'subjectAltName=DNS:a.example,DNS:*.example.org,IP:::1,IP:10.0.0.1,email:a@example.com,URI:https://example.com/,dirName:dir_sect',
        '-config',
        file('alt.cnf'),
      ],
    ],
    [
      'utf8-subject.der',
      ['-utf8', '-subj', '/CN=Ünïcödé/O=テスト', '-addext', 'subjectAltName=DNS:xn--nxasmq6b.example'],
    ],
  ];
  fs.writeFileSync(
    file('alt.cnf'),
    '[req]\ndistinguished_name=dn\n[dn]\n[dir_sect]\nCN=Directory Name\nO=node-nss\n',
  );
  for (const [name, extra] of certs) {
    run('openssl', [...req, ...extra, '-out', file('x.pem')]);
    der(file('x.pem'), name);
  }
  // A version 1 certificate (no extensions at all).
  run('openssl', ['req', '-new', '-key', file('client.key'), '-subj', '/CN=v1', '-out', file('v1.csr')]);
  run('openssl', [
    'x509',
    '-req',
    '-in',
    file('v1.csr'),
    '-signkey',
    file('client.key'),
    '-days',
    '30',
    '-out',
    file('v1.pem'),
  ]);
  der(file('v1.pem'), 'v1-no-extensions.der');
}

async function main() {
  const db = makeMaterial();
  nss.init({ dbDir: db.slice(4), loadBuiltinRoots: false });
  try {
    await recordHandshakes();
  } finally {
    nss.shutdown();
  }
  makePKCS12Seeds();
  makeDERSeeds();
  fs.rmSync(work, { recursive: true, force: true });
}

await main();
