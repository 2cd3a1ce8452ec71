// A small PKI made by openssl as PEM files, the way a node:tls user has one: a root, an intermediate, server
// and client certificates (RSA and EC), a second root nobody trusts, and keys in the formats openssl writes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runOk, tempDir } from './tools.js';

/** The password of the PKI's PKCS #12 files (but `*.nopass.p12`). */
export const PFX_PASSPHRASE = 'pfx pass ü';

export interface PemPKI {
  dir: string;
  /** PEM text of each file, by name without its extension: `ca`, `int`, `server-ec`, `server-ec.key`, … */
  pem: Record<string, string>;
  file(name: string): string;
}

function openssl(dir: string, args: string[]): void {
  runOk(
    'openssl',
    args.map((a) => a.replaceAll('@', dir + path.sep)),
  );
}

/** Makes the PKI in a temporary directory (removed by `removeTemps`). */
export function makePemPKI(): PemPKI {
  const dir = tempDir('pem-pki-');
  const ext = (name: string, lines: string[]) =>
    fs.writeFileSync(path.join(dir, `${name}.ext`), lines.join('\n'));
  ext('ca', ['basicConstraints=critical,CA:true', 'keyUsage=critical,keyCertSign,cRLSign']);
  ext('server', ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth']);
  ext('client', ['extendedKeyUsage=clientAuth']);
  const ecKey = (name: string) =>
    openssl(dir, [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      `@${name}.key`,
    ]);
  const rsaKey = (name: string) =>
    openssl(dir, [
      'genpkey',
      '-algorithm',
      'RSA',
      '-pkeyopt',
      'rsa_keygen_bits:2048',
      '-out',
      `@${name}.key`,
    ]);
  // openssl req -x509 takes extensions from a config file
  const cnf = (name: string, extName: string) =>
    fs.writeFileSync(
      path.join(dir, `${name}.cnf`),
      `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${fs.readFileSync(path.join(dir, `${extName}.ext`), 'utf8')}\n`,
    );
  const issue = (name: string, cn: string, issuer: string, extName: string) => {
    openssl(dir, ['req', '-new', '-key', `@${name}.key`, '-subj', `/CN=${cn}`, '-out', `@${name}.csr`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `@${name}.csr`,
      '-CA',
      `@${issuer}.crt`,
      '-CAkey',
      `@${issuer}.key`,
      '-set_serial',
      String(Math.floor(Math.random() * 1e9)),
      '-days',
      '30',
      '-extfile',
      `@${extName}.ext`,
      '-out',
      `@${name}.crt`,
    ]);
  };
  /** An EC key and a self-signed certificate of it (`openssl req -x509`) with the extensions `extName`. */
  const selfSigned = (name: string, cn: string, extName: string) => {
    cnf(name, extName);
    ecKey(name);
    openssl(dir, [
      'req',
      '-x509',
      '-new',
      '-key',
      `@${name}.key`,
      '-subj',
      `/CN=${cn}`,
      '-days',
      '30',
      '-extensions',
      'v3',
      '-config',
      `@${name}.cnf`,
      '-out',
      `@${name}.crt`,
    ]);
  };
  selfSigned('ca', 'PEM Test CA', 'ca');
  selfSigned('other-ca', 'PEM Other CA', 'ca');
  // Self-signed end-entity certificates, pinned by giving them as `ca` (the usual development setup): a
  // server's, one of the same name with another key, a client's, and a version 1 one (no extensions).
  ext('self-server', [
    'basicConstraints=critical,CA:false',
    'keyUsage=critical,digitalSignature',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    'extendedKeyUsage=serverAuth',
  ]);
  ext('self-client', ['basicConstraints=critical,CA:false', 'extendedKeyUsage=clientAuth']);
  selfSigned('self-server', 'localhost', 'self-server');
  selfSigned('self-server-twin', 'localhost', 'self-server');
  selfSigned('self-client', 'self-client', 'self-client');
  ecKey('self-v1');
  openssl(dir, ['req', '-new', '-key', '@self-v1.key', '-subj', '/CN=localhost', '-out', '@self-v1.csr']);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    '@self-v1.csr',
    '-signkey',
    '@self-v1.key',
    '-days',
    '30',
    '-out',
    '@self-v1.crt',
  ]);
  // name, subject CN, issuer, extensions, key type: issued in this order (intermediates before their leaves)
  const issued: Array<[string, string, string, string, 'ec' | 'rsa']> = [
    ['int', 'PEM Intermediate CA', 'ca', 'ca', 'ec'],
    ['int2', 'PEM Second Intermediate CA', 'ca', 'ca', 'ec'],
    ['server-int2', 'localhost', 'int2', 'server', 'ec'],
    ['server-ec', 'localhost', 'ca', 'server', 'ec'],
    ['server-rsa', 'localhost', 'ca', 'server', 'rsa'],
    ['server-int', 'localhost', 'int', 'server', 'ec'],
    ['client', 'pem-client', 'ca', 'client', 'ec'],
    ['client2', 'pem-client-2', 'ca', 'client', 'ec'],
    ['other-client', 'other-client', 'other-ca', 'client', 'ec'],
    ['impostor', 'localhost', 'other-ca', 'server', 'ec'],
  ];
  for (const [name, cn, issuer, extName, keyType] of issued) {
    (keyType === 'ec' ? ecKey : rsaKey)(name);
    issue(name, cn, issuer, extName);
  }
  // The same keys as openssl's other encodings, and one NSS cannot use.
  openssl(dir, ['pkey', '-in', '@server-rsa.key', '-traditional', '-out', '@server-rsa.pkcs1.key']);
  openssl(dir, ['ec', '-in', '@server-ec.key', '-out', '@server-ec.sec1.key']);
  openssl(dir, [
    'pkey',
    '-in',
    '@server-ec.key',
    '-aes256',
    '-passout',
    'pass:secret pass',
    '-out',
    '@server-ec.enc.key',
  ]);
  openssl(dir, ['pkey', '-in', '@server-rsa.key', '-outform', 'DER', '-out', '@server-rsa.der']);
  openssl(dir, ['genpkey', '-algorithm', 'ED25519', '-out', '@ed25519.key']);
  // PKCS #12 files (`pfx`), as the tools write them. OpenSSL 3's default: PBES2 with AES-256 and a SHA-256 MAC.
  const p12 = (out: string, name: string, extra: string[]) =>
    openssl(dir, [
      'pkcs12',
      '-export',
      '-inkey',
      `@${name}.key`,
      '-in',
      `@${name}.crt`,
      '-name',
      name,
      ...extra,
      '-out',
      `@${out}`,
    ]);
  p12('server-int.p12', 'server-int', ['-certfile', '@int.crt', '-passout', `pass:${PFX_PASSPHRASE}`]);
  // PKCS #12's own encryption (a BMPString password) and a SHA-1 MAC, as older tools write.
  p12('client.3des.p12', 'client', [
    '-keypbe',
    'PBE-SHA1-3DES',
    '-certpbe',
    'PBE-SHA1-3DES',
    '-macalg',
    'sha1',
    '-passout',
    `pass:${PFX_PASSPHRASE}`,
  ]);
  p12('server-rsa.nopass.p12', 'server-rsa', ['-passout', 'pass:']);
  p12('client-ca.p12', 'client', ['-certfile', '@ca.crt', '-passout', `pass:${PFX_PASSPHRASE}`]);
  openssl(dir, [
    'pkcs12',
    '-export',
    '-nokeys',
    '-in',
    '@ca.crt',
    '-passout',
    `pass:${PFX_PASSPHRASE}`,
    '-out',
    '@ca-only.p12',
  ]);
  // Files whose key bag and certificates carry no localKeyID (`-nocerts -certfile`): which certificate the
  // key belongs to only the keys themselves say. The impostor's key with server-ec's certificate; server-ec's
  // own; and the intermediate's key with the leaf it issued and itself (node:tls serves the intermediate).
  const bare = (out: string, keyName: string, certFile: string) =>
    openssl(dir, [
      'pkcs12',
      '-export',
      '-nocerts',
      '-inkey',
      `@${keyName}.key`,
      '-certfile',
      `@${certFile}`,
      '-passout',
      `pass:${PFX_PASSPHRASE}`,
      '-out',
      `@${out}`,
    ]);
  bare('server-ec.mismatched.p12', 'impostor', 'server-ec.crt');
  bare('server-ec.bare.p12', 'server-ec', 'server-ec.crt');
  fs.writeFileSync(
    path.join(dir, 'server-int-and-int.pem'),
    fs.readFileSync(path.join(dir, 'server-int.crt'), 'utf8') +
      fs.readFileSync(path.join(dir, 'int.crt'), 'utf8'),
  );
  bare('int-key.bare.p12', 'int', 'server-int-and-int.pem');
  // pk12util writes BER (indefinite lengths, OCTET STRINGs in pieces): NSS's encoder streams.
  const db = path.join(dir, 'p12db');
  fs.mkdirSync(db);
  runOk('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  runOk('pk12util', ['-i', path.join(dir, 'server-int.p12'), '-d', `sql:${db}`, '-W', PFX_PASSPHRASE]);
  runOk('pk12util', [
    '-o',
    path.join(dir, 'server-int.nss.p12'),
    '-n',
    'server-int',
    '-d',
    `sql:${db}`,
    '-W',
    PFX_PASSPHRASE,
  ]);
  const pem: Record<string, string> = {};
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith('.crt')) pem[file.slice(0, -4)] = fs.readFileSync(path.join(dir, file), 'utf8');
    else if (file.endsWith('.key')) pem[file] = fs.readFileSync(path.join(dir, file), 'utf8');
  }
  return { dir, pem, file: (name) => path.join(dir, name) };
}
