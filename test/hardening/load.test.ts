// Load: 1,000 connections against one SSLServer from NSS's strsclnt and 1,000 at once from node clients
// (node-nss and node:tls), with zero failures; the server answers each like an HTTP server would.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getDefaultCertDB, init, shutdown, SSLServer, type NSPRError, type SSLSocket } from 'node-nss';
import { recordFigures } from '../support/figures.js';
import { nodeScript } from '../support/tools.js';

const fx = inject('fixtures').rsa;
const CONNECTIONS = 1000;

beforeAll(() => init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false }));
afterAll(() => shutdown());

/** A server that answers each request (whatever ends in a blank line) with a short response and closes. */
async function loadServer(): Promise<{
  server: SSLServer;
  port: number;
  served: () => number;
  failures: string[];
}> {
  const db = getDefaultCertDB();
  const server = new SSLServer();
  const cert = db.findCertFromNickname('test_server');
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  let served = 0;
  const failures: string[] = [];
  server.on('tlsClientError', (err: NSPRError) => failures.push(`tlsClientError ${err.code}`));
  server.on('secureConnection', (sock: SSLSocket) => {
    let request = '';
    sock.on('error', (err: NSPRError) => failures.push(`socket ${err.code ?? err.message}`));
    sock.on('data', (d: Buffer) => {
      request += d.toString('latin1');
      if (!request.endsWith('\r\n\r\n')) return;
      served += 1;
      sock.end('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
  });
  // A backlog that holds every connection a client opens at once: no SYN retries, no refusals.
  const { port } = await server.listen({ port: 0, backlog: 2048 });
  return { server, port, served: () => served, failures };
}

function strsclnt(args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn('strsclnt', args);
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 240_000);
    proc.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

// Opens every connection at once from a child process, sends a request on each once it is secure, and
// prints how many got the whole response.
const concurrentClients = (library: 'node-nss' | 'node:tls', port: number): string => `
const total = ${CONNECTIONS};
let connect;
if (${JSON.stringify(library)} === 'node-nss') {
  const nss = require('node-nss');
  nss.init({ dbDir: ${JSON.stringify(fx.db)}, password: ${JSON.stringify(fx.password)}, loadBuiltinRoots: false });
  connect = () => nss.connect({ host: '127.0.0.1', port: ${port}, servername: 'localhost', timeout: 120000 });
} else {
  const tls = require('node:tls');
  const ca = require('node:fs').readFileSync(${JSON.stringify(fx.certs.test_ca.pemPath)});
  connect = () => new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: ${port}, servername: 'localhost', ca }, () => resolve(s));
    s.once('error', reject);
  });
}
const one = async () => {
  const sock = await connect();
  if (!sock.authorized) throw new Error('not authorized');
  return new Promise((resolve, reject) => {
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.on('error', reject);
    sock.on('end', () => resolve(got.endsWith('\\r\\n\\r\\nok')));
    sock.write('GET / HTTP/1.0\\r\\n\\r\\n');
  });
};
Promise.allSettled(Array.from({ length: total }, one)).then((results) => {
  const ok = results.filter((r) => r.status === 'fulfilled' && r.value === true).length;
  const errors = [...new Set(results.filter((r) => r.status !== 'fulfilled').map((r) => String(r.reason?.code ?? r.reason)))];
  console.log(JSON.stringify({ ok, errors }));
  process.exit(0);
});
`;

describe('load against one SSLServer', () => {
  /** strsclnt's final statistics line: session-cache hits and misses, stateless (ticket) resumptions. */
  const stats = (out: string): { hits: number; misses: number; ticketResumes: number } => {
    const lines = [...out.matchAll(/(\d+) cache hits; (\d+) cache misses.*\n\s*(\d+) stateless resumes/g)];
    const last = lines[lines.length - 1];
    return { hits: Number(last?.[1]), misses: Number(last?.[2]), ticketResumes: Number(last?.[3]) };
  };
  const strsclntArgs = (port: number, ...more: string[]): string[] => [
    ...['-p', String(port), '-d', fx.db, '-w', fx.password, '-c', String(CONNECTIONS)],
    // As many threads as connections: all 1,000 handshakes in flight at once. -q: give up rather than retry.
    ...['-t', String(CONNECTIONS), '-D', '-q', ...more, 'localhost'],
  ];

  it(`${CONNECTIONS} full TLS 1.2 handshakes from strsclnt at once, verifying the server: zero failures`, async () => {
    const { server, port, served, failures } = await loadServer();
    try {
      // -N: no session reuse. strsclnt's own verdict (its exit status) holds for TLS 1.2.
      const r = await strsclnt(strsclntArgs(port, '-N', '-V', 'tls1.2:tls1.2'));
      expect(r.status).toBe(0);
      expect(stats(r.out)).toEqual({ hits: 0, misses: CONNECTIONS, ticketResumes: 0 });
      expect(r.out).toContain(`NoReuse - ${CONNECTIONS} server certificates tested.`);
      expect(served()).toBe(CONNECTIONS);
      expect(failures).toEqual([]);
      recordFigures('load', {
        clients: 'strsclnt, full TLS 1.2 handshakes',
        connections: served(),
        failures: failures.length,
      });
    } finally {
      await server.close();
    }
  }, 300_000);

  it(`${CONNECTIONS} TLS 1.2 connections from strsclnt resuming session IDs: zero failures`, async () => {
    const { server, port, served, failures } = await loadServer();
    try {
      const r = await strsclnt(strsclntArgs(port, '-V', 'tls1.2:tls1.2'));
      expect(r.status).toBe(0);
      const { hits, misses } = stats(r.out);
      expect(hits + misses).toBe(CONNECTIONS);
      // strsclnt makes one full handshake first and starts the other threads from its session.
      expect(misses).toBe(1);
      expect(served()).toBe(CONNECTIONS);
      expect(failures).toEqual([]);
      recordFigures('load', {
        clients: 'strsclnt, TLS 1.2 session-ID resumption',
        connections: served(),
        failures: failures.length,
      });
    } finally {
      await server.close();
    }
  }, 300_000);

  it(`${CONNECTIONS} TLS 1.3 connections from strsclnt resuming with tickets: zero failures`, async () => {
    const { server, port, served, failures } = await loadServer();
    try {
      // strsclnt's exit status counts stateless resumptions as failures (its checks predate TLS 1.3), so its
      // statistics and the server's count are the verdict here.
      const r = await strsclnt(strsclntArgs(port, '-V', 'tls1.3:tls1.3'));
      expect(r.out).not.toMatch(/error|failed/i);
      expect(stats(r.out)).toEqual({ hits: CONNECTIONS - 1, misses: 0, ticketResumes: CONNECTIONS - 1 });
      expect(served()).toBe(CONNECTIONS);
      expect(failures).toEqual([]);
      recordFigures('load', {
        clients: 'strsclnt, TLS 1.3 ticket resumption',
        connections: served(),
        failures: failures.length,
      });
    } finally {
      await server.close();
    }
  }, 300_000);

  for (const library of ['node-nss', 'node:tls'] as const) {
    it(`${CONNECTIONS} ${library} clients at once: every one verified and answered`, async () => {
      const { server, port, served, failures } = await loadServer();
      try {
        const r = await nodeScript(concurrentClients(library, port), { ms: 240_000 });
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout)).toEqual({ ok: CONNECTIONS, errors: [] });
        expect(served()).toBe(CONNECTIONS);
        expect(failures).toEqual([]);
        recordFigures('load', {
          clients: `${library} clients at once`,
          connections: served(),
          failures: failures.length,
        });
      } finally {
        await server.close();
      }
    }, 300_000);
  }
});
