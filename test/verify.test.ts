import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CertDB,
  Certificate,
  CertVerifyError,
  certificateUsageCheckAllUsages,
  certificateUsageEmailSigner,
  certificateUsageSSLCA,
  certificateUsageSSLClient,
  certificateUsageSSLServer,
  errorName,
  getDefaultCertDB,
  init,
  shutdown,
} from 'node-nss';
import { fixtureCertNames, type FixtureCertName } from './fixtures/nssdb.js';
import { run } from './support/tools.js';

const fixtures = inject('fixtures');

// vfychain -u takes the certUsage enum; certificateUsage bits are 1 << certUsage.
const usages = [
  ['SSL client', 0, certificateUsageSSLClient],
  ['SSL server', 1, certificateUsageSSLServer],
  ['SSL CA', 3, certificateUsageSSLCA],
  ['email signer', 4, certificateUsageEmailSigner],
] as const;

const names = fixtureCertNames;

/** vfychain's verdict in classic mode (CERT_VerifyCertificate, as verifyNow uses). */
function vfychain(
  db: string,
  pem: string,
  certUsage: number,
  extra: string[] = [],
): { good: boolean; errors: number[] } {
  const r = run('vfychain', ['-d', db, '-u', String(certUsage), ...extra, '-a', pem]);
  const out = r.stdout + r.stderr;
  const errors = [...out.matchAll(/ERROR (-\d+):/g)].map((m) => Number(m[1]));
  return { good: r.status === 0 && out.includes('Chain is good!'), errors };
}

function ours(
  cert: Certificate,
  db: CertDB,
  usage: number,
  at?: Date,
): { good: boolean; errors: number[]; err?: CertVerifyError } {
  try {
    const valid = at ? cert.verify(db, true, usage, at) : cert.verifyNow(db, true, usage);
    expect(valid & usage).toBe(usage);
    return { good: true, errors: [] };
  } catch (err) {
    if (!(err instanceof CertVerifyError)) throw err;
    return { good: false, errors: err.log.map((e) => e.error.errno), err };
  }
}

describe.each([
  ['RSA', fixtures.rsa],
  ['ECDSA', fixtures.ec],
] as const)('verification of the %s fixtures', (_kind, fx) => {
  let db: CertDB;
  beforeAll(() => {
    init({ dbDir: fx.db, loadBuiltinRoots: false });
    db = getDefaultCertDB();
  });
  afterAll(() => shutdown());

  it.each(names)('%s: verifyNow agrees with vfychain for every usage', (name) => {
    const cert = db.findCertFromNickname(name);
    for (const [label, certUsage, bit] of usages) {
      const theirs = vfychain(fx.db, fx.certs[name].pemPath, certUsage);
      const mine = ours(cert, db, bit);
      expect(mine.good, `${name} as ${label}`).toBe(theirs.good);
      expect([...new Set(mine.errors)].sort(), `${name} as ${label}`).toEqual(
        [...new Set(theirs.errors)].sort(),
      );
      if (mine.err) {
        expect(theirs.errors, `${name} as ${label}`).toContain(mine.err.errno);
      }
    }
  });

  it('each bad certificate fails for TLS server use with the right NSS code', () => {
    const expected: Array<[FixtureCertName, string]> = [
      ['test_expired', 'SEC_ERROR_EXPIRED_CERTIFICATE'],
      ['test_not_yet_valid', 'SEC_ERROR_EXPIRED_CERTIFICATE'],
      ['test_wrong_usage', 'SEC_ERROR_INADEQUATE_CERT_TYPE'],
      ['test_untrusted', 'SEC_ERROR_UNKNOWN_ISSUER'],
    ];
    for (const [name, code] of expected) {
      const cert = db.findCertFromNickname(name);
      let caught: unknown;
      try {
        cert.verifyNow(db, true, certificateUsageSSLServer);
      } catch (err) {
        caught = err;
      }
      expect(caught, name).toBeInstanceOf(CertVerifyError);
      const err = caught as CertVerifyError;
      expect(err.code, name).toBe(code);
      expect(errorName(err.errno)).toBe(code);
      expect(err.log.length, name).toBeGreaterThan(0);
      expect(err.log[0]?.cert.nickname, name).toBe(name);
      expect(err.log[0]?.depth, name).toBe(0);
      expect(err.log[0]?.error.code, name).toBe(code);
    }
    // The wrong-host certificate is a valid server certificate, just not for localhost.
    const wrongHost = db.findCertFromNickname('test_wrong_host');
    expect(wrongHost.verifyNow(db, true, certificateUsageSSLServer)).toBe(certificateUsageSSLServer);
    expect(wrongHost.verifyHostname('localhost')).toBe(false);
  });

  it('the intermediate chain verifies only through its trusted root', () => {
    const leaf = db.findCertFromNickname('test_int_server');
    expect(leaf.verifyNow(db, true, certificateUsageSSLServer)).toBe(certificateUsageSSLServer);
    expect(leaf.getChain(db).map((c) => c.nickname)).toEqual(['test_int_server', 'test_int_ca', 'test_ca']);
  });

  it('required usages 0 returns every usage the certificate is good for', () => {
    const server = db.findCertFromNickname('test_server').verifyNow(db, true, certificateUsageCheckAllUsages);
    expect(server & certificateUsageSSLServer).toBe(certificateUsageSSLServer);
    expect(server & certificateUsageSSLClient).toBe(0);
    const user = db.findCertFromNickname('test_user').verifyNow(db, true, certificateUsageCheckAllUsages);
    expect(user & certificateUsageSSLClient).toBe(certificateUsageSSLClient);
    expect(user & certificateUsageSSLServer).toBe(0);
  });

  it('verify(at) judges at another time, as vfychain -b does', () => {
    const expired = db.findCertFromNickname('test_expired');
    const then = new Date(expired.validNotBefore.getTime() + 30 * 86400_000);
    const stamp = then.toISOString().replace(/[-:T]/g, '').slice(2, 12) + 'Z'; // YYMMDDHHMMZ
    expect(vfychain(fx.db, fx.certs.test_expired.pemPath, 1, ['-b', stamp]).good).toBe(true);
    expect(expired.verify(db, true, certificateUsageSSLServer, then)).toBe(certificateUsageSSLServer);
    const server = db.findCertFromNickname('test_server');
    const later = new Date(server.validNotAfter.getTime() + 86400_000);
    expect(() => server.verify(db, true, certificateUsageSSLServer, later)).toThrow(CertVerifyError);
  });

  it('certificates from outside the database verify against it', () => {
    const pem = fs.readFileSync(fx.certs.test_server.pemPath, 'latin1');
    const temp = Certificate.fromPEM(pem);
    expect(temp.verifyNow(db, true, certificateUsageSSLServer)).toBe(certificateUsageSSLServer);
  });
});
