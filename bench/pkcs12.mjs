// How long CertDB.importPKCS12 / exportPKCS12 block the JavaScript thread, for the decision in
// docs/architecture.md (they are synchronous). The files are made as the test fixture's test_user.p12 is
// (certutil -S RSA 2048 / EC P-256 under a CA, pk12util -o with its defaults), plus what the package exports.
// Usage: node bench/pkcs12.mjs (after npm ci). Prints the median and the slowest of N runs, in ms.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import nss from 'node-nss';

const require = createRequire(import.meta.url);
const { createDatabase, createCertificate } = require('../dist/cli/nss-tools.js');

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-bench-p12-'));

function source(keyType) {
  const dir = path.join(root, keyType);
  const database = createDatabase(dir, 'DB_passwd');
  const common = { keyType, keyUsage: 'digitalSignature' };
  createCertificate(database, {
    ...common,
    nickname: 'ca',
    subject: 'CN=Bench CA',
    serial: 1,
    trust: 'CT,,CT',
    caPathLength: 2,
    keyUsage: 'certSigning,crlSigning,critical',
  });
  createCertificate(database, {
    ...common,
    nickname: 'test_user',
    subject: 'CN=test_user',
    serial: 2,
    issuer: 'ca',
    trust: 'u,u,u',
    extKeyUsage: 'clientAuth',
  });
  const file = path.join(dir, 'test_user.p12');
  execFileSync(
    'pk12util',
    ['-o', file, '-n', 'test_user', '-d', database.db, '-k', database.passwordFile, '-W', 'p12_passwd'],
    {
      stdio: 'ignore',
    },
  );
  return fs.readFileSync(file);
}

function time(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function summary(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms`;
}

for (const keyType of ['rsa', 'ec']) {
  const p12 = source(keyType);
  const imports = [];
  const exports = [];
  const reimports = [];
  for (let i = 0; i < RUNS; i++) {
    // A fresh database each run, so that every import really writes the key and certificate.
    const dir = path.join(root, `${keyType}-target-${i}`);
    createDatabase(dir, '');
    nss.init({ dbDir: `sql:${dir}`, readOnly: false, loadBuiltinRoots: false });
    const db = nss.getDefaultCertDB();
    imports.push(time(() => db.importPKCS12(p12, 'p12_passwd')));
    let exported;
    exports.push(time(() => (exported = db.exportPKCS12('test_user', 'export_pw'))));
    nss.shutdown();
    const again = path.join(root, `${keyType}-again-${i}`);
    createDatabase(again, '');
    nss.init({ dbDir: `sql:${again}`, readOnly: false, loadBuiltinRoots: false });
    reimports.push(time(() => nss.getDefaultCertDB().importPKCS12(exported, 'export_pw')));
    nss.shutdown();
  }
  console.log(`${keyType}: import pk12util's file: ${summary(imports)}`);
  console.log(`${keyType}: export:                 ${summary(exports)}`);
  console.log(`${keyType}: import the export:      ${summary(reimports)}`);
}
fs.rmSync(root, { recursive: true, force: true });
