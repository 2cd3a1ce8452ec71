// Makes an NSS database for the other examples, as python-nss's setup_certs.py does: a CA trusted for TLS, a
// server certificate for localhost and a client certificate, all issued by node-nss itself (no certutil).
//
//   node build/examples/setup-certs.mjs --db /tmp/example-db [--password secret]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createCertificate, generateKeyPair, getDefaultCertDB, init, pemEncode, shutdown } from 'node-nss';

const { values } = parseArgs({
  options: { db: { type: 'string' }, password: { type: 'string', default: '' } },
});
if (!values.db) throw new Error('usage: setup-certs --db <dir> [--password <password>]');
fs.mkdirSync(values.db, { recursive: true });

// Read-write on an empty directory makes a new database; its first password is `password`.
init({ dbDir: `sql:${values.db}`, readOnly: false, loadBuiltinRoots: false, password: values.password });
const db = getDefaultCertDB();

const caKey = await generateKeyPair({ type: 'ec', curve: 'P-384', nickname: 'example-ca' });
const ca = createCertificate({
  subject: 'CN=Example CA,O=node-nss examples',
  publicKeyFrom: caKey,
  isCA: true,
});
db.importCertificate(ca, { nickname: 'example-ca', trust: 'CT,C,C' });

for (const [nickname, subject, extra] of [
  [
    'server',
    'CN=localhost,O=node-nss examples',
    { subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'], extKeyUsage: ['serverAuth'] },
  ],
  ['client', 'CN=Example User,O=node-nss examples', { extKeyUsage: ['clientAuth'] }],
] as const) {
  const key = await generateKeyPair({ type: 'rsa', bits: 2048, nickname });
  const cert = createCertificate({
    subject,
    publicKeyFrom: key,
    issuer: { certificate: ca, key: caKey },
    ...extra,
  });
  db.importCertificate(cert, { nickname }); // lands next to its key, which takes the nickname as its label
}
// The CA as PEM, for peers that do not read NSS databases (openssl, curl, node:tls).
fs.writeFileSync(path.join(values.db, 'ca.pem'), pemEncode(ca.derData, 'CERTIFICATE'));
for (const cert of db.listCertificates())
  console.log(`${cert.nickname}: ${cert.subject} [${db.getTrust(cert)}]`);
shutdown();
