// FIPS mode: switching the internal module, the package's FIPS TLS profile against openssl, the kernel's
// FIPS switch, password rules. FIPS mode belongs to the whole process (and a switch is written to the
// database), so every scenario runs in a child process of its own, over a fresh copy of a fixture database.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  enableFIPS,
  FIPS_TLS_PROFILE,
  getInternalKeySlot,
  init,
  isSystemFIPS,
  NSPRError,
  shutdown,
  SSLSocket,
  ssl_grp_ec_curve25519,
  ssl_grp_ec_secp384r1,
  ssl_sig_rsa_pkcs1_sha1,
  ssl_sig_rsa_pss_rsae_sha256,
  TLS_AES_128_GCM_SHA256,
  TLS_CHACHA20_POLY1305_SHA256,
} from 'node-nss';
import type { FixtureDB } from './fixtures/nssdb.js';
import { emptyDB, removeTemps, run, runOk, tempDir, writableCopy } from './support/tools.js';

const fixtures = inject('fixtures');
const root = path.join(__dirname, '..');
const execFileP = promisify(execFile);

afterAll(() => removeTemps());

// Helpers every child script starts with. `args` is the JSON the test passes; the child prints one
// "RESULT {...}" line for the test to check.
const prelude = `
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const nss = require('node-nss');
const args = JSON.parse(process.argv[1]);
const result = {};
const peers = [];
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}
async function waitForPort(port) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error('nothing listens on ' + port);
    await new Promise((r) => setTimeout(r, 50));
  }
}
// openssl s_server with the fixture's server certificate and the given extra options.
async function opensslServer(extra) {
  const port = await freePort();
  const proc = spawn('openssl', ['s_server', '-accept', String(port), '-cert', args.certPem, '-key', args.keyPem,
    '-quiet', ...extra], { stdio: ['pipe', 'ignore', 'ignore'] });
  peers.push(proc);
  await waitForPort(port);
  return port;
}
// A node-nss client handshake: what was negotiated, or the error's code.
async function handshake(port, setup) {
  const s = new nss.SSLSocket();
  s.on('error', () => undefined);
  s.setHostname('localhost');
  if (setup) setup(s);
  try {
    await s.connect({ host: '127.0.0.1', port, timeout: 5000 });
    await s.forceHandshake({ timeout: 10000 });
    const ci = s.getSSLChannelInfo();
    return { ok: true, version: ci.protocolVersion, suite: ci.cipherSuiteName, group: ci.keaGroup };
  } catch (e) {
    return { ok: false, code: e.code, message: e.message };
  } finally {
    s.destroy();
  }
}
async function against(extra, setup) {
  return handshake(await opensslServer(extra), setup);
}
// openssl s_client against a node-nss server: did the handshake complete (the server echoes a line back)?
function opensslClient(port, extra) {
  return new Promise((resolve) => {
    const proc = spawn('openssl', ['s_client', '-connect', '127.0.0.1:' + port, '-servername', 'localhost', '-quiet',
      '-no_ign_eof', '-CAfile', args.caPem, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    proc.stdout.on('data', (d) => { out += d; if (out.includes('ping')) proc.stdin.end(); });
    proc.stdin.on('error', () => undefined);
    proc.stdin.write('ping\\n');
    proc.on('close', (status) => { clearTimeout(timer); resolve({ status, echoed: out.includes('ping') }); });
  });
}
// An NSS echo server with the fixture's server certificate; the codes of the errors its connections hit.
async function echoServer(configure) {
  const db = nss.getDefaultCertDB();
  const server = new nss.SSLServer();
  const cert = db.findCertFromNickname('test_server');
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  if (configure) configure(server);
  const errors = [];
  server.on('connection', (sock) => {
    sock.on('error', (e) => errors.push(e.code));
    sock.on('data', (d) => sock.write(d));
    sock.on('end', () => sock.end());
  });
  const { port } = await server.listen({ port: 0 });
  return { server, port, errors };
}
function attempt(fn) {
  try {
    const value = fn();
    return { ok: true, value };
  } catch (e) {
    return { ok: false, name: e.name, code: e.code, message: e.message };
  }
}
function chkfips(db) {
  const r = spawnSync('modutil', ['-dbdir', db, '-chkfips', 'true'], { encoding: 'utf8', input: '' });
  return { status: r.status, out: (r.stdout + r.stderr).trim() };
}
function finish(main) {
  main().then(
    () => { peers.forEach((p) => p.kill('SIGKILL')); console.log('RESULT ' + JSON.stringify(result)); process.exit(0); },
    (e) => { peers.forEach((p) => p.kill('SIGKILL')); console.error(e); process.exit(1); },
  );
}
`;

interface Scenario {
  db: string;
  dir: string;
  password: string;
  certPem: string;
  keyPem: string;
  caPem: string;
  [key: string]: unknown;
}

/** What a child answers: JSON, checked field by field by each test. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Result = Record<string, any>;

/** Runs `body` (an async function body using the prelude) in a child process; returns its `result`. */
async function scenario(body: string, args: Scenario, nodeArgs: string[] = []): Promise<Result> {
  const script = `${prelude}\nfinish(async () => {\n${body}\n});`;
  const { stdout } = await execFileP(process.execPath, [...nodeArgs, '-e', script, JSON.stringify(args)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the scenario printed no result: ${stdout}`);
  return JSON.parse(line.slice('RESULT '.length)) as Result;
}

/** A private copy of a fixture database, in FIPS mode or not. */
function database(fx: FixtureDB, fips: boolean): Scenario {
  const copy = writableCopy(fx);
  if (fips) runOk('modutil', ['-dbdir', copy.db, '-fips', 'true', '-force']);
  return {
    db: copy.db,
    dir: copy.dir,
    password: copy.password,
    certPem: copy.certs.test_server.pemPath,
    keyPem: copy.keyPemPaths.test_server,
    caPem: copy.certs.test_ca.pemPath,
  };
}

function chkfips(db: string): number {
  return run('modutil', ['-dbdir', db, '-chkfips', 'true']).status;
}

const refused = { ok: false, code: 'SSL_ERROR_NO_CYPHER_OVERLAP' };

describe.each([
  ['RSA', fixtures.rsa, 'RSA'],
  ['ECDSA', fixtures.ec, 'ECDSA'],
] as const)('a node-nss client on a database switched with modutil (%s)', (_name, fx, auth) => {
  it('handshakes with AES-GCM servers and refuses ChaCha20-only and X25519-only ones', async () => {
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, fips: true });
      result.isFIPS = nss.isFIPS();
      result.tls13 = await against(['-tls1_3']);
      result.tls12 = await against(['-tls1_2']);
      result.tls13aes256 = await against(['-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384']);
      result.chacha13 = await against(['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256']);
      result.chacha12 = await against(['-tls1_2', '-cipher', args.chacha12]);
      result.x25519tls13 = await against(['-tls1_3', '-groups', 'X25519']);
      result.x25519tls12 = await against(['-tls1_2', '-cipher', args.ecdhe12, '-groups', 'X25519']);
      result.tls11 = await against(['-tls1_1']);
      nss.shutdown();
      `,
      {
        ...database(fx, true),
        chacha12: `ECDHE-${auth === 'RSA' ? 'RSA' : 'ECDSA'}-CHACHA20-POLY1305`,
        ecdhe12: `ECDHE-${auth === 'RSA' ? 'RSA' : 'ECDSA'}-AES128-GCM-SHA256`,
      },
    );
    expect(r.isFIPS).toBe(true);
    expect(r.tls13).toEqual({ ok: true, version: 'tls1.3', suite: 'TLS_AES_128_GCM_SHA256', group: 23 });
    expect(r.tls12).toEqual({
      ok: true,
      version: 'tls1.2',
      suite: `TLS_ECDHE_${auth === 'RSA' ? 'RSA' : 'ECDSA'}_WITH_AES_128_GCM_SHA256`,
      group: 23,
    });
    expect(r.tls13aes256).toMatchObject({ ok: true, suite: 'TLS_AES_256_GCM_SHA384' });
    expect(r.chacha13).toMatchObject(refused);
    expect(r.chacha12).toMatchObject(refused);
    expect(r.x25519tls13).toMatchObject(refused);
    expect(r.x25519tls12).toMatchObject(refused);
    expect(r.tls11).toMatchObject({ ok: false, code: 'SSL_ERROR_PROTOCOL_VERSION_ALERT' });
  });
});

describe('FIPS TLS profile', () => {
  it('a node-nss FIPS server refuses ChaCha20-only and X25519-only openssl clients and serves AES-GCM ones', async () => {
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, fips: true });
      const { server, port, errors } = await echoServer();
      const tries = {
        tls13: ['-tls1_3'],
        tls12: ['-tls1_2'],
        chacha13: ['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'],
        chacha12: ['-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-CHACHA20-POLY1305'],
        x25519: ['-tls1_3', '-groups', 'X25519'],
      };
      for (const [name, extra] of Object.entries(tries)) {
        const before = errors.length;
        const client = await opensslClient(port, extra);
        await new Promise((r) => setTimeout(r, 100));
        result[name] = { ...client, serverErrors: errors.slice(before) };
      }
      await server.close();
      nss.shutdown();
      `,
      database(fixtures.rsa, true),
    );
    expect(r.tls13).toMatchObject({ status: 0, echoed: true, serverErrors: [] });
    expect(r.tls12).toMatchObject({ status: 0, echoed: true, serverErrors: [] });
    for (const name of ['chacha13', 'chacha12', 'x25519']) {
      expect(r[name].echoed, name).toBe(false);
      expect(r[name].status, name).not.toBe(0);
      expect(r[name].serverErrors, name).toEqual(['SSL_ERROR_NO_CYPHER_OVERLAP']);
    }
  });

  it('out-of-profile requests throw SEC_ERROR_INVALID_ARGS; the profile is what a FIPS socket starts with', async () => {
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, fips: true });
      const sock = new nss.SSLSocket();
      const server = new nss.SSLServer();
      const profile = nss.FIPS_TLS_PROFILE;
      for (const [name, target] of [['socket', sock], ['server', server]]) {
        const enabled = profile.cipherSuites.filter((s) => target.getCipherPref(s));
        const others = [
          nss.TLS_CHACHA20_POLY1305_SHA256, nss.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
          nss.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, nss.TLS_RSA_WITH_AES_128_GCM_SHA256,
        ].filter((s) => target.getCipherPref(s));
        result[name] = {
          range: target.getSSLVersionRange(),
          enabledProfileSuites: enabled.length,
          enabledOthers: others,
          groups: target.getNamedGroups(),
          schemes: target.getSignatureSchemes(),
          dhNamed: target.getSSLOption(nss.SSL_REQUIRE_DH_NAMED_GROUPS),
          refused: {
            tls10: attempt(() => target.setSSLVersionRange('tls1.0', 'tls1.3')),
            tls11: attempt(() => target.setSSLVersionRange(nss.SSL_LIBRARY_VERSION_TLS_1_1, 'tls1.2')),
            chacha13: attempt(() => target.setCipherPref(nss.TLS_CHACHA20_POLY1305_SHA256, true)),
            chacha12: attempt(() => target.setCipherPref(nss.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true)),
            cbc: attempt(() => target.setCipherPref(nss.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, true)),
            staticRSA: attempt(() => target.setCipherPref(nss.TLS_RSA_WITH_AES_128_GCM_SHA256, true)),
            x25519: attempt(() => target.setNamedGroups([nss.ssl_grp_ec_secp256r1, nss.ssl_grp_ec_curve25519])),
            sha1: attempt(() => target.setSignatureSchemes([nss.ssl_sig_rsa_pss_rsae_sha256, nss.ssl_sig_rsa_pkcs1_sha1])),
            ecdsaSha1: attempt(() => target.setSignatureSchemes([nss.ssl_sig_ecdsa_sha1])),
            customDH: attempt(() => target.setSSLOption(nss.SSL_REQUIRE_DH_NAMED_GROUPS, false)),
          },
          allowed: {
            tls13only: attempt(() => target.setSSLVersionRange('tls1.3', 'tls1.3')),
            aes256: attempt(() => target.setCipherPref(nss.TLS_AES_256_GCM_SHA384, true)),
            disableChacha: attempt(() => target.setCipherPref(nss.TLS_CHACHA20_POLY1305_SHA256, false)),
            p384: attempt(() => target.setNamedGroups([nss.ssl_grp_ec_secp384r1, nss.ssl_grp_ffdhe_2048])),
            pss: attempt(() => target.setSignatureSchemes([nss.ssl_sig_rsa_pss_rsae_sha256, nss.ssl_sig_ecdsa_secp256r1_sha256])),
          },
        };
      }
      // A 1024-bit RSA server certificate is outside the profile.
      const db = nss.getDefaultCertDB();
      const weak = db.findCertFromNickname('weak_rsa');
      result.weakKeyBits = weak.publicKeyBits;
      result.weakServerCert = attempt(() => server.configSecureServer(weak, db.findKeyByAnyCert(weak)));
      const good = db.findCertFromNickname('test_server');
      result.goodServerCert = attempt(() => server.configSecureServer(good, db.findKeyByAnyCert(good)));
      // Sockets a server accepts inherit the profile (and its checks).
      const { server: echo, port } = await echoServer((s) => s.setNamedGroups([nss.ssl_grp_ec_secp384r1]));
      const accepted = new Promise((resolve) => echo.once('connection', (s) => resolve(s)));
      const client = await handshake(port);
      const acc = await accepted;
      result.accepted = {
        client,
        groups: acc.getNamedGroups(),
        chacha: attempt(() => acc.setCipherPref(nss.TLS_CHACHA20_POLY1305_SHA256, true)),
      };
      await echo.close();
      // Peers' RSA keys below 2048 bits are refused (NSS_RSA_MIN_KEY_SIZE is raised while FIPS mode is on).
      result.weakPeer = await handshake(
        await (async () => {
          const port = await freePort();
          peers.push(spawn('openssl', ['s_server', '-accept', String(port), '-cert', args.weakPem, '-key', args.weakKey,
            '-quiet', '-tls1_3', '-cipher', 'DEFAULT@SECLEVEL=0'], { stdio: 'ignore' }));
          await waitForPort(port);
          return port;
        })(),
        (s) => s.setAuthCertificateCallback(() => true),
      );
      nss.shutdown();
      `,
      (() => {
        const s = database(fixtures.rsa, false);
        // A 1024-bit RSA certificate in the database (made before the switch), and one for openssl.
        runOk('certutil', [
          '-S',
          '-d',
          s.db,
          '-f',
          path.join(s.dir, 'password.txt'),
          '-z',
          path.join(s.dir, 'noise.bin'),
          '-n',
          'weak_rsa',
          '-s',
          'CN=localhost,O=weak',
          '-x',
          '-t',
          'u,u,u',
          '-k',
          'rsa',
          '-g',
          '1024',
          '-Z',
          'SHA256',
          '-m',
          '77',
        ]);
        runOk('modutil', ['-dbdir', s.db, '-fips', 'true', '-force']);
        const weakPem = path.join(s.dir, 'weak.pem');
        const weakKey = path.join(s.dir, 'weak.key');
        runOk('openssl', [
          'req',
          '-x509',
          '-newkey',
          'rsa:1024',
          '-nodes',
          '-keyout',
          weakKey,
          '-out',
          weakPem,
          '-subj',
          '/CN=localhost',
          '-days',
          '2',
        ]);
        return { ...s, weakPem, weakKey };
      })(),
    );
    const p = FIPS_TLS_PROFILE;
    for (const name of ['socket', 'server']) {
      const t = r[name];
      expect(t.range, name).toEqual(['tls1.2', 'tls1.3']);
      expect(t.enabledProfileSuites, name).toBeGreaterThanOrEqual(4);
      expect(t.enabledOthers, name).toEqual([]);
      expect(t.groups, name).toEqual(p.namedGroups);
      expect(t.schemes.length, name).toBeGreaterThan(0);
      for (const s of t.schemes) expect(p.signatureSchemes, `${name} scheme ${s}`).toContain(s);
      expect(t.dhNamed, name).toBe(1);
      for (const [what, outcome] of Object.entries(t.refused as Record<string, Result>)) {
        expect(outcome, `${name} ${what}`).toMatchObject({
          ok: false,
          name: 'NSPRError',
          code: 'SEC_ERROR_INVALID_ARGS',
        });
        expect(outcome.message, `${name} ${what}`).toMatch(/outside the FIPS TLS profile/);
      }
      for (const [what, outcome] of Object.entries(t.allowed as Record<string, Result>)) {
        expect(outcome, `${name} ${what}`).toMatchObject({ ok: true });
      }
    }
    expect(r.socket.refused.chacha13.message).toMatch(/TLS_CHACHA20_POLY1305_SHA256/);
    expect(r.socket.refused.x25519.message).toMatch(/X25519/);
    expect(r.socket.refused.tls10.message).toMatch(/tls1\.0/);
    expect(r.weakKeyBits).toBe(1024);
    expect(r.weakServerCert).toMatchObject({ ok: false, code: 'SEC_ERROR_INVALID_ARGS' });
    expect(r.weakServerCert.message).toMatch(/1024-bit rsa key/);
    expect(r.goodServerCert).toMatchObject({ ok: true });
    expect(r.accepted.client).toMatchObject({ ok: true, group: ssl_grp_ec_secp384r1 });
    expect(r.accepted.groups).toEqual([ssl_grp_ec_secp384r1]);
    expect(r.accepted.chacha).toMatchObject({ ok: false, code: 'SEC_ERROR_INVALID_ARGS' });
    expect(r.weakPeer).toMatchObject({ ok: false, code: 'SSL_ERROR_WEAK_SERVER_CERT_KEY' });
  });

  it('sockets made before FIPS mode was turned on get the profile when their handshake starts', async () => {
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, readOnly: false });
      const chachaOnly = ['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'];
      const x25519Only = ['-tls1_3', '-groups', 'X25519'];
      // Upstream NSS alone (before the switch, and the same is measured in FIPS mode without the profile)
      // negotiates ChaCha20 and X25519.
      result.before = { chacha: await against(chachaOnly), x25519: await against(x25519Only) };
      const early = new nss.SSLSocket();
      early.on('error', () => undefined);
      early.setHostname('localhost');
      result.earlyChacha = attempt(() => early.setCipherPref(nss.TLS_CHACHA20_POLY1305_SHA256, true));
      nss.enableFIPS(true);
      result.isFIPS = nss.isFIPS();
      const port = await opensslServer(chachaOnly);
      try {
        await early.connect({ host: '127.0.0.1', port, timeout: 5000 });
        await early.forceHandshake({ timeout: 10000 });
        result.early = { ok: true };
      } catch (e) {
        result.early = { ok: false, code: e.code };
      }
      result.earlyAfter = attempt(() => early.setCipherPref(nss.TLS_CHACHA20_POLY1305_SHA256, true));
      result.after = { chacha: await against(chachaOnly), x25519: await against(x25519Only), aes: await against(['-tls1_3']) };
      nss.shutdown();
      `,
      database(fixtures.rsa, false),
    );
    expect(r.before.chacha).toMatchObject({ ok: true, suite: 'TLS_CHACHA20_POLY1305_SHA256' });
    expect(r.before.x25519).toMatchObject({ ok: true, group: ssl_grp_ec_curve25519 });
    expect(r.earlyChacha).toMatchObject({ ok: true });
    expect(r.isFIPS).toBe(true);
    expect(r.early).toEqual(refused);
    expect(r.earlyAfter).toMatchObject({ ok: false, code: 'SEC_ERROR_INVALID_ARGS' });
    expect(r.after.chacha).toMatchObject(refused);
    expect(r.after.x25519).toMatchObject(refused);
    expect(r.after.aes).toMatchObject({ ok: true, suite: 'TLS_AES_128_GCM_SHA256' });
  });
});

describe('PEM keys in FIPS mode', () => {
  it('a server from PEM files serves openssl, and CertDB.importPrivateKey stores a key certutil lists', async () => {
    const keyFile = path.join(tempDir('fips-pem-'), 'new.key');
    runOk('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', keyFile]);
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, readOnly: false });
      result.fips = nss.isFIPS();
      // The key reaches the FIPS token encrypted (a plaintext private key is refused there).
      const server = nss.createServer({ key: fs.readFileSync(args.keyPem), cert: fs.readFileSync(args.certPem) });
      const errors = [];
      server.on('connection', (sock) => {
        sock.on('error', (e) => errors.push(e.code));
        sock.on('data', (d) => sock.write(d));
        sock.on('end', () => sock.end());
      });
      const { port } = await server.listen({ port: 0 });
      result.client = await opensslClient(port, ['-tls1_3']);
      result.errors = errors;
      await server.close();
      const key = nss.getDefaultCertDB().importPrivateKey(fs.readFileSync(args.newKey), { nickname: 'pem-imported' });
      result.keyType = key.keyType;
      result.token = key.slot.tokenName;
      nss.shutdown();
      fs.writeFileSync(args.newKey + '.pw', args.password);
      const listed = spawnSync('certutil', ['-K', '-d', args.db, '-f', args.newKey + '.pw'], { encoding: 'utf8' });
      result.listed = listed.stdout;
      `,
      { ...database(fixtures.ec, true), newKey: keyFile },
    );
    expect(r.fips).toBe(true);
    expect(r.client).toMatchObject({ status: 0, echoed: true });
    expect(r.errors).toEqual([]);
    expect(r.keyType).toBe('ec');
    expect(r.token).toMatch(/FIPS/);
    expect(r.listed).toMatch(/pem-imported/);
  });
});

describe('PKCS #12 in memory in FIPS mode', () => {
  it("a server from openssl's pfx serves openssl; the key is a session object of the FIPS token", async () => {
    const s = database(fixtures.ec, true);
    const pfx = path.join(tempDir('fips-pfx-'), 'server.p12');
    runOk('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      s.keyPem,
      '-in',
      s.certPem,
      '-passout',
      'pass:fips pfx',
      '-out',
      pfx,
    ]);
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false });
      result.fips = nss.isFIPS();
      const context = nss.createSecureContext({ pfx: fs.readFileSync(args.pfx), passphrase: 'fips pfx' });
      result.token = context.identities[0].key.slot.tokenName;
      const server = nss.createServer({ secureContext: context });
      server.on('connection', (sock) => {
        sock.on('data', (d) => sock.write(d));
        sock.on('end', () => sock.end());
      });
      const { port } = await server.listen({ port: 0 });
      result.client = await opensslClient(port, ['-tls1_3']);
      await server.close();
      `,
      { ...s, pfx },
    );
    expect(r.fips).toBe(true);
    expect(r.token).toMatch(/FIPS/);
    expect(r.client).toMatchObject({ status: 0, echoed: true });
  });
});

describe('enableFIPS and init({ fips })', () => {
  it('enableFIPS(true) then enableFIPS(false) round-trips, and modutil -chkfips agrees each time', async () => {
    const s = database(fixtures.rsa, false);
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, readOnly: false });
      const steps = [];
      const step = (what) => steps.push({ what, isFIPS: nss.isFIPS(), chk: chkfips(args.db),
        token: nss.getInternalKeySlot().tokenName });
      step('start');
      nss.enableFIPS(true);
      step('on');
      nss.enableFIPS(true);
      step('on again (no-op)');
      // The database password still opens the (now FIPS) token: its key is found and usable.
      const db = nss.getDefaultCertDB();
      const cert = db.findCertFromNickname('test_server');
      result.keyType = db.findKeyByAnyCert(cert).keyType;
      nss.enableFIPS(false);
      step('off');
      nss.enableFIPS(false);
      step('off again (no-op)');
      nss.enableFIPS(true);
      step('on (second time)');
      result.steps = steps;
      nss.shutdown();
      `,
      s,
    );
    const expected = [
      ['start', false],
      ['on', true],
      ['on again (no-op)', true],
      ['off', false],
      ['off again (no-op)', false],
      ['on (second time)', true],
    ] as const;
    expect(r.steps.map((x: Result) => [x.what, x.isFIPS])).toEqual(expected);
    for (const [i, [, on]] of expected.entries()) {
      expect(r.steps[i].chk, r.steps[i].what).toEqual(
        on ? { status: 0, out: 'FIPS mode enabled.' } : { status: 11, out: 'FIPS mode disabled.' },
      );
      expect(r.steps[i].token).toBe(on ? 'NSS FIPS 140-2 Certificate DB' : 'NSS Certificate DB');
    }
    expect(r.keyType).toBe('rsa');
    // Written to the database: the process is gone, the mode stays.
    expect(chkfips(s.db)).toBe(0);
  });

  it('init({ fips: true }) switches a read-write database, and refuses a read-only one saying how to fix it', async () => {
    const rw = database(fixtures.ec, false);
    const ro = database(fixtures.ec, false);
    const r = await scenario(
      `
      result.readOnly = attempt(() => nss.init({ dbDir: args.ro, password: args.password, loadBuiltinRoots: false, fips: true }));
      result.initializedAfterRefusal = nss.isInitialized();
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, readOnly: false, fips: true });
      result.isFIPS = nss.isFIPS();
      result.client = await against(['-tls1_3']);
      nss.shutdown();
      `,
      { ...rw, ro: ro.db },
    );
    expect(r.readOnly).toMatchObject({ ok: false, name: 'RangeError' });
    expect(r.readOnly.message).toMatch(/not in FIPS mode/);
    expect(r.readOnly.message).toContain(`modutil -fips true -dbdir ${ro.db}`);
    expect(r.readOnly.message).toMatch(/readOnly: false/);
    expect(r.initializedAfterRefusal).toBe(false);
    expect(r.isFIPS).toBe(true);
    expect(r.client).toMatchObject({ ok: true, suite: 'TLS_AES_128_GCM_SHA256' });
    expect(chkfips(rw.db)).toBe(0);
    expect(chkfips(ro.db)).toBe(11);
  });

  it('enableFIPS on a read-only database or without one is a clear SEC_ERROR_READ_ONLY error', async () => {
    const s = database(fixtures.rsa, false);
    const fipsDB = database(fixtures.rsa, true);
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false });
      result.readOnly = attempt(() => nss.enableFIPS(true));
      result.readOnlyIsFIPS = nss.isFIPS();
      nss.shutdown();
      result.notInitialized = attempt(() => nss.enableFIPS(true));
      nss.init({ loadBuiltinRoots: false });
      result.noDB = attempt(() => nss.enableFIPS(true));
      result.noDBIsFIPS = nss.isFIPS();
      result.noDBNoop = attempt(() => nss.enableFIPS(false));
      nss.shutdown();
      // Already in the requested mode: nothing to write, so a read-only database is fine.
      nss.init({ dbDir: args.fipsDB, password: args.password, loadBuiltinRoots: false, fips: true });
      result.readOnlyNoop = attempt(() => nss.enableFIPS(true));
      nss.shutdown();
      `,
      { ...s, fipsDB: fipsDB.db },
    );
    expect(r.readOnly).toMatchObject({ ok: false, name: 'NSPRError', code: 'SEC_ERROR_READ_ONLY' });
    expect(r.readOnly.message).toContain(`${s.db} was opened read-only`);
    expect(r.readOnly.message).toMatch(/readOnly: false/);
    expect(r.readOnlyIsFIPS).toBe(false);
    expect(r.notInitialized).toMatchObject({ ok: false, code: 'SEC_ERROR_NOT_INITIALIZED' });
    expect(r.noDB).toMatchObject({ ok: false, code: 'SEC_ERROR_READ_ONLY' });
    expect(r.noDB.message).toMatch(/initialised without one/);
    expect(r.noDBIsFIPS).toBe(false);
    expect(r.noDBNoop).toMatchObject({ ok: true });
    expect(r.readOnlyNoop).toMatchObject({ ok: true });
    expect(chkfips(s.db)).toBe(11);
  });

  it('a system that forces FIPS mode (kernel fips_enabled, injected) is reported, and enableFIPS(false) refused', async () => {
    const s = database(fixtures.rsa, true);
    const dir = tempDir('procfips');
    const on = path.join(dir, 'on');
    const off = path.join(dir, 'off');
    fs.writeFileSync(on, '1\n');
    fs.writeFileSync(off, '0\n');
    const r = await scenario(
      `
      const internal = require(require('node:path').join(process.cwd(), 'dist', 'pkcs11', 'fips.js'));
      result.real = nss.isSystemFIPS();
      internal.setSystemFIPSFile(args.off);
      result.off = nss.isSystemFIPS();
      internal.setSystemFIPSFile(args.missing);
      result.missing = nss.isSystemFIPS();
      internal.setSystemFIPSFile(args.on);
      result.on = nss.isSystemFIPS();
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, readOnly: false });
      result.disable = attempt(() => nss.enableFIPS(false));
      result.isFIPS = nss.isFIPS();
      result.enable = attempt(() => nss.enableFIPS(true));
      nss.shutdown();
      `,
      { ...s, on, off, missing: path.join(dir, 'missing') },
    );
    expect(r.real).toBe(
      fs.existsSync('/proc/sys/crypto/fips_enabled') &&
        fs.readFileSync('/proc/sys/crypto/fips_enabled', 'utf8').startsWith('1'),
    );
    expect(r.off).toBe(false);
    expect(r.missing).toBe(false);
    expect(r.on).toBe(true);
    expect(r.disable).toMatchObject({ ok: false, name: 'NSPRError', code: 'SEC_ERROR_MODULE_STUCK' });
    expect(r.disable.message).toMatch(/system forces it/);
    expect(r.disable.message).toContain('/proc/sys/crypto/fips_enabled');
    expect(r.isFIPS).toBe(true);
    expect(r.enable).toMatchObject({ ok: true });
    expect(chkfips(s.db)).toBe(0);
  });

  it('certificates, keys and slots held across a switch throw SEC_ERROR_NO_TOKEN; a server configured before holds the old module until collected', async () => {
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, password: args.password, loadBuiltinRoots: false, readOnly: false });
      let db = nss.getDefaultCertDB();
      const slot = nss.getInternalKeySlot();
      const crypto = nss.getAllTokens().find((t) => t.tokenName === 'NSS Generic Crypto Services');
      const cert = db.findCertFromNickname('test_server');
      const key = db.findKeyByAnyCert(cert);
      const temp = nss.Certificate.fromPEM(fs.readFileSync(args.otherPem, 'utf8'));
      const internalModule = nss.listModules().find((m) => m.isInternal);
      result.before = slot.tokenName;
      // Configured before the switch: NSS keeps its own references to the certificate and key.
      let old = await echoServer();
      const liveBefore = nss.liveHandles();
      nss.enableFIPS(true);
      result.released = liveBefore - nss.liveHandles();
      result.isFIPS = nss.isFIPS();
      result.oldSlot = attempt(() => slot.tokenName);
      result.oldCrypto = attempt(() => crypto.tokenName);
      result.oldModule = attempt(() => internalModule.name);
      result.oldKey = attempt(() => key.keyType);
      result.oldCert = attempt(() => cert.verifyHostname('localhost'));
      result.oldKeyInServer = attempt(() => new nss.SSLServer().configSecureServer(cert, key));
      result.tempCert = attempt(() => temp.verifyHostname('localhost'));
      // Looked up again: the FIPS token.
      db = nss.getDefaultCertDB();
      result.newSlot = nss.getInternalKeySlot().tokenName;
      const fresh = await echoServer();
      result.newServer = await handshake(fresh.port);
      await fresh.server.close();
      result.oldServer = await handshake(old.port);
      await old.server.close();
      result.stuck = attempt(() => nss.enableFIPS(false));
      result.isFIPSAfterRefusal = nss.isFIPS();
      old = undefined;
      for (let i = 0; i < 20 && nss.isFIPS(); i++) {
        global.gc();
        await new Promise((r) => setTimeout(r, 20));
        const retry = attempt(() => nss.enableFIPS(false));
        if (retry.ok) result.afterGC = retry;
      }
      result.finalFIPS = nss.isFIPS();
      result.chk = chkfips(args.db);
      nss.shutdown();
      `,
      { ...database(fixtures.rsa, false), otherPem: fixtures.rsa.untrustedCaPemPath },
      ['--expose-gc'],
    );
    expect(r.before).toBe('NSS Certificate DB');
    expect(r.isFIPS).toBe(true);
    expect(r.released).toBeGreaterThanOrEqual(4);
    for (const what of ['oldSlot', 'oldCrypto', 'oldModule', 'oldKey', 'oldCert', 'oldKeyInServer']) {
      expect(r[what], what).toMatchObject({ ok: false, name: 'NSPRError', code: 'SEC_ERROR_NO_TOKEN' });
      expect(r[what].message, what).toMatch(/enableFIPS\(\) replaced/);
    }
    expect(r.tempCert).toEqual({ ok: true, value: false });
    expect(r.newSlot).toBe('NSS FIPS 140-2 Certificate DB');
    expect(r.newServer).toMatchObject({ ok: true, version: 'tls1.3' });
    expect(r.oldServer).toMatchObject({ ok: true, version: 'tls1.3' });
    expect(r.stuck).toMatchObject({ ok: false, name: 'NSPRError', code: 'SEC_ERROR_MODULE_STUCK' });
    expect(r.stuck.message).toMatch(/still in use \(by an SSL server or socket configured with a key before/);
    expect(r.isFIPSAfterRefusal).toBe(true);
    expect(r.afterGC).toMatchObject({ ok: true });
    expect(r.finalFIPS).toBe(false);
    expect(r.chk.status).toBe(11);
  });

  it('shutdown and init again also clear the way for the next switch', async () => {
    const r = await scenario(
      `
      const opts = { dbDir: args.db, password: args.password, loadBuiltinRoots: false, readOnly: false };
      nss.init(opts);
      const { server } = await echoServer();
      nss.enableFIPS(true);
      result.stuck = attempt(() => nss.enableFIPS(false)).code;
      await server.close();
      nss.shutdown();
      result.serverAfterShutdown = attempt(() => server.getSSLVersionRange()).code;
      nss.init(opts);
      result.reopenedFIPS = nss.isFIPS();
      nss.enableFIPS(false);
      result.isFIPS = nss.isFIPS();
      nss.shutdown();
      `,
      database(fixtures.ec, false),
    );
    expect(r).toEqual({
      stuck: 'SEC_ERROR_MODULE_STUCK',
      serverAfterShutdown: 'NSS_SHUT_DOWN',
      reopenedFIPS: true,
      isFIPS: false,
    });
  });
});

describe('FIPS password rules', () => {
  it('changePassword in FIPS mode explains the rules it breaks; outside FIPS mode they do not apply', async () => {
    const fresh = emptyDB();
    const plain = emptyDB();
    const r = await scenario(
      `
      nss.init({ dbDir: args.db, loadBuiltinRoots: false, readOnly: false, fips: true });
      const slot = nss.getInternalKeySlot();
      result.token = slot.tokenName;
      result.short = attempt(() => slot.changePassword('', 'Ab1-x'));
      result.classes = attempt(() => slot.changePassword('', 'abcdefgh1'));
      result.upperFirst = attempt(() => slot.changePassword('', 'Abcdefgh'));
      result.good = attempt(() => slot.changePassword('', 'Fips-Passw0rd'));
      result.wrongOld = attempt(() => slot.changePassword('not-the-Passw0rd', 'Other-Passw0rd'));
      result.again = attempt(() => slot.changePassword('Fips-Passw0rd', 'Other-Passw0rd'));
      nss.shutdown();
      `,
      { ...database(fixtures.rsa, false), db: fresh.db },
    );
    expect(r.token).toBe('NSS FIPS 140-2 Certificate DB');
    expect(r.short).toMatchObject({ ok: false, name: 'NSPRError', code: 'SEC_ERROR_INVALID_PASSWORD' });
    expect(r.short.message).toMatch(
      /FIPS mode password rules: at least 7 characters from at least 3 character classes/,
    );
    expect(r.short.message).toMatch(/it has 5 characters/);
    expect(r.classes).toMatchObject({ ok: false, code: 'SEC_ERROR_INVALID_PASSWORD' });
    expect(r.classes.message).toMatch(/it uses 1 character class \(lowercase\)/);
    expect(r.upperFirst).toMatchObject({ ok: false, code: 'SEC_ERROR_INVALID_PASSWORD' });
    expect(r.good).toMatchObject({ ok: true });
    expect(r.wrongOld).toMatchObject({ ok: false, code: 'SEC_ERROR_BAD_PASSWORD' });
    expect(r.again).toMatchObject({ ok: true });
    // The database now opens with the new password (certutil -K needs it for the key list).
    const pw = path.join(tempDir('pw'), 'pw.txt');
    fs.writeFileSync(pw, 'Other-Passw0rd\n');
    expect(run('certutil', ['-K', '-d', fresh.db, '-f', pw]).stderr).not.toMatch(/incorrect|bad password/i);
    expect(chkfips(fresh.db)).toBe(0);

    const p = await scenario(
      `
      nss.init({ dbDir: args.db, loadBuiltinRoots: false, readOnly: false });
      result.short = attempt(() => nss.getInternalKeySlot().changePassword('', 'short'));
      nss.shutdown();
      `,
      { ...database(fixtures.rsa, false), db: plain.db },
    );
    expect(p.short).toMatchObject({ ok: true });
  });
});

describe('arguments and the non-FIPS surface', () => {
  it('bad argument types are TypeErrors that name the argument', () => {
    init({ loadBuiltinRoots: false });
    try {
      const sock = new SSLSocket();
      const typeError = (fn: () => unknown, arg: string) => {
        expect(fn).toThrow(TypeError);
        expect(fn).toThrow(`"${arg}"`);
      };
      typeError(() => enableFIPS('yes' as unknown as boolean), 'on');
      typeError(() => enableFIPS(undefined as unknown as boolean), 'on');
      typeError(() => init({ loadBuiltinRoots: false, fips: 1 as unknown as boolean }), 'opts.fips');
      typeError(() => sock.setNamedGroups('P-256' as unknown as number[]), 'groups');
      typeError(() => sock.setNamedGroups([23, 1.5]), 'groups[1]');
      typeError(() => sock.setSignatureSchemes(null as unknown as number[]), 'schemes');
      typeError(() => sock.setSignatureSchemes(['rsa' as unknown as number]), 'schemes[0]');
      const slot = getInternalKeySlot();
      typeError(() => slot.changePassword(1 as unknown as string, 'x'), 'oldPassword');
      typeError(() => slot.changePassword('', null as unknown as string), 'newPassword');
      expect(() => sock.setNamedGroups([])).toThrow(RangeError);
      expect(() => sock.setNamedGroups([22])).toThrow(/"groups\[0\]".*0x0016/);
      expect(() => sock.setSignatureSchemes([0x0101])).toThrow(RangeError);
      sock.destroy();
    } finally {
      shutdown();
    }
  });

  it('outside FIPS mode the same requests are allowed, and named groups and signature schemes take effect', async () => {
    const fx = fixtures.ec;
    init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
    try {
      expect(isSystemFIPS()).toBe(false);
      const sock = new SSLSocket();
      sock.setSSLVersionRange('tls1.0', 'tls1.3');
      sock.setCipherPref(TLS_CHACHA20_POLY1305_SHA256, true);
      sock.setNamedGroups([ssl_grp_ec_curve25519, ssl_grp_ec_secp384r1]);
      expect(sock.getNamedGroups()).toEqual([ssl_grp_ec_curve25519, ssl_grp_ec_secp384r1]);
      sock.setSignatureSchemes([ssl_sig_rsa_pss_rsae_sha256, ssl_sig_rsa_pkcs1_sha1]);
      expect(sock.getSignatureSchemes()).toEqual([ssl_sig_rsa_pss_rsae_sha256, ssl_sig_rsa_pkcs1_sha1]);
      sock.destroy();
      expect(() => enableFIPS(true)).toThrow(NSPRError);

      // A node-nss server limited to P-384 and a client offering P-384 after X25519 agree on P-384.
      const { nssEchoServer, nssClient } = await import('./support/tls.js');
      const { server, port } = await nssEchoServer();
      server.setNamedGroups([ssl_grp_ec_secp384r1]);
      const client = await nssClient(port, { version: 'tls1.3' });
      expect(client.getSSLChannelInfo().keaGroup).toBe(ssl_grp_ec_secp384r1);
      expect(client.getSSLChannelInfo().cipherSuite).toBe(TLS_AES_128_GCM_SHA256);
      client.destroy();
      await server.close();
    } finally {
      shutdown();
    }
  });
});
