// python-nss's verify_server.py in TypeScript: connect to a TLS server, verify its certificate in an
// auth-certificate callback, print the chain and what the verification found, and whether the name matches.
//
//   node build/examples/verify-server.mjs example.com:443 [--db /etc/pki/nssdb]
import { parseArgs } from 'node:util';
import {
  CertVerifyError,
  SSLSocket,
  certificateUsageSSLServer,
  getDefaultCertDB,
  init,
  shutdown,
} from 'node-nss';

const { values, positionals } = parseArgs({ options: { db: { type: 'string' } }, allowPositionals: true });
const [host, portText = '443'] = (positionals[0] ?? '').split(':');
if (!host) throw new Error('usage: verify-server <host[:port]> [--db <dir>]');
init(values.db ? { dbDir: values.db } : {}); // the database's trust, and Mozilla's root store
const db = getDefaultCertDB();

let verdict = 'not checked';
const sock = new SSLSocket();
sock.setHostname(host);
sock.setAuthCertificateCallback((s, checkSig) => {
  const chain = s.getPeerCertificateChain();
  chain.forEach((cert, depth) => console.log(`  ${depth}: ${cert.subject}  (issuer ${cert.issuer})`));
  const leaf = chain[0];
  if (leaf === undefined) return false;
  try {
    leaf.verifyNow(db, checkSig, certificateUsageSSLServer);
    verdict = leaf.verifyHostname(host)
      ? 'valid for TLS servers, name matches'
      : `name does not match ${host}`;
  } catch (err) {
    if (!(err instanceof CertVerifyError)) throw err;
    verdict = `${err.code}: ${err.message}`;
    for (const entry of err.log)
      console.log(`    depth ${entry.depth}: ${entry.cert.subject}: ${entry.error.code}`);
  }
  return verdict.startsWith('valid');
});
// As python-nss: a failed auth callback goes to the bad-certificate callback; accept here to report it.
sock.setBadCertCallback(() => true);
console.log(`${host}:${portText}`);
try {
  await sock.connect({ host, port: Number(portText) });
  await sock.forceHandshake({ timeout: 10_000 });
  console.log(`verdict: ${verdict}`);
  console.log(`channel: ${sock.connectionInfoString()}`);
} finally {
  sock.destroy();
  shutdown();
}
process.exitCode = verdict.startsWith('valid') ? 0 : 1;
