// Smart cards through PKCS#11: SoftHSM2 loaded at run time as the card, PINs, token keys in TLS.
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createCertificate,
  createCertificateRequest,
  findSlotByName,
  generateKeyPair,
  getAllTokens,
  getDefaultCertDB,
  init,
  listModules,
  loadPKCS11Module,
  NSPRError,
  nssGetClientAuthData,
  setPasswordCallback,
  shutdown,
  SSLSocket,
  type PK11Slot,
  type PKCS11Module,
} from 'node-nss';
import { interactive, spawnPeer, type Interactive } from './support/peers.js';
import { buildSoftToken, SOFTHSM_LIBRARY, type SoftToken, type TokenCert } from './support/softhsm.js';
import {
  freePort,
  nssEchoServer,
  readBytes,
  waitForPort,
  within,
  type Version,
  waitWhile,
} from './support/tls.js';
import { removeTemps } from './support/tools.js';

const fx = inject('fixtures').ec;
let card: SoftToken;
let module: PKCS11Module;
const versions: Version[] = ['tls1.2', 'tls1.3'];

beforeAll(() => {
  card = buildSoftToken(fx);
  init({ dbDir: card.db, loadBuiltinRoots: false });
  module = loadPKCS11Module({ name: 'SoftHSM card', library: SOFTHSM_LIBRARY });
});
afterAll(() => {
  shutdown();
  removeTemps();
});

const running: Array<{ stop: () => void }> = [];
afterEach(() => {
  running.splice(0).forEach((p) => p.stop());
  setPasswordCallback(null);
  findSlotByName(card.token)?.logout();
});

function cardSlot(): PK11Slot {
  const slot = findSlotByName(card.token);
  if (!slot) throw new Error('the card is not there');
  return slot;
}

/**
 * A client whose client-auth callback does what a smart-card application does: asks the user for the PIN
 * (here: answers after a pause), logs in to the card, then picks the card's certificate and key.
 */
async function cardClient(port: number, version: Version, cert: TokenCert): Promise<SSLSocket> {
  const sock = new SSLSocket();
  sock.on('error', () => undefined);
  sock.setHostname('localhost');
  sock.setSSLVersionRange(version, version);
  sock.setSockPeerID(`${cert.nickname}-${version}-${Math.random()}`);
  sock.setClientAuthDataCallback(async () => {
    const pin = await new Promise<string>((resolve) => setTimeout(() => resolve(card.pin), 10));
    await cardSlot().login(pin);
    const db = getDefaultCertDB();
    const chosen = db.findCertFromNickname(cert.nickname);
    return [chosen, db.findKeyByAnyCert(chosen)];
  });
  await sock.connect({ host: '127.0.0.1', port });
  await sock.forceHandshake({ timeout: 10_000 });
  return sock;
}

async function roundTrip(sock: SSLSocket, text: string): Promise<string> {
  const back = readBytes(sock, text.length);
  sock.write(text);
  return (await within(5000, 'round trip', back)).toString();
}

describe('PKCS#11 modules', () => {
  it('loads a module at run time; its token and certificates appear', async () => {
    expect(module.name).toBe('SoftHSM card');
    expect(module.library).toBe(SOFTHSM_LIBRARY);
    expect(module.loaded).toBe(true);
    expect(module.isInternal).toBe(false);
    expect(listModules().map((m) => m.name)).toContain('SoftHSM card');
    expect(listModules().some((m) => m.isInternal)).toBe(true);
    expect(module.listSlots().map((s) => s.tokenName)).toContain(card.token);
    expect(getAllTokens().map((s) => s.tokenName)).toContain(card.token);
    const slot = cardSlot();
    expect(slot.needLogin()).toBe(true);
    expect(slot.isLoggedIn()).toBe(false);
    // NSS treats a token that needs a login as private: its certificates show once logged in.
    const db = getDefaultCertDB();
    expect(() => db.findCertFromNickname(card.clients.generated.nickname)).toThrow(NSPRError);
    await slot.login(card.pin);
    expect(db.findCertFromNickname(card.clients.generated.nickname).subject).toBe(
      card.clients.generated.subject,
    );
    const byURI = db.findCertFromNickname(`pkcs11:token=${card.token};object=client3;type=cert`);
    expect(byURI.subject).toBe(card.clients.p11tool.subject);
    expect(slot.listCertificates().map((c) => c.subject)).toEqual(
      expect.arrayContaining([
        card.clients.generated.subject,
        card.clients.pkcs12.subject,
        card.clients.p11tool.subject,
      ]),
    );
  });

  it('checks its arguments', () => {
    expect(() => loadPKCS11Module(null as never)).toThrow(TypeError);
    expect(() => loadPKCS11Module({ name: '', library: SOFTHSM_LIBRARY })).toThrow(/opts\.name/);
    expect(() => loadPKCS11Module({ name: 'x', library: 5 as never })).toThrow(/opts\.library/);
    let caught: unknown;
    try {
      loadPKCS11Module({ name: 'missing', library: '/nonexistent/libpkcs11.so' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NSPRError);
    expect((caught as NSPRError).message).toMatch(/\/nonexistent\/libpkcs11\.so/);
  });
});

describe('PINs', () => {
  it('slot.login: a wrong PIN is SEC_ERROR_BAD_PASSWORD; the right one logs in', async () => {
    const slot = cardSlot();
    await expect(slot.login('000000')).rejects.toMatchObject({ code: 'SEC_ERROR_BAD_PASSWORD' });
    expect(slot.isLoggedIn()).toBe(false);
    await slot.login(card.pin);
    expect(slot.isLoggedIn()).toBe(true);
    slot.logout();
    expect(slot.isLoggedIn()).toBe(false);
  });

  it('the password callback sees every attempt: a wrong PIN is never retried behind its back', () => {
    const db = getDefaultCertDB();
    const nickname = card.clients.generated.nickname;
    const calls: Array<{ token: string; retry: boolean; pinArgs: unknown[] }> = [];
    setPasswordCallback((slot, retry, ...pinArgs) => {
      calls.push({ token: slot.tokenName, retry, pinArgs });
      return retry ? undefined : '000000'; // one wrong PIN, then the user gives up
    });
    expect(() => db.findCertFromNickname(nickname, 'request 1')).toThrow(NSPRError);
    // NSS asked again (retry) after the wrong PIN; the callback declined, so exactly one PIN reached the card.
    expect(calls).toEqual([
      { token: card.token, retry: false, pinArgs: ['request 1'] },
      { token: card.token, retry: true, pinArgs: ['request 1'] },
    ]);
    expect(cardSlot().isLoggedIn()).toBe(false);

    calls.length = 0;
    setPasswordCallback((slot, retry, ...pinArgs) => {
      calls.push({ token: slot.tokenName, retry, pinArgs });
      return card.pin;
    });
    const cert = db.findCertFromNickname(nickname, 'request 2');
    const key = db.findKeyByAnyCert(cert, 'request 3');
    expect(key.keyType).toBe('rsa');
    expect(key.slot?.tokenName).toBe(card.token);
    // One login for the token, asked with the pin arguments of the call that needed it.
    expect(calls).toEqual([{ token: card.token, retry: false, pinArgs: ['request 2'] }]);
  });

  it('a socket asks with its own pin arguments', async () => {
    const server = await opensslVerifyingServer('tls1.3');
    const asked: unknown[][] = [];
    setPasswordCallback((_slot, _retry, ...pinArgs) => {
      asked.push(pinArgs);
      return card.pin;
    });
    const sock = new SSLSocket();
    running.push({ stop: () => sock.destroy() });
    sock.on('error', () => undefined);
    sock.setHostname('localhost');
    sock.setPKCS11PinArg('socket A', 42);
    sock.setClientAuthDataCallback(nssGetClientAuthData(card.clients.pkcs12.nickname));
    await sock.connect({ host: '127.0.0.1', port: server.port });
    await sock.forceHandshake({ timeout: 10_000 });
    expect(asked).toEqual([['socket A', 42]]);
    sock.write('card 2\n');
    await server.peer.seen(/card 2/);
    expect(server.peer.output()).toMatch(/depth=0 .*CN = Smartcard User 2/);
  });

  it('a worker thread gets its own prompts, the main thread its own', async () => {
    const mainCalls: unknown[][] = [];
    setPasswordCallback((_slot, _retry, ...pinArgs) => {
      mainCalls.push(pinArgs);
      return card.pin;
    });
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const nss = require('node-nss');
      nss.init({ dbDir: workerData.db, loadBuiltinRoots: false });
      const calls = [];
      nss.setPasswordCallback((slot, retry, ...pinArgs) => {
        calls.push({ token: slot.tokenName, pinArgs });
        return workerData.pin;
      });
      const cert = nss.getDefaultCertDB().findCertFromNickname(workerData.nickname, 'worker');
      const subject = cert.subject;
      // Logged out before the answer goes back: the main thread's lookup must need its own login.
      nss.findSlotByName(workerData.token).logout();
      nss.shutdown();
      parentPort.postMessage({ calls, subject });
    `;
    const result = await within(
      20_000,
      'worker',
      new Promise<{ calls: unknown[]; subject: string }>((resolve, reject) => {
        const worker = new Worker(source, {
          eval: true,
          workerData: {
            db: card.db,
            pin: card.pin,
            token: card.token,
            nickname: card.clients.generated.nickname,
          },
        });
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    );
    expect(result).toEqual({
      calls: [{ token: card.token, pinArgs: ['worker'] }],
      subject: card.clients.generated.subject,
    });
    expect(mainCalls).toEqual([]);
    expect(getDefaultCertDB().findCertFromNickname(card.clients.generated.nickname, 'main').subject).toBe(
      card.clients.generated.subject,
    );
    expect(mainCalls).toEqual([['main']]);
  });
});

/** openssl s_server requiring a client certificate from the fixture CA; it logs the one it verified. */
async function opensslVerifyingServer(version: Version): Promise<{ port: number; peer: Interactive }> {
  const port = await freePort();
  const peer = interactive(
    spawnPeer('openssl', [
      ...['s_server', '-accept', String(port), version === 'tls1.2' ? '-tls1_2' : '-tls1_3'],
      ...['-cert', fx.certs.test_server.pemPath, '-key', fx.keyPemPaths.test_server],
      ...['-Verify', '1', '-verify_return_error', '-CAfile', fx.certs.test_ca.pemPath],
    ]),
  );
  running.push(peer);
  await waitForPort(port);
  return { port, peer };
}

describe('token keys in TLS client authentication', () => {
  const kinds = ['generated', 'pkcs12', 'p11tool'] as const;

  describe.each(versions)('%s', (version) => {
    it.each(kinds)('key %s on the card, against openssl s_server -Verify 1', async (kind) => {
      const cert = card.clients[kind];
      const { port, peer: server } = await opensslVerifyingServer(version);
      const sock = await cardClient(port, version, cert);
      running.push({ stop: () => sock.destroy() });
      sock.write('hello from the card\n');
      await server.seen(/hello from the card/);
      // s_server logs the client certificate it verified: the card's subject.
      const cn = /CN=([^,]+)/.exec(cert.subject)?.[1] ?? '';
      expect(server.output()).toMatch(new RegExp(`depth=0 .*CN = ${cn}(,|\\s*$)`, 'm'));
    });

    it.each(kinds)('key %s on the card, against a node-nss server', async (kind) => {
      const cert = card.clients[kind];
      const { server, port, sockets } = await nssEchoServer({ version, requireClientCert: true });
      try {
        const sock = await cardClient(port, version, cert);
        expect(await roundTrip(sock, 'ping')).toBe('ping');
        expect((sockets[0] as SSLSocket).getPeerCertificate()?.subject).toBe(cert.subject);
        sock.destroy();
      } finally {
        sockets.forEach((s) => s.destroy());
        await server.close();
      }
    });
  });
});

describe('enrollment', () => {
  it('a key the package generates on the card, certified by the package, authenticates TLS', async () => {
    await cardSlot().login(card.pin);
    const db = getDefaultCertDB();
    const key = await generateKeyPair({ type: 'ec', slot: cardSlot(), nickname: 'enrolled' });
    expect(key.slot?.tokenName).toBe(card.token);
    const request = createCertificateRequest(key, {
      subject: 'CN=Enrolled User,O=node-nss tests',
      extKeyUsage: ['clientAuth'],
    });
    const ca = db.findCertFromNickname('test_ca');
    const cert = createCertificate({
      publicKeyFrom: request,
      issuer: { certificate: ca, key: db.findKeyByAnyCert(ca) },
    });
    db.importCertificate(cert, { nickname: 'enrolled' }); // lands on the card, next to its key
    const enrolled: TokenCert = { nickname: `${card.token}:enrolled`, subject: cert.subject, pemPath: '' };
    const { port, peer } = await opensslVerifyingServer('tls1.3');
    const sock = await cardClient(port, 'tls1.3', enrolled);
    running.push({ stop: () => sock.destroy() });
    sock.write('enrolled\n');
    await peer.seen(/enrolled/);
    expect(peer.output()).toMatch(/depth=0 .*CN = Enrolled User/);
  });
});

describe('a server whose key lives on the card', () => {
  it.each(versions)('%s: serves openssl s_client', async (version) => {
    await cardSlot().login(card.pin);
    const { server, port, sockets } = await nssEchoServer({ version, nickname: card.server.nickname });
    try {
      const client = interactive(
        spawnPeer('openssl', [
          ...['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost'],
          ...[version === 'tls1.2' ? '-tls1_2' : '-tls1_3', '-CAfile', fx.certs.test_ca.pemPath],
          ...['-verify_return_error', '-verify_hostname', 'localhost'],
        ]),
      );
      running.push(client);
      await client.seen(/Verify return code: 0 \(ok\)/);
      expect(client.output()).toMatch(/subject=.*OU = token/);
      client.command('echo through the card key');
      await client.seen(/echo through the card key/);
      expect(sockets[0]?.getCertificate()?.subject).toBe(card.server.subject);
    } finally {
      sockets.forEach((s) => s.destroy());
      await server.close();
    }
  });
});

describe('token events', () => {
  it('a watcher reports the tokens present when it starts, each once, and stops with its listeners', async () => {
    const inserted: string[] = [];
    module.tokenPollInterval = 20;
    const onInserted = (slot: PK11Slot) => inserted.push(slot.tokenName);
    module.on('tokenInserted', onInserted);
    await waitWhile(5000, 'token events', () => !inserted.includes(card.token));
    await new Promise((r) => setTimeout(r, 200)); // ten more polls: nothing changed, nothing reported
    expect(inserted.filter((name) => name === card.token)).toEqual([card.token]);
    module.off('tokenInserted', onInserted);
    expect(() => (module.tokenPollInterval = 1)).toThrow(RangeError);
    module.on('tokenRemoved', () => undefined);
    await new Promise((r) => setTimeout(r, 0));
    module.removeAllListeners('tokenRemoved');
  });
});

describe('stopping a token watcher', () => {
  it('returns at once, not after the poll interval (the watcher sleeps on a condition it is woken from)', async () => {
    module.tokenPollInterval = 30_000;
    const onInserted = () => undefined;
    module.on('tokenInserted', onInserted);
    await new Promise((r) => setTimeout(r, 300)); // the first poll is done: the watcher sleeps 30 s
    const started = process.hrtime.bigint();
    module.off('tokenInserted', onInserted); // joins the watcher thread on the JavaScript thread
    const blockedMs = Number(process.hrtime.bigint() - started) / 1e6;
    // A bound on a hang, not a speed: before the fix this blocked for the rest of the 30 s interval.
    expect(blockedMs).toBeLessThan(5000);
  });
});

describe('unloading the module', () => {
  it('certificates and keys still held give clean NSPRErrors, not a crash', async () => {
    await cardSlot().login(card.pin);
    const db = getDefaultCertDB();
    const cert = db.findCertFromNickname(card.clients.generated.nickname);
    const key = db.findKeyByAnyCert(cert);
    module.tokenPollInterval = 1000;
    module.on('tokenInserted', () => undefined); // a watcher running while the module goes
    await new Promise((r) => setTimeout(r, 0));
    module.unload();
    expect(module.loaded).toBe(false);
    expect(findSlotByName(card.token)).toBeNull();
    expect(() => db.findCertFromNickname(card.clients.generated.nickname)).toThrow(NSPRError);
    // The held key can no longer sign: client authentication with it fails with an NSS error.
    const server = await opensslVerifyingServer('tls1.3');
    const sock = new SSLSocket();
    running.push({ stop: () => sock.destroy() });
    sock.on('error', () => undefined);
    sock.setHostname('localhost');
    sock.setClientAuthDataCallback(() => [cert, key]);
    await sock.connect({ host: '127.0.0.1', port: server.port });
    await expect(sock.forceHandshake({ timeout: 10_000 })).rejects.toBeInstanceOf(NSPRError);
    expect(cert.subject).toBe(card.clients.generated.subject); // the snapshot is still readable
    expect(() => module.unload()).toThrow(NSPRError);
  });
});
