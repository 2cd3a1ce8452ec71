/* global Buffer, setTimeout, clearTimeout */
'use strict';
// Child-process side of the hardening tests: calls the real package with the arguments a case describes and
// prints one JSON line per case saying how the call ended. A crash or an abort shows as a missing line.
//
// An argument descriptor is a JSON value; strings starting with '$' stand for values JSON cannot carry or
// that must be real objects of this process ('$cert', '$wrong:symbol', …), and '$opts' objects are walked.

const fs = require('node:fs');
const nss = require('node-nss');
const { runChild } = require('./child.cjs');

// The cases come in a file: a few thousand of them exceed what an environment variable may hold.
const env = JSON.parse(fs.readFileSync(process.env.HARDENING_INPUT, 'utf8'));
const fixture = env.fixture;

const objects = {};

function wrong(label) {
  switch (label) {
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    case 'number':
      return 42;
    case 'fraction':
      return 1.5;
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case 'negative':
      return -1;
    case 'huge':
      return 2 ** 32 + 1;
    case 'string':
      return 'wrong';
    case 'numericString':
      return '1';
    case 'boolean':
      return true;
    case 'symbol':
      return Symbol('wrong');
    case 'bigint':
      return BigInt(7);
    case 'object':
      return { wrong: true };
    case 'array':
      return ['wrong'];
    case 'function':
      return function wrongFunction() {
        return undefined;
      };
    case 'buffer':
      return Buffer.from('wrong');
    case 'date':
      return new Date(0);
    case 'invalidDate':
      return new Date(Number.NaN);
    case 'throwingGetter':
      return Object.defineProperty({}, 'length', {
        get() {
          throw new Error('getter thrown by the caller');
        },
        enumerable: true,
      });
    default:
      throw new Error(`no wrong value ${label}`);
  }
}

function special(name) {
  const db = () => nss.getDefaultCertDB();
  switch (name) {
    case 'db':
      return db();
    case 'cert':
      return db().findCertFromNickname('test_server');
    case 'spareCert':
      return db().findCertFromNickname('test_wrong_usage');
    case 'caCert':
      return db().findCertFromNickname('test_ca');
    case 'key':
      return db().findKeyByAnyCert(db().findCertFromNickname('test_server'));
    case 'caKey':
      return db().findKeyByAnyCert(db().findCertFromNickname('test_ca'));
    case 'slot':
      return nss.getInternalKeySlot();
    case 'module':
      return nss.listModules()[0];
    case 'der':
      return db().findCertFromNickname('test_server').derData;
    case 'pem':
      return db().findCertFromNickname('test_server').toPEM();
    case 'keyPem':
      return fs.readFileSync(fixture.keyPemPaths.test_server, 'utf8');
    case 'caPem':
      return db().findCertFromNickname('test_ca').toPEM();
    case 'context':
      return nss.createSecureContext({ key: special('keyPem'), cert: special('pem'), ca: special('caPem') });
    case 'p12':
      return db().exportPKCS12('test_user', 'p12-password');
    case 'date':
      return new Date();
    case 'fn':
      return () => true;
    case 'noop':
      return () => undefined;
    case 'socket':
      return new nss.SSLSocket();
    case 'server':
      return new nss.SSLServer();
    case 'duplex':
      return new (require('node:stream').PassThrough)();
    case 'dbDir':
      return fixture.db;
    default:
      throw new Error(`no special value ${name}`);
  }
}

function resolve(desc) {
  if (typeof desc === 'string' && desc.startsWith('$wrong:')) return wrong(desc.slice(7));
  if (typeof desc === 'string' && desc.startsWith('$')) return special(desc.slice(1));
  if (Array.isArray(desc)) return desc.map(resolve);
  if (desc && typeof desc === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(desc)) {
      // A field whose descriptor is the throwing getter becomes a getter that throws.
      if (v === '$wrong:throwingField') {
        Object.defineProperty(out, k, {
          get() {
            throw new Error('getter thrown by the caller');
          },
          enumerable: true,
        });
      } else out[k] = resolve(v);
    }
    return out;
  }
  return desc;
}

// Instances that methods are called on, made once per process.
async function instance(kind) {
  if (objects[kind]) return objects[kind];
  let made;
  switch (kind) {
    case 'Certificate':
      made = special('cert');
      break;
    case 'CertDB':
      made = nss.getDefaultCertDB();
      break;
    case 'PK11Slot':
      made = nss.getInternalKeySlot();
      break;
    case 'PrivateKey':
      made = special('key');
      break;
    case 'PKCS11Module':
      made = nss.listModules()[0];
      break;
    case 'SSLServer':
      made = new nss.SSLServer();
      break;
    case 'Agent':
      made = new nss.Agent();
      break;
    case 'SSLSocket':
      made = await connectedPair();
      break;
    case 'SecureContext':
      made = special('context');
      break;
    case 'NSPRError':
      made = new nss.NSPRError(-8179);
      break;
    case 'CertVerifyError':
      made = new nss.CertVerifyError(-8179, 0, []);
      break;
    default:
      throw new Error(`no instance ${kind}`);
  }
  objects[kind] = made;
  return made;
}

// A client socket handshaken to a server of this process: methods that need a connection get one.
async function connectedPair() {
  const db = nss.getDefaultCertDB();
  const server = new nss.SSLServer();
  const cert = db.findCertFromNickname('test_server');
  server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  server.on('connection', (s) => {
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(d));
  });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  const sock = new nss.SSLSocket();
  sock.on('error', () => undefined);
  sock.setHostname('localhost');
  await sock.connect({ host: '127.0.0.1', port, timeout: 5000 });
  await sock.forceHandshake({ timeout: 10000 });
  objects.serverForSocket = server;
  return sock;
}

function outcome(err) {
  if (err === undefined) return { kind: 'ok' };
  if (err instanceof nss.NSPRError) return { kind: 'NSPRError', code: err.code, message: err.message };
  if (err instanceof TypeError) return { kind: 'TypeError', code: err.code, message: err.message };
  if (err instanceof RangeError) return { kind: 'RangeError', code: err.code, message: err.message };
  if (err instanceof Error) return { kind: 'Error', name: err.name, message: err.message };
  return { kind: 'thrown', message: String(err) };
}

function settle(value, ms) {
  if (!value || typeof value.then !== 'function') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('hang'), ms);
    value.then(
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
      (err) => {
        clearTimeout(timer);
        resolve(err === undefined ? new Error('rejected with undefined') : err);
      },
    );
  });
}

/** Calls the callable a key names: 'fn:name', 'new:Class', 'static:Class.m', 'Class#m', 'Class#=setter'. */
async function call(key, args, self) {
  if (key.startsWith('fn:')) return nss[key.slice(3)](...args);
  if (key.startsWith('new:')) return new nss[key.slice(4)](...args);
  if (key.startsWith('static:')) {
    const [cls, m] = key.slice(7).split('.');
    return nss[cls][m](...args);
  }
  const [cls, m] = key.split('#');
  const target = self === 'fresh' ? new nss[cls]() : await instance(cls);
  if (m.startsWith('=')) {
    target[m.slice(1)] = args[0];
    return undefined;
  }
  const member = target[m];
  return typeof member === 'function' ? member.apply(target, args) : member;
}

async function main() {
  const cases = env.cases;
  if (env.init !== false) {
    nss.init({ dbDir: fixture.db, password: fixture.password, loadBuiltinRoots: false });
  }
  // Use after the end: every instance is made first, then NSS shut down or the TLS objects closed.
  if (env.after) {
    for (const kind of [
      'Certificate',
      'CertDB',
      'PK11Slot',
      'PrivateKey',
      'PKCS11Module',
      'SSLServer',
      'SSLSocket',
      'Agent',
    ]) {
      await instance(kind);
    }
    if (env.after === 'close' || env.after === 'shutdown') {
      objects.SSLSocket.destroy();
      await objects.SSLServer.close();
      await objects.serverForSocket.close();
    }
    if (env.after === 'shutdown') nss.shutdown();
  }
  for (const c of cases) {
    if (c.key === 'fn:init' && nss.isInitialized()) nss.shutdown();
    let err;
    let result;
    try {
      result = await call(c.key, resolve(c.args), c.self);
      const settled = await settle(result, env.settleMs || 1500);
      if (settled === 'hang') err = { hang: true };
      else err = settled;
    } catch (e) {
      err = e === undefined ? new Error('threw undefined') : e;
    }
    const line = err && err.hang ? { kind: 'hang' } : outcome(err);
    if (result && typeof result.destroy === 'function' && result !== objects.SSLSocket) {
      try {
        result.destroy();
      } catch {
        // a half-made object may refuse; nothing to clean then
      }
    }
    if (result && result instanceof nss.SSLServer) result.close().catch(() => undefined);
    process.stdout.write(JSON.stringify({ id: c.id, ...line }) + '\n');
  }
  for (const o of Object.values(objects)) if (o && typeof o.destroy === 'function') o.destroy();
  if (objects.serverForSocket && !env.after) await objects.serverForSocket.close();
  if (nss.isInitialized()) nss.shutdown();
}

runChild(main);
