// The fixture databases (test/global-setup.ts) checked with NSS's own tools and openssl, not with node-nss:
// every other test relies on them being what test/fixtures/nssdb.ts says.
import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  fixtureCertNames,
  copyFixtureDB,
  nssTool,
  type FixtureCertName,
  type FixtureDB,
} from './fixtures/nssdb.js';

const fixtures = inject('fixtures');

// secerr.h (SEC_ERROR_BASE is -0x2000); vfychain prints the numbers only.
const secErrors = {
  SEC_ERROR_EXPIRED_CERTIFICATE: -8181,
  SEC_ERROR_UNKNOWN_ISSUER: -8179,
  SEC_ERROR_INADEQUATE_CERT_TYPE: -8101,
} as const;

// vfychain -u takes the SECCertUsage enum.
const certUsageSSLClient = 0;
const certUsageSSLServer = 1;

const names = fixtureCertNames;

// What `certutil -L` shows: NSS adds the user flag u to every class of a certificate whose key is in the
// database, and never shows T for object signing (CT,,CT lists as CTu,u,Cu).
const listedTrust: Record<FixtureCertName, string> = {
  test_ca: 'CTu,u,Cu',
  test_server: 'u,u,u',
  test_user: 'u,u,u',
  test_int_ca: 'u,u,u',
  test_int_server: 'u,u,u',
  test_expired: 'u,u,u',
  test_not_yet_valid: 'u,u,u',
  test_wrong_host: 'u,u,u',
  test_wrong_usage: 'u,u,u',
  test_untrusted: ',,',
};

function run(cmd: string, args: string[]): { status: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: '' });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

/** vfychain's verdict; `-pp` selects libpkix (CERT_PKIXVerifyCert), without it CERT_VerifyCertificate. */
function vfychain(
  fx: FixtureDB,
  pem: string,
  usage: number,
  options: { pkix: boolean; extra?: string[]; after?: string[] },
): { good: boolean; errors: number[]; out: string } {
  const args = ['-d', fx.db, ...(options.pkix ? ['-pp'] : []), '-u', String(usage), ...(options.extra ?? [])];
  const r = run('vfychain', [...args, '-a', pem, ...(options.after ?? [])]);
  const errors = [...r.out.matchAll(/ERROR (-\d+):/g)].map((m) => Number(m[1]));
  const good = r.status === 0 && r.out.includes('Chain is good!');
  return { good, errors: [...new Set(errors)], out: r.out };
}

/** `certutil -L` rows: nickname → trust string. */
function certutilList(db: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of nssTool('certutil', ['-L', '-d', db]).split('\n').slice(4)) {
    const m = /^(.*?)\s{2,}(\S*,\S*,\S*)\s*$/.exec(line);
    if (m?.[1] && m[2] !== undefined) rows.set(m[1].trim(), m[2]);
  }
  return rows;
}

/** vfychain -b's YYMMDDHHMMZ for a moment `days` after `date`. */
function vfyTime(date: string, days: number): string {
  const t = new Date(new Date(date).getTime() + days * 86_400_000);
  return t.toISOString().replace(/[-:T]/g, '').slice(2, 12) + 'Z';
}

const x509 = (fx: FixtureDB, name: FixtureCertName): X509Certificate =>
  new X509Certificate(fs.readFileSync(fx.certs[name].pemPath));

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

describe('fixture builder', () => {
  it('builds an RSA and an ECDSA database in separate directories', () => {
    expect(fixtures.rsa.keyType).toBe('rsa');
    expect(fixtures.ec.keyType).toBe('ec');
    expect(fixtures.rsa.dir).not.toBe(fixtures.ec.dir);
    for (const fx of [fixtures.rsa, fixtures.ec]) {
      expect(fx.db).toBe(`sql:${fx.dir}`);
      expect(fx.password).toBe('DB_passwd');
      expect(fs.readFileSync(fx.passwordFile, 'utf8').trim()).toBe('DB_passwd');
      expect(fx.p12Password).toBe('p12_passwd');
      for (const file of ['cert9.db', 'key4.db', 'pkcs11.txt'])
        expect(fs.existsSync(path.join(fx.dir, file))).toBe(true);
    }
  });

  it('nssTool returns stdout, and names the command line, exit status and output when a tool fails', () => {
    expect(nssTool('certutil', ['-L', '-d', fixtures.ec.db])).toContain('test_ca');
    const missing = path.join(os.tmpdir(), 'node-nss-no-such-db');
    expect(() => nssTool('certutil', ['-L', '-d', `sql:${missing}`])).toThrow(
      new RegExp(`certutil -L -d sql:${missing} failed \\(exit 255\\)[^]*SEC_ERROR_BAD_DATABASE`),
    );
    expect(() => nssTool('no-such-nss-tool', [])).toThrow(/no-such-nss-tool not found/);
    expect(nssTool('cat', [], 'stdin reaches the tool')).toBe('stdin reaches the tool');
  });
});

describe.each([['rsa' as const], ['ec' as const]])('%s fixture database', (keyType) => {
  const fx = fixtures[keyType];

  it('certutil -L lists exactly the ten certificates, with their trust', () => {
    const rows = certutilList(fx.db);
    expect([...rows.keys()].sort()).toEqual([...names].sort());
    expect(Object.fromEntries(rows)).toEqual(listedTrust);
  });

  it('holds the keys of every certificate it made, and none for test_untrusted', () => {
    const out = nssTool('certutil', ['-K', '-d', fx.db, '-f', fx.passwordFile]);
    for (const name of names) {
      if (name === 'test_untrusted') expect(out).not.toMatch(/\btest_untrusted\b/);
      else expect(out).toMatch(new RegExp(`\\b${name}\\b`));
    }
    expect(out.match(keyType === 'rsa' ? /<\s*\d+>\s+rsa\s/g : /<\s*\d+>\s+ec\s/g)).toHaveLength(9);
  });

  it('records the PEM and DER of each certificate, its serial and its subject', () => {
    const serials = new Set<number>();
    for (const name of names) {
      const cert = fx.certs[name];
      expect(cert.nickname).toBe(name);
      expect(cert.pemPath).toBe(path.join(fx.dir, `${name}.pem`));
      expect(cert.derPath).toBe(path.join(fx.dir, `${name}.der`));
      const serial = nssTool('openssl', ['x509', '-noout', '-serial', '-in', cert.pemPath]).trim();
      expect(serial, name).toBe(`serial=${cert.serial.toString(16).toUpperCase().padStart(2, '0')}`);
      serials.add(cert.serial);
      const subject = nssTool('openssl', [
        'x509',
        '-noout',
        '-subject',
        '-nameopt',
        'RFC2253',
        '-in',
        cert.pemPath,
      ]);
      expect(subject.trim(), name).toBe(`subject=${cert.subject}`);
      expect(new X509Certificate(fs.readFileSync(cert.derPath)).raw).toEqual(x509(fx, name).raw);
      expect(x509(fx, name).publicKey.asymmetricKeyType, name).toBe(keyType);
    }
    expect([...serials].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('has the python-nss layout: the CA, a localhost server and a client', () => {
    const ca = nssTool('openssl', [
      'x509',
      '-noout',
      '-ext',
      'basicConstraints,keyUsage',
      '-in',
      fx.certs.test_ca.pemPath,
    ]);
    expect(ca).toMatch(/Basic Constraints: critical\s+CA:TRUE, pathlen:2/);
    expect(ca).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(x509(fx, 'test_ca').issuer).toBe(x509(fx, 'test_ca').subject);
    expect(fx.certs.test_ca.subject).toBe('CN=Test CA,O=node-nss tests');

    const server = x509(fx, 'test_server');
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(server.checkIssued(x509(fx, 'test_ca'))).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const serverKU = nssTool('openssl', [
      'x509',
      '-noout',
      '-ext',
      'keyUsage',
      '-in',
      fx.certs.test_server.pemPath,
    ]);
    expect(serverKU).toContain(
      keyType === 'rsa' ? 'Digital Signature, Key Encipherment' : 'Digital Signature',
    );
    if (keyType === 'ec') expect(serverKU).not.toContain('Key Encipherment');

    const user = x509(fx, 'test_user');
    expect(user.subject).toContain('CN=test_user');
    expect(user.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);

    const intCa = nssTool('openssl', [
      'x509',
      '-noout',
      '-ext',
      'basicConstraints',
      '-in',
      fx.certs.test_int_ca.pemPath,
    ]);
    expect(intCa).toMatch(/CA:TRUE/);
    expect(x509(fx, 'test_int_ca').checkIssued(x509(fx, 'test_ca'))).toBe(true);
    expect(x509(fx, 'test_int_server').checkIssued(x509(fx, 'test_int_ca'))).toBe(true);
    expect(x509(fx, 'test_wrong_host').checkHost('localhost')).toBeUndefined();
    expect(x509(fx, 'test_wrong_usage').keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('test_untrusted comes from a CA that is not in the database', () => {
    const ca = new X509Certificate(fs.readFileSync(fx.untrustedCaPemPath));
    expect(ca.subject).toBe('O=elsewhere\nCN=Untrusted CA');
    expect(x509(fx, 'test_untrusted').checkIssued(ca)).toBe(true);
    const caFingerprint = ca.fingerprint256;
    for (const name of names) expect(x509(fx, name).fingerprint256).not.toBe(caFingerprint);
  });

  describe.each([
    ['classic', false],
    ['libpkix (-pp)', true],
  ])('vfychain, %s', (_mode, pkix) => {
    it.each([
      ['test_server', certUsageSSLServer],
      ['test_int_server', certUsageSSLServer],
      ['test_wrong_host', certUsageSSLServer],
      ['test_user', certUsageSSLClient],
      ['test_wrong_usage', certUsageSSLClient],
    ] as const)('%s verifies for usage %i', (name, usage) => {
      const r = vfychain(fx, fx.certs[name].pemPath, usage, { pkix });
      expect(r.good, r.out).toBe(true);
    });

    it.each([
      ['test_expired', 'SEC_ERROR_EXPIRED_CERTIFICATE'],
      ['test_not_yet_valid', 'SEC_ERROR_EXPIRED_CERTIFICATE'],
      ['test_wrong_usage', 'SEC_ERROR_INADEQUATE_CERT_TYPE'],
      ['test_untrusted', 'SEC_ERROR_UNKNOWN_ISSUER'],
      ['test_user', 'SEC_ERROR_INADEQUATE_CERT_TYPE'],
    ] as const)('%s fails for SSL server use with %s', (name, error) => {
      const r = vfychain(fx, fx.certs[name].pemPath, certUsageSSLServer, { pkix });
      expect(r.good, r.out).toBe(false);
      expect(r.errors, r.out).toEqual([secErrors[error]]);
    });

    it('the expired and not yet valid certificates verify inside their validity (vfychain -b)', () => {
      for (const name of ['test_expired', 'test_not_yet_valid'] as const) {
        const then = vfyTime(x509(fx, name).validFrom, 30);
        const r = vfychain(fx, fx.certs[name].pemPath, certUsageSSLServer, { pkix, extra: ['-b', then] });
        expect(r.good, `${name} at ${then}\n${r.out}`).toBe(true);
      }
    });
  });

  it('test_untrusted verifies once its CA is given as a trust anchor (vfychain -pp -t)', () => {
    // -t (explicit trust anchors) exists only for CERT_PKIXVerifyCert
    const r = vfychain(fx, fx.certs.test_untrusted.pemPath, certUsageSSLServer, {
      pkix: true,
      after: ['-t', '-a', fx.untrustedCaPemPath],
    });
    expect(r.good, r.out).toBe(true);
  });

  it('test_user.p12 holds test_user, its key and test_ca, under p12_passwd', () => {
    const out = nssTool('pk12util', ['-l', fx.userP12Path, '-W', fx.p12Password]);
    expect(out).toContain('Key(shrouded):');
    expect(out).toContain('Friendly Name: test_user');
    expect(out).toContain('Friendly Name: test_ca');
    expect(out).toContain('Certificate(has private key):');
    expect(run('pk12util', ['-l', fx.userP12Path, '-W', 'wrong']).status).not.toBe(0);
  });

  it('the PEM private keys belong to their certificates', () => {
    for (const [name, keyPath] of Object.entries(fx.keyPemPaths) as [
      keyof FixtureDB['keyPemPaths'],
      string,
    ][]) {
      const key = createPrivateKey(fs.readFileSync(keyPath));
      expect(key.asymmetricKeyType, name).toBe(keyType);
      expect(x509(fx, name).checkPrivateKey(key), name).toBe(true);
    }
  });

  it('copyFixtureDB makes an independent copy with its paths rewritten', () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-fixture-copy-'));
    temps.push(dest);
    const copy = copyFixtureDB(fx, dest);
    expect(copy.dir).toBe(dest);
    expect(copy.db).toBe(`sql:${dest}`);
    expect(copy.keyType).toBe(keyType);
    const paths = [
      copy.passwordFile,
      copy.userP12Path,
      copy.untrustedCaPemPath,
      ...Object.values(copy.certs).flatMap((c) => [c.pemPath, c.derPath]),
      ...Object.values(copy.keyPemPaths),
    ];
    for (const p of paths) {
      expect(p.startsWith(dest + path.sep), p).toBe(true);
      expect(fs.existsSync(p), p).toBe(true);
    }
    for (const file of ['cert9.db', 'key4.db', 'pkcs11.txt'])
      expect(fs.existsSync(path.join(dest, file))).toBe(true);
    expect(Object.fromEntries(certutilList(copy.db))).toEqual(listedTrust);

    nssTool('certutil', ['-D', '-d', copy.db, '-n', 'test_wrong_host']);
    expect(certutilList(copy.db).has('test_wrong_host')).toBe(false);
    expect(certutilList(fx.db).has('test_wrong_host')).toBe(true);
    const r = vfychain(copy, copy.certs.test_server.pemPath, certUsageSSLServer, { pkix: true });
    expect(r.good, r.out).toBe(true);
  });
});
