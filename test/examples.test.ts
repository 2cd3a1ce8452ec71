// Every example in examples/ compiled and run as a user would, against real peers: NSS's certutil, vfychain
// and selfserv, openssl, node:https, SoftHSM2.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { removeTemps, run, runAsync, runOk, tempDir } from './support/tools.js';
import { interactive, spawnPeer } from './support/peers.js';
import { buildSoftToken, SOFTHSM_LIBRARY, type SoftToken } from './support/softhsm.js';
import { freePort, waitForPort } from './support/tls.js';

const root = path.join(__dirname, '..');
const built = path.join(root, 'build', 'examples');
const PASSWORD = 'Example-pass-1'; // strong enough for FIPS mode's rules too

function example(name: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  return runAsync(process.execPath, [path.join(built, `${name}.mjs`), ...args], opts);
}

/** Starts an example that serves until SIGTERM; resolves with its port once it printed "listening on". */
async function serving(
  name: string,
  args: string[],
): Promise<{
  port: number;
  output: () => string;
  seen: (pattern: RegExp) => Promise<void>;
  stop: () => void;
}> {
  const peer = interactive(spawnPeer(process.execPath, [path.join(built, `${name}.mjs`), ...args]));
  await peer.seen(/listening on \d+/);
  return {
    port: Number(/listening on (\d+)/.exec(peer.output())?.[1]),
    output: peer.output,
    seen: (pattern) => peer.seen(pattern),
    stop: peer.stop,
  };
}

let dir: string;
let db: string;
let pwfile: string;

beforeAll(async () => {
  // The examples as a user builds them: their own tsconfig, importing the package by name. tsc loads no native
  // code: it runs without the sanitizer preload of a sanitized run (which made it take 90 s).
  const { LD_PRELOAD: _preload, ...env } = process.env;
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'examples'],
    { cwd: root, env, stdio: 'pipe' },
  );
  dir = tempDir('examples-db');
  db = `sql:${dir}`;
  pwfile = path.join(dir, 'pw.txt');
  fs.writeFileSync(pwfile, `${PASSWORD}\n`);
  const r = await example('setup-certs', ['--db', dir, '--password', PASSWORD]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 120_000);
afterAll(() => removeTemps());

describe('examples', () => {
  it('setup-certs makes a database that certutil reads: CA trust, certificates with their keys', () => {
    const certs = runOk('certutil', ['-L', '-d', db]);
    expect(certs).toMatch(/example-ca\s+CTu,Cu,Cu/);
    expect(certs).toMatch(/server\s+u,u,u/);
    expect(certs).toMatch(/client\s+u,u,u/);
    const keys = runOk('certutil', ['-K', '-d', db, '-f', pwfile]);
    for (const label of ['example-ca', 'server', 'client']) expect(keys).toContain(label);
    expect(fs.readFileSync(path.join(dir, 'ca.pem'), 'latin1')).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('ssl-example (python-nss): client auth both ways, the callbacks fire, one exchange', async () => {
    const r = await example('ssl-example', ['--db', dir, '--password', PASSWORD]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /client: server certificate CN=localhost,O=node-nss examples verified; hostname ok: true/,
    );
    expect(r.stdout).toMatch(/server: client certificate CN=Example User,O=node-nss examples is valid/);
    expect(r.stdout).toMatch(/client: handshake complete: tls1\.3 TLS_\w+/);
    expect(r.stdout).toContain('client: server said "Goodbye Hello"');
  });

  it('verify-cert (python-nss) agrees with vfychain, and gives the reason', async () => {
    const pem = path.join(dir, 'server.pem');
    fs.writeFileSync(pem, runOk('certutil', ['-L', '-d', db, '-n', 'server', '-a']));
    for (const [usage, vfychainUsage] of [
      ['sslserver', '1'],
      ['sslclient', '0'],
    ] as const) {
      const ours = await example('verify-cert', ['--db', dir, pem, '--usage', usage]);
      const theirs = run('vfychain', ['-d', db, '-u', vfychainUsage, '-a', pem]);
      expect(ours.status === 0, usage).toBe(theirs.status === 0);
    }
    const bad = await example('verify-cert', ['--db', dir, pem, '--usage', 'sslclient']);
    expect(bad.stdout).toContain('sslclient: SEC_ERROR_INADEQUATE_CERT_TYPE');
    expect(bad.stdout).toMatch(/valid for: sslserver/);
  });

  it('verify-server (python-nss) against selfserv: the chain, a good verdict; an untrusted one without the DB', async () => {
    const port = await freePort();
    const selfserv = spawnPeer('selfserv', ['-d', db, '-n', 'server', '-p', String(port), '-w', PASSWORD]);
    try {
      await waitForPort(port);
      const good = await example('verify-server', [`localhost:${port}`, '--db', db]);
      expect(good.status).toBe(0);
      expect(good.stdout).toContain('0: CN=localhost,O=node-nss examples');
      expect(good.stdout).toContain('verdict: valid for TLS servers, name matches');
      const untrusted = await example('verify-server', [`localhost:${port}`]);
      expect(untrusted.status).toBe(1);
      // selfserv sends the CA with the chain: NSS finds the issuer, and that it is not trusted.
      expect(untrusted.stdout).toMatch(/verdict: SEC_ERROR_UNTRUSTED_ISSUER/);
    } finally {
      selfserv.stop();
    }
  });

  it('https-server-client-auth answers node:https with a client certificate, and refuses one without', async () => {
    // The client's key and certificate as PEM, through PKCS #12: what a node:https user would have.
    const p12 = path.join(dir, 'client.p12');
    runOk('pk12util', ['-o', p12, '-n', 'client', '-d', db, '-k', pwfile, '-W', 'p12']);
    const key = runOk('openssl', ['pkcs12', '-in', p12, '-nocerts', '-nodes', '-passin', 'pass:p12']);
    const cert = runOk('openssl', ['pkcs12', '-in', p12, '-clcerts', '-nokeys', '-passin', 'pass:p12']);
    const server = await serving('https-server-client-auth', [
      '--db',
      dir,
      '--password',
      PASSWORD,
      '--port',
      '0',
    ]);
    try {
      const get = (withCert: boolean) =>
        new Promise<string>((resolve, reject) => {
          https
            .get(
              {
                host: '127.0.0.1',
                port: server.port,
                servername: 'localhost',
                ca: fs.readFileSync(path.join(dir, 'ca.pem')),
                ...(withCert ? { key, cert } : {}),
                agent: false,
              },
              (res) => {
                let body = '';
                res.setEncoding('utf8');
                res.on('data', (d: string) => (body += d));
                res.on('end', () => resolve(body));
              },
            )
            .on('error', reject);
        });
      expect(await get(true)).toBe('hello Example User, over TLSv1.3\n');
      await expect(get(false)).rejects.toThrow();
      await server.seen(/refused: the client sent no certificate/);
      // undici fetch over NSS, with the client certificate from the database.
      const fetched = await example('undici-fetch', [
        `https://localhost:${server.port}/`,
        ...['--db', db, '--password', PASSWORD, '--nickname', 'client'],
      ]);
      expect(fetched.stderr).toBe('');
      expect(fetched.stdout).toBe('200 text/plain\nhello Example User, over TLSv1.3\n\n');
    } finally {
      server.stop();
    }
  });

  it('ws-echo: a WebSocket round trip over NSS on both ends', async () => {
    const r = await example('ws-echo', ['--db', dir, '--password', PASSWORD]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('echo: hello over NSS\n');
  });

  it('fips-service switches its database to FIPS mode and serves openssl s_client in the FIPS profile', async () => {
    const fipsDir = tempDir('examples-fips');
    fs.cpSync(dir, fipsDir, { recursive: true });
    const server = await serving('fips-service', ['--db', fipsDir, '--password', PASSWORD, '--port', '0']);
    try {
      expect(server.output()).toContain('FIPS mode: true');
      const client = await runAsync('openssl', [
        ...['s_client', '-connect', `127.0.0.1:${server.port}`, '-servername', 'localhost'],
        ...['-CAfile', path.join(dir, 'ca.pem'), '-verify_return_error', '-quiet'],
      ]);
      expect(client.stdout).toMatch(/^TLSv1\.3 TLS_AES_(128|256)_GCM_SHA(256|384) fips=true\n/);
    } finally {
      server.stop();
    }
    // The switch is recorded in the database, as modutil sees it.
    expect(runOk('modutil', ['-dbdir', `sql:${fipsDir}`, '-chkfips', 'true'])).toMatch(/FIPS mode enabled/);
  });

  describe('with a smart card', () => {
    let card: SoftToken;
    const fx = inject('fixtures').rsa;
    beforeAll(() => {
      card = buildSoftToken(fx);
    });

    it('https-smartcard: the card logs in once and its key authenticates an https.get', async () => {
      const port = await freePort();
      const server = https.createServer(
        {
          cert: fs.readFileSync(fx.certs.test_server.pemPath),
          key: fs.readFileSync(fx.keyPemPaths.test_server),
          ca: fs.readFileSync(fx.certs.test_ca.pemPath),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (req, res) => {
          const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
          res.end(`card user: ${peer.subject.CN}`);
        },
      );
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      try {
        const r = await example('https-smartcard', [
          ...['--module', SOFTHSM_LIBRARY, '--nickname', card.clients.generated.nickname, '--pin', card.pin],
          ...['--ca', fx.certs.test_ca.pemPath, `https://localhost:${port}/`],
        ]);
        expect(r.stdout).toBe('200 card user: Smartcard User\n');
        expect(r.stderr.match(/PIN for nodetok requested/g)?.length).toBe(1);
        expect(r.status).toBe(0);
      } finally {
        server.close();
      }
    });
  });
});
