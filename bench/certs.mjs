// The benchmark's certificates: a throwaway NSS database with an RSA-2048 and an ECDSA P-256 set (CA,
// server, client), made with certutil through the package's own tools, and the same certificates and keys
// as PEM for node:tls, so that both libraries authenticate with identical keys.
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const { createDatabase, createCertificate } = require('../dist/cli/nss-tools.js');
const run = promisify(execFile);

/** The key types the suite measures, as certutil and the table name them. */
export const KEY_TYPES = {
  rsa: { certutil: 'rsa', label: 'RSA-2048' },
  ecdsa: { certutil: 'ec', label: 'ECDSA P-256' },
};

/** Nicknames in the NSS database; the PEM files in the same directory carry the same names. */
export const nickname = (keyType, role) => `${keyType}-${role}`;

/**
 * Makes the database and the PEM files in a new temporary directory. Returns the directory (remove it when
 * done; {@link pemPath} finds the PEM files in it) and the NSS database name.
 */
export async function makeBenchCertificates() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-bench-'));
  const database = createDatabase(dir, '');
  let serial = 1;
  for (const [keyType, { certutil }] of Object.entries(KEY_TYPES)) {
    const ca = nickname(keyType, 'ca');
    createCertificate(database, {
      nickname: ca,
      subject: `CN=Bench ${keyType} CA`,
      serial: serial++,
      keyType: certutil,
      trust: 'CT,,',
      caPathLength: 0,
      keyUsage: 'certSigning',
    });
    createCertificate(database, {
      nickname: nickname(keyType, 'server'),
      // A subject of its own per key type: NSS keeps one nickname per subject, so two 'CN=localhost'
      // certificates answered to either nickname (measured: now and then rsa-server gave the ECDSA one).
      subject: `CN=localhost,O=Bench ${keyType}`,
      serial: serial++,
      issuer: ca,
      keyType: certutil,
      trust: 'u,u,u',
      // keyEncipherment too: an RSA server certificate may serve RSA key exchange in TLS 1.2.
      keyUsage: keyType === 'rsa' ? 'digitalSignature,keyEncipherment' : 'digitalSignature',
      extKeyUsage: 'serverAuth',
      san: 'dns:localhost',
    });
    createCertificate(database, {
      nickname: nickname(keyType, 'client'),
      subject: `CN=Bench ${keyType} client`,
      serial: serial++,
      issuer: ca,
      keyType: certutil,
      trust: 'u,u,u',
      keyUsage: 'digitalSignature',
      extKeyUsage: 'clientAuth',
    });
  }
  const exports = [];
  for (const keyType of Object.keys(KEY_TYPES)) {
    for (const role of ['ca', 'server', 'client']) {
      const nick = nickname(keyType, role);
      const cert = execFileSync('certutil', ['-L', '-d', database.db, '-n', nick, '-a'], {
        encoding: 'utf8',
      });
      fs.writeFileSync(pemPath(dir, keyType, role, 'cert'), cert);
      if (role !== 'ca') exports.push(exportKey(database.db, dir, keyType, role));
    }
  }
  // Each export costs seconds of PBKDF2 (600,000 iterations): all four at once.
  await Promise.all(exports);
  return { dir, db: database.db };
}

/** NSS keeps keys inside its database: out through PKCS#12 with pk12util, then to PEM with openssl. */
async function exportKey(db, dir, keyType, role) {
  const p12 = path.join(dir, `${nickname(keyType, role)}.p12`);
  await run('pk12util', ['-o', p12, '-n', nickname(keyType, role), '-d', db, '-W', 'x']);
  // pk12util wrote the file a moment ago: skipping the MAC check saves one of openssl's two PBKDF2 runs.
  const { stdout } = await run('openssl', [
    'pkcs12',
    '-in',
    p12,
    '-nocerts',
    '-nodes',
    '-nomacver',
    '-passin',
    'pass:x',
  ]);
  fs.writeFileSync(pemPath(dir, keyType, role, 'key'), stdout);
  // node:tls gets these files: a pair that does not match would show up only as a handshake failure.
  const cert = new X509Certificate(fs.readFileSync(pemPath(dir, keyType, role, 'cert')));
  if (!cert.checkPrivateKey(createPrivateKey(stdout)))
    throw new Error(
      `bench certificates: the exported key of ${nickname(keyType, role)} is not its certificate's`,
    );
}

/** The PEM file of `nickname(keyType, role)`'s certificate (`kind` 'cert') or key ('key') in `dir`. */
export function pemPath(dir, keyType, role, kind) {
  return path.join(dir, `${nickname(keyType, role)}.${kind}.pem`);
}
