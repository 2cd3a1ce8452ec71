/* global setTimeout, setInterval, clearInterval, Buffer */
'use strict';
// Child-process side of "shutdown() while traffic flows": an echo exchange runs, shutdown() is called in the
// middle of it, and then init() and a new exchange. Prints one JSON line with what each side saw.
const nss = require('node-nss');
const { runChild } = require('./child.cjs');

const fixture = JSON.parse(process.env.HARDENING_FIXTURE);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const code = (e) => (e && (e.code || e.name)) || String(e);

async function exchange() {
  const db = nss.getDefaultCertDB();
  const cert = db.findCertFromNickname('test_server');
  const server = new nss.SSLServer();
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  const seen = { server: [], client: [], clientClosed: false, serverClosed: false, echoed: 0 };
  server.on('connection', (s) => {
    s.on('error', (e) => seen.server.push(code(e)));
    s.on('close', (hadError) => (seen.serverClosed = hadError ? 'hadError' : 'clean'));
    s.on('data', (d) => s.write(d));
  });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  const sock = new nss.SSLSocket();
  sock.on('error', (e) => seen.client.push(code(e)));
  sock.on('close', (hadError) => (seen.clientClosed = hadError ? 'hadError' : 'clean'));
  sock.on('data', (d) => (seen.echoed += d.length));
  sock.setHostname('localhost');
  await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
  await sock.forceHandshake({ timeout: 10000 });
  return { server, sock, seen };
}

async function main() {
  nss.init({ dbDir: fixture.db, password: fixture.password, loadBuiltinRoots: false });
  const first = await exchange();
  const chunk = Buffer.alloc(16 * 1024, 7);
  const pump = setInterval(() => {
    if (first.sock.writable) first.sock.write(chunk);
  }, 1);
  while (first.seen.echoed < 512 * 1024) await sleep(5);
  let shutdownError = null;
  try {
    nss.shutdown();
  } catch (e) {
    shutdownError = `${code(e)}: ${e.message}`;
  }
  await sleep(300);
  clearInterval(pump);
  // Writes after the shutdown: an error on the socket, not a crash.
  let writeAfter = 'none';
  try {
    first.sock.write('after');
  } catch (e) {
    writeAfter = code(e);
  }
  await sleep(300);
  // What the socket says when asked: the code shutdown() left on it.
  const handshakeAfter = await first.sock.forceHandshake().then(
    () => 'ok',
    (e) => code(e),
  );
  let peerCertAfter;
  try {
    peerCertAfter = first.sock.getPeerCertificate() === null ? 'null' : 'a certificate';
  } catch (e) {
    peerCertAfter = code(e);
  }
  const seenFirst = {
    ...first.seen,
    initializedAfter: nss.isInitialized(),
    shutdownError,
    writeAfter,
    handshakeAfter,
    peerCertAfter,
  };
  await first.server.close().catch((e) => (seenFirst.serverCloseError = code(e)));
  if (nss.isInitialized()) nss.shutdown();
  nss.init({ dbDir: fixture.db, password: fixture.password, loadBuiltinRoots: false });
  const second = await exchange();
  second.sock.write('again');
  while (second.seen.echoed < 5) await sleep(5);
  second.sock.destroy();
  await second.server.close();
  nss.shutdown();
  process.stdout.write(JSON.stringify({ first: seenFirst, second: second.seen }) + '\n');
}

runChild(main);
