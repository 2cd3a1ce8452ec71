import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CertDB,
  Certificate,
  certificateUsageSSLServer,
  errorName,
  findSlotByName,
  getAllTokens,
  getDefaultCertDB,
  getInternalKeySlot,
  init,
  KU_DIGITAL_SIGNATURE,
  KU_KEY_CERT_SIGN,
  NSPRError,
  PK11Slot,
  PrivateKey,
  SEC_CERT_NICKNAMES_ALL,
  SEC_CERT_NICKNAMES_CA,
  SEC_CERT_NICKNAMES_SERVER,
  SEC_CERT_NICKNAMES_USER,
  shutdown,
} from 'node-nss';
import { fixtureCertNames, type FixtureDB } from './fixtures/nssdb.js';
import {
  certutilList,
  expectNSPRError,
  removeTemps,
  run,
  runOk,
  subjectNameDER,
  tempDir,
  writableCopy,
} from './support/tools.js';

const fixtures = inject('fixtures');

describe.each([
  ['RSA', fixtures.rsa],
  ['ECDSA', fixtures.ec],
] as const)('CertDB over a %s fixture database', (_kind, fixture) => {
  let fx: FixtureDB;
  let db: CertDB;

  beforeAll(() => {
    fx = writableCopy(fixture);
    init({ dbDir: fx.db, readOnly: false, loadBuiltinRoots: false, password: fx.password });
    db = getDefaultCertDB();
  });
  afterAll(() => {
    shutdown();
    removeTemps();
  });

  const all = fixtureCertNames;

  it('getCertNicknames(ALL) lists what certutil -L lists', () => {
    const listed = [...certutilList(fx.db).keys()].sort();
    expect(db.getCertNicknames(SEC_CERT_NICKNAMES_ALL).sort()).toEqual(listed);
    expect(listed).toEqual([...all].sort());
  });

  it('getCertNicknames(USER) lists the certificates that have keys, CA the CAs', () => {
    const keys = runOk('certutil', ['-K', '-d', fx.db, '-f', fx.passwordFile]);
    const user = db.getCertNicknames(SEC_CERT_NICKNAMES_USER).sort();
    for (const nick of user) expect(keys).toContain(nick);
    expect(user).toContain('test_user');
    expect(user).not.toContain('test_untrusted');
    const cas = db.getCertNicknames(SEC_CERT_NICKNAMES_CA);
    expect(cas).toContain('test_ca');
    expect(cas).not.toContain('test_user');
  });

  it('getTrust agrees with certutil for every certificate', () => {
    for (const [nick, trust] of certutilList(fx.db)) {
      expect(db.getTrust(db.findCertFromNickname(nick)), nick).toBe(trust);
    }
  });

  it('reads a certificate’s fields', () => {
    const server = db.findCertFromNickname('test_server');
    expect(server.nickname).toBe('test_server');
    expect(server.subject).toBe(fx.certs.test_server.subject);
    expect(server.subjectCommonName).toBe('localhost');
    expect(server.issuer).toBe(fx.certs.test_ca.subject);
    expect(server.version).toBe(3);
    expect(server.serialNumber).toBe(fx.certs.test_server.serial.toString(16).toUpperCase().padStart(2, '0'));
    expect(server.subjectAltNames).toEqual(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
    expect(server.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect((server.keyUsage ?? 0) & KU_DIGITAL_SIGNATURE).toBe(KU_DIGITAL_SIGNATURE);
    expect(server.isCA).toBe(false);
    expect(server.publicKeyType).toBe(fx.keyType === 'rsa' ? 'rsa' : 'ec');
    expect(server.publicKeyBits).toBe(fx.keyType === 'rsa' ? 2048 : 256);
    expect(server.validNotBefore.getTime()).toBeLessThan(Date.now());
    expect(server.validNotAfter.getTime()).toBeGreaterThan(Date.now());
    const ca = db.findCertFromNickname('test_ca');
    expect(ca.isCA).toBe(true);
    expect((ca.keyUsage ?? 0) & KU_KEY_CERT_SIGN).toBe(KU_KEY_CERT_SIGN);
    expect(db.findCertFromNickname('test_user').extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('fields agree with openssl for every fixture certificate', () => {
    for (const name of all) {
      const file = fx.certs[name].pemPath;
      const cert = db.findCertFromNickname(name);
      const fp = runOk('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', file]).trim();
      expect(fp.split('=')[1], name).toBe(cert.fingerprint256);
      expect(cert.toX509Certificate().fingerprint256, name).toBe(cert.fingerprint256);
      const sha1 = runOk('openssl', ['x509', '-noout', '-fingerprint', '-sha1', '-in', file]).trim();
      expect(sha1.split('=')[1], name).toBe(cert.fingerprint);
      const serial = runOk('openssl', ['x509', '-noout', '-serial', '-in', file]).trim();
      expect(serial, name).toBe(`serial=${cert.serialNumber}`);
      const x509 = new X509Certificate(fs.readFileSync(file));
      expect(cert.derData.equals(x509.raw), name).toBe(true);
      expect(new Date(x509.validTo).getTime(), name).toBe(cert.validNotAfter.getTime());
    }
  });

  it('a missing nickname is an NSPRError with NSS’s code', () => {
    const err = expectNSPRError(() => db.findCertFromNickname('no_such_cert'), 'SEC_ERROR_UNKNOWN_CERT');
    expect(err.errno).toBeLessThan(0);
    expect(errorName(err.errno)).toBe('SEC_ERROR_UNKNOWN_CERT');
    expect(db.findCertsFromNickname('no_such_cert')).toEqual([]);
    expect(db.findCertsFromNickname('test_user').map((c) => c.nickname)).toEqual(['test_user']);
  });

  it('finds by DER, and makes temporary certificates from DER and PEM', () => {
    const der = fs.readFileSync(fx.certs.test_user.derPath);
    expect(db.findCertByDER(der)?.nickname).toBe('test_user');
    const outsider = fs.readFileSync(fx.untrustedCaPemPath, 'latin1');
    const outsiderDER = Buffer.from(outsider.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
    expect(db.findCertByDER(outsiderDER)).toBeNull();
    const temp = Certificate.fromPEM(outsider);
    expect(temp.nickname).toBeNull();
    expect(temp.subject).toBe('CN=Untrusted CA,O=elsewhere');
    expect(temp.derData.equals(outsiderDER)).toBe(true);
    expect(Certificate.fromDER(der).equals(db.findCertFromNickname('test_user'))).toBe(true);
    expect(Certificate.fromDER(der).equals(temp)).toBe(false);
    expect(Certificate.fromPEM(temp.toPEM()).equals(temp)).toBe(true);
    // NSS's decoder reports garbage as a library failure.
    expectNSPRError(() => Certificate.fromDER(Buffer.from('not a certificate')), 'SEC_ERROR_LIBRARY_FAILURE');
    expect(() => Certificate.fromPEM('no pem here')).toThrow(TypeError);
  });

  it('checkValidTimes follows python-nss: 0, or the NSS error number', () => {
    expect(db.findCertFromNickname('test_server').checkValidTimes()).toBe(0);
    expect(errorName(db.findCertFromNickname('test_expired').checkValidTimes())).toBe(
      'SEC_ERROR_EXPIRED_CERTIFICATE',
    );
    expect(errorName(db.findCertFromNickname('test_not_yet_valid').checkValidTimes())).toBe(
      'SEC_ERROR_CERT_NOT_VALID',
    );
    const later = new Date(Date.now() + 5 * 365 * 86400_000);
    expect(errorName(db.findCertFromNickname('test_server').checkValidTimes(later))).toBe(
      'SEC_ERROR_EXPIRED_CERTIFICATE',
    );
    expect(
      db.findCertFromNickname('test_not_yet_valid').checkValidTimes(new Date(Date.now() + 200 * 86400_000)),
    ).toBe(0);
  });

  it('verifyHostname checks DNS and IP SANs', () => {
    const server = db.findCertFromNickname('test_server');
    expect(server.verifyHostname('localhost')).toBe(true);
    expect(server.verifyHostname('127.0.0.1')).toBe(true);
    expect(server.verifyHostname('::1')).toBe(true);
    expect(server.verifyHostname('127.0.0.2')).toBe(false);
    expect(server.verifyHostname('example.com')).toBe(false);
    const wrong = db.findCertFromNickname('test_wrong_host');
    expect(wrong.verifyHostname('wrong.example.com')).toBe(true);
    expect(wrong.verifyHostname('localhost')).toBe(false);
  });

  it('getChain walks from the leaf to the root', () => {
    const chain = db.findCertFromNickname('test_int_server').getChain(db);
    expect(chain.map((c) => c.nickname)).toEqual(['test_int_server', 'test_int_ca', 'test_ca']);
  });

  it('hasSignerInCaNames matches the issuer names a server would send', () => {
    const user = db.findCertFromNickname('test_user');
    const caName = subjectNameDER(db.findCertFromNickname('test_ca').derData);
    const strangerName = subjectNameDER(
      Certificate.fromPEM(fs.readFileSync(fx.untrustedCaPemPath, 'latin1')).derData,
    );
    expect(user.hasSignerInCaNames([caName])).toBe(true);
    expect(user.hasSignerInCaNames([strangerName])).toBe(false);
    expect(user.hasSignerInCaNames([strangerName, caName])).toBe(true);
    expect(user.hasSignerInCaNames([])).toBe(false);
    // The intermediate's leaf is matched through its chain, by the root's name.
    expect(db.findCertFromNickname('test_int_server').hasSignerInCaNames([caName])).toBe(true);
  });

  it('finds the private key of a certificate, and says when there is none', () => {
    const key = db.findKeyByAnyCert(db.findCertFromNickname('test_user'));
    expect(key).toBeInstanceOf(PrivateKey);
    expect(key.keyType).toBe(fx.keyType === 'rsa' ? 'rsa' : 'ec');
    expect(key.slot?.tokenName).toBe('NSS Certificate DB');
    // NSS's own answer: "Unable to find the certificate or key necessary for authentication."
    const err = expectNSPRError(
      () => db.findKeyByAnyCert(db.findCertFromNickname('test_untrusted')),
      'SSL_ERROR_NO_CERTIFICATE',
    );
    expect(err).toBeInstanceOf(NSPRError);
  });

  it('setTrust changes trust as certutil sees it, and verification follows', () => {
    const leaf = db.findCertFromNickname('test_untrusted');
    db.setTrust(leaf, 'P,,');
    expect(db.getTrust(leaf)).toBe('P,,');
    expect(certutilList(fx.db).get('test_untrusted')).toBe('P,,');
    // A certificate trusted as a peer verifies without its issuer.
    expect(leaf.verifyNow(db, true, certificateUsageSSLServer)).toBe(certificateUsageSSLServer);
    expect(db.getCertNicknames(SEC_CERT_NICKNAMES_SERVER)).toEqual(['test_untrusted']);
    db.setTrust(leaf, ',,');
    expect(certutilList(fx.db).get('test_untrusted')).toBe(',,');
    // Distrusted again, it fails again; vfychain (a fresh process) agrees. NSS names the failure
    // SEC_ERROR_UNTRUSTED_ISSUER in the process that changed the trust, SEC_ERROR_UNKNOWN_ISSUER after a reload.
    const vfy = run('vfychain', ['-d', fx.db, '-u', '1', '-a', fx.certs.test_untrusted.pemPath]);
    expect(vfy.status).not.toBe(0);
    expect(vfy.stdout + vfy.stderr).toContain('ERROR -8179');
    expectNSPRError(() => leaf.verifyNow(db, true, certificateUsageSSLServer), 'SEC_ERROR_UNTRUSTED_ISSUER');
    // A certificate with a key shows NSS's implicit u (user) flag, as certutil does.
    const inter = db.findCertFromNickname('test_int_ca');
    db.setTrust(inter, 'CT,C,');
    expect(db.getTrust(inter)).toBe(certutilList(fx.db).get('test_int_ca'));
    expect(db.getTrust(inter)).toMatch(/^CTu?,Cu?,u?$/);
    db.setTrust(inter, ',,');
  });

  it('bad trust strings are RangeErrors, wrong types TypeErrors', () => {
    const inter = db.findCertFromNickname('test_int_ca');
    expect(() => db.setTrust(inter, 'XYZ')).toThrow(RangeError);
    expect(() => db.setTrust(inter, 'C,C')).toThrow(/certutil trust string/);
    expect(() => db.setTrust(inter, 5 as never)).toThrow(/"trust"/);
    expect(() => db.importCertificate(inter.derData, { nickname: 'x', trust: 'Q,,' })).toThrow(RangeError);
  });

  it('imports a certificate with trust, and deletes it again', () => {
    const pem = fs.readFileSync(fx.untrustedCaPemPath, 'latin1');
    const untrusted = db.findCertFromNickname('test_untrusted');
    expect(() => untrusted.verifyNow(db, true, certificateUsageSSLServer)).toThrow(/issuer/i);
    const imported = db.importCertificate(pem, { nickname: 'imported_ca', trust: 'CT,,' });
    expect(imported.nickname).toBe('imported_ca');
    expect(certutilList(fx.db).get('imported_ca')).toBe('CT,,');
    // With its issuer now a trust anchor, the leaf verifies.
    expect(untrusted.verifyNow(db, true, certificateUsageSSLServer) & certificateUsageSSLServer).toBeTruthy();
    db.deleteCertificate(imported);
    expect(certutilList(fx.db).has('imported_ca')).toBe(false);
    expect(db.findCertByDER(imported.derData)).toBeNull();
    // DER Buffers import too.
    const again = db.importCertificate(imported.derData, { nickname: 'imported_again' });
    expect(certutilList(fx.db).get('imported_again')).toBe(',,');
    db.deleteCertificate(again);
  });

  it('importPrivateKey stores an openssl PEM key; the certificate imported next is linked to it, as certutil sees', () => {
    const dir = tempDir('import-key-');
    const key = path.join(dir, 'k.pem');
    const crt = path.join(dir, 'c.pem');
    const keyArgs =
      fx.keyType === 'rsa'
        ? ['-newkey', 'rsa:2048']
        : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    runOk('openssl', [
      'req',
      '-x509',
      ...keyArgs,
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-subj',
      `/CN=imported-${fx.keyType}`,
      '-days',
      '2',
    ]);
    // openssl's own encrypted form, read with its passphrase
    const encrypted = runOk('openssl', ['pkey', '-in', key, '-aes256', '-passout', 'pass:pw']);
    const imported = db.importPrivateKey(encrypted, { nickname: 'imported_key', passphrase: 'pw' });
    expect(imported.keyType).toBe(fx.keyType);
    expect(runOk('certutil', ['-K', '-d', fx.db, '-f', fx.passwordFile])).toContain('imported_key');
    const cert = db.importCertificate(fs.readFileSync(crt), { nickname: 'imported_key' });
    expect(db.findKeyByAnyCert(cert).keyType).toBe(fx.keyType);
    // certutil marks a certificate whose key is on the token as a user certificate.
    expect(certutilList(fx.db).get('imported_key')).toBe('u,u,u');
    db.deleteCertificate(cert, { withKey: true });
    expect(run('certutil', ['-K', '-d', fx.db, '-f', fx.passwordFile]).stdout).not.toContain('imported_key');
    expect(() => db.importPrivateKey(encrypted, { nickname: 'x' })).toThrow(/encrypted, and no passphrase/);
    expect(() => db.importPrivateKey(42 as unknown as string)).toThrow(TypeError);
  });

  it('deletes a certificate together with its private key', () => {
    const wrong = db.findCertFromNickname('test_wrong_host');
    expect(runOk('certutil', ['-K', '-d', fx.db, '-f', fx.passwordFile])).toContain('test_wrong_host');
    db.deleteCertificate(wrong, { withKey: true });
    expect(certutilList(fx.db).has('test_wrong_host')).toBe(false);
    const keys = run('certutil', ['-K', '-d', fx.db, '-f', fx.passwordFile]);
    expect(keys.stdout).not.toContain('test_wrong_host');
  });

  it('lists tokens and certificates per slot', () => {
    expect(getAllTokens().map((t) => t.tokenName)).toContain('NSS Certificate DB');
    const slot = getInternalKeySlot();
    expect(slot).toBeInstanceOf(PK11Slot);
    expect(slot.tokenName).toBe('NSS Certificate DB');
    expect(slot.isInternal).toBe(true);
    expect(slot.isReadOnly).toBe(false);
    expect(slot.isPresent).toBe(true);
    expect(slot.isHW).toBe(false);
    expect(slot.isRemovable).toBe(false);
    expect(slot.needLogin()).toBe(true);
    expect(slot.slotName).toMatch(/NSS User Private Key/);
    expect(findSlotByName('NSS Certificate DB')?.tokenName).toBe('NSS Certificate DB');
    expect(findSlotByName('no such token')).toBeNull();
    const onSlot = slot.listCertificates().map((c) => c.nickname);
    expect(onSlot).toEqual(expect.arrayContaining(['test_ca', 'test_user', 'test_server']));
  });

  it('listCertificates returns every stored certificate once', () => {
    const nicknames = db.listCertificates().map((c) => c.nickname);
    expect(new Set(nicknames).size).toBe(nicknames.length);
    expect(nicknames).toEqual(expect.arrayContaining(['test_ca', 'test_int_server', 'test_untrusted']));
  });

  it('wrong argument types are TypeErrors naming the argument', () => {
    const cert = db.findCertFromNickname('test_user');
    expect(() => db.findCertFromNickname(5 as never)).toThrow(/"nick"/);
    expect(() => db.findCertByDER('x' as never)).toThrow(/"der"/);
    expect(() => db.getCertNicknames('all' as never)).toThrow(/"what"/);
    expect(() => db.getCertNicknames(9)).toThrow(RangeError);
    expect(() => db.listCertificates(42)).toThrow(RangeError);
    expect(() => db.importCertificate(5 as never, { nickname: 'x' })).toThrow(/"data"/);
    expect(() => db.importCertificate(cert.derData, {} as never)).toThrow(/"opts.nickname"/);
    expect(() => db.importCertificate(cert.derData, null as never)).toThrow(/"opts"/);
    expect(() => db.getTrust({} as never)).toThrow(/"cert"/);
    expect(() => db.deleteCertificate(cert, { withKey: 'yes' as never })).toThrow(/"opts.withKey"/);
    expect(() => db.findKeyByAnyCert('test_user' as never)).toThrow(/"cert"/);
    expect(() => db.importPKCS12('x' as never, 'pw')).toThrow(/"data"/);
    expect(() => db.importPKCS12(Buffer.alloc(1), 5 as never)).toThrow(/"password"/);
    expect(() => db.exportPKCS12('test_user', undefined as never)).toThrow(/"password"/);
    expect(() => cert.verifyNow({} as never, true, 0)).toThrow(/"certdb"/);
    expect(() => cert.verifyNow(db, 1 as never, 0)).toThrow(/"checkSig"/);
    expect(() => cert.verifyNow(db, true, '2' as never)).toThrow(/"requiredUsages"/);
    expect(() => cert.verify(db, true, 2, 'now' as never)).toThrow(/"at"/);
    expect(() => cert.verifyHostname(null as never)).toThrow(/"hostname"/);
    expect(() => cert.hasSignerInCaNames('x' as never)).toThrow(/"caNames"/);
    expect(() => cert.hasSignerInCaNames(['x' as never])).toThrow(/"caNames\[0\]"/);
    expect(() => cert.checkValidTimes('today' as never)).toThrow(/"at"/);
    expect(() => cert.equals('x' as never)).toThrow(/"other"/);
    expect(() => cert.getChain(null as never)).toThrow(/"certdb"/);
    expect(() => findSlotByName(1 as never)).toThrow(/"name"/);
    expect(() => Certificate.fromDER('x' as never)).toThrow(/"der"/);
    expect(() => new (Certificate as unknown as new (x: unknown) => unknown)({})).toThrow(TypeError);
  });
});
