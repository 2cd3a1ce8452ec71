import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTemps, tempDir } from './support/tools.js';

afterAll(() => removeTemps());

const root = path.join(__dirname, '..');

function node(args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

describe('package entry points', () => {
  it('require("node-nss") works through the package exports', () => {
    const out = node([
      '-e',
      "const n = require('node-nss'); n.init(); console.log(n.errorName(-8179), n.getDefaultCertDB().listCertificates().length > 0); n.shutdown()",
    ]);
    expect(out.trim()).toBe('SEC_ERROR_UNKNOWN_ISSUER true');
  });

  it('import { … } from "node-nss" works with the same objects', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "import nss, { init, shutdown, NSPRError, Certificate, certificateUsageSSLServer } from 'node-nss'; init(); console.log(NSPRError === nss.NSPRError, typeof Certificate.fromDER, certificateUsageSSLServer); shutdown();",
    ]);
    expect(out.trim()).toBe('true function 2');
  });

  it('every public name is available to both module systems', () => {
    const cjs = node(['-p', "Object.keys(require('node-nss')).sort().join(',')"]).trim();
    const esm = node([
      '--input-type=module',
      '-e',
      "import * as m from 'node-nss'; console.log(Object.keys(m).filter(k => k !== 'default').sort().join(','))",
    ]).trim();
    expect(esm).toBe(cjs);
    expect(cjs.split(',')).toEqual(
      expect.arrayContaining(['init', 'shutdown', 'CertDB', 'Certificate', 'NSPRError']),
    );
  });

  it('node-nss/tls and node-nss/register load from both module systems, with the same names', () => {
    const cjs = node(['-p', "Object.keys(require('node-nss/tls')).sort().join(',')"]).trim();
    const esm = node([
      '--input-type=module',
      '-e',
      "import * as m from 'node-nss/tls'; console.log(Object.keys(m).filter(k => k !== 'default').sort().join(','))",
    ]).trim();
    expect(esm).toBe(cjs);
    expect(cjs.split(',')).toEqual(
      expect.arrayContaining(['connect', 'createServer', 'TLSSocket', 'rootCertificates']),
    );
    // register initialises NSS on load (no database here: Mozilla's roots)
    const env = { NODE_NSS_DB: '', HOME: tempDir('register-home-') };
    expect(
      node(['--require', 'node-nss/register', '-p', "require('node-nss').isInitialized()"], env).trim(),
    ).toBe('true');
    expect(
      node(
        [
          '--import',
          'node-nss/register',
          '--input-type=module',
          '-e',
          "import { isInitialized } from 'node-nss'; console.log(isInitialized())",
        ],
        env,
      ).trim(),
    ).toBe('true');
  });

  it('the published declarations hold no `any` and no internals (engine, callbacks, mixin privates)', () => {
    const files = (fs.readdirSync(path.join(root, 'dist'), { recursive: true }) as string[]).filter((f) =>
      f.endsWith('.d.ts'),
    );
    expect(files.length).toBeGreaterThan(20);
    const found: string[] = [];
    for (const file of files) {
      // Declarations only: comments may say "any".
      const code = fs
        .readFileSync(path.join(root, 'dist', file), 'utf8')
        .replace(/\/\*[^]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      for (const pattern of [
        /\bany\b/,
        /__#private/,
        /\bget engine\(/,
        /\bcallbacks:/,
        /\bapplyHandlers\(/,
        /\binherit\(/,
      ])
        if (pattern.test(code)) found.push(`${file}: ${String(pattern)}`);
    }
    expect(found).toEqual([]);
  });

  it('TypeScript code using node-nss, node-nss/tls and undiciConnector type-checks against the published types', () => {
    const dir = tempDir('consumer-');
    fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'node-nss'));
    fs.symlinkSync(path.join(root, 'node_modules', 'undici'), path.join(dir, 'node_modules', 'undici'));
    fs.symlinkSync(
      path.join(root, 'node_modules', '@types', 'node'),
      path.join(dir, 'node_modules', '@types', 'node'),
    );
    fs.writeFileSync(
      path.join(dir, 'index.ts'),
      `import * as fs from 'node:fs';
import * as nss from 'node-nss';
import * as tls from 'node-nss/tls';
import { Agent } from 'undici';
nss.init();
const context: nss.SecureContext = nss.createSecureContext({ ca: fs.readFileSync('ca.pem') });
const server: tls.Server = tls.createServer({ key: 'k', cert: 'c', requestCert: true }, (sock: tls.TLSSocket) => {
  const cn: string | string[] | undefined = sock.getPeerCertificate().subject.CN;
  sock.end(String(cn));
});
server.listen(8443, '127.0.0.1', () => undefined);
const sock = tls.connect(8443, 'localhost', { secureContext: context }, () => undefined);
const issuer: tls.DetailedPeerCertificate = sock.getPeerCertificate(true).issuerCertificate;
const nssCert: nss.Certificate | null = sock.getPeerNSSCertificate();
const agent = new Agent({ connect: nss.undiciConnector({ allowH2: true, clientCertNickname: 'me' }) });
void [issuer, nssCert, agent];
// Typed events: each listener parameter must have a type (\`typed\` refuses \`any\`, which untyped overloads give).
const typed = <T,>(value: 0 extends 1 & T ? never : T): T => value;
server.on('OCSPRequest', (certificate, issuerDER, done) => {
  const der: Buffer = typed(certificate);
  void [der, typed(issuerDER)?.length];
  typed(done)(null, null);
});
server.on('tlsClientError', (err, tlsSocket) => typed(tlsSocket).destroy(typed(err)));
sock.on('OCSPResponse', (response) => void (typed(response) satisfies Buffer | null));
sock.once('session', (session) => sock.setSession(typed(session)));
sock.on('data', (chunk) => void typed(chunk).byteLength);
const nssServer = new nss.SSLServer();
nssServer.on('secureConnection', (accepted) => typed(accepted).end());
nssServer.on('keylog', (line, from) => void [typed(line).byteLength, typed(from).encrypted]);
`,
    );
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'node16',
          moduleResolution: 'node16',
          noEmit: true,
          types: ['node'],
        },
        files: ['index.ts'],
      }),
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    // tsc loads no native code: it runs without a sanitizer runtime the suite may preload (ten times slower).
    const { LD_PRELOAD: _preload, ...env } = process.env;
    const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', env });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
