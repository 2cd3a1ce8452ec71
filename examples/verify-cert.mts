// python-nss's verify_cert.py in TypeScript: verify a certificate (PEM or DER file, or a nickname) for one
// usage, print every usage it is valid for, and on failure the reason NSS gives for each certificate.
//
//   node build/examples/verify-cert.mjs --db /tmp/example-db server.pem [--usage sslclient]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CertVerifyError,
  Certificate,
  certificateUsageCheckAllUsages,
  certificateUsageEmailRecipient,
  certificateUsageEmailSigner,
  certificateUsageObjectSigner,
  certificateUsageSSLCA,
  certificateUsageSSLClient,
  certificateUsageSSLServer,
  getDefaultCertDB,
  init,
  shutdown,
} from 'node-nss';

const USAGES: Record<string, number> = {
  sslserver: certificateUsageSSLServer,
  sslclient: certificateUsageSSLClient,
  sslca: certificateUsageSSLCA,
  emailsigner: certificateUsageEmailSigner,
  emailrecipient: certificateUsageEmailRecipient,
  objectsigner: certificateUsageObjectSigner,
};
const { values, positionals } = parseArgs({
  options: { db: { type: 'string' }, usage: { type: 'string', default: 'sslserver' } },
  allowPositionals: true,
});
const target = positionals[0];
const usage = USAGES[values.usage];
if (!target || usage === undefined)
  throw new Error('usage: verify-cert [--db <dir>] <file | nickname> [--usage <usage>]');
init(values.db ? { dbDir: `sql:${values.db}` } : {});
const db = getDefaultCertDB();
const file = fs.existsSync(target) ? fs.readFileSync(target) : undefined;
const cert =
  file === undefined
    ? db.findCertFromNickname(target)
    : file.includes('-----BEGIN')
      ? Certificate.fromPEM(file.toString('latin1'))
      : Certificate.fromDER(file);
console.log(`subject: ${cert.subject}\nissuer:  ${cert.issuer}`);

// With certificateUsageCheckAllUsages NSS reports every usage the certificate is good for.
let all = 0;
try {
  all = cert.verifyNow(db, true, certificateUsageCheckAllUsages);
} catch (err) {
  if (!(err instanceof CertVerifyError)) throw err;
}
console.log(
  `valid for: ${
    Object.keys(USAGES)
      .filter((name) => (all & (USAGES[name] ?? 0)) !== 0)
      .join(', ') || 'nothing'
  }`,
);
try {
  cert.verifyNow(db, true, usage);
  console.log(`${values.usage}: good`);
} catch (err) {
  if (!(err instanceof CertVerifyError)) throw err;
  console.log(`${values.usage}: ${err.code}`);
  for (const entry of err.log)
    console.log(`  depth ${entry.depth} ${entry.cert.subject}: ${entry.error.code}`);
  process.exitCode = 1;
}
shutdown();
