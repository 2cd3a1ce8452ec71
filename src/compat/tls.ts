/**
 * `node-nss/tls`: node:tls's shape over NSS. Swap `import * as tls from 'node:tls'` for
 * `import * as tls from 'node-nss/tls'` and the same code handshakes through NSS: `connect` returns the
 * socket at once, `createServer` a `net.Server`, `getPeerCertificate()` node's object (`subject.CN`,
 * `subjectaltname`, `fingerprint256`, `raw`, `issuerCertificate`), PEM `key`/`cert`/`ca` held in memory.
 * NSS is initialised on first use without a database (Mozilla's roots) unless `init()` ran before. What NSS
 * cannot do is listed in the README's table, not silently ignored.
 *
 * @example
 * ```ts
 * import * as tls from 'node-nss/tls';
 * const server = tls.createServer({ key, cert }, (sock) => sock.end('hello\n'));
 * server.listen(8443, () => {
 *   const sock = tls.connect(8443, 'localhost', { ca }, () => console.log(sock.getProtocol()));
 * });
 * ```
 *
 * @packageDocumentation
 */
import { X509Certificate, constants as cryptoConstants } from 'node:crypto';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as nodeTLS from 'node:tls';
import { init, isInitialized } from '../nss.js';
import { binding } from '../core/binding.js';
import * as c from '../core/constants.js';
import { NSPRError } from '../core/errors.js';
import { warnOnce } from '../core/warnings.js';
import { checkBuffer, checkFunction, checkObject, argTypeError, argValueError } from '../core/validate.js';
import type { Certificate } from '../pki/certificate.js';
import { getDefaultCertDB } from '../pki/certdb.js';
import { findSlotByName } from '../pki/slot.js';
import * as ssl from '../tls/constants.js';
import { cipherListSuites, defaultCipherList } from '../tls/cipher-list.js';
import { ecdhCurveGroups, sigalgsSchemes } from '../tls/config.js';
import {
  createConnectionWith,
  createServer as createSSLServer,
  type ConnectOptions,
  type TLSVersionName,
  versionName,
} from '../tls/connect.js';
import {
  createSecureContext as createNSSSecureContext,
  SecureContext,
  type CertificateInput,
  type KeyInput,
  type SecureContextOptions,
} from '../tls/secure-context.js';
import type { OCSPRequestCallback, SSLServer } from '../tls/server.js';
import { acceptListened } from '../tls/server.js';
import { extraTrustAnchors } from '../tls/extra-ca.js';
import type { AnyListener, Listener } from '../core/events.js';
import {
  peerVerdict,
  SSLSocket,
  type AuthCertificateCallback,
  type SSLSocketOptions,
} from '../tls/socket.js';
import { verifyPeer, verifyServerWithRevocation } from '../tls/verification-cache.js';
import type { RevocationMode } from '../pki/revocation-mode.js';

const SSL_ERROR_BAD_CERT_DOMAIN = -12276; // sslerr.h
import type { ALPNRequest, SNIResult } from '../tls/callbacks.js';

export { SecureContext };
export type { SecureContextOptions };

/**
 * A version node's `--tls-min-v1.3`/`--tls-max-v1.2` flags (or an assignment before this module loaded) gave
 * node:tls's defaults, where NSS offers it here; below TLS 1.2 (`--tls-min-v1.0`) the default stays, said once.
 */
function fromNodeDefault(version: string, fallback: TLSVersionName): TLSVersionName {
  if (version === 'TLSv1.2' || version === 'TLSv1.3') return version;
  process.emitWarning(
    `node-nss/tls offers no TLS version below 1.2 (node:tls's default is ${version}); ${fallback} stays`,
    {
      code: 'NODE_NSS_UNSUPPORTED_OPTION',
    },
  );
  return fallback;
}

/**
 * node:tls's defaults, as NSS applies them, for connections and servers given no `minVersion`/`maxVersion`:
 * TLS 1.2 and 1.3, or what node's `--tls-min-v1.3`/`--tls-max-v1.2` flags make node:tls's. Assignable as
 * node:tls's (`tls.DEFAULT_MAX_VERSION = 'TLSv1.2'`, through `require` or the default import): read when each
 * connection or server is made.
 */
// eslint-disable-next-line prefer-const -- assigned from outside the module, as node:tls's are
export let DEFAULT_MIN_VERSION: TLSVersionName = fromNodeDefault(nodeTLS.DEFAULT_MIN_VERSION, 'TLSv1.2');
// eslint-disable-next-line prefer-const -- as DEFAULT_MIN_VERSION
export let DEFAULT_MAX_VERSION: TLSVersionName = fromNodeDefault(nodeTLS.DEFAULT_MAX_VERSION, 'TLSv1.3');
const DEFAULT_CIPHER_LIST = defaultCipherList();
/** node's `--tls-cipher-list`, which replaces node:tls's default list (crypto's `defaultCipherList` shows it). */
const nodeCipherList =
  cryptoConstants.defaultCipherList !== cryptoConstants.defaultCoreCipherList
    ? cryptoConstants.defaultCipherList
    : undefined;
/**
 * node-nss's secure default suites as a node:tls `ciphers` list (OpenSSL's names; IANA's for TLS 1.3), to
 * build on as node:tls code does (`DEFAULT_CIPHERS + ':!aNULL'`), or node's `--tls-cipher-list` when it was
 * given. Assigned, it is the `ciphers` of the connections and servers made after without one, as node:tls's.
 */
// eslint-disable-next-line prefer-const -- as DEFAULT_MIN_VERSION
export let DEFAULT_CIPHERS: string = nodeCipherList ?? DEFAULT_CIPHER_LIST;
/** The list to apply for `ciphers` left out: none (the defaults) until DEFAULT_CIPHERS is assigned. */
function defaultCiphers(): string | undefined {
  return DEFAULT_CIPHERS === DEFAULT_CIPHER_LIST ? undefined : DEFAULT_CIPHERS;
}

// node:tls options that have no NSS mapping here yet (see the README's table): used, they give a warning
// once per option rather than nothing at all.
const UNSUPPORTED_OPTIONS = [
  'dhparam',
  'ticketKeys',
  'sessionTimeout',
  'enableTrace',
  'honorCipherOrder',
  'secureOptions',
  'privateKeyEngine',
  'privateKeyIdentifier',
  'clientCertEngine',
  'pskCallback',
  'pskIdentityHint',
  'minDHSize',
  'onread',
] as const;

/** What `server.setSecureContext(options)` replaces, as node:tls's does (left out: none). */
const REPLACED_BY_SET_SECURE_CONTEXT = [
  'key',
  'cert',
  'pfx',
  'passphrase',
  'ca',
  'crl',
  'ciphers',
  'ecdhCurve',
  'sigalgs',
  'sessionIdContext',
  'certNickname',
] as const;

/** The `NODE_NSS_UNSUPPORTED_OPTION` warning about `option`, once per process. */
function warnUnsupportedOnce(option: string, message: string): void {
  warnOnce(option, message, { code: 'NODE_NSS_UNSUPPORTED_OPTION' });
}

function warnUnsupported(options: object): void {
  for (const name of UNSUPPORTED_OPTIONS) {
    if ((options as Record<string, unknown>)[name] == null) continue;
    warnUnsupportedOnce(name, `node-nss/tls does not support the "${name}" option yet; it is ignored`);
  }
}

/** Initialises NSS without a database (Mozilla's roots) unless the application did so first. */
function ensureInit(): void {
  if (!isInitialized()) init();
}

/** node:tls's certificate object, from `X509Certificate.toLegacyObject()`, with node's chain link. */
export type PeerCertificate = nodeTLS.PeerCertificate;
export type DetailedPeerCertificate = nodeTLS.DetailedPeerCertificate;

function legacyObject(cert: Certificate): PeerCertificate {
  return new X509Certificate(cert.derData).toLegacyObject();
}

/**
 * The peer's chain as it sent it, completed with the issuers this side knows, up to a self-signed root: its
 * trust anchors (`ca`), else the certificates NSS knows (the database, and those in memory). node:tls gives
 * the chain it verified, root included, so code walking `issuerCertificate` until a certificate is its own
 * issuer ends.
 */
function completeChain(sent: Certificate[], anchors: Certificate[]): Certificate[] {
  const chain = [...sent];
  for (let last = chain[chain.length - 1]!; chain.length < 16;) {
    const x509 = last.toX509Certificate();
    if (x509.checkIssued(x509)) break;
    const fromAnchors = anchors.find((anchor) => x509.checkIssued(anchor.toX509Certificate()));
    let next = fromAnchors;
    if (next === undefined) {
      try {
        next = last.getChain(getDefaultCertDB())[1];
      } catch {
        next = undefined; // NSS knows no chain for it
      }
    }
    if (next === undefined || chain.some((cert) => cert.equals(next))) break;
    chain.push(next);
    last = next;
  }
  return chain;
}

/** The options of node:tls's `new TLSSocket(socket, options)`: a server's (`isServer: true`) or a client's. */
export interface TLSSocketOptions
  extends Omit<ConnectionOptions, 'socket'>, Omit<TlsOptions, keyof ConnectionOptions> {
  /** The server's end of the connection (default: the client's). */
  isServer?: boolean;
  /** With `isServer`: the node-nss/tls server whose accepted socket this is (its options and events). */
  server?: Server | net.Server;
}

// `new TLSSocket(socket, options)` configures the socket after its base constructor ran: what that needs is
// decided before it (the model of a server's end) and done after it (planAdoption, takeAdoption).
let adoption: ((sock: TLSSocket) => void) | undefined;

function planAdoption(socket: Duplex, options: TLSSocketOptions): SSLSocketOptions {
  checkObject(options, 'options');
  ensureInit();
  const { isServer, server, ...rest } = options;
  if (!isServer) {
    adoption = (sock) => {
      connectWith({ ...rest, socket }, undefined, (made) => {
        if (made.certDB !== undefined) sock.setCertificateDB(made.certDB);
        return sock as unknown as SSLSocket;
      });
    };
    return { allowHalfOpen: options.allowHalfOpen, highWaterMark: options.highWaterMark };
  }
  const model = server instanceof Server ? server.nssServer : new Server(rest as TlsOptions).nssServer;
  adoption = (sock) => {
    // The server accepts the connection as its own, with this socket for the one it would make.
    const make = Object.getOwnPropertyDescriptor(model, 'newSocket');
    model.newSocket = () => sock as unknown as SSLSocket;
    try {
      model.handleConnection(socket as net.Socket);
    } finally {
      if (make) Object.defineProperty(model, 'newSocket', make);
      else delete (model as { newSocket?: unknown }).newSocket;
    }
  };
  return { model, allowHalfOpen: options.allowHalfOpen, highWaterMark: options.highWaterMark };
}

/** `new TLSSocket()` may be the first use of node-nss/tls, as of node:tls: NSS is initialised first. */
function initialised(options: SSLSocketOptions): SSLSocketOptions {
  ensureInit();
  return options;
}

function takeAdoption(): ((sock: TLSSocket) => void) | undefined {
  const plan = adoption;
  adoption = undefined;
  return plan;
}

/**
 * node:tls's `TLSSocket` over NSS: an {@link SSLSocket} (every NSS method is there too) whose
 * `getPeerCertificate()` and `getCertificate()` answer in node:tls's shape; the NSS objects are
 * {@link TLSSocket.getPeerNSSCertificate} and {@link TLSSocket.getNSSCertificate}.
 */
// The NSS-style getPeerCertificate()/getCertificate() are replaced by node's: the base is seen without them
// (and without the engine internals, which nothing here uses).
const SSLSocketBase = SSLSocket as unknown as new (
  opts?: SSLSocketOptions,
) => Omit<SSLSocket, 'getPeerCertificate' | 'getCertificate' | 'engine' | 'serverSessions'>;

/**
 * @example
 * ```ts
 * import * as tls from 'node-nss/tls';
 * const sock = tls.connect(443, 'example.com', { servername: 'example.com' }, () => {
 *   console.log(sock.getProtocol(), sock.getPeerCertificate().subject.CN);
 *   sock.end();
 * });
 * ```
 */
export class TLSSocket extends SSLSocketBase {
  #lastSession: Buffer | undefined;

  /**
   * As node:tls's `new TLSSocket(socket, options)`: TLS over a connection the application holds (STARTTLS).
   * With `isServer: true` it is the server's end, as an accepted socket of `options.server` (a node-nss/tls
   * {@link Server}) or of a server made from `options` (`secureContext`, `key`/`cert`, `requestCert`,
   * `rejectUnauthorized`, `ALPNProtocols`, `SNICallback`, …); the handshake starts with the client's
   * ClientHello and `'secure'` follows it, as in node:tls. Otherwise it is a client, as `connect({ socket,
   * ...options })`, whose handshake starts at once (node:tls's waits for `tls.connect`; use that form).
   */
  constructor(socket: Duplex, options?: TLSSocketOptions);
  /** @internal Made by {@link connect} and {@link Server}. */
  constructor(opts?: SSLSocketOptions);
  constructor(first: Duplex | SSLSocketOptions = {}, options: TLSSocketOptions = {}) {
    super(first instanceof Duplex ? planAdoption(first, options) : initialised(first));
    const plan = takeAdoption();
    this.on('session', (session: Buffer) => {
      this.#lastSession = session;
    });
    plan?.(this);
  }

  /** The peer's certificate as an NSS {@link Certificate}, or `null`. */
  getPeerNSSCertificate(): Certificate | null {
    return SSLSocket.prototype.getPeerCertificate.call(this as unknown as SSLSocket);
  }

  /** This end's certificate as an NSS {@link Certificate}, or `null`. */
  getNSSCertificate(): Certificate | null {
    return SSLSocket.prototype.getCertificate.call(this as unknown as SSLSocket);
  }

  /**
   * As node:tls: the peer's certificate as an object (`subject.CN`, `subjectaltname`, `valid_to`,
   * `fingerprint256`, `raw`, …), `{}` when it sent none, `null` once destroyed; with `detailed`, each
   * certificate links to its issuer through `issuerCertificate` (a self-signed root to itself).
   */
  getPeerCertificate(detailed?: false): PeerCertificate;
  getPeerCertificate(detailed: true): DetailedPeerCertificate;
  getPeerCertificate(detailed?: boolean): PeerCertificate | DetailedPeerCertificate;
  getPeerCertificate(detailed = false): PeerCertificate | DetailedPeerCertificate | null {
    if (this.destroyed) return null;
    const leaf = this.getPeerNSSCertificate();
    if (leaf === null) return {} as PeerCertificate;
    if (!detailed) return legacyObject(leaf);
    const sent = this.getPeerCertificateChain();
    const chain = completeChain(sent.length > 0 ? sent : [leaf], this.getTrustAnchors() ?? []);
    const objects = chain.map((cert) => legacyObject(cert) as DetailedPeerCertificate);
    objects.forEach((object, i) => {
      const next = objects[i + 1];
      const selfSigned = chain[i]!.toX509Certificate().checkIssued(chain[i]!.toX509Certificate());
      object.issuerCertificate = next ?? (selfSigned ? object : (undefined as never));
    });
    return objects[0] as DetailedPeerCertificate;
  }

  /** As node:tls: this end's certificate as an object, `{}` without one, `null` once destroyed. */
  getCertificate(): PeerCertificate | null {
    if (this.destroyed) return null;
    const cert = this.getNSSCertificate();
    return cert ? legacyObject(cert) : ({} as PeerCertificate);
  }

  /** The peer's certificate as a `crypto.X509Certificate`, or `undefined`. */
  getPeerX509Certificate(): X509Certificate | undefined {
    const leaf = this.getPeerNSSCertificate();
    if (leaf === null) return undefined;
    // As node:tls's, each links to its issuer (`issuerCertificate`) along the chain getPeerCertificate walks.
    const sent = this.getPeerCertificateChain();
    const chain = completeChain(sent.length > 0 ? sent : [leaf], this.getTrustAnchors() ?? []).map(
      (cert) => new X509Certificate(cert.derData),
    );
    chain.forEach((x509, i) => {
      const issuer = chain[i + 1];
      if (issuer !== undefined) Object.defineProperty(x509, 'issuerCertificate', { value: issuer });
    });
    return chain[0];
  }

  /** This end's certificate as a `crypto.X509Certificate`, or `undefined`. */
  getX509Certificate(): X509Certificate | undefined {
    const cert = this.getNSSCertificate();
    return cert ? new X509Certificate(cert.derData) : undefined;
  }

  /** Whether the handshake resumed a session. */
  isSessionReused(): boolean {
    return this.getProtocol() !== null && this.getSSLChannelInfo().resumed;
  }

  /**
   * The last session this client received (a Buffer for `connect({ session })`), once a `'session'`
   * listener was added before the handshake — NSS hands sessions to the application only then, and keeps
   * the others in its own cache, where the next connection to the same server finds them by itself.
   */
  getSession(): Buffer | undefined {
    return this.#lastSession;
  }

  /** NSS does not expose TLS 1.3 tickets apart from the session: `undefined`, as node:tls without one. */
  getTLSTicket(): Buffer | undefined {
    return undefined;
  }

  /** NSS does not expose the Finished messages: `undefined` (node:tls's answer before the handshake). */
  getFinished(): Buffer | undefined {
    return undefined;
  }

  /** As {@link getFinished}. */
  getPeerFinished(): Buffer | undefined {
    return undefined;
  }

  /**
   * The key exchange of a client's connection: `{ type: 'ECDH', name: 'X25519' | 'prime256v1' | …, size }`
   * or `{ type: 'DH', size }`; `{}` on a server, as node:tls; `null` before the handshake.
   */
  getEphemeralKeyInfo(): { type?: string; name?: string; size?: number } | null {
    if (this.getProtocol() === null) return null;
    if (this.isServer) return {};
    const { keaGroup, keaKeyBits } = this.getSSLChannelInfo();
    const ec = EC_GROUP_NAMES[keaGroup];
    if (ec !== undefined) return { type: 'ECDH', name: ec, size: keaKeyBits };
    return keaKeyBits > 0 ? { type: 'DH', size: keaKeyBits } : {};
  }

  /**
   * As node:tls: a new, full handshake (TLS 1.2 renegotiation); `callback(err)` when it is done. On a server,
   * `requestCert` asks the client for its certificate in that handshake and `rejectUnauthorized: false` keeps
   * a client whose certificate fails, unauthorized, as node:tls's. TLS 1.3 has no renegotiation: `false`, and
   * `callback` gets `SSL_ERROR_RENEGOTIATION_NOT_ALLOWED`, as node:tls's fails — except on a server asking for
   * certificates, which sends a post-handshake CertificateRequest (clients that allow it answer).
   */
  renegotiate(
    options: { rejectUnauthorized?: boolean; requestCert?: boolean },
    callback?: (err: Error | null) => void,
  ): boolean {
    checkObject(options, 'options');
    if (callback !== undefined) checkFunction(callback, 'callback');
    if (this.destroyed || this.getProtocol() === null) return false;
    const { requestCert, rejectUnauthorized } = options;
    const verifyChanged = this.isServer && (requestCert !== undefined || rejectUnauthorized !== undefined);
    if (verifyChanged) {
      const asks = requestCert ?? this.getSSLOption(ssl.SSL_REQUEST_CERTIFICATE) === 1;
      const requires =
        rejectUnauthorized ?? this.getSSLOption(ssl.SSL_REQUIRE_CERTIFICATE) !== ssl.SSL_REQUIRE_NEVER;
      this.setSSLOption(ssl.SSL_REQUEST_CERTIFICATE, asks);
      this.setSSLOption(
        ssl.SSL_REQUIRE_CERTIFICATE,
        asks && requires ? ssl.SSL_REQUIRE_ALWAYS : ssl.SSL_REQUIRE_NEVER,
      );
      this.setBadCertCallback(asks && !requires ? () => true : null);
    }
    const tls13 = this.getProtocol() === 'TLSv1.3';
    if (tls13 && !(this.isServer && this.getSSLOption(ssl.SSL_REQUEST_CERTIFICATE) === 1)) {
      const refused = new NSPRError(c.errnos.SSL_ERROR_RENEGOTIATION_NOT_ALLOWED);
      if (callback !== undefined) process.nextTick(callback, refused);
      return false;
    }
    // Full, as OpenSSL's SSL_renegotiate: NSS's abbreviated renegotiation (the session resumed) fails with
    // OpenSSL's servers, which answer it (measured, NSS 3.87 and OpenSSL 3.0: SSL_ERROR_RX_UNEXPECTED_CHANGE_CIPHER).
    this.rehandshake(true).then(
      () => callback?.(null),
      (err: Error) => (callback ? callback(err) : this.destroy(err)),
    );
    return true;
  }

  /** As node:tls: the peer may not renegotiate on this connection (TLS 1.2 and below). */
  disableRenegotiation(): void {
    this.setSSLOption(ssl.SSL_ENABLE_RENEGOTIATION, ssl.SSL_RENEGOTIATE_NEVER);
    this.renegotiationLimit = 0;
  }

  /** As node:tls: the SNI name a client sends (and checks the certificate against), before it connects. */
  setServername(name: string): void {
    this.setHostname(name);
  }
}

const EC_GROUP_NAMES: Record<number, string> = {
  [c.ssl_grp_ec_curve25519]: 'X25519',
  [c.ssl_grp_ec_secp256r1]: 'prime256v1',
  [c.ssl_grp_ec_secp384r1]: 'secp384r1',
  [c.ssl_grp_ec_secp521r1]: 'secp521r1',
};

const newTLSSocket = (opts: SSLSocketOptions): SSLSocket => new TLSSocket(opts) as unknown as SSLSocket;

/** The options of {@link connect} that NSS honours (node:tls's names). */
export interface ConnectionOptions
  extends
    SecureContextOptions,
    // net.connect's, as node-nss's connect takes them
    Pick<ConnectOptions, 'path' | 'localAddress' | 'localPort' | 'family' | 'hints' | 'lookup'> {
  host?: string;
  port?: number;
  /** SNI and the name the certificate is checked against; default `host` unless it is an IP address. */
  servername?: string;
  /** Default `true`. With `false` the handshake goes on and `authorized`/`authorizationError` say why not. */
  rejectUnauthorized?: boolean;
  /** As node:tls: protocol names, as strings or bytes, or their wire form in one buffer (convertALPNProtocols). */
  ALPNProtocols?: ALPNProtocolsInput;
  minVersion?: TLSVersionName;
  maxVersion?: TLSVersionName;
  /** A session from an earlier socket's `'session'` event or `getSession()`. */
  session?: Buffer;
  /** Run TLS over this connected socket (STARTTLS) instead of opening a connection. */
  socket?: Duplex;
  /** As node:tls: `setTimeout(timeout)` on the socket (`'timeout'` events; the socket is not closed). */
  timeout?: number;
  /** As net.connect: aborting it destroys the socket with an `AbortError` (`ABORT_ERR`). */
  signal?: AbortSignal;
  secureContext?: SecureContext;
  allowHalfOpen?: boolean;
  /** As node:tls: the socket's `readableHighWaterMark` and `writableHighWaterMark`, in bytes. */
  highWaterMark?: number;
  /** node-nss: a client certificate from the database or a token, by nickname or `pkcs11:` URI. */
  clientCertNickname?: string;
  /** As node:tls: OpenSSL (or IANA) suite names; see `createServer`'s `ciphers` in node-nss. */
  ciphers?: string;
  /** As node:tls: key-exchange groups (`'X25519:P-256'`, `'auto'`), see `createServer`'s in node-nss. */
  ecdhCurve?: string;
  /** As node:tls: signature schemes (`'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256'`). */
  sigalgs?: string;
  /** As node:tls: ask for a stapled OCSP response, emitted as `'OCSPResponse'` before `'secureConnect'`. */
  requestOCSP?: boolean;
  /**
   * node-nss: check the server's certificate for revocation with OCSP, `'soft'` or `'hard'` (default: the
   * process's, `setDefaultRevocationMode`, itself `'off'` unless `NODE_NSS_REVOCATION` set it for
   * `node-nss/register`). node:tls has no such check.
   */
  revocation?: RevocationMode;
  /**
   * As node:tls: called with the server name and the certificate (node's object) once NSS verified the chain;
   * an Error it returns fails the handshake (it is the `cause` of the socket's error). NSS's own host-name
   * check is replaced by it, as node:tls's is.
   */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
}

type ConnectArgs =
  | [options: ConnectionOptions, callback?: () => void]
  | [port: number, host?: string, options?: ConnectionOptions, callback?: () => void]
  | [port: number, options?: ConnectionOptions, callback?: () => void]
  | [path: string, options?: ConnectionOptions, callback?: () => void];

/** node:tls's argument forms: `(options[, cb])`, `(port[, host][, options][, cb])`, `(path[, options][, cb])`. */
function connectArguments(args: ConnectArgs): [ConnectionOptions, (() => void) | undefined] {
  const rest: unknown[] = [...args];
  let options: ConnectionOptions = {};
  if (typeof rest[0] === 'number' || isDigits(rest[0])) {
    options.port = Number(rest.shift());
    if (typeof rest[0] === 'string') options.host = rest.shift() as string;
  } else if (typeof rest[0] === 'string') {
    // A Unix domain socket, as net.connect(path).
    options.path = rest.shift() as string;
  }
  if (typeof rest[0] === 'object' && rest[0] !== null)
    options = { ...(rest.shift() as ConnectionOptions), ...options };
  const callback = rest.shift();
  if (callback !== undefined) checkFunction(callback, 'callback');
  return [options, callback as (() => void) | undefined];
}

/**
 * As `tls.connect`: the socket at once, connecting in the background; `callback` on `'secureConnect'`.
 * Verification is on (chain and host name) unless `rejectUnauthorized: false`.
 */
export function connect(options: ConnectionOptions, callback?: () => void): TLSSocket;
export function connect(
  port: number,
  host?: string,
  options?: ConnectionOptions,
  callback?: () => void,
): TLSSocket;
export function connect(port: number, options?: ConnectionOptions, callback?: () => void): TLSSocket;
export function connect(path: string, options?: ConnectionOptions, callback?: () => void): TLSSocket;
export function connect(...args: ConnectArgs): TLSSocket {
  const [options, callback] = connectArguments(args);
  return connectWith(options, callback, newTLSSocket);
}

/**
 * As node:tls's connect: a `secureContext` is all the client's credentials (`key`, `cert`, `ca`, … are read
 * only to make one when it is missing); `null` is none. (node:tls's servers read `key` and `cert` whatever
 * `secureContext` says; node-nss/tls's refuse the two together.)
 */
function contextFirst<T extends { secureContext?: SecureContext | null }>(options: T): T {
  if (options.secureContext === undefined || options.secureContext === null) {
    const { secureContext: _none, ...rest } = options;
    return rest as T;
  }
  const {
    key: _k,
    cert: _c,
    ca: _a,
    crl: _r,
    pfx: _p,
    passphrase: _s,
    ...rest
  } = options as T & SecureContextOptions;
  // The context's versions, suites, groups and schemes too, where it was made here.
  const protocol = contextProtocols.get(options.secureContext);
  if (protocol === undefined) return rest as T;
  const {
    minVersion: _min,
    maxVersion: _max,
    ciphers: _ci,
    ecdhCurve: _e,
    sigalgs: _si,
    ...others
  } = rest as T & ContextProtocol;
  return {
    ...others,
    ...Object.fromEntries(Object.entries(protocol).filter(([, v]) => v !== undefined)),
  } as unknown as T;
}

// node:tls options it takes `null` for as for no value (it reads them with `== null` or as falsy); others, such
// as ecdhCurve, it refuses null for, and so does node-nss/tls.
const NULL_IS_NO_VALUE = [
  'key',
  'cert',
  'ca',
  'crl',
  'pfx',
  'passphrase',
  'ciphers',
  'sigalgs',
  'minVersion',
  'maxVersion',
  'ALPNProtocols',
  'sessionIdContext',
  'servername',
  'requestCert',
  'rejectUnauthorized',
] as const;
const BELOW_TLS_1_2 = new Set(['TLSv1', 'TLSv1.1']);

/**
 * Options as node:tls reads them: `null` is no value (NULL_IS_NO_VALUE); `secureProtocol` (an OpenSSL method
 * name) is the version range it names; and a `minVersion` below TLS 1.2, from which node:tls negotiates up to
 * what both ends have, is TLS 1.2 (said once: NSS here offers nothing older). A `maxVersion` below TLS 1.2
 * stays an error: no connection could be made.
 */
function asNodeReadsOptions<T extends object>(options: T): T {
  const given = options as Record<string, unknown>;
  const method = given.secureContext == null && typeof given.secureProtocol === 'string';
  const old = typeof given.minVersion === 'string' && BELOW_TLS_1_2.has(given.minVersion);
  if (!old && !method && !NULL_IS_NO_VALUE.some((name) => given[name] === null)) return options;
  const read = { ...given };
  for (const name of NULL_IS_NO_VALUE) if (read[name] === null) delete read[name];
  if (method) Object.assign(read, secureProtocolRange(read));
  delete read.secureProtocol;
  if (typeof read.minVersion === 'string' && BELOW_TLS_1_2.has(read.minVersion)) {
    warnUnsupportedOnce(
      'minVersion',
      `node-nss/tls offers no TLS version below 1.2 (minVersion ${String(read.minVersion)}); TLSv1.2 is the minimum`,
    );
    read.minVersion = 'TLSv1.2';
  }
  return read as T;
}

/**
 * The versions an OpenSSL method name (`secureProtocol`) allows, as node:tls reads it: `TLS_method` any,
 * `SSLv23_method` up to TLS 1.2, `TLSv1_2_method` only TLS 1.2 (`TLSv1_method` and `TLSv1_1_method` name versions below
 * it, read as `minVersion` is); with `_client`/`_server` too. Given with `minVersion` or `maxVersion`, or an
 * unknown name, it is node's TypeError.
 */
function secureProtocolRange(options: Record<string, unknown>): { minVersion?: string; maxVersion?: string } {
  const method = options.secureProtocol as string;
  for (const name of ['minVersion', 'maxVersion'] as const) {
    if (options[name] != null)
      throw argTypeError(
        `TLS protocol version "${String(options[name])}" conflicts with secureProtocol "${method}"`,
        'ERR_TLS_PROTOCOL_VERSION_CONFLICT',
      );
  }
  const base = /^(.*?)(?:_server|_client)?_method$/.exec(method)?.[1];
  if (base === 'SSLv2' || base === 'SSLv3')
    throw argTypeError(`${base} methods disabled`, 'ERR_TLS_INVALID_PROTOCOL_METHOD');
  if (base === 'TLS') return {};
  if (base === 'SSLv23') return { maxVersion: 'TLSv1.2' }; // as in node:tls, measured
  const version = { TLSv1: 'TLSv1', TLSv1_1: 'TLSv1.1', TLSv1_2: 'TLSv1.2' }[base ?? ''];
  if (version === undefined)
    throw argTypeError(`Unknown method: ${method}`, 'ERR_TLS_INVALID_PROTOCOL_METHOD');
  return { minVersion: version, maxVersion: 'TLSv1.2' };
}

/**
 * A client's options as node:tls reads them: those of {@link asNodeReadsOptions}, and `session: null` (or
 * `false`) is no session, and a port may be a string of digits (`process.env.PORT`).
 */
function asNodeReadsConnectOptions(given: ConnectionOptions): ConnectionOptions {
  const options = asNodeReadsOptions(given);
  const { session, port } = options as { session?: unknown; port?: unknown };
  const noSession = session === null || session === false;
  if (!noSession && !isDigits(port)) return options;
  const read = { ...options };
  if (noSession) delete read.session;
  if (isDigits(port)) read.port = Number(port);
  return read;
}

/** A port as a string of digits (`process.env.PORT`), which node:tls takes as the number. */
function isDigits(value: unknown): value is string {
  return typeof value === 'string' && /^\d+$/.test(value);
}

function connectWith(
  given: ConnectionOptions,
  callback: (() => void) | undefined,
  make: (opts: SSLSocketOptions) => SSLSocket,
): TLSSocket {
  checkObject(given, 'options');
  warnUnsupported(given);
  ensureInit();
  const options = contextFirst(asNodeReadsConnectOptions(given));
  const { timeout, host, checkServerIdentity: check, signal, ...rest } = options;
  if (check !== undefined) checkFunction(check, 'options.checkServerIdentity');
  // node:tls's DEP0123, once per process; NSS already leaves such a name out of the ClientHello.
  if (typeof options.servername === 'string' && net.isIP(options.servername) !== 0)
    warnOnce(
      'ip-servername',
      'Setting the TLS ServerName to an IP address is not permitted by RFC 6066. NSS does not send it.',
      { code: 'DEP0123', type: 'DeprecationWarning' },
    );
  const connectOptions: ConnectOptions = {
    ...rest,
    host: host ?? 'localhost',
    servername: options.servername ?? (net.isIP(host ?? '') ? undefined : host),
    port: options.socket ? undefined : options.port,
    minVersion: options.minVersion ?? DEFAULT_MIN_VERSION,
    maxVersion: options.maxVersion ?? DEFAULT_MAX_VERSION,
    ciphers: options.ciphers ?? defaultCiphers(),
    ALPNProtocols: alpnNames(options.ALPNProtocols, 'options.ALPNProtocols'),
  };
  const sock = createConnectionWith(connectOptions, callback, make) as unknown as TLSSocket;
  // node's own check decides as NSS's does: only another function changes anything.
  if (check !== undefined && check !== nodeTLS.checkServerIdentity) {
    const name = connectOptions.servername ?? connectOptions.host ?? 'localhost';
    sock.setAuthCertificateCallback(identityCheck(check), name);
  }
  if (timeout !== undefined) sock.setTimeout(timeout);
  if (signal !== undefined) abortWith(sock, signal);
  return sock;
}

/** As net.connect's `signal`: aborted, before or during the connection, it destroys the socket with an AbortError. */
function abortWith(sock: TLSSocket, signal: AbortSignal): void {
  if (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')
    throw argTypeError('The "options.signal" property must be an instance of AbortSignal');
  const abort = () =>
    sock.destroy(
      Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
        name: 'AbortError',
        code: 'ABORT_ERR',
      }),
    );
  if (signal.aborted) {
    process.nextTick(abort);
    return;
  }
  signal.addEventListener('abort', abort, { once: true });
  sock.once('close', () => signal.removeEventListener('abort', abort));
}

/**
 * An auth-certificate callback: NSS's check of the chain (database trust or the socket's `ca`), then the
 * application's `checkServerIdentity` instead of NSS's host-name step. One per function, so that sockets with
 * the same check share sessions (the host name is part of the session's peer already).
 */
const identityChecks = new WeakMap<object, AuthCertificateCallback>();
function identityCheck(
  check: NonNullable<ConnectionOptions['checkServerIdentity']>,
): AuthCertificateCallback {
  let callback = identityChecks.get(check);
  if (callback === undefined) {
    callback = (sock: SSLSocket, checkSig: boolean, _isServer: boolean, ...userData: unknown[]) => {
      // With rejectUnauthorized: false (a bad-certificate callback) a failure only makes the socket
      // unauthorized; otherwise it fails the handshake, with the reason as the error's cause.
      const refuse = (reason: Error): false => {
        if (sock.callbacks.badCert !== undefined) return false;
        throw reason;
      };
      const decide = (errno: number): boolean => {
        if (errno !== 0 && errno !== SSL_ERROR_BAD_CERT_DOMAIN)
          return refuse(Object.assign(new NSPRError(errno), { [peerVerdict]: errno }));
        const failure = check(String(userData[0]), (sock as unknown as TLSSocket).getPeerCertificate());
        return failure instanceof Error ? refuse(failure) : true;
      };
      const revocation = sock.getRevocationMode();
      // With revocation checking, the chain (and OCSP) are checked off the JavaScript thread.
      if (revocation !== 'off') {
        return verifyServerWithRevocation(sock.engine, sock.trustAnchors, revocation).then(decide);
      }
      return decide(verifyPeer(sock.engine, checkSig, false, sock.trustAnchors, revocation));
    };
    identityChecks.set(check, callback);
  }
  return callback;
}

/** node:tls's `createSecureContext` options: the credentials, and the protocol settings a client takes from it. */
export interface ContextOptions extends SecureContextOptions {
  minVersion?: TLSVersionName;
  maxVersion?: TLSVersionName;
  /** OpenSSL (or IANA) suite names, as `connect`'s. */
  ciphers?: string;
  /** Key-exchange groups, as `connect`'s. */
  ecdhCurve?: string;
  /** Signature schemes, as `connect`'s. */
  sigalgs?: string;
}

type ContextProtocol = Pick<
  ContextOptions,
  'minVersion' | 'maxVersion' | 'ciphers' | 'ecdhCurve' | 'sigalgs'
>;
/** What each context made here says of versions, suites, groups and schemes (node:tls's contexts carry them). */
const contextProtocols = new WeakMap<SecureContext, ContextProtocol>();

/**
 * As `tls.createSecureContext`: certificates, keys and CAs held by NSS in memory, and the versions, suites,
 * groups and signature schemes of the clients given it as `secureContext` (node:tls's defaults when they are
 * left out, as they are when the context is made). Each is checked here: a name NSS does not know is an error.
 */
export function createSecureContext(options: ContextOptions = {}): SecureContext {
  ensureInit();
  checkObject(options, 'options');
  options = asNodeReadsOptions(options);
  const protocol: ContextProtocol = {
    minVersion: options.minVersion ?? DEFAULT_MIN_VERSION,
    maxVersion: options.maxVersion ?? DEFAULT_MAX_VERSION,
    ciphers: options.ciphers ?? defaultCiphers(),
    ecdhCurve: options.ecdhCurve,
    sigalgs: options.sigalgs,
  };
  versionName(protocol.minVersion!, 'options.minVersion');
  versionName(protocol.maxVersion!, 'options.maxVersion');
  if (protocol.ciphers !== undefined) cipherListSuites(protocol.ciphers, 'options.ciphers');
  if (protocol.ecdhCurve !== undefined) ecdhCurveGroups(protocol.ecdhCurve, 'options.ecdhCurve');
  if (protocol.sigalgs !== undefined) sigalgsSchemes(protocol.sigalgs, 'options.sigalgs');
  const context = createNSSSecureContext(options);
  contextProtocols.set(context, protocol);
  return context;
}

/** node:tls's forms of `ALPNProtocols`: names as strings or bytes, or the wire form in one buffer. */
export type ALPNProtocolsInput = string[] | Uint8Array[] | Uint8Array;

/** The protocol names of node:tls's `ALPNProtocols` forms (the wire form: each name after its length byte). */
function alpnNames(value: ALPNProtocolsInput | undefined, name: string): string[] | undefined {
  if (value === undefined || Array.isArray(value)) {
    return value?.map((entry) =>
      entry instanceof Uint8Array ? Buffer.from(entry).toString('latin1') : (entry as string),
    );
  }
  if (!(value instanceof Uint8Array))
    throw argTypeError(`The "${name}" option must be an array of strings, of Buffers, or a Buffer`);
  const names: string[] = [];
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  for (let at = 0; at < bytes.length; at += 1 + bytes[at]!) {
    const length = bytes[at]!;
    if (length === 0 || at + 1 + length > bytes.length)
      throw argValueError(`The "${name}" option is not a list of length-prefixed protocol names`);
    names.push(bytes.toString('latin1', at + 1, at + 1 + length));
  }
  return names;
}

/** node:tls's own host-name check, on node:tls's certificate object (what {@link TLSSocket} gives). */
export const checkServerIdentity = nodeTLS.checkServerIdentity;

/**
 * node:tls's `convertALPNProtocols(protocols, out)` (node's own): `out.ALPNProtocols` becomes the wire form
 * of a list of protocol names (each prefixed by its length), as older code builds it for `ALPNProtocols`.
 */
export const convertALPNProtocols = (
  nodeTLS as unknown as {
    convertALPNProtocols: (protocols: string[] | Uint8Array, out: { ALPNProtocols?: Buffer }) => void;
  }
).convertALPNProtocols;

let roots: string[] | undefined;

/** Mozilla's root store as NSS loaded it (`libnssckbi`, the "Builtin Object Token"), as PEM strings. */
function builtinRoots(): string[] {
  ensureInit();
  roots ??= (findSlotByName('Builtin Object Token')?.listCertificates() ?? [])
    .filter((cert) => cert.isCA)
    .map((cert) => cert.toPEM());
  return roots;
}

/**
 * As `tls.rootCertificates`: the CAs NSS trusts out of the box (Mozilla's root store, the "Builtin Object
 * Token"), as PEM strings; empty when the roots module is not loaded. Read on first use (which initialises
 * NSS if the application has not), so importing this module does not.
 */
export const rootCertificates: readonly string[] = new Proxy([] as string[], {
  get: (_target, property) => Reflect.get(builtinRoots(), property),
  has: (_target, property) => Reflect.has(builtinRoots(), property),
  ownKeys: () => Reflect.ownKeys(builtinRoots()),
  getOwnPropertyDescriptor: (_target, property) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(builtinRoots(), property);
    return descriptor && { ...descriptor, writable: false, configurable: property !== 'length' };
  },
  set: () => false,
  deleteProperty: () => false,
  defineProperty: () => false,
});

/** The names of the cipher suites NSS implements, in lower case as node:tls lists them. */
export function getCiphers(): string[] {
  return binding
    .implementedCiphers()
    .map((suite) => binding.cipherSuiteInfo(suite).cipherSuiteName.toLowerCase());
}

/** Options of {@link createServer}: node:tls's names. */
export interface TlsOptions extends SecureContextOptions {
  /** Ask clients for a certificate (default `false`). */
  requestCert?: boolean;
  /** With `requestCert`: refuse clients without a valid certificate (default `true`, as node:tls). */
  rejectUnauthorized?: boolean;
  /** As node:tls: protocol names, as strings or bytes, or their wire form in one buffer (convertALPNProtocols). */
  ALPNProtocols?: ALPNProtocolsInput;
  /**
   * As node:tls (and not with `ALPNProtocols`): chooses the protocol among those the client offers, after
   * `SNICallback`; `servername` is `false` without SNI, as node:tls's. `undefined` refuses the client's protocols
   * (a `no_application_protocol` alert); a protocol the client did not offer fails the handshake.
   */
  ALPNCallback?: (arg: { servername: string; protocols: string[] }) => string | undefined;
  minVersion?: TLSVersionName;
  maxVersion?: TLSVersionName;
  /** As node:tls: OpenSSL (or IANA) suite names, enabled in NSS's order. */
  ciphers?: string;
  /** As node:tls: key-exchange groups (`'P-384:X25519'`, `'auto'`). */
  ecdhCurve?: string;
  /** As node:tls: signature schemes (`'rsa_pss_rsae_sha256:ecdsa_secp256r1_sha256'`). */
  sigalgs?: string;
  /** Milliseconds a client has to finish its handshake (default 120,000). */
  handshakeTimeout?: number;
  /** As node:tls: `(servername, cb)`, `cb(null, context)` with a context from {@link createSecureContext}. */
  SNICallback?: (servername: string, cb: (err: Error | null, ctx?: SecureContext | null) => void) => void;
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  secureContext?: SecureContext;
  /** node-nss: serve certificates of the database by nickname as well (or instead). */
  certNickname?: string | string[];
  /**
   * As node:tls, the context of this server's sessions. In a worker of a cluster whose primary called
   * `configMPServerSIDCache`, the servers of the same `sessionIdContext` in the other workers resume this
   * server's sessions; elsewhere a server's sessions resume only at that server.
   */
  sessionIdContext?: string;
  /** node-nss: check client certificates for revocation with OCSP (`'soft'`, `'hard'`), on the JavaScript thread. */
  revocation?: RevocationMode;
}

/** The events of a node-nss/tls {@link Server}: a `net.Server`'s, and those of node:tls's `tls.Server`. */
export interface ServerEvents {
  close: [];
  /** The TCP connection, before TLS. */
  connection: [socket: net.Socket];
  error: [err: Error];
  listening: [];
  drop: [data?: net.DropArgument];
  secureConnection: [socket: TLSSocket];
  tlsClientError: [err: Error, socket: TLSSocket];
  keylog: [line: Buffer, socket: TLSSocket];
  OCSPRequest: [certificate: Buffer, issuer: Buffer | null, callback: OCSPRequestCallback];
}

/** Typed listeners for {@link ServerEvents}; other event names take any listener. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the listener methods' typed overloads; the base class implements them
export interface Server {
  addListener<E extends keyof ServerEvents>(event: E, listener: Listener<ServerEvents, E>): this;
  addListener(event: string | symbol, listener: AnyListener): this;
  on<E extends keyof ServerEvents>(event: E, listener: Listener<ServerEvents, E>): this;
  on(event: string | symbol, listener: AnyListener): this;
  once<E extends keyof ServerEvents>(event: E, listener: Listener<ServerEvents, E>): this;
  once(event: string | symbol, listener: AnyListener): this;
  prependListener<E extends keyof ServerEvents>(event: E, listener: Listener<ServerEvents, E>): this;
  prependListener(event: string | symbol, listener: AnyListener): this;
  prependOnceListener<E extends keyof ServerEvents>(event: E, listener: Listener<ServerEvents, E>): this;
  prependOnceListener(event: string | symbol, listener: AnyListener): this;
  off<E extends keyof ServerEvents>(event: E, listener: Listener<ServerEvents, E>): this;
  off(event: string | symbol, listener: AnyListener): this;
  removeListener<E extends keyof ServerEvents>(event: E, listener: Listener<ServerEvents, E>): this;
  removeListener(event: string | symbol, listener: AnyListener): this;
  emit<E extends keyof ServerEvents>(event: E, ...args: ServerEvents[E]): boolean;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/**
 * As `tls.Server`: a `net.Server` whose connections become {@link TLSSocket}s. `'secureConnection'` after
 * each handshake, `'tlsClientError'` for a failed one; `listen`, `address`, `close`, `getConnections`,
 * `ref`/`unref` are net.Server's. `'OCSPRequest'` `(certificate, issuer, callback)` as node:tls's, when a
 * client asks for a stapled response. NSS keeps server sessions itself (session IDs and tickets, resumed
 * across connections): there are no `'newSession'`/`'resumeSession'` events.
 * @example
 * ```ts
 * import * as tls from 'node-nss/tls';
 * const server = tls.createServer({ key: fs.readFileSync('key.pem'), cert: fs.readFileSync('cert.pem') }, (sock) =>
 *   sock.end('hello\n'),
 * );
 * server.listen(8443);
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the listener methods' typed overloads; the base class implements them
export class Server extends net.Server {
  #nss: SSLServer;
  /** The options the NSS server is made from: the constructor's, with setSecureContext's replacements. */
  #options: TlsOptions;
  /** The events forwarded from the NSS server, once a listener asked for them (each model gets them). */
  readonly #forwarded = new Set<'keylog' | 'OCSPRequest'>();
  readonly #contexts = new Map<string, SecureContext>();

  constructor(secureConnectionListener?: (socket: TLSSocket) => void);
  constructor(options?: TlsOptions, secureConnectionListener?: (socket: TLSSocket) => void);
  constructor(
    optionsOrListener: TlsOptions | ((socket: TLSSocket) => void) = {},
    listener?: (socket: TLSSocket) => void,
  ) {
    // As tls.Server: `new Server(listener)` too.
    const [given, secureConnectionListener] =
      typeof optionsOrListener === 'function' ? [{}, optionsOrListener] : [optionsOrListener, listener];
    checkObject(given, 'options');
    const options = asNodeReadsOptions(given);
    super({ allowHalfOpen: true, pauseOnConnect: options.pauseOnConnect });
    // (null is no listener, as node:tls reads it)
    if (secureConnectionListener !== undefined && secureConnectionListener !== null)
      checkFunction(secureConnectionListener, 'secureConnectionListener');
    warnUnsupported(options);
    ensureInit();
    if (options.SNICallback !== undefined) checkFunction(options.SNICallback, 'options.SNICallback');
    const { ALPNCallback } = options;
    if (ALPNCallback !== undefined) {
      checkFunction(ALPNCallback, 'options.ALPNCallback');
      if (options.ALPNProtocols !== undefined)
        throw Object.assign(
          new TypeError('The ALPNCallback and ALPNProtocols TLS options are mutually exclusive'),
          { code: 'ERR_TLS_ALPN_CALLBACK_WITH_PROTOCOLS' },
        );
    }
    this.#options = options;
    this.#nss = this.#makeModel(options);
    if (secureConnectionListener) this.on('secureConnection', secureConnectionListener);
    // Forwarded once a listener asks: NSS then writes key log lines, and ClientHellos wait for the staple.
    this.on('newListener', (event: string | symbol) => {
      if ((event !== 'keylog' && event !== 'OCSPRequest') || this.#forwarded.has(event)) return;
      this.#forwarded.add(event);
      this.#forward(this.#nss, event);
    });
    // The model of now: connections accepted after setSecureContext() get its credentials.
    this.on('connection', (tcp: net.Socket) => acceptListened(this.#nss, tcp));
  }

  /** The NSS server that serves `options`, its events forwarded to this one. */
  #makeModel(options: TlsOptions): SSLServer {
    const { requestCert = false, rejectUnauthorized = true, SNICallback, ALPNCallback } = options;
    const model = createSSLServer({
      certNickname: options.certNickname,
      key: options.key,
      cert: options.cert,
      ca: options.ca,
      crl: options.crl,
      passphrase: options.passphrase,
      pfx: options.pfx,
      revocation: options.revocation,
      secureContext: options.secureContext,
      requestCert,
      requireCert: requestCert && rejectUnauthorized,
      ALPNProtocols: alpnNames(options.ALPNProtocols, 'options.ALPNProtocols'),
      // node:tls's shape: `servername` false without SNI.
      ALPNCallback:
        ALPNCallback &&
        (({ serverName, protocols }: ALPNRequest) =>
          ALPNCallback({ servername: serverName ?? (false as unknown as string), protocols })),
      minVersion: options.minVersion ?? DEFAULT_MIN_VERSION,
      maxVersion: options.maxVersion ?? DEFAULT_MAX_VERSION,
      ciphers: options.ciphers ?? defaultCiphers(),
      ecdhCurve: options.ecdhCurve,
      sigalgs: options.sigalgs,
      allowHalfOpen: options.allowHalfOpen,
      sessionIdContext: options.sessionIdContext,
      // addContext and SNICallback answer here; as with tls.Server, no certificate of its own is needed.
      SNICallback: (name: string) => this.#serverIdentity(name, SNICallback),
    } as Parameters<typeof createSSLServer>[0]);
    // node:tls with rejectUnauthorized false: a client certificate that fails verification still connects,
    // unauthorized, with the reason in authorizationError.
    if (requestCert && !rejectUnauthorized) model.setBadCertCallback(() => true);
    if (options.handshakeTimeout !== undefined) model.handshakeTimeout = options.handshakeTimeout;
    model.newSocket = newTLSSocket;
    model.on('secureConnection', (sock: SSLSocket) => this.emit('secureConnection', sock));
    model.on('tlsClientError', (err: Error, sock: SSLSocket) => {
      if (this.listenerCount('tlsClientError') > 0) this.emit('tlsClientError', err, sock);
    });
    for (const event of this.#forwarded) this.#forward(model, event);
    return model;
  }

  #forward(model: SSLServer, event: 'keylog' | 'OCSPRequest'): void {
    if (event === 'keylog') {
      model.on('keylog', (line: Buffer, sock: SSLSocket) => this.emit('keylog', line, sock));
      return;
    }
    model.on('OCSPRequest', (cert: Buffer, issuer: Buffer | null, done: OCSPRequestCallback) => {
      if (this.listenerCount('OCSPRequest') > 0) this.emit('OCSPRequest', cert, issuer, done);
      else done(null, null);
    });
  }

  /** The NSS server behind this one: options, callbacks and certificates in the NSS style. */
  get nssServer(): SSLServer {
    return this.#nss;
  }

  /**
   * As node:tls's `server.setSecureContext(options)`: the connections accepted from now on are served with
   * these credentials and protocol settings (`key`, `cert`, `pfx`, `passphrase`, `ca`, `crl`, `ciphers`,
   * `ecdhCurve`, `sigalgs`, `sessionIdContext` are replaced, left out meaning none, as node:tls reads them;
   * `minVersion`/`maxVersion` only when given); `requestCert`, ALPN and `SNICallback` stay. Connections
   * already open keep theirs. Options that fail leave the server as it was. A certificate rotation:
   * sessions made before it are not resumed after it.
   */
  setSecureContext(options: ContextOptions & Pick<TlsOptions, 'sessionIdContext' | 'certNickname'>): void {
    checkObject(options, 'options');
    options = asNodeReadsOptions(options);
    warnUnsupported(options);
    const next: TlsOptions = { ...this.#options };
    for (const name of REPLACED_BY_SET_SECURE_CONTEXT)
      (next as Record<string, unknown>)[name] = (options as Record<string, unknown>)[name] || undefined;
    for (const name of ['minVersion', 'maxVersion'] as const) if (options[name]) next[name] = options[name];
    this.#nss = this.#makeModel(next); // throws before anything changes
    this.#options = next;
  }

  /**
   * node:tls's `getTicketKeys()`: NSS makes and keeps its session-ticket keys itself and does not hand them
   * out, so this throws (`NODE_NSS_UNSUPPORTED`). Workers of a cluster share tickets and sessions through
   * `configMPServerSIDCache` instead.
   */
  getTicketKeys(): Buffer {
    throw Object.assign(
      new Error(
        'NSS keeps its session-ticket keys to itself: node-nss/tls cannot get them (see configMPServerSIDCache)',
      ),
      { code: 'NODE_NSS_UNSUPPORTED' },
    );
  }

  /**
   * node:tls's `setTicketKeys(keys)`: 48 bytes are checked as node:tls checks them, then ignored with one
   * `NODE_NSS_UNSUPPORTED_OPTION` warning, as the `ticketKeys` option is: NSS keeps keys of its own.
   */
  setTicketKeys(keys: Buffer): void {
    checkBuffer(keys, 'keys');
    if (keys.length !== 48) throw argValueError('Session ticket keys must be a 48-byte buffer');
    warnUnsupported({ ticketKeys: keys });
  }

  /** As node:tls: serve `context` to clients asking for `hostname` (a `*.` wildcard matches one label). */
  addContext(hostname: string, context: SecureContext | SecureContextOptions): void {
    if (typeof hostname !== 'string') throw argTypeError('The "hostname" argument must be of type string');
    this.#contexts.set(
      hostname.toLowerCase(),
      context instanceof SecureContext ? context : createSecureContext(context),
    );
  }

  #serverIdentity(name: string, callback: TlsOptions['SNICallback']): SNIResult | Promise<SNIResult> {
    const fromContext = (context: SecureContext | undefined): SNIResult => {
      const identity = context?.identities[0];
      // Client certificates are verified with the context's trust, as node:tls's SNI context does: its `ca`,
      // else the default (the database's, with NODE_EXTRA_CA_CERTS).
      const trustAnchors = context?.anchors ?? extraTrustAnchors() ?? null;
      return identity ? { cert: identity.cert, key: identity.key, trustAnchors } : undefined;
    };
    if (callback === undefined) {
      const lower = name.toLowerCase();
      const wildcard = lower.includes('.') ? `*${lower.slice(lower.indexOf('.'))}` : undefined;
      return fromContext(this.#contexts.get(lower) ?? (wildcard ? this.#contexts.get(wildcard) : undefined));
    }
    return new Promise((resolve, reject) => {
      callback(name, (err, ctx) => {
        if (err) reject(err);
        // As node:tls, no context (undefined or null) serves the default one.
        else if (ctx !== undefined && ctx !== null && !(ctx instanceof SecureContext))
          reject(
            new TypeError('SNICallback must answer with a context from node-nss/tls createSecureContext()'),
          );
        else resolve(fromContext(ctx ?? undefined));
      });
    });
  }
}

// As node:tls's, `Server(options, listener)` without `new` makes a server too (older code, and node's own tests,
// call it so). The type stays the class; the value exported is the class behind a Proxy whose call constructs.
// (`exports` is the CommonJS module's; the ES module re-exports it.)
(exports as { Server: unknown }).Server = new Proxy(Server, {
  apply: (target, _self, args: ConstructorParameters<typeof Server>) => new target(...args),
});

/** As `tls.createServer`. */
export function createServer(
  options?: TlsOptions,
  secureConnectionListener?: (socket: TLSSocket) => void,
): Server;
export function createServer(secureConnectionListener?: (socket: TLSSocket) => void): Server;
export function createServer(
  options?: TlsOptions | ((socket: TLSSocket) => void),
  secureConnectionListener?: (socket: TLSSocket) => void,
): Server {
  if (typeof options === 'function') return new Server(options);
  return new Server(options, secureConnectionListener);
}

export { NSPRError };
export type { CertificateInput, KeyInput, OCSPRequestCallback };
