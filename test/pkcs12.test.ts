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
  shutdown,
} from 'node-nss';
import {
  certutilList,
  emptyDB,
  expectNSPRError,
  opensslP256Request,
  removeTemps,
  run,
  runOk,
  tempDir,
  writableCopy,
} from './support/tools.js';

const fixtures = inject('fixtures');

afterEach(() => {
  if (isInitialized()) shutdown();
});
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
