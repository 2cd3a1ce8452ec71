// `node-nss demo`: a throwaway database with a CA, a server and a client certificate, seen through node-nss.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getDefaultCertDB } from '../pki/certdb.js';
import { certificateUsageSSLClient, certificateUsageSSLServer } from '../core/constants.js';
import { CertVerifyError } from '../pki/certificate.js';
import { init, shutdown, version } from '../nss.js';
import { createCertificate, createDatabase } from './nss-tools.js';

/** @internal */
export async function runDemo(log: (line: string) => void = console.log): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-demo-'));
  try {
    log(`node-nss ${version.package} on NSS ${version.nss}, NSPR ${version.nspr}`);
    log(`Building a throwaway NSS database in ${dir} with certutil`);
    const database = createDatabase(dir, '');
    createCertificate(database, {
      nickname: 'demo-ca',
      subject: 'CN=node-nss Demo CA',
      serial: 1,
      keyType: 'ec',
      trust: 'CT,,',
      caPathLength: 0,
      keyUsage: 'certSigning,crlSigning',
    });
    createCertificate(database, {
      nickname: 'demo-server',
      subject: 'CN=localhost',
      serial: 2,
      issuer: 'demo-ca',
      keyType: 'ec',
      trust: 'u,u,u',
      keyUsage: 'digitalSignature',
      extKeyUsage: 'serverAuth',
      san: 'dns:localhost,ip:127.0.0.1',
    });
    createCertificate(database, {
      nickname: 'demo-client',
      subject: 'CN=Demo User',
      serial: 3,
      issuer: 'demo-ca',
      keyType: 'ec',
      trust: 'u,u,u',
      keyUsage: 'digitalSignature',
      extKeyUsage: 'clientAuth',
    });

    init({ dbDir: database.db, loadBuiltinRoots: false });
    const db = getDefaultCertDB();
    for (const cert of db.listCertificates()) {
      log('');
      log(`${cert.nickname}  [trust ${db.getTrust(cert)}]`);
      log(`  subject   ${cert.subject}`);
      log(`  issuer    ${cert.issuer}`);
      log(`  serial    ${cert.serialNumber}   key ${cert.publicKeyType} ${cert.publicKeyBits} bits`);
      log(`  valid     ${cert.validNotBefore.toISOString()} .. ${cert.validNotAfter.toISOString()}`);
      if (cert.subjectAltNames.length) log(`  SANs      ${cert.subjectAltNames.join(', ')}`);
      log(`  SHA-256   ${cert.fingerprint256}`);
    }
    log('');
    const server = db.findCertFromNickname('demo-server');
    const client = db.findCertFromNickname('demo-client');
    server.verifyNow(db, true, certificateUsageSSLServer);
    log(
      `demo-server verifies for TLS server use; localhost matches: ${server.verifyHostname('localhost')}, ` +
        `example.com matches: ${server.verifyHostname('example.com')}`,
    );
    try {
      client.verifyNow(db, true, certificateUsageSSLServer);
    } catch (err) {
      if (!(err instanceof CertVerifyError)) throw err;
      log(`demo-client as a TLS server certificate: ${err.code} (${err.message})`);
    }
    log(
      `demo-client verifies for TLS client use: ${client.verifyNow(db, true, certificateUsageSSLClient) !== 0}`,
    );
    const p12 = db.exportPKCS12('demo-client', 'demo-password');
    log(`demo-client with its key exported as PKCS#12: ${p12.length} bytes`);
    log(
      `chain of demo-server: ${server
        .getChain(db)
        .map((c) => c.subjectCommonName)
        .join(' <- ')}`,
    );
  } finally {
    shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
