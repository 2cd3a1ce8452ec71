// Node-style entry points over SSLSocket/SSLServer: tls.connect's options, an https.Agent, createServer.
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { buildConnector } from 'undici';
import { CertDB, getDefaultCertDB } from '../pki/certdb.js';
import { NSPRError } from '../core/errors.js';
import { binding } from '../core/binding.js';
import { cipherListSuites } from './cipher-list.js';
import { SSLServer } from './server.js';
import { extraTrustAnchors } from './extra-ca.js';
import type { ALPNCallback, SNICallback } from './callbacks.js';
import {
  absentCredential,
  createSecureContext,
  SecureContext,
  type CertificateInput,
  type KeyInput,
  type PfxInput,
  type SecureContextOptions,
} from './secure-context.js';
import { nssGetClientAuthData, SSLSocket, type SSLSocketOptions } from './socket.js';
import * as ssl from './constants.js';
import { checkRevocationMode, type RevocationMode } from '../pki/revocation-mode.js';
import { ecdhCurveGroups, sigalgsSchemes } from './config.js';
import {
  checkBoolean,
  checkBuffer,
  checkDelay,
  checkDuplex,
  checkFunction,
  checkInstance,
  checkInteger,
  checkNonEmptyString,
  checkObject,
  checkString,
  checkStringArray,
  argTypeError,
  argValueError,
} from '../core/validate.js';

const PR_IO_TIMEOUT_ERROR = -5990;

/** Protocol versions as node:tls names them, or as {@link SSLSocket.setSSLVersionRange} does. */
export type TLSVersionName = 'TLSv1.2' | 'TLSv1.3' | 'tls1.2' | 'tls1.3';

/** Options of {@link connect} and {@link createConnection}: those of `tls.connect` that mean something here. */
export interface ConnectOptions {
  host?: string;
  port?: number;
  /** The name sent as SNI and checked against the certificate; default `host` (an IP address is checked as one). */
  servername?: string;
  certDB?: CertDB;
  /** A client certificate from the database or a token (`'token:nickname'`, `'pkcs11:…'`), for servers that ask. */
  clientCertNickname?: string;
  /** Default `true`: a certificate NSS cannot verify (chain or host name) fails the handshake. */
  rejectUnauthorized?: boolean;
  minVersion?: TLSVersionName;
  maxVersion?: TLSVersionName;
  /** An OpenSSL cipher list as node:tls takes it (see {@link CreateServerOptions.ciphers}). */
  ciphers?: string;
  /** Key-exchange groups as node:tls's `ecdhCurve` (see {@link CreateServerOptions.ecdhCurve}). */
  ecdhCurve?: string;
  /** Signature schemes as node:tls's `sigalgs` (see {@link CreateServerOptions.sigalgs}). */
  sigalgs?: string;
  /** Ask the server to staple an OCSP response (`SSL_ENABLE_OCSP_STAPLING`); it comes as `'OCSPResponse'`. */
  requestOCSP?: boolean;
  /**
   * How the server's certificate is checked for revocation: `'off'`, `'soft'` or `'hard'` (default: the
   * process's, {@link setDefaultRevocationMode}). `'soft'` and `'hard'` ask OCSP, off the JavaScript thread,
   * and ask the server to staple a response.
   */
  revocation?: RevocationMode;
  ALPNProtocols?: string[];
  /** Run TLS over this connected Duplex instead of opening a TCP connection. */
  socket?: Duplex;
  /** Milliseconds for the TCP connection and (with {@link connect}) the handshake. */
  timeout?: number;
  /** A session from an earlier connection's `'session'` event, to resume. */
  session?: Buffer;
  /**
   * A client certificate chain held in memory (PEM or DER), with `key`: sent to servers that ask. See
   * {@link createSecureContext} for the forms taken.
   */
  cert?: CertificateInput | CertificateInput[];
  /** The private key of `cert` (PEM, DER or `KeyObject`). */
  key?: KeyInput | KeyInput[];
  /** Password of an encrypted `key`. */
  passphrase?: string;
  /** Trust these CAs instead of the database's (and Mozilla's) roots, for this connection only. */
  ca?: CertificateInput | CertificateInput[];
  /** CRLs (PEM or DER) checked while the connection lives, as {@link SecureContextOptions.crl}. */
  crl?: string | Buffer | (string | Buffer)[];
  /** A client certificate and key in a PKCS #12 file, as {@link SecureContextOptions.pfx}. */
  pfx?: PfxInput | PfxInput[];
  /** Credentials made once with {@link createSecureContext}, instead of `cert`/`key`/`ca`/`crl`/`pfx`. */
  secureContext?: SecureContext;
  /** Keep writing after the server ended its direction (default `false`, as `tls.connect`). */
  allowHalfOpen?: boolean;
  /** Default `true`: a server's FIN without close_notify is an `'end'`; `false` makes it an error. */
  suppressRaggedEOFs?: boolean;
  /** The socket's stream buffer sizes in bytes, as net.Socket's (`SSLSocketOptions.highWaterMark`). */
  highWaterMark?: number;
  /** A Unix domain socket to connect to, instead of `host` and `port` (as `net.connect`). */
  path?: string;
  /** The local address and port the TCP connection is made from (as `net.connect`). */
  localAddress?: string;
  localPort?: number;
  /** The address family `host` is looked up in: `4`, `6`, or `0` for either (as `net.connect`). */
  family?: 0 | 4 | 6;
  /** `dns.lookup` hints (as `net.connect`). */
  hints?: number;
  /** The host-name lookup to use instead of `dns.lookup` (as `net.connect`). */
  lookup?: net.LookupFunction;
}

/** The TCP connection's options: `net.connect`'s, checked, from a client's options. */
function tcpOptions(opts: ConnectOptions): net.NetConnectOpts {
  // Half-open at the TCP level: TLS decides when each direction ends (close_notify, then FIN).
  if (opts.path !== undefined) {
    checkNonEmptyString(opts.path, 'opts.path');
    return { path: opts.path, allowHalfOpen: true };
  }
  // Port 0 as net.connect takes it: the connection fails (asynchronously), it is no argument error.
  checkInteger(opts.port, 'opts.port', 0, 65535);
  if (opts.localAddress !== undefined) checkString(opts.localAddress, 'opts.localAddress');
  if (opts.localPort !== undefined) checkInteger(opts.localPort, 'opts.localPort', 0, 65535);
  if (opts.family !== undefined && opts.family !== 0 && opts.family !== 4 && opts.family !== 6)
    throw argValueError('The "opts.family" option must be 0, 4 or 6');
  if (opts.hints !== undefined) checkInteger(opts.hints, 'opts.hints', 0);
  if (opts.lookup !== undefined) checkFunction(opts.lookup, 'opts.lookup');
  const { localAddress, localPort, family, hints, lookup } = opts;
  return {
    host: opts.host ?? 'localhost',
    port: opts.port,
    allowHalfOpen: true,
    ...Object.fromEntries(
      Object.entries({ localAddress, localPort, family, hints, lookup }).filter(([, v]) => v !== undefined),
    ),
  };
}

/** @internal node:tls's name of a TLS version as NSS's, or a RangeError naming the option. */
export function versionName(value: TLSVersionName, name: string): 'tls1.2' | 'tls1.3' {
  if (value === 'TLSv1.2' || value === 'tls1.2') return 'tls1.2';
  if (value === 'TLSv1.3' || value === 'tls1.3') return 'tls1.3';
  throw argValueError(`The "${name}" option must be 'TLSv1.2' or 'TLSv1.3'. Received ${String(value)}`);
}

/** Narrows a socket's or server's version range to node:tls-style `minVersion`/`maxVersion`, where given. */
function applyVersions(
  target: SSLSocket | SSLServer,
  minVersion: TLSVersionName | undefined,
  maxVersion: TLSVersionName | undefined,
): void {
  if (minVersion === undefined && maxVersion === undefined) return;
  const [min, max] = target.getSSLVersionRange();
  target.setSSLVersionRange(
    minVersion === undefined ? min : versionName(minVersion, 'minVersion'),
    maxVersion === undefined ? max : versionName(maxVersion, 'maxVersion'),
  );
}

/** Enables exactly the suites of a node:tls `ciphers` list, where given. */
function applyCiphers(target: SSLSocket | SSLServer, ciphers: string | undefined, name: string): void {
  if (ciphers === undefined) return;
  const enabled = new Set(cipherListSuites(ciphers, name));
  for (const suite of binding.implementedCiphers()) {
    if (!enabled.has(suite)) target.setCipherPref(suite, false);
  }
  for (const suite of enabled) target.setCipherPref(suite, true);
}

/** node:tls's `ecdhCurve` and `sigalgs`, where given, as the socket's or server's groups and schemes. */
function applyGroupsAndSchemes(
  target: SSLSocket | SSLServer,
  opts: { ecdhCurve?: unknown; sigalgs?: unknown },
): void {
  if (opts.ecdhCurve !== undefined) {
    const groups = ecdhCurveGroups(opts.ecdhCurve, 'opts.ecdhCurve');
    if (groups !== undefined) target.setNamedGroups(groups);
  }
  if (opts.sigalgs !== undefined) target.setSignatureSchemes(sigalgsSchemes(opts.sigalgs, 'opts.sigalgs'));
}

/**
 * The bad-certificate answer of `rejectUnauthorized: false`: one function for every such socket, so that
 * they share sessions with each other (the peer ID counts callbacks by identity) and with no one else.
 */
const acceptAnyCertificate = (): boolean => true;

/** The contexts sockets and servers use, kept alive by them. */
const heldContexts = new WeakMap<SSLSocket | SSLServer, SecureContext>();

/** The credentials in memory that `opts` give, if any: their `secureContext`, or one made from `key`/`cert`/`ca`/`crl`/`pfx`. */
function contextOf(
  opts: SecureContextOptions & { secureContext?: SecureContext },
): SecureContext | undefined {
  const { secureContext, key, cert, ca, crl, pfx, passphrase } = opts;
  if (passphrase !== undefined) checkString(passphrase, 'opts.passphrase');
  // As node:tls, `ca: null` (or false, or '') is no `ca`.
  const given = [key, cert, ca, crl, pfx].some((value) => !absentCredential(value));
  if (secureContext !== undefined) {
    checkInstance(secureContext, SecureContext, 'opts.secureContext');
    if (given)
      throw argTypeError('The "opts.secureContext" option excludes "key", "cert", "ca", "crl" and "pfx"');
    return secureContext;
  }
  if (!given) return undefined;
  return createSecureContext({ key, cert, ca, crl, pfx, passphrase });
}

/** The context's `ca`, or without one the database's trust and NODE_EXTRA_CA_CERTS's CAs (extra-ca.ts). */
function trustAnchorsOf(target: SSLSocket | SSLServer, context: SecureContext | undefined): void {
  const anchors = context?.anchors ?? extraTrustAnchors();
  if (anchors === undefined) return;
  // The anchors as they are, digest included (setTrustAnchors would hash every certificate again for each
  // connection), then the handlers they need.
  target.trustAnchors = anchors;
  target.applyHandlers();
}

/** @internal Makes a client socket: an SSLSocket, or node-nss/tls's subclass. */
export type SocketMaker = (opts: SSLSocketOptions) => SSLSocket;

const newSSLSocket: SocketMaker = (opts) => new SSLSocket(opts);

/**
 * `opts` for many connections: credentials in memory read once, into a `secureContext` every connection
 * shares (and with it its sessions), in place of `key`/`cert`/`ca`/`crl`/`passphrase`.
 */
function sharedCredentials<T extends ConnectOptions>(
  opts: T,
): Omit<T, 'key' | 'cert' | 'ca' | 'crl' | 'passphrase'> {
  const secureContext = contextOf(opts);
  const { key: _key, cert: _cert, ca: _ca, crl: _crl, passphrase: _passphrase, ...rest } = opts;
  return { ...rest, secureContext };
}

/** A client socket configured from `opts`, not yet connected. */
/** The checks of a client's options that need no socket (so that a connector checks them when made). */
function checkClientOptions(opts: ConnectOptions): void {
  checkObject(opts, 'opts');
  if (opts.host !== undefined) checkString(opts.host, 'opts.host');
  if (opts.servername !== undefined) checkString(opts.servername, 'opts.servername');
  if (opts.clientCertNickname !== undefined)
    checkNonEmptyString(opts.clientCertNickname, 'opts.clientCertNickname');
  if (opts.rejectUnauthorized !== undefined) checkBoolean(opts.rejectUnauthorized, 'opts.rejectUnauthorized');
  if (opts.certDB !== undefined) checkInstance(opts.certDB, CertDB, 'opts.certDB');
  if (opts.ALPNProtocols !== undefined) checkStringArray(opts.ALPNProtocols, 'opts.ALPNProtocols');
  if (opts.socket !== undefined) checkDuplex(opts.socket, 'opts.socket');
}

function configuredSocket(opts: ConnectOptions, make: SocketMaker): SSLSocket {
  checkClientOptions(opts);
  const {
    servername,
    clientCertNickname,
    rejectUnauthorized = true,
    minVersion,
    maxVersion,
    ALPNProtocols,
  } = opts;
  const sock = make({
    certDB: opts.certDB ?? getDefaultCertDB(),
    allowHalfOpen: opts.allowHalfOpen,
    suppressRaggedEOFs: opts.suppressRaggedEOFs,
    highWaterMark: opts.highWaterMark,
  });
  const name = servername || opts.host || 'localhost';
  sock.setHostname(name);
  sock.peerName = { host: opts.host ?? 'localhost', port: opts.port };
  applyVersions(sock, minVersion, maxVersion);
  applyCiphers(sock, opts.ciphers, 'opts.ciphers');
  applyGroupsAndSchemes(sock, opts);
  if (opts.requestOCSP !== undefined) checkBoolean(opts.requestOCSP, 'opts.requestOCSP');
  if (opts.requestOCSP) sock.setSSLOption(ssl.SSL_ENABLE_OCSP_STAPLING, true);
  if (opts.revocation !== undefined) {
    checkRevocationMode(opts.revocation, 'opts.revocation');
    sock.setRevocationMode(opts.revocation);
  }
  // A stapled answer saves the OCSP request (NSS takes it before it asks).
  if (sock.getRevocationMode() !== 'off') sock.setSSLOption(ssl.SSL_ENABLE_OCSP_STAPLING, true);
  if (ALPNProtocols !== undefined) sock.setALPNProtocols(ALPNProtocols);
  const context = contextOf(opts);
  trustAnchorsOf(sock, context);
  // The context's temporary certificates, session keys and CRLs live as long as the socket that uses them.
  if (context) heldContexts.set(sock, context);
  const memoryCert = context?.clientAuth();
  if (clientCertNickname !== undefined && memoryCert !== undefined)
    throw argTypeError('The "opts.clientCertNickname" and "opts.cert" options exclude each other');
  if (clientCertNickname !== undefined)
    sock.setClientAuthDataCallback(nssGetClientAuthData(clientCertNickname));
  if (memoryCert !== undefined) sock.setClientAuthDataCallback(memoryCert);
  // NSS still verifies; a failure is recorded in `authorized`/`authorizationError` instead of failing.
  if (!rejectUnauthorized) sock.setBadCertCallback(acceptAnyCertificate);
  if (opts.session !== undefined) {
    checkBuffer(opts.session, 'opts.session');
    try {
      sock.setSession(opts.session);
    } catch (err) {
      // As in node:tls, a session that cannot be resumed (expired, another server) means a full handshake.
      if (!(err instanceof NSPRError)) throw err;
    }
  }
  return sock;
}

/**
 * Like `tls.connect`, synchronously: the socket is returned at once and connects in the background; writes
 * wait for the handshake, errors arrive as `'error'`, `'secureConnect'` says the handshake is done. This is
 * what `https.Agent`, undici's `connect` option and `ws` call.
 * @example
 * ```ts
 * const sock = createConnection({ host: 'example.com', port: 443 }, () => sock.end('GET / HTTP/1.0\r\n\r\n'));
 * sock.pipe(process.stdout);
 * ```
 */
export function createConnection(opts: ConnectOptions, onSecureConnect?: () => void): SSLSocket {
  return createConnectionWith(opts, onSecureConnect, newSSLSocket);
}

/** @internal {@link createConnection} with the socket class chosen by the caller. */
export function createConnectionWith(
  opts: ConnectOptions,
  onSecureConnect: (() => void) | undefined,
  make: SocketMaker,
): SSLSocket {
  if (onSecureConnect !== undefined) checkFunction(onSecureConnect, 'onSecureConnect');
  const sock = configuredSocket(opts, make);
  if (onSecureConnect) sock.once('secureConnect', onSecureConnect);
  // Unlike SSLSocket.connect (python-nss: the handshake waits for I/O), tls.connect starts it at once.
  const start = (transport: Duplex) => {
    sock.attach(transport, false);
    sock.emit('connect');
    sock.startHandshake(); // a failure is the socket's 'error'
  };
  if (opts.socket !== undefined) {
    const given = opts.socket;
    // A net.Socket not connected yet (`new net.Socket()`, connect() called after, as node:tls allows): TLS
    // starts on its 'connect'. Attached before, the handshake met a closed socket.
    if (given instanceof net.Socket && given.pending && !given.destroyed) {
      sock.markConnecting();
      const fail = (err: Error) => sock.destroy(err);
      // Closed before it connected (destroyed, with no error), it takes the TLS socket with it, as node:tls's.
      const closedFirst = () => sock.destroy();
      // Destroyed before it had its transport, the TLS socket takes the connection with it (as node:tls's).
      const abandon = () => given.destroy();
      given.once('error', fail);
      given.once('close', closedFirst);
      sock.once('close', abandon);
      given.once('connect', () => {
        given.removeListener('error', fail);
        given.removeListener('close', closedFirst);
        sock.removeListener('close', abandon);
        if (!sock.destroyed) start(given);
        else given.destroy();
      });
    } else start(given);
    return sock;
  }
  const tcpOpts = tcpOptions(opts);
  if (opts.timeout !== undefined) checkDelay(opts.timeout, 'opts.timeout', 1);
  const host = opts.path ?? opts.host ?? 'localhost';
  const tcp = net.connect(tcpOpts);
  sock.markConnecting();
  const fail = (err: Error) => sock.destroy(err);
  tcp.once('error', fail);
  if (opts.timeout !== undefined) {
    tcp.setTimeout(opts.timeout, () =>
      fail(
        new NSPRError(
          PR_IO_TIMEOUT_ERROR,
          undefined,
          `connect to ${opts.path ?? `${host}:${String(opts.port)}`} timed out`,
        ),
      ),
    );
  }
  tcp.once('connect', () => {
    tcp.removeListener('error', fail);
    tcp.setTimeout(0);
    if (!sock.destroyed) start(tcp);
    else tcp.destroy();
  });
  sock.once('close', () => tcp.destroy());
  return sock;
}

/**
 * Like `tls.connect`, resolving once the handshake is done (rejecting with its `NSPRError`).
 * @example
 * ```ts
 * const sock = await connect({ host: 'example.com', port: 443, ALPNProtocols: ['h2', 'http/1.1'] });
 * console.log(sock.alpnProtocol, sock.getPeerCertificate()?.subject);
 * ```
 */
export function connect(opts: ConnectOptions): Promise<SSLSocket> {
  return secureConnected(createConnection(opts), opts.timeout);
}

/**
 * @internal Resolves with `sock` once its handshake is done. Its error, or `timeout` ms without a handshake
 * (`PR_IO_TIMEOUT_ERROR`), destroys it and rejects.
 */
export function secureConnected(sock: SSLSocket, timeout: number | undefined): Promise<SSLSocket> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const timer =
      timeout === undefined
        ? undefined
        : setTimeout(
            () => fail(new NSPRError(PR_IO_TIMEOUT_ERROR, undefined, 'the TLS handshake timed out')),
            timeout,
          );
    sock.once('error', fail);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      sock.removeListener('error', fail);
      resolve(sock);
    });
  });
}

/**
 * An `https.Agent` whose connections are NSS's: `https.request({ agent })`, `https.get`, and anything else
 * that takes an agent. `nss` options apply to every connection; the request's host, port and servername
 * fill in the rest.
 * @example
 * ```ts
 * const agent = new Agent({ nss: { clientCertNickname: 'me' } });
 * https.get('https://intranet.example.com/', { agent }, (res) => res.pipe(process.stdout));
 * ```
 */
export class Agent extends https.Agent {
  readonly #nss: ConnectOptions;

  constructor(opts: https.AgentOptions & { nss?: ConnectOptions } = {}) {
    checkObject(opts, 'opts');
    const { nss = {}, ...agentOptions } = opts;
    checkObject(nss, 'opts.nss');
    super(agentOptions);
    this.#nss = sharedCredentials(nss);
  }

  // Returned at once: http writes the request straight away and the socket holds it until the handshake.
  override createConnection(options: https.RequestOptions & { servername?: string }): Duplex {
    const host = options.host ?? options.hostname ?? 'localhost';
    return createConnection({
      ...this.#nss,
      host,
      port: Number(options.port ?? 443),
      servername: this.#nss.servername ?? (options.servername || (net.isIP(host) ? undefined : host)),
      rejectUnauthorized: this.#nss.rejectUnauthorized ?? options.rejectUnauthorized ?? true,
    });
  }
}

/** Options of {@link undiciConnector}: those of {@link connect} that apply to every connection. */
export interface UndiciConnectorOptions extends Omit<
  ConnectOptions,
  'host' | 'port' | 'socket' | 'session' | 'timeout'
> {
  /** Offer HTTP/2 (`['h2', 'http/1.1']`) as undici's `allowH2` does (default: HTTP/1.1 only). */
  allowH2?: boolean;
  /** Milliseconds for the connection and its handshake (default 10,000, undici's). */
  timeout?: number;
}

/**
 * The `connect` option of undici's `Agent`, `Pool` and `Client` (a `buildConnector` connector): every
 * `https:` connection undici makes is NSS's, with these options; `http:` ones are plain TCP. Port-less URLs
 * use 443 (80), the URL's host is the server name (unless it is an IP address), ALPN offers `h2` with
 * `allowH2`, sessions are resumed by NSS's cache, and failures reach undici's callback (so `fetch` rejects
 * with the `NSPRError` as its `cause`).
 *
 * @example
 * ```ts
 * import { Agent, setGlobalDispatcher } from 'undici';
 * setGlobalDispatcher(new Agent({ connect: nss.undiciConnector({ clientCertNickname: 'me' }) }));
 * await fetch('https://example.com/'); // Node's own fetch too
 * ```
 */
export function undiciConnector(opts: UndiciConnectorOptions = {}): buildConnector.connector {
  checkObject(opts, 'opts');
  const { allowH2 = false, timeout = 10_000, ...rest } = opts;
  checkBoolean(allowH2, 'opts.allowH2');
  checkDelay(timeout, 'opts.timeout', 1);
  checkClientOptions(rest);
  const nss = sharedCredentials(rest);
  const ALPNProtocols = nss.ALPNProtocols ?? (allowH2 ? ['h2', 'http/1.1'] : ['http/1.1']);
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = opts.protocol !== 'http:';
    const port = opts.port ? Number(opts.port) : secure ? 443 : 80;
    let done = false;
    const finish = (...args: [null, net.Socket] | [Error, null]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      callback(...args);
    };
    let sock: Duplex;
    if (secure) {
      const tlsSocket = createConnection({
        ...nss,
        host,
        port,
        servername: nss.servername ?? opts.servername ?? (net.isIP(host) ? undefined : host),
        ALPNProtocols,
        socket: opts.httpSocket,
      });
      tlsSocket.once('secureConnect', () => finish(null, tlsSocket as unknown as net.Socket));
      sock = tlsSocket;
    } else {
      const tcp = net.connect({ host, port, localAddress: opts.localAddress ?? undefined });
      tcp.once('connect', () => finish(null, tcp));
      sock = tcp;
    }
    sock.once('error', (err: Error) => finish(err, null));
    const timer = setTimeout(() => {
      const err = new NSPRError(PR_IO_TIMEOUT_ERROR, undefined, `connecting to ${host}:${port} timed out`);
      finish(err, null);
      sock.destroy(err);
    }, timeout);
  };
}

/** Options of {@link createServer}. */
export interface CreateServerOptions {
  /**
   * The name under which this server shares sessions with the same server in the other workers of a
   * cluster whose primary called `configMPServerSIDCache` (as `SSLServerOptions.sessionIdContext`).
   */
  sessionIdContext?: string;
  /**
   * Nicknames of the server certificates in the database (one per key type: RSA and EC may serve side by
   * side). Not needed with `cert`/`key` or `secureContext`; with them, both are served.
   */
  certNickname?: string | string[];
  /** Server certificate chains held in memory (PEM or DER), each with its key in `key`. */
  cert?: CertificateInput | CertificateInput[];
  /** The private keys of `cert` (PEM, DER or `KeyObject`). */
  key?: KeyInput | KeyInput[];
  /** Password of encrypted keys. */
  passphrase?: string;
  /** Verify client certificates against these CAs instead of the database's trust. */
  ca?: CertificateInput | CertificateInput[];
  /** CRLs (PEM or DER) checked while the server lives, as {@link SecureContextOptions.crl}. */
  crl?: string | Buffer | (string | Buffer)[];
  /** Server certificates with their keys in PKCS #12 files, as {@link SecureContextOptions.pfx}. */
  pfx?: PfxInput | PfxInput[];
  /**
   * How client certificates are checked for revocation (default: the process's,
   * {@link setDefaultRevocationMode}). NSS needs the answer inside the handshake: OCSP is asked on the
   * JavaScript thread, bounded by {@link setOCSPTimeout}.
   */
  revocation?: RevocationMode;
  /** Credentials made once with {@link createSecureContext}, instead of `cert`/`key`/`ca`/`crl`/`pfx`. */
  secureContext?: SecureContext;
  /**
   * Chooses the certificate by the name the client asks for, as {@link SSLServer.setSNICallback}. With it the
   * server needs no certificate of its own: a client the callback has none for (or that sends no name) fails.
   */
  SNICallback?: SNICallback;
  certDB?: CertDB;
  /** Ask clients for a certificate; one that sends none still connects, unauthorized (as node:tls). */
  requestCert?: boolean;
  /** Refuse clients without a valid certificate (implies `requestCert`). */
  requireCert?: boolean;
  /** Accepted sockets stay writable after the client ended its direction (default `false`, as node:tls). */
  allowHalfOpen?: boolean;
  ALPNProtocols?: string[];
  /** Chooses each connection's protocol among the client's, as {@link SSLServer.setALPNCallback}. */
  ALPNCallback?: ALPNCallback;
  minVersion?: TLSVersionName;
  maxVersion?: TLSVersionName;
  /**
   * The cipher suites, as node:tls's `ciphers` (OpenSSL names such as `ECDHE-RSA-AES128-GCM-SHA256`, or IANA
   * names): exactly those named are enabled, in NSS's order (NSS keeps one), with TLS 1.3's defaults when the
   * list names none of them; OpenSSL keywords (`HIGH`, `!aNULL`, …) keep the secure defaults and add what is
   * named. As OpenSSL, a name NSS does not implement is skipped (one `NODE_NSS_UNSUPPORTED_CIPHER` warning per
   * name) when another entry selects something; a list that selects nothing is a RangeError.
   */
  ciphers?: string;
  /**
   * The key-exchange groups, as node:tls's `ecdhCurve`: colon-separated names in preference order (`'X25519:P-256'`;
   * OpenSSL's `prime256v1`, `secp384r1` and `ffdhe2048`… too), or `'auto'` for NSS's defaults. A group NSS does
   * not implement (X448, brainpool) is a RangeError. The same as `setNamedGroups`.
   */
  ecdhCurve?: string;
  /**
   * The signature schemes, as node:tls's `sigalgs`: colon-separated TLS 1.3 names (`'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256'`)
   * or OpenSSL's `RSA-PSS+SHA256`, `ECDSA+SHA384`, `RSA+SHA256`. The same as `setSignatureSchemes`.
   */
  sigalgs?: string;
}

/**
 * Like `tls.createServer`: an {@link SSLServer} serving the named certificates; `onSecureConnection` gets
 * each socket after its handshake. Call `listen` to start.
 * @example
 * ```ts
 * const server = createServer({ certNickname: 'server', requestCert: true, requireCert: true }, (sock) =>
 *   sock.end(`hello ${sock.getPeerCertificate()?.subjectCommonName}\n`),
 * );
 * await server.listen({ port: 8443 });
 * ```
 */
export function createServer(
  opts: CreateServerOptions,
  onSecureConnection?: (sock: SSLSocket) => void,
): SSLServer {
  checkObject(opts, 'opts');
  const nicknames =
    opts.certNickname === undefined
      ? []
      : Array.isArray(opts.certNickname)
        ? opts.certNickname
        : [opts.certNickname];
  nicknames.forEach((nick, i) => checkNonEmptyString(nick, `opts.certNickname[${i}]`));
  if (onSecureConnection !== undefined) checkFunction(onSecureConnection, 'onSecureConnection');
  if (opts.certDB !== undefined) checkInstance(opts.certDB, CertDB, 'opts.certDB');
  if (opts.requestCert !== undefined) checkBoolean(opts.requestCert, 'opts.requestCert');
  if (opts.requireCert !== undefined) checkBoolean(opts.requireCert, 'opts.requireCert');
  if (opts.ALPNProtocols !== undefined) checkStringArray(opts.ALPNProtocols, 'opts.ALPNProtocols');
  if (opts.allowHalfOpen !== undefined) checkBoolean(opts.allowHalfOpen, 'opts.allowHalfOpen');
  if (opts.revocation !== undefined) checkRevocationMode(opts.revocation, 'opts.revocation');
  if (opts.SNICallback !== undefined) checkFunction(opts.SNICallback, 'opts.SNICallback');
  if (opts.ALPNCallback !== undefined) checkFunction(opts.ALPNCallback, 'opts.ALPNCallback');
  const context = contextOf(opts);
  if (nicknames.length === 0 && !context?.identities.length && opts.SNICallback === undefined)
    throw argValueError(
      'The server has no certificate: give "opts.cert" and "opts.key", "opts.certNickname", or "opts.SNICallback"',
    );
  const db = opts.certDB ?? getDefaultCertDB();
  const server = new SSLServer({
    certDB: db,
    allowHalfOpen: opts.allowHalfOpen,
    sessionIdContext: opts.sessionIdContext,
  });
  for (const nick of nicknames) {
    const cert = db.findCertFromNickname(nick);
    server.configSecureServer(cert, db.findKeyByAnyCert(cert));
  }
  for (const { cert, key } of context?.identities ?? []) server.configSecureServer(cert, key);
  trustAnchorsOf(server, context);
  // The temporary certificates, session keys and CRLs live as long as the server that serves them.
  if (context) heldContexts.set(server, context);
  if (opts.revocation !== undefined) server.setRevocationMode(opts.revocation);
  applyVersions(server, opts.minVersion, opts.maxVersion);
  applyCiphers(server, opts.ciphers, 'opts.ciphers');
  applyGroupsAndSchemes(server, opts);
  if (opts.requestCert || opts.requireCert) server.setSSLOption(ssl.SSL_REQUEST_CERTIFICATE, true);
  // NSS's own default (SSL_REQUIRE_FIRST_HANDSHAKE) would refuse a client without one: requestCert only asks.
  server.setSSLOption(
    ssl.SSL_REQUIRE_CERTIFICATE,
    opts.requireCert ? ssl.SSL_REQUIRE_ALWAYS : ssl.SSL_REQUIRE_NEVER,
  );
  if (opts.ALPNProtocols !== undefined) server.setALPNProtocols(opts.ALPNProtocols);
  if (opts.SNICallback !== undefined) server.setSNICallback(opts.SNICallback);
  if (opts.ALPNCallback !== undefined) server.setALPNCallback(opts.ALPNCallback);
  if (onSecureConnection) server.on('secureConnection', onSecureConnection);
  return server;
}
