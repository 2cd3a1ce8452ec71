// A SoftHSM2 token playing the smart card: configured under a temporary directory through SOFTHSM2_CONF,
// holding client keys of the three kinds a card can carry (generated on the card, imported from PKCS#12,
// written as raw PKCS#11 objects by p11tool) and a server key, all certified by the fixture CA.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createCertificate, nssTool } from '../../src/cli/nss-tools.js';
import type { FixtureDB } from '../fixtures/nssdb.js';
import { tempDir, writableCopy } from './tools.js';

export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';
const O = 'O=node-nss tests';

export interface TokenCert {
  /** The nickname NSS gives it: `token:label`. */
  nickname: string;
  subject: string;
  pemPath: string;
}

export interface SoftToken {
  /** A database (no password) that trusts the fixture CA and holds test_server; the module is not in it. */
  db: string;
  token: string;
  pin: string;
  clients: { generated: TokenCert; pkcs12: TokenCert; p11tool: TokenCert };
  /** A server certificate for localhost whose key was generated on the token. */
  server: TokenCert;
}

/**
 * Sets SOFTHSM2_CONF for this process and its children (the module reads it when it loads) and builds the
 * token. Uses a private copy of `fx`.
 */
export function buildSoftToken(fx: FixtureDB): SoftToken {
  const dir = tempDir('softhsm');
  const conf = path.join(dir, 'softhsm2.conf');
  fs.mkdirSync(path.join(dir, 'tokens'));
  fs.writeFileSync(
    conf,
    `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = true\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  const token = 'nodetok';
  const pin = '123456';
  nssTool('softhsm2-util', [
    '--init-token',
    '--free',
    '--label',
    token,
    '--pin',
    pin,
    '--so-pin',
    '87654321',
  ]);

  // The tools reach the token through the database's module list; node-nss will load the module itself.
  const copy = writableCopy(fx);
  const emptyFile = path.join(dir, 'empty.txt');
  const pinFile = path.join(dir, 'pin.txt');
  fs.writeFileSync(emptyFile, '\n');
  fs.writeFileSync(pinFile, `${pin}\n`);
  nssTool('certutil', ['-W', '-d', copy.db, '-f', copy.passwordFile, '-@', emptyFile]);
  nssTool('modutil', ['-dbdir', copy.db, '-add', 'softhsm2', '-libfile', SOFTHSM_LIBRARY, '-force']);
  const noiseFile = path.join(dir, 'noise.bin');
  fs.writeFileSync(noiseFile, randomBytes(64));
  const onToken = { db: copy.db, passwordFile: pinFile, noiseFile };
  const inDB = { db: copy.db, passwordFile: emptyFile, noiseFile };
  const exportPem = (nickname: string): string => {
    const pemPath = path.join(dir, `${nickname.replace(':', '_')}.pem`);
    const args = ['-L', '-d', copy.db, '-n', nickname, '-a'];
    if (nickname.includes(':')) args.push('-h', token, '-f', pinFile);
    fs.writeFileSync(pemPath, nssTool('certutil', args));
    return pemPath;
  };
  const issue = (label: string, subject: string, serial: number, usage: string, san?: string): TokenCert => {
    createCertificate(onToken, {
      nickname: label,
      subject,
      serial,
      issuer: 'test_ca',
      keyType: usage === 'serverAuth' ? 'ec' : 'rsa',
      trust: ',,',
      keyUsage: 'digitalSignature',
      extKeyUsage: usage,
      san,
      token,
      validMonths: 12,
    });
    const nickname = `${token}:${label}`;
    return { nickname, subject, pemPath: exportPem(nickname) };
  };

  // (a) Key generated on the card.
  const generated = issue('client', `CN=Smartcard User,${O}`, 201, 'clientAuth');
  const server = issue('tokserver', `CN=localhost,OU=token,${O}`, 204, 'serverAuth', 'dns:localhost');

  // (b) A key and certificate made in the database, moved onto the card through PKCS#12.
  const p12 = path.join(dir, 'client2.p12');
  const subject2 = `CN=Smartcard User 2,${O}`;
  createCertificate(inDB, {
    nickname: 'client2',
    subject: subject2,
    serial: 202,
    issuer: 'test_ca',
    keyType: 'ec',
    trust: ',,',
    keyUsage: 'digitalSignature',
    extKeyUsage: 'clientAuth',
    validMonths: 12,
  });
  nssTool('pk12util', ['-o', p12, '-n', 'client2', '-d', copy.db, '-k', emptyFile, '-W', 'p12pass']);
  nssTool('certutil', ['-F', '-d', copy.db, '-n', 'client2', '-f', emptyFile]);
  nssTool('pk12util', ['-i', p12, '-d', copy.db, '-h', token, '-K', pin, '-W', 'p12pass']);
  const pkcs12 = { nickname: `${token}:client2`, subject: subject2, pemPath: exportPem(`${token}:client2`) };

  // (c) Raw PKCS#11 objects written by GnuTLS's p11tool: same CKA_ID for key and certificate.
  const key3 = path.join(dir, 'client3.key.pem');
  const csr3 = path.join(dir, 'client3.csr');
  const cert3 = path.join(dir, 'client3.pem');
  const subject3 = `CN=Smartcard User 3,${O}`;
  nssTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key3]);
  nssTool('openssl', [
    'req',
    '-new',
    '-key',
    key3,
    '-subj',
    '/O=node-nss tests/CN=Smartcard User 3',
    '-out',
    csr3,
  ]);
  nssTool('certutil', [
    ...['-C', '-d', copy.db, '-f', emptyFile, '-c', 'test_ca', '-i', csr3, '-o', cert3, '-a'],
    ...[
      '-m',
      '203',
      '-v',
      '12',
      '-Z',
      'SHA256',
      '--keyUsage',
      'digitalSignature',
      '--extKeyUsage',
      'clientAuth',
    ],
  ]);
  for (const [kind, file] of [
    ['--load-privkey', key3],
    ['--load-certificate', cert3],
  ] as const) {
    nssTool('p11tool', [
      ...['--provider', SOFTHSM_LIBRARY, '--login', `--set-pin=${pin}`, '--write'],
      ...['--label', 'client3', '--id', '0303', kind, file, `pkcs11:token=${token}`],
    ]);
  }
  fs.rmSync(key3); // the private key now lives only on the token
  const p11 = { nickname: `${token}:client3`, subject: subject3, pemPath: cert3 };

  nssTool('modutil', ['-dbdir', copy.db, '-delete', 'softhsm2', '-force']);
  return { db: copy.db, token, pin, clients: { generated, pkcs12, p11tool: p11 }, server };
}
