import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectNSPRError, nodeScript } from './support/tools.js';
import {
  generateRandom,
  getAllTokens,
  getDefaultCertDB,
  getInternalKeySlot,
  init,
  isFIPS,
  isInitialized,
  NSPRError,
  setPasswordCallback,
  shutdown,
  version,
} from 'node-nss';

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function emptyDB(password?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-life-'));
  made.push(dir);
  if (password === undefined) {
    execFileSync('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  } else {
    const pw = path.join(dir, 'pw.txt');
    fs.writeFileSync(pw, password + '\n');
    execFileSync('certutil', ['-N', '-d', `sql:${dir}`, '-f', pw]);
  }
  return dir;
}

/** A password-protected database holding one self-signed certificate `me` and its key. */
function dbWithKey(): string {
  const dir = emptyDB('DB_passwd');
  fs.writeFileSync(path.join(dir, 'noise'), generateNoise());
  execFileSync(
    'certutil',
    [
      '-S',
      '-x',
      '-d',
      `sql:${dir}`,
      '-f',
      path.join(dir, 'pw.txt'),
      '-z',
      path.join(dir, 'noise'),
      '-n',
      'me',
      '-s',
      'CN=me',
      '-t',
      'u,u,u',
      '-k',
      'ec',
      '-q',
      'nistp256',
      '-m',
      '1',
    ],
    { stdio: 'ignore' },
  );
  return dir;
}

function generateNoise(): Buffer {
  return Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 131 + Date.now()) & 0xff));
}

/** Looking up a certificate's private key needs a login to the key database. */
function touchKey(...pinArgs: unknown[]): void {
  const db = getDefaultCertDB();
  db.findKeyByAnyCert(db.findCertFromNickname('me'), ...pinArgs);
}

afterEach(() => {
  setPasswordCallback(null);
  if (isInitialized()) shutdown();
});

describe('init / shutdown', () => {
  it('reports the loaded NSS, NSPR and package versions', () => {
    expect(version.nss).toMatch(/^3\.\d+/);
    expect(version.nspr).toMatch(/^4\.\d+/);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.package).toBe(pkg.version);
  });

  it('refuses to work before init with NSS’s own code', () => {
    expect(isInitialized()).toBe(false);
    expectNSPRError(() => getDefaultCertDB().listCertificates(), 'SEC_ERROR_NOT_INITIALIZED');
    expectNSPRError(() => generateRandom(4), 'SEC_ERROR_NOT_INITIALIZED');
  });

  it('initialises without a database and loads Mozilla’s builtin roots', () => {
    init();
    expect(isInitialized()).toBe(true);
    const tokens = getAllTokens().map((t) => t.tokenName);
    expect(tokens).toContain('Builtin Object Token');
    const roots = getDefaultCertDB().listCertificates();
    expect(roots.length).toBeGreaterThan(50);
    expect(roots.every((c) => c.isCA)).toBe(true);
  });

  it('leaves the roots out when asked', () => {
    init({ loadBuiltinRoots: false });
    expect(getAllTokens().map((t) => t.tokenName)).not.toContain('Builtin Object Token');
    expect(getDefaultCertDB().listCertificates()).toEqual([]);
  });

  it('opens a database read-only by default, with or without the sql: prefix', () => {
    const dir = emptyDB();
    init({ dbDir: dir, loadBuiltinRoots: false });
    expect(getInternalKeySlot().isReadOnly).toBe(true);
    shutdown();
    init({ dbDir: `sql:${dir}`, readOnly: false, loadBuiltinRoots: false });
    expect(getInternalKeySlot().isReadOnly).toBe(false);
    expect(getInternalKeySlot().tokenName).toBe('NSS Certificate DB');
  });

  it('is a no-op with the same options and throws NSS_ALREADY_INITIALIZED with others', () => {
    const dir = emptyDB();
    init({ dbDir: dir });
    init({ dbDir: dir });
    expect(isInitialized()).toBe(true);
    expectNSPRError(() => init({ dbDir: dir, readOnly: false }), 'NSS_ALREADY_INITIALIZED');
    expectNSPRError(() => init(), 'NSS_ALREADY_INITIALIZED');
    expect(isInitialized()).toBe(true);
  });

  it('fails cleanly on a missing database directory', () => {
    expectNSPRError(() => init({ dbDir: '/nonexistent/node-nss-db' }), 'SEC_ERROR_BAD_DATABASE');
    expect(isInitialized()).toBe(false);
    init();
    expect(isInitialized()).toBe(true);
  });

  it('makes every object throw NSS_SHUT_DOWN after shutdown, and can init again', () => {
    init();
    const certs = getDefaultCertDB().listCertificates();
    const cert = certs[0];
    const slot = getInternalKeySlot();
    expect(cert?.subject).toBeTypeOf('string');
    shutdown();
    expect(isInitialized()).toBe(false);
    expect(cert).toBeDefined();
    expectNSPRError(() => cert?.subject, 'NSS_SHUT_DOWN');
    expectNSPRError(() => cert?.verifyHostname('x'), 'NSS_SHUT_DOWN');
    expectNSPRError(() => cert?.toPEM(), 'NSS_SHUT_DOWN');
    expectNSPRError(() => slot.tokenName, 'NSS_SHUT_DOWN');
    init();
    expect(getDefaultCertDB().listCertificates().length).toBe(certs.length);
    expectNSPRError(() => cert?.issuer, 'NSS_SHUT_DOWN');
  });

  it('shutdown without init is harmless', () => {
    expect(() => shutdown()).not.toThrow();
  });

  it('checks option types', () => {
    expect(() => init('x' as never)).toThrow(/"opts"/);
    expect(() => init({ dbDir: 5 as never })).toThrow(TypeError);
    expect(() => init({ readOnly: 'no' as never })).toThrow(/"opts.readOnly"/);
    expect(() => init({ loadBuiltinRoots: 1 as never })).toThrow(/"opts.loadBuiltinRoots"/);
    expect(() => init({ password: 7 as never })).toThrow(/"opts.password"/);
    expect(() => init({ fips: 'yes' as never })).toThrow(/"opts.fips"/);
    expect(isInitialized()).toBe(false);
  });

  it('reports FIPS state and refuses init({ fips: true }) on a non-FIPS database', () => {
    const dir = emptyDB();
    init({ dbDir: dir });
    expect(isFIPS()).toBe(false);
    shutdown();
    expect(() => init({ dbDir: dir, fips: true })).toThrow(/FIPS/);
    expect(isInitialized()).toBe(false);
  });

  it('generates random bytes from NSS', () => {
    init();
    const a = generateRandom(32);
    const b = generateRandom(32);
    expect(a.length).toBe(32);
    expect(a.equals(b)).toBe(false);
    expect(generateRandom(0).length).toBe(0);
    expect(() => generateRandom(-1)).toThrow(RangeError);
    expect(() => generateRandom('4' as never)).toThrow(/"length"/);
  });
});

describe('passwords', () => {
  it('uses the password given to init to log in to the database', () => {
    const dir = dbWithKey();
    init({ dbDir: dir, password: 'DB_passwd' });
    const slot = getInternalKeySlot();
    expect(slot.needLogin()).toBe(true);
    expect(slot.isLoggedIn()).toBe(false);
    touchKey();
    expect(slot.isLoggedIn()).toBe(true);
    slot.logout();
    expect(slot.isLoggedIn()).toBe(false);
  });

  it('logs in with slot.login(pin) and out again', async () => {
    const dir = emptyDB('DB_passwd');
    init({ dbDir: dir });
    const slot = getInternalKeySlot();
    expect(slot.isLoggedIn()).toBe(false);
    await slot.login('DB_passwd');
    expect(slot.isLoggedIn()).toBe(true);
    slot.logout();
    expect(slot.isLoggedIn()).toBe(false);
    expect(() => slot.logout()).not.toThrow();
  });

  it('a wrong password rejects with SEC_ERROR_BAD_PASSWORD, off the JS thread', async () => {
    const dir = emptyDB('DB_passwd');
    init({ dbDir: dir });
    const slot = getInternalKeySlot();
    await expect(slot.login('wrong')).rejects.toMatchObject({ code: 'SEC_ERROR_BAD_PASSWORD' });
    expect(slot.isLoggedIn()).toBe(false);
    await slot.login('DB_passwd');
    expect(slot.isLoggedIn()).toBe(true);
    await expect(slot.login(5 as never)).rejects.toThrow(/"pin"/);
  });

  it('calls the password callback with the slot, retry flag and pin args', () => {
    const dir = dbWithKey();
    const calls: Array<[string, boolean, unknown[]]> = [];
    init({
      dbDir: dir,
      password: (slot, retry, ...pinArgs) => {
        calls.push([slot.tokenName, retry, pinArgs]);
        return retry ? undefined : (pinArgs[0] as string);
      },
    });
    touchKey('DB_passwd', 42);
    expect(calls).toEqual([['NSS Certificate DB', false, ['DB_passwd', 42]]]);
    expect(getInternalKeySlot().isLoggedIn()).toBe(true);
  });

  it('stops after one wrong answer from the callback (retry = true is answered with undefined)', () => {
    const dir = dbWithKey();
    const retries: boolean[] = [];
    init({ dbDir: dir });
    setPasswordCallback((_slot, retry) => {
      retries.push(retry);
      return retry ? undefined : 'wrong';
    });
    expect(() => touchKey()).toThrow(NSPRError);
    expect(retries).toEqual([false, true]);
    expect(getInternalKeySlot().isLoggedIn()).toBe(false);
  });

  it('a throwing password callback surfaces as the caller’s exception', () => {
    const dir = dbWithKey();
    init({ dbDir: dir });
    setPasswordCallback(() => {
      throw new Error('no PIN pad');
    });
    expect(() => touchKey()).toThrow('no PIN pad');
    expect(isInitialized()).toBe(true);
  });

  it('setPasswordCallback checks its argument', () => {
    expect(() => setPasswordCallback('x' as never)).toThrow(/"cb"/);
  });
});

/**
 * Runs `body` in a child process (its crash or hang shows as the exit status) with `opts` for init() and
 * `out(line)` to report; `env` adds environment variables (UV_THREADPOOL_SIZE).
 */
function child(
  body: string,
  env: Record<string, string> = {},
  ms = 60_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const script = `
    const nss = require('node-nss');
    const out = (s) => process.stdout.write(s + '\\n');
    const settled = (p) => p.then((v) => 'resolved ' + (v && v.keyType || ''), (e) => 'rejected ' + (e.code || e.message));
    (async () => { ${body} })().then(
      () => out('done'),
      (e) => { out('failed ' + (e && (e.code || e.message))); process.exitCode = 3; },
    );
  `;
  return nodeScript(script, { env, ms });
}

describe('shutdown() and work in flight on the libuv pool', () => {
  // RSA-4096 generation takes 350–750 ms here: it is still running when shutdown() comes right after.
  it('waits for a key generation and a login, which then reject with NSS_SHUT_DOWN; init() works again', async () => {
    const dir = emptyDB('DB_passwd');
    const r = await child(`
      const opts = { dbDir: ${JSON.stringify(dir)}, readOnly: false, password: 'DB_passwd', loadBuiltinRoots: false };
      nss.init(opts);
      const keygen = settled(nss.generateKeyPair({ type: 'rsa', bits: 4096, permanent: false }));
      const login = settled(nss.getInternalKeySlot().login('DB_passwd'));
      try {
        nss.shutdown();
        out('shutdown ok');
      } catch (e) {
        out('shutdown threw ' + e.code);
      }
      // A new NSS lifetime before the completions run: they still belong to the old one.
      nss.init(opts);
      out('keygen ' + (await keygen));
      out('login ' + (await login));
      const key = await nss.generateKeyPair({ type: 'ec', permanent: false });
      await nss.getInternalKeySlot().login('DB_passwd');
      out('again ' + key.keyType + ' ' + nss.createCertificateRequest(key, { subject: 'CN=again' }).length);
      nss.shutdown();
      out('shutdown ok');
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'shutdown ok',
      'keygen rejected NSS_SHUT_DOWN',
      'login rejected NSS_SHUT_DOWN',
      expect.stringMatching(/^again ec \d+$/),
      'shutdown ok',
      'done',
      '',
    ]);
    expect(r.status).toBe(0);
  });

  it('shutdown() inside a password callback throws instead of pulling NSS out from under the call', async () => {
    const dir = emptyDB('DB_passwd');
    const r = await child(`
      nss.init({ dbDir: ${JSON.stringify(dir)}, readOnly: false, loadBuiltinRoots: false });
      nss.setPasswordCallback(() => {
        try {
          nss.shutdown();
          out('inside: shut down');
        } catch (e) {
          out('inside: ' + e.message);
        }
        return 'DB_passwd';
      });
      out('keygen ' + (await settled(nss.generateKeyPair({ type: 'ec', permanent: false }))));
      nss.shutdown();
      out('shutdown ok');
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'inside: shutdown() cannot run inside a password callback: call it after the callback has returned',
      'keygen resolved ec',
      'shutdown ok',
      'done',
      '',
    ]);
    expect(r.status).toBe(0);
  });

  it('work still queued behind it when NSS shuts down never runs, and nothing outlives the shutdown', async () => {
    const dir = emptyDB('DB_passwd');
    // One pool thread: the login waits behind the key generation and is released before it starts.
    const r = await child(
      `
      const opts = { dbDir: ${JSON.stringify(dir)}, readOnly: false, password: 'DB_passwd', loadBuiltinRoots: false };
      nss.init(opts);
      const slot = nss.getInternalKeySlot();
      const keygen = settled(nss.generateKeyPair({ type: 'rsa', bits: 4096, permanent: false }));
      const login = settled(slot.login('DB_passwd'));
      const keygen2 = settled(nss.generateKeyPair({ type: 'ec', permanent: false }));
      nss.shutdown();
      out('shutdown ok');
      out([await keygen, await login, await keygen2].join(', '));
      nss.init(opts);
      out('live ' + nss.liveHandles());
      nss.shutdown();
      out('shutdown ok');
    `,
      { UV_THREADPOOL_SIZE: '1' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'shutdown ok',
      'rejected NSS_SHUT_DOWN, rejected NSS_SHUT_DOWN, rejected NSS_SHUT_DOWN',
      'live 0',
      'shutdown ok',
      'done',
      '',
    ]);
    expect(r.status).toBe(0);
  });
});

describe('shutdown() under a listening server', () => {
  it('a connection that arrives afterwards is closed; nothing is thrown out of the server', async () => {
    const r = await child(`
      nss.init({ loadBuiltinRoots: false });
      const net = require('node:net');
      const server = new nss.SSLServer();
      const { port } = await server.listen({ port: 0 });
      process.on('uncaughtException', (e) => { out('uncaught ' + (e.code || e.message)); process.exit(4); });
      nss.shutdown();
      const seen = await new Promise((resolve) => {
        const tcp = net.connect({ port, host: '127.0.0.1' }, () => tcp.write('a ClientHello, say'));
        tcp.on('error', () => {});
        tcp.on('close', () => resolve('closed'));
      });
      out('client ' + seen);
      server.close();
    `);
    expect(r.stdout.split('\n')).toEqual(['client closed', 'done', '']);
    expect(r.status).toBe(0);
  });
});
