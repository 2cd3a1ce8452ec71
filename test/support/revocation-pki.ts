// A PKI for revocation checks, made by openssl: a CA, leaves whose AIA names an OCSP responder (openssl ocsp,
// run by the test), leaves whose AIA names a port nothing answers on, leaves without AIA, the CA's CRL, a CRL
// forged by another key under the CA's name, and stapled responses made offline by openssl ocsp.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnPeer, type PeerProcess } from './peers.js';
import { runOk, tempDir } from './tools.js';

export interface RevocationPKI {
  dir: string;
  file(name: string): string;
  pem(name: string): string;
  /** The port the `ocsp` leaves' AIA names (see {@link startResponder}). */
  responderPort: number;
  /** The port the `silent` leaves' AIA names: nothing listens there. */
  silentPort: number;
  /** DER OCSP responses made offline for a leaf, by leaf name (`silent-good`, `silent-revoked`). */
  staple(name: string): Buffer;
}

/** Leaves: name → [serial, AIA kind, revoked, extended key usage]. */
const LEAVES = {
  'ocsp-good': [0x1001, 'responder', false, 'serverAuth'],
  'ocsp-revoked': [0x1002, 'responder', true, 'serverAuth'],
  'silent-good': [0x1003, 'silent', false, 'serverAuth'],
  'silent-revoked': [0x1004, 'silent', true, 'serverAuth'],
  'noaia-good': [0x1005, 'none', false, 'serverAuth'],
  'noaia-revoked': [0x1006, 'none', true, 'serverAuth'],
  'client-good': [0x1007, 'responder', false, 'clientAuth'],
  'client-revoked': [0x1008, 'responder', true, 'clientAuth'],
} as const;

export type LeafName = keyof typeof LEAVES;

function openssl(dir: string, args: string[]): string {
  return runOk(
    'openssl',
    args.map((a) => a.replaceAll('@', dir + path.sep)),
  );
}

function caConfig(dir: string, index: string): string {
  const file = path.join(dir, `${index}.cnf`);
  fs.writeFileSync(
    file,
    [
      '[ca]',
      'default_ca = ca_default',
      '[ca_default]',
      `database = ${path.join(dir, `${index}.txt`)}`,
      'default_md = sha256',
      'default_crl_days = 7',
      '',
    ].join('\n'),
  );
  return file;
}

export function makeRevocationPKI(responderPort: number, silentPort: number): RevocationPKI {
  const dir = tempDir('revocation-pki');
  const cnf = (name: string, lines: string[]) =>
    fs.writeFileSync(path.join(dir, name), lines.join('\n') + '\n');
  cnf('ca.cnf', [
    '[req]',
    'distinguished_name=dn',
    '[dn]',
    '[v3]',
    'basicConstraints=critical,CA:true',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  // The CA, and a forger: another key under the same name.
  for (const name of ['ca', 'forger']) {
    openssl(dir, [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...[
        '-keyout',
        `@${name}.key`,
        '-out',
        `@${name}.crt`,
        '-subj',
        '/CN=Revocation Test CA',
        '-days',
        '30',
      ],
      ...['-extensions', 'v3', '-config', '@ca.cnf'],
    ]);
  }
  const index: string[] = [];
  const forgedIndex: string[] = [];
  const laterIndex: string[] = [];
  for (const [name, [serial, aia, revoked, eku]] of Object.entries(LEAVES)) {
    const ext = [
      'basicConstraints=CA:false',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${eku}`,
      eku === 'serverAuth' ? 'subjectAltName=DNS:localhost,IP:127.0.0.1' : 'subjectAltName=DNS:client.test',
    ];
    if (aia !== 'none')
      ext.push(
        `authorityInfoAccess=OCSP;URI:http://127.0.0.1:${aia === 'responder' ? responderPort : silentPort}/`,
      );
    cnf(`${name}.ext`, ext);
    const cn = eku === 'serverAuth' ? 'localhost' : name;
    openssl(dir, [
      ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', `@${name}.key`, '-out', `@${name}.csr`, '-subj', `/CN=${cn}`],
    ]);
    openssl(dir, [
      ...['x509', '-req', '-in', `@${name}.csr`, '-CA', '@ca.crt', '-CAkey', '@ca.key'],
      ...['-set_serial', String(serial), '-days', '30', '-extfile', `@${name}.ext`, '-out', `@${name}.crt`],
    ]);
    const hex = serial.toString(16).toUpperCase();
    // openssl's index.txt: status, expiry, revocation time, serial (hex), file, subject.
    index.push(
      [
        revoked ? 'R' : 'V',
        '300101000000Z',
        revoked ? '260101000000Z' : '',
        hex,
        'unknown',
        `/CN=${cn}`,
      ].join('\t'),
    );
    // The CA's next CRL revokes client-good as well.
    const later = revoked || name === 'client-good';
    laterIndex.push(
      [later ? 'R' : 'V', '300101000000Z', later ? '260101000000Z' : '', hex, 'unknown', `/CN=${cn}`].join(
        '\t',
      ),
    );
    // The forger "revokes" every good certificate.
    if (!revoked)
      forgedIndex.push(['R', '300101000000Z', '260101000000Z', hex, 'unknown', `/CN=${cn}`].join('\t'));
  }
  fs.writeFileSync(path.join(dir, 'index.txt'), index.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'forged.txt'), forgedIndex.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'later.txt'), laterIndex.join('\n') + '\n');
  // Several leaves are CN=localhost: openssl ca and openssl ocsp read this from the index's .attr file.
  for (const file of ['index.txt.attr', 'forged.txt.attr', 'later.txt.attr'])
    fs.writeFileSync(path.join(dir, file), 'unique_subject = no\n');
  // The CA's CRL dates from two hours ago, so that its next one (later.crl) is the newer: NSS's CRL cache uses
  // the newest CRL of an issuer it holds.
  const stamp = (date: Date) => date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  const now = Date.now();
  openssl(dir, [
    ...['ca', '-gencrl', '-config', caConfig(dir, 'index'), '-cert', '@ca.crt', '-keyfile', '@ca.key'],
    ...[
      '-crl_lastupdate',
      stamp(new Date(now - 2 * 3600_000)),
      '-crl_nextupdate',
      stamp(new Date(now + 7 * 86400_000)),
    ],
    ...['-out', '@ca.crl'],
  ]);
  openssl(dir, [
    ...['ca', '-gencrl', '-config', caConfig(dir, 'later'), '-cert', '@ca.crt', '-keyfile', '@ca.key'],
    ...['-out', '@later.crl'],
  ]);
  openssl(dir, [
    ...[
      'ca',
      '-gencrl',
      '-config',
      caConfig(dir, 'forged'),
      '-cert',
      '@forger.crt',
      '-keyfile',
      '@forger.key',
    ],
    ...['-out', '@forged.crl'],
  ]);
  // Responses a server staples: made from a request, by openssl ocsp as a responder that reads the request
  // from a file.
  for (const name of ['silent-good', 'silent-revoked']) {
    openssl(dir, [
      'ocsp',
      '-issuer',
      '@ca.crt',
      '-cert',
      `@${name}.crt`,
      '-no_nonce',
      '-reqout',
      `@${name}.req`,
    ]);
    openssl(dir, [
      ...['ocsp', '-index', '@index.txt', '-rsigner', '@ca.crt', '-rkey', '@ca.key', '-CA', '@ca.crt'],
      ...['-reqin', `@${name}.req`, '-respout', `@${name}.ocsp`, '-ndays', '1'],
    ]);
  }
  return {
    dir,
    file: (name) => path.join(dir, name),
    pem: (name) => fs.readFileSync(path.join(dir, name), 'utf8'),
    responderPort,
    silentPort,
    staple: (name) => fs.readFileSync(path.join(dir, `${name}.ocsp`)),
  };
}

/** openssl ocsp answering for the CA on `pki.responderPort`, signing with the CA's key. */
export async function startResponder(pki: RevocationPKI): Promise<PeerProcess & { requests: () => number }> {
  const peer = spawnPeer('openssl', [
    ...['ocsp', '-index', pki.file('index.txt'), '-port', String(pki.responderPort)],
    ...[
      '-rsigner',
      pki.file('ca.crt'),
      '-rkey',
      pki.file('ca.key'),
      '-CA',
      pki.file('ca.crt'),
      '-ignore_err',
    ],
    ...['-nmin', '5'],
  ]);
  // Not probed with a connection: openssl ocsp -ignore_err spins on a connection closed without a request
  // (measured: 100% CPU from then on). It says when it listens.
  await stdoutText(peer, /ACCEPT/, 10_000);
  return { ...peer, requests: () => peer.stderr().split('Received request').length - 1 };
}

function stdoutText(peer: PeerProcess, pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pattern.test(Buffer.concat(peer.stdout).toString())) return;
      clearTimeout(timer);
      peer.proc.stdout?.removeListener('data', check);
      resolve();
    };
    const timer = setTimeout(() => reject(new Error(`openssl ocsp did not start: ${peer.stderr()}`)), ms);
    peer.proc.stdout?.on('data', check);
    check();
  });
}
