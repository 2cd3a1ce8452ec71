// `node --import node-nss/register`: an app that calls Node's own fetch and https.get, unchanged, against
// openssl s_server -www — trusted through an NSS database given by environment variables, refused with
// NSS's code when the database does not trust it, and with a client certificate from the database or from a
// SoftHSM2 token (logging in with the PIN from the environment).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, waitForPort } from '../support/tls.js';
import { spawnPeer, type PeerProcess } from '../support/peers.js';
import { buildSoftToken, SOFTHSM_LIBRARY, type SoftToken } from '../support/softhsm.js';
import { emptyDB, removeTemps, runOk, writableCopy } from '../support/tools.js';
import type { FixtureDB } from '../fixtures/nssdb.js';

const root = path.join(__dirname, '..', '..');
let fx: FixtureDB;
let card: SoftToken;
const peers: PeerProcess[] = [];

beforeAll(() => {
  fx = writableCopy(inject('fixtures').rsa);
  card = buildSoftToken(inject('fixtures').rsa);
  // A system database lists its smart-card modules; this one now does too.
  runOk('modutil', ['-dbdir', card.db, '-add', 'softhsm2', '-libfile', SOFTHSM_LIBRARY, '-force']);
});
afterEach(() => peers.splice(0).forEach((p) => p.stop()));
afterAll(() => removeTemps());

/** openssl s_server -www with the fixture's server certificate; `clientCA` makes it require a client certificate. */
async function wwwServer(clientCA?: string): Promise<number> {
  const port = await freePort();
  const args = ['s_server', '-accept', String(port), '-cert', fx.certs.test_server.pemPath];
  args.push('-key', fx.keyPemPaths.test_server, '-www', '-quiet');
  if (clientCA) args.push('-Verify', '1', '-verify_return_error', '-CAfile', clientCA);
  peers.push(spawnPeer('openssl', args));
  await waitForPort(port);
  return port;
}

// The app: plain Node, no node-nss in its code. It prints one JSON line with what each call got.
const app = `
const https = require('node:https');
(async () => {
  const out = {};
  try {
    const res = await fetch('https://localhost:' + process.env.PORT + '/');
    out.fetch = { status: res.status, page: (await res.text()).includes('s_server') };
  } catch (err) {
    out.fetch = { error: err.cause?.code ?? err.message };
  }
  out.get = await new Promise((resolve) => {
    https
      .get('https://localhost:' + process.env.PORT + '/', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      })
      .on('error', (err) => resolve({ error: err.code }));
  });
  console.log('RESULT ' + JSON.stringify(out));
  process.exit(0);
})();
`;

/** This process's environment (a sanitizer run's preload included) without node-nss's own settings. */
function inherited(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith('NODE_NSS_') || name === 'SSLKEYLOGFILE') delete env[name];
  return env;
}

function runApp(
  port: number,
  env: Record<string, string>,
  loader: 'import' | 'require' = 'import',
): Promise<{ fetch: Record<string, unknown>; get: Record<string, unknown> }> {
  const hook = loader === 'import' ? ['--import', 'node-nss/register'] : ['--require', 'node-nss/register'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...hook, '-e', app], {
      cwd: root,
      env: { ...inherited(), PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', () => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice(7)));
      else reject(new Error(`the app printed no result: ${stdout}\n${stderr}`));
    });
  });
}

describe('node --import node-nss/register', () => {
  it('fetch and https.get reach a server the NSS database trusts (node:tls alone would refuse it)', async () => {
    const port = await wwwServer();
    const env = { NODE_NSS_DB: fx.db, NODE_NSS_DB_PASSWORD: fx.password };
    expect(await runApp(port, env)).toEqual({ fetch: { status: 200, page: true }, get: { status: 200 } });
    expect(await runApp(port, env, 'require')).toEqual({
      fetch: { status: 200, page: true },
      get: { status: 200 },
    });
    // The same app without the hook: node:tls does not know the fixture CA.
    const plain = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ['-e', app], {
        cwd: root,
        env: { ...inherited(), PORT: String(port) },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', () => resolve(out));
    });
    expect(plain).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('a database that does not trust the server: both refuse, with NSS’s code', async () => {
    const port = await wwwServer();
    const empty = emptyDB();
    expect(await runApp(port, { NODE_NSS_DB: empty.db })).toEqual({
      fetch: { error: 'SEC_ERROR_UNKNOWN_ISSUER' },
      get: { error: 'SEC_ERROR_UNKNOWN_ISSUER' },
    });
  });

  it('a server that requires a client certificate: NODE_NSS_CLIENT_CERT from the database, or none', async () => {
    const port = await wwwServer(fx.certs.test_ca.pemPath);
    const env = { NODE_NSS_DB: fx.db, NODE_NSS_DB_PASSWORD: fx.password };
    expect(await runApp(port, { ...env, NODE_NSS_CLIENT_CERT: 'test_user' })).toEqual({
      fetch: { status: 200, page: true },
      get: { status: 200 },
    });
    const without = await runApp(port, env);
    expect(without.fetch.error).toMatch(/^SSL_ERROR_/);
    expect(without.get.error).toMatch(/^SSL_ERROR_|ECONNRESET/);
  });

  it('a smart-card client certificate: the token is logged in with NODE_NSS_TOKEN_PIN', async () => {
    const port = await wwwServer(fx.certs.test_ca.pemPath);
    const env = { NODE_NSS_DB: card.db, NODE_NSS_CLIENT_CERT: card.clients.generated.nickname };
    expect(await runApp(port, { ...env, NODE_NSS_TOKEN_PIN: card.pin })).toEqual({
      fetch: { status: 200, page: true },
      get: { status: 200 },
    });
    // Without the PIN the card's key cannot be used: no certificate goes out and the server refuses.
    const without = await runApp(port, env);
    expect(without.fetch.error).toMatch(/^SSL_ERROR_/);
  });
});
