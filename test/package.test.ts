import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

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
});
