import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import {
  certificateUsageSSLClient,
  getDefaultCertDB,
  getInternalKeySlot,
  init,
  isInitialized,
  NSPRError,
  setPasswordCallback,
  shutdown,
} from 'node-nss';
import {
  certutilList,
  emptyDB,
  expectNSPRError,
  nodeScript,
  opensslP256Request,
  removeTemps,
  run,
  runOk,
  tempDir,
  writableCopy,
} from './support/tools.js';

const fixtures = inject('fixtures');

afterEach(() => {
  setPasswordCallback(null);
  if (isInitialized()) shutdown();
});

/**
 * Runs `work` and counts the turns of a 5 ms timer until it settles: none when the work blocks the
 * JavaScript thread. (Each of these files costs three 600,000-iteration PBKDF2 runs, 0.3–0.4 s here.)
 */
async function ticksDuring<T>(work: () => Promise<T>): Promise<{ value: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    const value = await work();
    return { value, ticks };
  } finally {
    clearInterval(timer);
  }
}
afterAll(() => removeTemps());

describe.each([
  ['RSA', fixtures.rsa],
  ['ECDSA', fixtures.ec],
] as const)('PKCS#12 with %s keys', (_kind, fixture) => {
  it('exportPKCS12 writes a file pk12util reads and imports', () => {
    const fx = writableCopy(fixture);
    init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
    const p12 = getDefaultCertDB().exportPKCS12('test_user', 'export-pw');
    shutdown();
    const file = path.join(tempDir('p12'), 'user.p12');
    fs.writeFileSync(file, p12);
    const listing = runOk('pk12util', ['-l', file, '-W', 'export-pw']);
    expect(listing).toContain('test_user');
    expect(listing).toMatch(/Key\b/);
    const target = emptyDB();
    runOk('pk12util', ['-i', file, '-d', target.db, '-W', 'export-pw', '-K', '']);
    expect(certutilList(target.db).get('test_user')).toBe('u,u,u');
    expect(runOk('certutil', ['-K', '-d', target.db])).toContain('test_user');
    // Wrong password: pk12util refuses the file.
    expect(run('pk12util', ['-l', file, '-W', 'not-it']).status).not.toBe(0);
  });

  it('importPKCS12 reads what pk12util exported, key included', () => {
    const target = emptyDB();
    init({ dbDir: target.db, readOnly: false, loadBuiltinRoots: false });
    const db = getDefaultCertDB();
    const certs = db.importPKCS12(fs.readFileSync(fixture.userP12Path), fixture.p12Password);
    expect(certs.map((c) => c.subjectCommonName)).toEqual(expect.arrayContaining(['test_user']));
    const user = db.findCertFromNickname('test_user');
    expect(db.findKeyByAnyCert(user).keyType).toBe(fixture.keyType === 'rsa' ? 'rsa' : 'ec');
    expect(certutilList(target.db).get('test_user')).toBe('u,u,u');
    // The chain came along; trusting its CA makes the client certificate verify.
    const ca = certs.find((c) => c.isCA);
    expect(ca).toBeDefined();
    if (ca) db.setTrust(ca, 'CT,,');
    expect(user.verifyNow(db, true, certificateUsageSSLClient)).toBe(certificateUsageSSLClient);
  });

  it('a wrong PKCS#12 password is an NSPRError and imports nothing', () => {
    const target = emptyDB();
    init({ dbDir: target.db, readOnly: false, loadBuiltinRoots: false });
    const db = getDefaultCertDB();
    const err = expectNSPRError(
      () => db.importPKCS12(fs.readFileSync(fixture.userP12Path), 'wrong-password'),
      'SEC_ERROR_BAD_PASSWORD',
    );
    expect(err.message).toMatch(/password/i);
    expect(db.listCertificates()).toEqual([]);
    expect(certutilList(target.db).size).toBe(0);
  });

  it('round trip: our export imports with our import into another database', () => {
    const fx = writableCopy(fixture);
    init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
    const p12 = getDefaultCertDB().exportPKCS12('test_server', 'round-trip');
    const fingerprint = getDefaultCertDB().findCertFromNickname('test_server').fingerprint256;
    shutdown();
    const target = emptyDB();
    init({ dbDir: target.db, readOnly: false, loadBuiltinRoots: false });
    const db = getDefaultCertDB();
    const imported = db.importPKCS12(p12, 'round-trip');
    const server = imported.find((c) => c.subjectCommonName === 'localhost');
    expect(server?.fingerprint256).toBe(fingerprint);
    expect(server?.nickname).toBe('test_server');
    if (server) expect(db.findKeyByAnyCert(server).slot?.tokenName).toBe('NSS Certificate DB');
  });

  it('exporting needs a certificate with a key', () => {
    const fx = writableCopy(fixture);
    init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
    const db = getDefaultCertDB();
    expectNSPRError(() => db.exportPKCS12('no_such_cert', 'pw'), 'SEC_ERROR_UNKNOWN_CERT');
    const err = expectNSPRError(() => db.exportPKCS12('test_untrusted', 'pw'), 'SEC_ERROR_NO_KEY');
    expect(err).toBeInstanceOf(NSPRError);
  });
});

describe.each([
  ['RSA', fixtures.rsa],
  ['ECDSA', fixtures.ec],
] as const)('PKCS#12 off the JavaScript thread with %s keys', (_kind, fixture) => {
  it('exportPKCS12Async and importPKCS12Async let the event loop turn and give what the synchronous calls give', async () => {
    const fx = writableCopy(fixture);
    init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
    const fingerprint = getDefaultCertDB().findCertFromNickname('test_user').fingerprint256;
    const exported = await ticksDuring(() => getDefaultCertDB().exportPKCS12Async('test_user', 'async-pw'));
    expect(exported.ticks).toBeGreaterThanOrEqual(3);
    shutdown();
    const file = path.join(tempDir('p12'), 'user.p12');
    fs.writeFileSync(file, exported.value);
    expect(runOk('pk12util', ['-l', file, '-W', 'async-pw'])).toContain('test_user');

    for (const [data, password] of [
      [fs.readFileSync(fixture.userP12Path), fixture.p12Password],
      [exported.value, 'async-pw'],
    ] as const) {
      const target = emptyDB();
      init({ dbDir: target.db, readOnly: false, loadBuiltinRoots: false });
      const db = getDefaultCertDB();
      const imported = await ticksDuring(() => db.importPKCS12Async(data, password));
      expect(imported.ticks).toBeGreaterThanOrEqual(3);
      const user = imported.value.find((c) => c.subjectCommonName === 'test_user');
      expect(user?.fingerprint256).toBe(fingerprint);
      expect(user?.nickname).toBe('test_user');
      expect(db.findKeyByAnyCert(db.findCertFromNickname('test_user')).keyType).toBe(
        fixture.keyType === 'rsa' ? 'rsa' : 'ec',
      );
      expect(certutilList(target.db).get('test_user')).toBe('u,u,u');
      shutdown();
    }
  });

  it('the async calls reject with the NSPRError the synchronous ones throw, and check their arguments', async () => {
    const fx = writableCopy(fixture);
    init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
    const db = getDefaultCertDB();
    await expect(db.exportPKCS12Async('no_such_cert', 'pw')).rejects.toMatchObject({
      code: 'SEC_ERROR_UNKNOWN_CERT',
    });
    await expect(db.exportPKCS12Async('test_untrusted', 'pw')).rejects.toMatchObject({
      code: 'SEC_ERROR_NO_KEY',
    });
    await expect(db.exportPKCS12Async(5 as never, 'pw')).rejects.toThrow(/"nickname"/);
    shutdown();
    const target = emptyDB();
    init({ dbDir: target.db, readOnly: false, loadBuiltinRoots: false });
    const wrong = db.importPKCS12Async(fs.readFileSync(fixture.userP12Path), 'wrong-password');
    await expect(wrong).rejects.toBeInstanceOf(NSPRError);
    await expect(wrong).rejects.toMatchObject({ code: 'SEC_ERROR_BAD_PASSWORD' });
    expect(db.listCertificates()).toEqual([]);
    await expect(db.importPKCS12Async('x' as never, 'pw')).rejects.toThrow(/"data"/);
    await expect(db.importPKCS12Async(Buffer.alloc(1), 'pw', 'slot' as never)).rejects.toThrow(/"opts"/);
  });
});

describe('PKCS#12 off the JavaScript thread: logins and shutdown', () => {
  it('the token login they need asks the password callback on the JavaScript thread, with the pin args', async () => {
    const fx = writableCopy(fixtures.ec);
    init({ dbDir: fx.db, readOnly: false, loadBuiltinRoots: false });
    const asked: unknown[][] = [];
    setPasswordCallback((_slot, retry, ...pinArgs) => {
      asked.push(pinArgs);
      return retry ? undefined : (pinArgs[0] as string);
    });
    const p12 = await getDefaultCertDB().exportPKCS12Async('test_user', 'pw', fx.password);
    expect(asked).toEqual([[fx.password]]);
    getInternalKeySlot().logout();
    asked.length = 0;
    const certs = await getDefaultCertDB().importPKCS12Async(p12, 'pw', {}, fx.password, 'second');
    expect(certs.some((c) => c.nickname === 'test_user')).toBe(true);
    expect(asked).toEqual([[fx.password, 'second']]);
  });

  it('shutdown() waits for them; they reject with NSS_SHUT_DOWN and NSS starts again', async () => {
    const fx = writableCopy(fixtures.rsa);
    const target = emptyDB();
    const script = `
      const nss = require('node-nss');
      const fs = require('node:fs');
      const out = (s) => process.stdout.write(s + '\\n');
      const settled = (p) => p.then((v) => 'resolved ' + v.length, (e) => 'rejected ' + (e.code || e.message));
      (async () => {
        nss.init({ dbDir: ${JSON.stringify(fx.db)}, password: ${JSON.stringify(fx.password)}, loadBuiltinRoots: false });
        const exported = settled(nss.getDefaultCertDB().exportPKCS12Async('test_user', 'pw'));
        nss.shutdown();
        out('export ' + (await exported));
        nss.init({ dbDir: ${JSON.stringify(target.db)}, readOnly: false, loadBuiltinRoots: false });
        const data = fs.readFileSync(${JSON.stringify(fx.userP12Path)});
        const imported = settled(nss.getDefaultCertDB().importPKCS12Async(data, ${JSON.stringify(fx.p12Password)}));
        nss.shutdown();
        out('import ' + (await imported));
        nss.init({ dbDir: ${JSON.stringify(target.db)}, readOnly: false, loadBuiltinRoots: false });
        out('again ' + (await settled(nss.getDefaultCertDB().importPKCS12Async(data, ${JSON.stringify(fx.p12Password)}))));
        nss.shutdown();
        out('shutdown ok');
      })().catch((e) => { out('failed ' + (e.code || e.message)); process.exitCode = 3; });
    `;
    const r = await nodeScript(script, { ms: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      'export rejected NSS_SHUT_DOWN',
      'import rejected NSS_SHUT_DOWN',
      expect.stringMatching(/^again resolved [1-9]/),
      'shutdown ok',
      '',
    ]);
    expect(r.status).toBe(0);
  });
});

describe('PKCS#12 from openssl', () => {
  it('imports a file openssl made (no friendly name on the CA certificate)', () => {
    const dir = tempDir('openssl');
    const file = (name: string) => path.join(dir, name);
    opensslP256Request({
      keyOut: file('ca.key'),
      out: file('ca.pem'),
      subject: '/CN=OpenSSL CA',
      days: 30,
      extensions: ['basicConstraints=critical,CA:true'],
    });
    opensslP256Request({ keyOut: file('leaf.key'), out: file('leaf.csr'), subject: '/CN=openssl leaf' });
    runOk('openssl', [
      'x509',
      '-req',
      '-in',
      file('leaf.csr'),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-set_serial',
      '7',
      '-days',
      '30',
      '-out',
      file('leaf.pem'),
    ]);
    runOk('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      file('leaf.key'),
      '-in',
      file('leaf.pem'),
      '-certfile',
      file('ca.pem'),
      '-name',
      'openssl-leaf',
      '-passout',
      'pass:ossl',
      '-out',
      file('bundle.p12'),
    ]);
    const target = emptyDB();
    init({ dbDir: target.db, readOnly: false, loadBuiltinRoots: false });
    const db = getDefaultCertDB();
    const certs = db.importPKCS12(fs.readFileSync(file('bundle.p12')), 'ossl');
    expect(certs.map((c) => c.subjectCommonName).sort()).toEqual(['OpenSSL CA', 'openssl leaf']);
    const leaf = db.findCertFromNickname('openssl-leaf');
    expect(db.findKeyByAnyCert(leaf).keyType).toBe('ec');
    expect(certutilList(target.db).has('openssl-leaf')).toBe(true);
    expect(getInternalKeySlot().listCertificates().length).toBe(2);
  });
});
