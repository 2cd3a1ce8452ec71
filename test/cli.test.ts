import * as path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { certutilList, run } from './support/tools.js';

const cli = path.join(__dirname, '..', 'dist', 'cli.js');
const fx = inject('fixtures').rsa;

function nssCli(...args: string[]) {
  return run(process.execPath, [cli, ...args]);
}

describe('node-nss command line', () => {
  it('certs lists what certutil -L lists, with the same trust', () => {
    const r = nssCli('certs', '-d', fx.db);
    expect(r.status).toBe(0);
    const rows = new Map(
      r.stdout
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => {
          const m = /^(.*?)\s{2,}(\S+)$/.exec(line);
          return [m?.[1] ?? '', m?.[2] ?? ''] as const;
        }),
    );
    expect(rows).toEqual(certutilList(fx.db));
  });

  it('verify says good or bad like vfychain, with the exit status to match', () => {
    const good = nssCli('verify', '-d', fx.db, fx.certs.test_server.pemPath);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('Chain is good!');
    const client = nssCli('verify', '-d', fx.db, 'test_user', '-u', 'sslclient');
    expect(client.status).toBe(0);
    const bad = nssCli('verify', '-d', fx.db, fx.certs.test_expired.pemPath);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('SEC_ERROR_EXPIRED_CERTIFICATE');
  });

  it('errors print the NSS name and message, never a stack trace', () => {
    const missing = nssCli('verify', '-d', fx.db, 'no_such_nickname');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      "node-nss: SEC_ERROR_UNKNOWN_CERT: no certificate named 'no_such_nickname': The requested certificate could not be found.\n",
    );
    const noDB = nssCli('certs', '-d', '/nonexistent/db');
    expect(noDB.status).toBe(1);
    expect(noDB.stderr).toMatch(/^node-nss: SEC_ERROR_BAD_DATABASE: /);
    expect(noDB.stderr).not.toMatch(/\n\s+at /);
    const usage = nssCli('frobnicate');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: node-nss');
  });

  it('demo builds its own database and shows the certificates', () => {
    const r = nssCli('demo');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('demo-server verifies for TLS server use; localhost matches: true');
    expect(r.stdout).toContain('SEC_ERROR_INADEQUATE_CERT_TYPE');
    expect(r.stdout).toMatch(/exported as PKCS#12: \d+ bytes/);
  });
});
