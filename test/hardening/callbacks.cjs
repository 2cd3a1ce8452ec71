/* global setTimeout, clearTimeout */
'use strict';
// Child-process side of the callback misuse tests: one client handshake per scenario against a server of
// this process, with a callback that misbehaves. Prints one JSON line per scenario with how the handshake
// ended ('ok' or the error's code) and how long it took; a crash shows as a missing line.

const nss = require('node-nss');
const { runChild } = require('./child.cjs');

const fixture = JSON.parse(process.env.HARDENING_FIXTURE);
nss.init({ dbDir: fixture.db, password: fixture.password, loadBuiltinRoots: false });
const db = nss.getDefaultCertDB();
const serverCert = db.findCertFromNickname('test_server');
const serverKey = db.findKeyByAnyCert(serverCert);
const userCert = db.findCertFromNickname('test_user');
const userKey = db.findKeyByAnyCert(userCert);
const never = () => new Promise(() => undefined);

function code(err) {
  if (!err) return 'ok';
  return err.code || err.name || 'error';
}

// What a callback does to the socket it was handed, from inside.
const reentries = {
  throw: () => {
    throw new Error('thrown by the callback');
  },
  reject: () => Promise.reject(new Error('rejected by the callback')),
  neverSettle: never,
  destroy: (s) => s.destroy(),
  destroyWithError: (s) => s.destroy(new Error('destroyed by the callback')),
  write: (s) => s.write('early'),
  end: (s) => s.end(),
  // Started, not awaited: a callback that waited for the handshake it is part of would wait for ever.
  forceHandshake: (s) => void s.forceHandshake().catch(() => undefined),
  getPeerCertificate: (s) => s.getPeerCertificate(),
  getSecurityStatus: (s) => s.getSecurityStatus(),
  getSSLChannelInfo: (s) => s.getSSLChannelInfo(),
  rehandshake: (s) => void s.rehandshake(false).catch(() => undefined),
  keyUpdate: (s) => s.keyUpdate(false),
  invalidateSession: (s) => s.invalidateSession(),
  resetHandshake: (s) => s.resetHandshake(false),
  setHostname: (s) => s.setHostname('elsewhere'),
};

async function server(opts = {}) {
  const srv = new nss.SSLServer();
  srv.configSecureServer(serverCert, serverKey);
  srv.handshakeTimeout = 2000;
  if (opts.requireClientCert) {
    srv.setSSLOption(nss.SSL_REQUEST_CERTIFICATE, true);
    srv.setSSLOption(nss.SSL_REQUIRE_CERTIFICATE, nss.SSL_REQUIRE_ALWAYS);
  }
  if (opts.setup) opts.setup(srv);
  const serverSockets = [];
  const serverErrors = [];
  srv.on('connection', (s) => {
    serverSockets.push(s);
    s.on('error', (e) => serverErrors.push(code(e)));
    s.on('data', (d) => s.write(d));
  });
  srv.on('tlsClientError', (e) => serverErrors.push(code(e)));
  const { port } = await srv.listen({ port: 0, host: '127.0.0.1' });
  return { srv, port, serverSockets, serverErrors };
}

/** One handshake (and one echoed byte) with `setup` applied to the client; resolves with how it ended. */
async function handshake(port, setup, hostname = 'localhost') {
  const sock = new nss.SSLSocket();
  const errors = [];
  sock.on('error', (e) => errors.push(code(e)));
  sock.setHostname(hostname);
  setup(sock);
  await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
  let result;
  try {
    await sock.forceHandshake({ timeout: 3000 });
    result = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve('no echo'), 3000);
      sock.once('data', () => {
        clearTimeout(timer);
        resolve('ok');
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        resolve(code(e));
      });
      sock.once('close', () => {
        clearTimeout(timer);
        resolve('closed');
      });
      if (sock.writable) sock.write('x');
      else resolve('not writable');
    });
  } catch (err) {
    result = code(err);
  }
  sock.destroy();
  return { result, errors };
}

// HARDENING_ONLY (a substring of scenario names) runs only those, for looking into one.
const only = process.env.HARDENING_ONLY;

async function scenario(name, run) {
  if (only && !name.includes(only)) return;
  const started = Date.now();
  let line;
  try {
    line = { name, ...(await run()) };
  } catch (err) {
    line = { name, result: 'harness error', message: String(err && err.stack) };
  }
  line.ms = Date.now() - started;
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function main() {
  const plain = await server();
  const wrongHost = 'wrong.example';
  for (const [what, act] of Object.entries(reentries)) {
    await scenario(`authCertificate: ${what}`, () =>
      handshake(plain.port, (s) =>
        s.setAuthCertificateCallback((sock) => {
          const r = act(sock);
          return r instanceof Promise ? r.then(() => true) : true;
        }),
      ),
    );
    await scenario(`badCert: ${what}`, () =>
      handshake(
        plain.port,
        (s) =>
          s.setBadCertCallback((sock) => {
            const r = act(sock);
            return r instanceof Promise ? r.then(() => true) : true;
          }),
        wrongHost,
      ),
    );
    await scenario(`handshake callback: ${what}`, () =>
      handshake(plain.port, (s) =>
        s.setHandshakeCallback((sock) => {
          const r = act(sock);
          if (r instanceof Promise) r.catch(() => undefined);
        }),
      ),
    );
  }
  const clientAuth = await server({ requireClientCert: true });
  for (const [what, act] of Object.entries(reentries)) {
    await scenario(`clientAuthData: ${what}`, () =>
      handshake(clientAuth.port, (s) =>
        // It is given the CA names; the socket is the one it was set on.
        s.setClientAuthDataCallback(() => {
          const r = act(s);
          return r instanceof Promise ? r.then(() => [userCert, userKey]) : [userCert, userKey];
        }),
      ),
    );
  }
  // Server-side callbacks run on the accepted socket: the client sees the failure, the server stays up.
  for (const [what, act] of Object.entries(reentries)) {
    const sni = await server({
      // It is given the server name; the socket is the connection accepted last.
      setup: (srv) =>
        srv.setSNICallback(() => {
          const r = act(sni.serverSockets[sni.serverSockets.length - 1]);
          return r instanceof Promise ? r.then(() => undefined) : undefined;
        }),
    });
    await scenario(`SNI callback: ${what}`, async () => {
      const r = await handshake(sni.port, () => undefined);
      const again = await handshake(plain.port, () => undefined);
      sni.serverSockets.forEach((s) => s.destroy());
      await sni.srv.close();
      return { ...r, serverErrors: sni.serverErrors, plainAfterwards: again.result };
    });
    const serverHandshake = await server({
      setup: (srv) =>
        srv.setHandshakeCallback((sock) => {
          const r = act(sock);
          if (r instanceof Promise) r.catch(() => undefined);
        }),
    });
    await scenario(`server handshake callback: ${what}`, async () => {
      const r = await handshake(serverHandshake.port, () => undefined);
      serverHandshake.serverSockets.forEach((s) => s.destroy());
      await serverHandshake.srv.close();
      return { ...r, serverErrors: serverHandshake.serverErrors };
    });
  }
  plain.serverSockets.forEach((s) => s.destroy());
  clientAuth.serverSockets.forEach((s) => s.destroy());
  await plain.srv.close();
  await clientAuth.srv.close();
  nss.shutdown();
}

runChild(main);
