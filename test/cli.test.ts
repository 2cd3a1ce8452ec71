import * as path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { certutilList, run } from './support/tools.js';
import type { ChildProcess } from 'node:child_process';
import { interactive, spawnPeer, type Interactive } from './support/peers.js';

const cli = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
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

  describe('serve and connect', () => {
    async function serve(
      ...args: string[]
    ): Promise<{ port: number; peer: Interactive; proc: ChildProcess }> {
      const spawned = spawnPeer(process.execPath, [
        cli,
        'serve',
        '-d',
        fx.db,
        '-w',
        fx.password,
        '-p',
        '0',
        ...args,
      ]);
      const peer = interactive(spawned);
      await peer.seen(/listening on \d+/);
      const port = Number(/listening on (\d+)/.exec(peer.output())?.[1]);
      return { port, peer, proc: spawned.proc };
    }

    it('serve echoes for openssl s_client and for connect, and logs the client certificate it required', async () => {
      const { port, peer } = await serve('-n', 'test_server', '--require-cert');
      try {
        const viaConnect = run(
          process.execPath,
          [cli, 'connect', `localhost:${port}`, '-d', fx.db, '-w', fx.password, '-n', 'test_user'],
          'ping over node-nss\n',
        );
        expect(viaConnect.stdout).toBe('ping over node-nss\n');
        expect(viaConnect.stderr).toMatch(
          /^connected to localhost:\d+: tls1\.3 TLS_\S+; peer: CN=localhost,O=node-nss tests; verified: yes\n$/,
        );
        expect(viaConnect.status).toBe(0);
        await peer.seen(/peer: CN=test_user,O=node-nss tests; verified: yes/);
        const viaOpenSSL = interactive(
          spawnPeer('openssl', [
            ...['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-servername', 'localhost'],
            ...['-CAfile', fx.certs.test_ca.pemPath, '-verify_return_error'],
            ...['-cert', fx.certs.test_user.pemPath, '-key', fx.keyPemPaths.test_user],
          ]),
        );
        try {
          viaOpenSSL.command('ping over openssl');
          await viaOpenSSL.seen(/ping over openssl/);
        } finally {
          viaOpenSSL.stop();
        }
        const refused = run(
          process.execPath,
          [cli, 'connect', `localhost:${port}`, '-d', fx.db],
          'no certificate\n',
        );
        expect(refused.status).toBe(1);
        expect(refused.stderr).toMatch(/^node-nss: SSL_ERROR_\w+: /m);
      } finally {
        peer.stop();
      }
    });

    it('connect verifies the host name unless --insecure; serve stops cleanly on SIGTERM', async () => {
      const { port, peer, proc } = await serve('-n', 'test_wrong_host');
      try {
        const strict = run(process.execPath, [cli, 'connect', `localhost:${port}`, '-d', fx.db], 'x\n');
        expect(strict.status).toBe(1);
        expect(strict.stderr).toMatch(/^node-nss: SSL_ERROR_BAD_CERT_DOMAIN: /);
        const insecure = run(
          process.execPath,
          [cli, 'connect', `localhost:${port}`, '-d', fx.db, '--insecure', '--alpn', 'h2,http/1.1'],
          'x\n',
        );
        expect(insecure.status).toBe(0);
        expect(insecure.stdout).toBe('x\n');
        expect(insecure.stderr).toContain('verified: no (SSL_ERROR_BAD_CERT_DOMAIN)');
        const exited = new Promise<number | null>((resolve) =>
          proc.once('exit', (code: number | null) => resolve(code)),
        );
        proc.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        peer.stop();
      }
    });

    it('bad command lines are usage errors', () => {
      expect(nssCli('connect').status).toBe(2);
      expect(nssCli('connect', 'no-port').stderr).toContain('connect takes host:port');
      expect(nssCli('serve', '-d', fx.db).stderr).toContain('serve needs -d dbdir and -n nickname');
    });
  });
});
