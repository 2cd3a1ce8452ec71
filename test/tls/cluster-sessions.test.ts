// A cluster's workers resume each other's sessions through NSS's multi-process server session cache
// (configMPServerSIDCache in the primary). The app is test/fixtures/cluster-app.mjs: two workers, each with
// servers 'a' and 'b' on shared ports, answering with the worker's pid. Clients: node:tls (the reference)
// and node-nss/tls. Without the shared cache (the control), a TLS 1.3 session made at one worker does not
// resume at the other; with it, it does, for an EC and an RSA certificate (the ticket keys are wrapped by the
// primary's RSA key, not the certificate's); a session of server 'a' never resumes at server 'b'; and TLS 1.2
// session IDs, which say nothing of the server that made them, resume nowhere in a sharing cluster.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as nodeTLS from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nss from 'node-nss';
import * as nssTLS from 'node-nss/tls';
import { makePemPKI, type PemPKI } from '../support/pem-pki.js';
import { removeTemps } from '../support/tools.js';
import { within } from '../support/tls.js';

const app = path.join(import.meta.dirname, '..', 'fixtures', 'cluster-app.mjs');
let pki: PemPKI;

beforeAll(() => {
  pki = makePemPKI();
});

afterAll(() => {
  removeTemps();
});

interface Cluster {
  ports: Record<'a' | 'b', number>;
  stop(): Promise<void>;
}

/** This process's environment without node-nss's own settings (a sanitizer run's preload stays). */
function inherited(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith('NODE_NSS_') || name === 'SSL_INHERITANCE') delete env[name];
  return env;
}

function startCluster(share: boolean, keyType: 'ec' | 'rsa'): Promise<Cluster> {
  const child: ChildProcess = spawn(process.execPath, [app], {
    env: {
      ...inherited(),
      SHARE: share ? '1' : '0',
      KEY: pki.file(`server-${keyType}.key`),
      CERT: pki.file(`server-${keyType}.crt`),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return within(
    30_000,
    'the cluster to listen',
    new Promise<Cluster>((resolve, reject) => {
      const seen = (d: Buffer) => {
        output += d.toString();
        const ready = /^READY (.*)$/m.exec(output);
        if (ready) resolve({ ports: JSON.parse(ready[1]!) as Cluster['ports'], stop });
        else if (/^FAILED/m.test(output)) reject(new Error(output));
      };
      child.stdout?.on('data', seen);
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      void exited.then(() => reject(new Error(`the cluster exited: ${output}`)));
    }),
  );
}

type Client = 'node:tls' | 'node-nss/tls';
interface Visit {
  pid: string;
  reused: boolean;
  session: Buffer | undefined;
}

/** One connection: the pid of the worker that answered, whether it resumed, and the last session seen. */
function visit(
  client: Client,
  port: number,
  version: 'TLSv1.3' | 'TLSv1.2',
  session?: Buffer,
): Promise<Visit> {
  const tls = (client === 'node:tls' ? nodeTLS : nssTLS) as typeof nodeTLS;
  return within(
    15_000,
    `a connection from ${client}`,
    new Promise<Visit>((resolve, reject) => {
      let latest: Buffer | undefined;
      let pid = '';
      const sock = tls.connect({
        port,
        host: '127.0.0.1',
        servername: 'localhost',
        ca: pki.pem.ca,
        minVersion: version,
        maxVersion: version,
        session,
      });
      sock.on('session', (s: Buffer) => (latest = s));
      sock.on('data', (d: Buffer) => (pid += d.toString()));
      sock.on('error', reject);
      sock.on('end', () => {
        const reused = sock.isSessionReused();
        // A server that refused the session after the client's Finished closes without an answer.
        if (pid === '') reject(new Error('the server closed the connection without answering'));
        // TLS 1.2 sessions are known once the handshake is done (node:tls's getSession).
        resolve({ pid, reused, session: latest ?? sock.getSession() });
        sock.end();
      });
    }),
  );
}

/**
 * Makes a session at one worker, then offers it on `port` until a connection lands on the other worker
 * (round robin: at most a few tries). Returns that connection and the first one.
 */
async function resumeElsewhere(
  client: Client,
  version: 'TLSv1.3' | 'TLSv1.2',
  made: number,
  offered: number,
): Promise<{ first: Visit; other: Visit }> {
  const first = await visit(client, made, version);
  expect(first.session).toBeDefined();
  expect(first.reused).toBe(false);
  for (let i = 0; i < 6; i++) {
    const other = await visit(client, offered, version, first.session);
    if (other.pid !== first.pid) return { first, other };
  }
  throw new Error('no connection reached the other worker');
}

const clients: Client[] = ['node:tls', 'node-nss/tls'];

describe.each(['ec', 'rsa'] as const)('a cluster with an %s server certificate', (keyType) => {
  let shared: Cluster;
  let separate: Cluster;
  beforeAll(async () => {
    [shared, separate] = await Promise.all([startCluster(true, keyType), startCluster(false, keyType)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([shared?.stop(), separate?.stop()]);
  });

  describe.each(clients)('client %s', (client) => {
    it('TLS 1.3: a session made at one worker resumes at the other', async () => {
      const { first, other } = await resumeElsewhere(client, 'TLSv1.3', shared.ports.a, shared.ports.a);
      expect(other.pid).not.toBe(first.pid);
      expect(other.reused).toBe(true);
    });

    it('TLS 1.3, the control: without the shared cache it does not', async () => {
      const { other } = await resumeElsewhere(client, 'TLSv1.3', separate.ports.a, separate.ports.a);
      expect(other.reused).toBe(false);
    });

    it("TLS 1.3: server a's session never resumes at server b, in either worker", async () => {
      const first = await visit(client, shared.ports.a, 'TLSv1.3');
      const outcomes = new Set<string>();
      for (let i = 0; i < 4; i++) {
        // Refused (NSS cannot fall back to a full handshake once it took the ticket) or a full handshake;
        // never resumed.
        const atB = await visit(client, shared.ports.b, 'TLSv1.3', first.session).catch((err: Error) => err);
        outcomes.add(atB instanceof Error ? 'refused' : atB.reused ? 'resumed' : 'full');
      }
      expect(outcomes.has('resumed')).toBe(false);
    });
  });

  // node-nss clients export TLS 1.2 sessions only from tickets, which node-nss servers do not send: the
  // reference client here is node:tls (session IDs).
  it('TLS 1.2: a session ID resumes at no server of a sharing cluster, the one that made it included', async () => {
    const first = await visit('node:tls', shared.ports.a, 'TLSv1.2');
    expect(first.session).toBeDefined();
    const seen: Array<{ port: string; pid: string; reused: boolean }> = [];
    for (const port of ['a', 'a', 'b', 'b'] as const) {
      const again = await visit('node:tls', shared.ports[port], 'TLSv1.2', first.session);
      seen.push({ port, pid: again.pid, reused: again.reused });
    }
    expect(seen.filter((v) => v.reused)).toEqual([]);
    // Round robin: both workers were asked.
    expect(new Set(seen.map((v) => v.pid)).size).toBe(2);
  });

  it('TLS 1.2, the control: a worker of a cluster that does not share resumes its own sessions', async () => {
    const first = await visit('node:tls', separate.ports.a, 'TLSv1.2');
    const seen: Visit[] = [];
    for (let i = 0; i < 4; i++)
      seen.push(await visit('node:tls', separate.ports.a, 'TLSv1.2', first.session));
    expect(seen.filter((v) => v.pid === first.pid).every((v) => v.reused)).toBe(true);
    expect(seen.filter((v) => v.pid !== first.pid).some((v) => v.reused)).toBe(false);
    expect(new Set(seen.map((v) => v.pid)).size).toBe(2);
  });
});

describe('bad input', () => {
  it('wrong values are TypeErrors and RangeErrors naming the option, before anything is configured', () => {
    expect(() => nss.configMPServerSIDCache({ maxEntries: 'x' as unknown as number })).toThrow(
      /opts\.maxEntries/,
    );
    expect(() => nss.configMPServerSIDCache({ timeout: -1 })).toThrow(RangeError);
    expect(() => nss.configMPServerSIDCache({ directory: '' })).toThrow(/opts\.directory/);
    expect(() => nss.configMPServerSIDCache(null as unknown as object)).toThrow(TypeError);
    // None of them made this process a primary: its children would otherwise join.
    expect(process.env.NODE_NSS_SERVER_SESSIONS).toBeUndefined();
  });

  it('a process not started by a primary joins nothing; one whose server configured its cache cannot become one', () => {
    if (!nss.isInitialized()) nss.init();
    expect(nss.inheritMPServerSIDCache()).toBe(false);
    const server = new nss.SSLServer();
    expect(() => nss.configMPServerSIDCache()).toThrow(/already configured/);
    expect(process.env.NODE_NSS_SERVER_SESSIONS).toBeUndefined();
    void server;
  });

  it.each([
    ['not JSON', 'junk', /NODE_NSS_SERVER_SESSIONS is not what configMPServerSIDCache sets/],
    [
      "not NSS's inheritance",
      JSON.stringify({ nss: 'nonsense', secret: 3, maxEntries: 0, timeout: 0 }),
      /SEC_ERROR_LIBRARY_FAILURE/,
    ],
  ])(
    'a worker with a broken inheritance (%s) fails its servers with a clear error',
    async (_what, value, error) => {
      const script = `
      const nss = require('node-nss');
      nss.init();
      for (const attempt of [1, 2]) {
        try { new nss.SSLServer(); console.log('made'); } catch (e) { console.log(String(e.code ?? ''), e.message); }
      }`;
      const out = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['-e', script], {
          cwd: path.join(import.meta.dirname, '..', '..'),
          env: { ...inherited(), NODE_NSS_SERVER_SESSIONS: value },
        });
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d.toString()));
        child.stderr.on('data', (d: Buffer) => (text += d.toString()));
        child.on('close', () => resolve(text));
      });
      const lines = out.trim().split('\n');
      expect(lines).toHaveLength(2);
      for (const line of lines) expect(line).toMatch(error);
    },
  );
});
