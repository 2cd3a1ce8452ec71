import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { nodeScript } from './support/tools.js';

// Runs in a child process so that --expose-gc and RSS readings concern this workload alone.
const script = `
const nss = require('node-nss');
nss.init();
const db = nss.getDefaultCertDB();
const der = db.listCertificates()[0].derData;
function churn(n) {
  for (let i = 0; i < n; i++) {
    const cert = i % 2 ? nss.Certificate.fromDER(der) : db.findCertByDER(der);
    if (cert.subject.length === 0) throw new Error('empty subject');
  }
}
// Finalizers run between turns of the event loop, so let it turn between collections.
async function settle() {
  for (let i = 0; i < 6; i++) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
(async () => {
  churn(100000); // warm-up: lets V8 and malloc grow to their working size first
  await settle();
  const before = process.memoryUsage().rss;
  churn(100000);
  await settle();
  const after = process.memoryUsage().rss;
  nss.shutdown(); // throws SEC_ERROR_BUSY if any certificate reference leaked
  console.log(JSON.stringify({ before, after }));
})();
`;

describe('memory', () => {
  it('100,000 Certificate objects created and dropped grow RSS by less than 20 MiB', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 120_000,
    });
    const { before, after } = JSON.parse(out) as { before: number; after: number };
    const growthMiB = (after - before) / 2 ** 20;
    expect(growthMiB).toBeLessThan(20);
  });
});

// ---- SSL sockets and garbage collection ---------------------------------------------------------------

const fx = inject('fixtures').ec;

/**
 * Runs `body` in a child process (`--expose-gc`, NSS initialised on the fixture database) and returns its
 * exit status and output. `track(obj, name)` registers an object with a FinalizationRegistry, `settle()` runs
 * full collections with turns of the event loop between them (finalizers run between turns), `collected` is
 * the set of names finalized so far, `until(what, test, ms)` polls (bounded).
 */
function gcChild(
  body: string,
  ms = 30_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const script = `
    const nss = require('node-nss');
    const fs = require('node:fs');
    const tls = require('node:tls');
    const out = (s) => process.stdout.write(s + '\\n');
    nss.init({ dbDir: ${JSON.stringify(fx.db)}, password: ${JSON.stringify(fx.password)}, loadBuiltinRoots: false });
    const collected = new Set();
    const registry = new FinalizationRegistry((name) => collected.add(name));
    const track = (obj, name) => registry.register(obj, name);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    async function settle() {
      for (let i = 0; i < 8; i++) {
        global.gc();
        await turn();
      }
    }
    async function until(what, test, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!test()) {
        if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    const key = fs.readFileSync(${JSON.stringify(fx.keyPemPaths.test_server)});
    const cert = fs.readFileSync(${JSON.stringify(fx.certs.test_server.pemPath)});
    (async () => { ${body} })().then(
      () => out('done'),
      (e) => { out('rejected ' + (e && (e.stack || e.message))); process.exitCode = 3; },
    );
  `;
  return nodeScript(script, { args: ['--expose-gc'], ms });
}

/** The value printed on the child's line `name value`. */
function line(stdout: string, name: string): string | undefined {
  return stdout
    .split('\n')
    .find((l) => l.startsWith(name + ' '))
    ?.slice(name.length + 1);
}

describe('SSL sockets and garbage collection', () => {
  it('a socket with callbacks or pin args that is dropped unconnected is collected and its NSS socket freed', async () => {
    const r = await gcChild(`
      await settle();
      const base = nss.liveHandles();
      (() => {
        const auth = new nss.SSLSocket();
        auth.setAuthCertificateCallback(() => true);
        track(auth, 'auth');
        const badCert = new nss.SSLSocket();
        badCert.setBadCertCallback((sock) => sock.servername === 'x');
        track(badCert, 'badCert');
        const clientAuth = new nss.SSLSocket();
        clientAuth.setClientAuthDataCallback(() => null);
        track(clientAuth, 'clientAuth');
        // Pin args that lead back to the socket.
        const pin = new nss.SSLSocket();
        pin.setPKCS11PinArg({ socket: pin });
        track(pin, 'pinArgs');
        const plain = new nss.SSLSocket();
        track(plain, 'plain');
      })();
      out('made ' + (nss.liveHandles() - base));
      await settle();
      out('collected ' + [...collected].sort().join(','));
      out('live ' + (nss.liveHandles() - base));
      nss.shutdown();
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(line(r.stdout, 'made')).toBe('5');
    expect(line(r.stdout, 'collected')).toBe('auth,badCert,clientAuth,pinArgs,plain');
    expect(line(r.stdout, 'live')).toBe('0');
  });

  it('client and accepted sockets with callbacks, dropped after their peer went away, are collected', async () => {
    const r = await gcChild(`
      // A node:tls server that sends data the client never reads.
      const peerServer = tls.createServer({ key, cert }, (s) => {
        s.on('error', () => {});
        s.write('unread');
      });
      await new Promise((resolve) => peerServer.listen(0, '127.0.0.1', resolve));
      // A node-nss server whose accepted sockets inherit an auth callback, an SNI callback and pin args.
      const db = nss.getDefaultCertDB();
      const server = new nss.SSLServer();
      const serverCert = db.findCertFromNickname('test_server');
      server.configSecureServer(serverCert, db.findKeyByAnyCert(serverCert));
      server.setAuthCertificateCallback(() => true);
      server.setSNICallback(() => undefined);
      server.setPKCS11PinArg({ server });
      const { port } = await server.listen({ port: 0 });
      const refs = {};
      server.on('connection', (sock) => {
        track(sock, 'accepted');
        refs.accepted = new WeakRef(sock);
        sock.on('error', () => {});
        // Ends its side once the client's data is there, and never reads it.
        const wait = () => (sock.readableLength > 0 ? sock.end() : setTimeout(wait, 10));
        wait();
      });
      await settle();
      const base = nss.liveHandles();

      await (async () => {
        const client = new nss.SSLSocket();
        client.on('error', () => {});
        client.setAuthCertificateCallback(() => true);
        client.setPKCS11PinArg({ client });
        client.setHostname('localhost');
        track(client, 'client');
        refs.client = new WeakRef(client);
        await client.connect({ host: '127.0.0.1', port: peerServer.address().port, timeout: 5000 });
        await client.forceHandshake({ timeout: 5000 });
        await until('the data the client does not read', () => client.readableLength > 0);
        client.end();
      })();
      const peer = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
      peer.on('error', () => {});
      peer.on('secureConnect', () => peer.write('unread'));
      peer.resume();
      await new Promise((resolve) => peer.once('close', resolve));

      // Both sockets ended their side, their peer answered and went away; what the peer sent is unread.
      const state = (ref) => ref && ref.deref() && ref.deref().connectionState;
      await until('the client transport closing', () => state(refs.client) === 'closed');
      await until('the accepted transport closing', () => state(refs.accepted) === 'closed');
      out('states closed');
      await settle();
      out('collected ' + [...collected].sort().join(','));
      out('live ' + (nss.liveHandles() - base));
      await server.close();
      peerServer.close();
      nss.shutdown();
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(line(r.stdout, 'states')).toBe('closed');
    expect(line(r.stdout, 'collected')).toBe('accepted,client');
    expect(line(r.stdout, 'live')).toBe('0');
  });

  it('a connected socket in use, held only by its transport, is not collected and keeps its callbacks', async () => {
    const r = await gcChild(`
      let peerSocket;
      const pongs = [];
      const peerServer = tls.createServer({ key, cert }, (s) => {
        s.on('error', () => {});
        peerSocket = s;
        s.on('data', (d) => pongs.push(d.toString()));
      });
      await new Promise((resolve) => peerServer.listen(0, '127.0.0.1', resolve));
      // node-nss server side: the accepted socket echoes, with an auth and an SNI callback it inherited.
      const db = nss.getDefaultCertDB();
      const server = new nss.SSLServer();
      const serverCert = db.findCertFromNickname('test_server');
      server.configSecureServer(serverCert, db.findKeyByAnyCert(serverCert));
      server.setAuthCertificateCallback(() => true);
      let sniCalls = 0;
      server.setSNICallback(() => { sniCalls++; return undefined; });
      server.on('connection', (sock) => {
        track(sock, 'accepted');
        sock.on('error', () => {});
        sock.on('data', (d) => sock.write(d));
      });
      const { port } = await server.listen({ port: 0 });

      let authCalls = 0;
      await (async () => {
        const client = new nss.SSLSocket();
        client.on('error', () => {});
        client.setAuthCertificateCallback(() => { authCalls++; return true; });
        client.setPKCS11PinArg({ client });
        client.setHostname('localhost');
        track(client, 'client');
        client.on('data', (d) => client.write('pong:' + d));
        await client.connect({ host: '127.0.0.1', port: peerServer.address().port, timeout: 5000 });
        await client.forceHandshake({ timeout: 5000 });
      })();
      const peer = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false });
      peer.on('error', () => {});
      await new Promise((resolve) => peer.once('secureConnect', resolve));
      await until('the server side of the peer', () => peerSocket !== undefined);

      await settle();
      out('collected ' + ([...collected].sort().join(',') || 'none'));
      peerSocket.write('ping');
      await until('the pong', () => pongs.join('') === 'pong:ping');
      const echoes = [];
      peer.on('data', (d) => echoes.push(d.toString()));
      peer.write('echo');
      await until('the echo', () => echoes.join('') === 'echo');
      await settle();
      out('after ' + ([...collected].sort().join(',') || 'none'));
      out('calls ' + authCalls + ' ' + sniCalls);
      peer.destroy();
      peerSocket.destroy();
      await server.close();
      peerServer.close();
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(line(r.stdout, 'collected')).toBe('none');
    expect(line(r.stdout, 'after')).toBe('none');
    expect(line(r.stdout, 'calls')).toBe('1 1');
  });
});
