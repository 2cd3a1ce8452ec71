import * as net from 'node:net';
import { Duplex, type Readable } from 'node:stream';
import type {
  NativeCertificate,
  NativeCycleOutput,
  NativePrivateKey,
  NativeSSLEngine,
} from '../../types/binding.js';
// Const enums, inlined by the compiler: nothing of this import is left at run time.
import { CycleFlag, CycleState } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { Certificate } from '../pki/certificate.js';
import { CertDB } from '../pki/certdb.js';
import { NSPRError, errorName } from '../core/errors.js';
import { checkFIPSKey } from './fips-profile.js';
import { PrivateKey } from '../pki/private-key.js';
import type { NSPRError as NSPRErrorType } from '../core/errors.js';
import type { ClientAuthData, ClientAuthDataCallback, SNICallback, SSLModel } from './callbacks.js';
import { SSLConfigurable, versionName } from './config.js';
import * as ssl from './constants.js';
import { usedTicketLeftInCache } from './session-cache.js';
import { verifyPeer, verifyServerWithRevocation } from './verification-cache.js';
import type { RevocationMode } from '../pki/revocation-mode.js';
import { KeyLog, keyLogWanted, writeKeyLog } from './keylog.js';
import { debug } from '../core/debug.js';
import { memoryIdentity, type MemoryClientAuth } from './secure-context.js';
import { ServerSessions, tagTickets } from './server-sessions.js';
import { peerID, policyTag, sessionPolicy, unwrapSession, wrapSession } from './peer-id.js';
import { RenegotiationLimiter } from './renegotiation-limit.js';
import { applyDefaultProfile } from './defaults.js';
import { ClientHelloReader, NO_HELLO, type ClientHelloInfo } from './client-hello.js';
import { cyclePoolEnabled } from './cycle-pool.js';
import type { TrustAnchors } from './trust-anchors.js';
import {
  checkBoolean,
  checkBuffer,
  checkDelay,
  checkDuplex,
  checkFamily,
  checkFunction,
  checkInstance,
  checkInteger,
  checkObject,
  checkString,
  argTypeError,
  argValueError,
} from '../core/validate.js';
import { beforeNSSShutdown } from '../core/shutdown-hooks.js';
import { SocketState } from './socket-state.js';
import { openSSLName } from './cipher-list.js';
import type { AnyListener, Listener } from '../core/events.js';

const SSL_ERROR_BAD_CERTIFICATE = -12284;
const SSL_ERROR_NO_CERTIFICATE = -12285;
const SSL_ERROR_APPLICATION_ABORT = -12123; // SSL_ERROR_BASE + 165
const PR_END_OF_FILE_ERROR = -5938;
const PR_IO_TIMEOUT_ERROR = -5990;
const PR_CONNECT_RESET_ERROR = -5961;
const PR_INVALID_STATE_ERROR = -5931;
const PR_IN_PROGRESS_ERROR = -5934;
const PR_IS_CONNECTED_ERROR = -5984;
const SSL_ERROR_RX_MALFORMED_CLIENT_HELLO = -12260;
const SSL_ERROR_RX_UNKNOWN_RECORD_TYPE = -12233; // SSL_ERROR_BASE + 55
const SSL_ERROR_NEXT_PROTOCOL_NO_PROTOCOL = -12158; // SSL_ERROR_BASE + 130

/** Security status of the connection (python-nss `get_security_status`). */
export interface SecurityStatus {
  on: number;
  cipher: string;
  keySize: number;
  secretKeySize: number;
  issuer: string;
  subject: string;
}

/** What NSS says about the negotiated channel (`SSL_GetChannelInfo`). */
export interface SSLChannelInfo {
  protocolVersion: string;
  protocolVersionNumber: number;
  cipherSuite: number;
  cipherSuiteName: string;
  authType: number;
  authKeyBits: number;
  keaType: number;
  keaGroup: number;
  keaKeyBits: number;
  signatureScheme: number;
  symCipher: number;
  macAlgorithm: number;
  resumed: boolean;
  sessionID: Buffer;
  extendedMasterSecretUsed: boolean;
  earlyDataAccepted: boolean;
  compressionMethodName: string;
  /** Session times (seconds since the epoch as Dates). */
  creationTime: Date;
  lastAccessTime: Date;
  expirationTime: Date;
}

/** A cipher suite's properties (`SSL_GetCipherSuiteInfo`). */
export interface CipherSuiteInfo {
  cipherSuite: number;
  cipherSuiteName: string;
  authAlgorithmName: string;
  keaTypeName: string;
  symCipherName: string;
  symKeyBits: number;
  symKeySpace: number;
  effectiveKeyBits: number;
  macAlgorithmName: string;
  macBits: number;
  isFIPS: boolean;
  nonStandard: boolean;
}

/** Auth-certificate callback: `true` accepts the peer's certificate. Promises work on client sockets. */
export type AuthCertificateCallback = (
  sock: SSLSocket,
  checkSig: boolean,
  isServer: boolean,
  ...userData: unknown[]
) => boolean | Promise<boolean>;
/** Bad-certificate callback: called when authentication failed; `true` accepts the certificate anyway. */
export type BadCertCallback = (
  sock: SSLSocket,
  error: NSPRErrorType,
  ...userData: unknown[]
) => boolean | Promise<boolean>;
/** Handshake callback: fires after every completed handshake (initial and renegotiated). */
export type HandshakeCallback = (sock: SSLSocket, ...userData: unknown[]) => void;

/** The types of the callbacks that receive an SSLSocket (the `Callbacks` of {@link SSLConfiguration}). */
export interface SocketCallbacks {
  auth: AuthCertificateCallback;
  badCert: BadCertCallback;
  handshake: HandshakeCallback;
}

/** Options for `new SSLSocket()`. */
export interface SSLSocketOptions {
  family?: 'ipv4' | 'ipv6';
  certDB?: CertDB;
  /** An already configured socket or server whose options, callbacks and certificates are inherited. */
  model?: SSLModel;
  /**
   * Keep this side open after the peer ended its direction (default `false`, as `tls.TLSSocket`: the
   * peer's end ends this socket too, once its data is read).
   */
  allowHalfOpen?: boolean;
  /**
   * A peer that closes TCP without close_notify ends the stream with `'end'` (default `true`, as node:tls
   * and Python's `suppress_ragged_eofs`); {@link SSLSocket.closeNotifyReceived} then says `false`. With
   * `false` such an end is an error, `PR_END_OF_FILE_ERROR` (truncation).
   */
  suppressRaggedEOFs?: boolean;
  /**
   * The stream's `readableHighWaterMark` and `writableHighWaterMark` in bytes (default: Node's, 16 KiB on
   * Node 20), as net.Socket's and node:tls's `highWaterMark`.
   */
  highWaterMark?: number;
}

/** What {@link SSLSocket.inherit} takes: the settings of an SSLSocket or SSLServer that NSS does not copy. */
type InheritedSettings = Pick<
  SSLSocket,
  | 'callbacks'
  | 'pinArgs'
  | 'alpnProtocols'
  | 'sniCallback'
  | 'alpnCallback'
  | 'certDB'
  | 'renegotiationLimit'
  | 'renegotiationWindow'
  | 'trustAnchors'
  | 'revocationMode'
>;

/** A model with the configuration surface (an SSLSocket or an SSLServer, not a bare engine holder). */
function isConfiguredModel(model: SSLModel): model is SSLModel & InheritedSettings {
  const m = model as Partial<InheritedSettings>;
  return typeof m.callbacks === 'object' && Array.isArray(m.pinArgs) && Array.isArray(m.alpnProtocols);
}

/** An SSLServer as a model: the certificates it serves and its 'OCSPRequest' stapler. */
interface ServingModel {
  readonly servedIdentities: readonly ServedIdentity[];
  servingStapler(): OCSPStapler | undefined;
}
function isServingModel(model: SSLModel): model is SSLModel & ServingModel {
  return typeof (model as Partial<ServingModel>).servingStapler === 'function';
}

/**
 * Whether the first record header of the bytes received is of no TLS content type and claims a length NSS
 * would wait for (at most TLS 1.2's largest ciphertext, 16 KiB + 2 KiB).
 */
function notTLS(received: readonly Buffer[]): boolean {
  const type = received[0]![0]!;
  if (type >= 20 && type <= 24) return false;
  const header = received[0]!.length >= 5 ? received[0]! : Buffer.concat(received).subarray(0, 5);
  return header.readUInt16BE(3) <= 16384 + 2048;
}

/** The largest ClientHello held for an async SNI callback (a real one is a few KiB; NSS's limit is 64 KiB). */
const MAX_HELD_CLIENT_HELLO = 64 * 1024;
/**
 * Input held while a callback decides (NSS reads nothing meanwhile), beyond which the transport is paused:
 * a peer that keeps sending then meets TCP backpressure. Without it the bytes piled up for as long as the
 * callback took (measured: 256 MiB taken in a second by a client whose async auth callback was pending).
 */
const MAX_HELD_INPUT = 64 * 1024;

// Sockets inside a native cycle, in which NSS holds the socket's locks: NSS must not shut down under them.
let socketsInCycle = 0;
beforeNSSShutdown(() => {
  if (socketsInCycle > 0)
    throw new Error('shutdown() cannot run inside a TLS callback: call it after the callback has returned');
});

/** `SSL_GetCipherSuiteInfo` for one suite. */
export function getCipherSuiteInfo(suite: number): CipherSuiteInfo {
  checkInteger(suite, 'suite', 0, 0xffff);
  const { authType: _a, keaType: _k, ...info } = binding.cipherSuiteInfo(suite);
  return info;
}

const nssDefaultNickname = Symbol('nssGetClientAuthData');
type DefaultChooser = ClientAuthDataCallback & { [nssDefaultNickname]: string | null };

/**
 * NSS's own client certificate chooser (`NSS_GetClientAuthData`) as a client-auth-data callback: the
 * certificate called `nickname` (`'token:nickname'` works), or without one any user certificate valid for
 * TLS client use whose issuer the server accepts.
 */
export function nssGetClientAuthData(nickname?: string): ClientAuthDataCallback {
  if (nickname !== undefined) checkString(nickname, 'nickname');
  // The socket recognises this function and asks NSS itself, which needs the socket.
  const chooser = (() => null) as unknown as DefaultChooser;
  chooser[nssDefaultNickname] = nickname ?? null;
  return chooser;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** A transport with (perhaps) net.Socket's settings: any Duplex may be one. */
type SocketSettings = Duplex &
  Partial<Pick<net.Socket, 'setNoDelay' | 'setKeepAlive' | 'setTimeout' | 'ref' | 'unref'>>;

/** An SNI callback's pair in the form NSS takes, with the OCSP response to staple with it. */
type SNIAnswer = { cert: NativeCertificate; key: NativePrivateKey; ocspResponse?: Buffer } | undefined;

/** @internal A certificate with its key, as a server serves them (with the OCSP response it staples). */
export interface ServedIdentity {
  cert: Certificate;
  key: PrivateKey;
  ocspResponse?: Buffer;
}

const SSL_AUTH_RSA_DECRYPT = 1;
const SSL_AUTH_ECDSA = 4;
const SSL_AUTH_RSA_SIGN = 7;
const SSL_AUTH_RSA_PSS = 8;
const SSL_AUTH_TLS13_ANY = 10;

/** @internal NSS's certificate slot for a certificate: one per key type, and for EC keys one per curve. */
export function certificateSlot(cert: Certificate): string {
  let slot = certificateSlots.get(cert);
  if (slot === undefined) {
    const key = cert.toX509Certificate().publicKey;
    slot = `${key.asymmetricKeyType ?? '?'}:${key.asymmetricKeyDetails?.namedCurve ?? ''}`;
    certificateSlots.set(cert, slot);
  }
  return slot;
}
const certificateSlots = new WeakMap<Certificate, string>();

let authTypes: ReadonlyMap<number, number> | undefined;

/** Each suite NSS implements with its authentication type: read from NSS once, not per connection. */
function suiteAuthTypes(): ReadonlyMap<number, number> {
  authTypes ??= new Map(
    binding.implementedCiphers().map((suite) => [suite, binding.cipherSuiteInfo(suite).authType]),
  );
  return authTypes;
}

/** The TLS 1.2 suites (by authentication type) a server certificate of this key type can serve. */
function servesAuthType(keyType: string, authType: number): boolean {
  if (authType === SSL_AUTH_TLS13_ANY) return true;
  if (keyType === 'ec') return authType === SSL_AUTH_ECDSA;
  return authType === SSL_AUTH_RSA_DECRYPT || authType === SSL_AUTH_RSA_SIGN || authType === SSL_AUTH_RSA_PSS;
}

/**
 * Whether a server certificate's key can make a handshake signature with this scheme: in TLS 1.3 an EC key
 * only with its own curve's scheme and an RSA key only with RSA-PSS (rsae); TLS 1.2 also takes PKCS #1 v1.5
 * and ECDSA of any curve.
 */
function canSign(cert: Certificate, scheme: number, tls13: boolean): boolean {
  const [keyType, curve] = certificateSlot(cert).split(':');
  const hash = scheme >> 8;
  if (keyType === 'ec') {
    if ((scheme & 0xff) !== 3) return false;
    return !tls13 || hash === ({ prime256v1: 4, secp384r1: 5, secp521r1: 6 }[curve ?? ''] ?? 0);
  }
  if (keyType === 'rsa-pss') return scheme >= 0x0809 && scheme <= 0x080b;
  if (keyType !== 'rsa') return false;
  return (scheme >= 0x0804 && scheme <= 0x0806) || (!tls13 && (scheme & 0xff) === 1 && hash >= 4);
}

/**
 * @internal Server side: asked, when a ClientHello carries status_request, for the OCSP response to staple
 * with the identity the SNI callback chose (undefined: the server's own). null staples nothing.
 */
export type OCSPStapler = (
  chosen: ServedIdentity | undefined,
) => Promise<(ServedIdentity & { response: Buffer }) | null>;

/**
 * @internal An error an auth-certificate callback of node-nss's own throws to fail the handshake with NSS's
 * reason (its errno under this key) rather than as a failed callback: node-nss/tls's checkServerIdentity
 * runs after NSS's chain check, and a revoked or untrusted chain fails as it would without it.
 */
export const peerVerdict = Symbol('node-nss.peerVerdict');

function callbackError(what: string, err: unknown, errno: number): NSPRError {
  const reason = err instanceof Error ? err.message : String(err);
  const wrapped = new NSPRError(errno, undefined, `${what} failed: ${reason}`);
  (wrapped as Error).cause = err;
  return wrapped;
}

/**
 * The events of an {@link SSLSocket} and their arguments: a `stream.Duplex`'s, and node:tls's `TLSSocket`'s.
 */
export interface SSLSocketEvents {
  /** The socket is closed; `hadError`: it was destroyed by an error. */
  close: [hadError: boolean];
  data: [chunk: Buffer];
  drain: [];
  end: [];
  error: [err: Error];
  finish: [];
  pause: [];
  resume: [];
  readable: [];
  pipe: [source: Readable];
  unpipe: [source: Readable];
  /** A handshake completed (the first, or a renegotiation). */
  secure: [];
  /** Client: the first handshake completed, as in node:tls. */
  secureConnect: [];
  /** Client: a session to resume later with `setSession` (node:tls's `'session'`). */
  session: [session: Buffer];
  /** A key log line (NSS Key Log Format, with its newline), for Wireshark. */
  keylog: [line: Buffer];
  /** Client with `requestOCSP`: the server's stapled OCSP response (DER), or `null` when none came. */
  OCSPResponse: [response: Buffer | null];
  /** The idle timeout of `setTimeout` passed. */
  timeout: [];
}

/** Typed listeners for {@link SSLSocketEvents}; other event names take any listener. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the listener methods' typed overloads; the base class implements them
export interface SSLSocket {
  addListener<E extends keyof SSLSocketEvents>(event: E, listener: Listener<SSLSocketEvents, E>): this;
  addListener(event: string | symbol, listener: AnyListener): this;
  on<E extends keyof SSLSocketEvents>(event: E, listener: Listener<SSLSocketEvents, E>): this;
  on(event: string | symbol, listener: AnyListener): this;
  once<E extends keyof SSLSocketEvents>(event: E, listener: Listener<SSLSocketEvents, E>): this;
  once(event: string | symbol, listener: AnyListener): this;
  prependListener<E extends keyof SSLSocketEvents>(event: E, listener: Listener<SSLSocketEvents, E>): this;
  prependListener(event: string | symbol, listener: AnyListener): this;
  prependOnceListener<E extends keyof SSLSocketEvents>(
    event: E,
    listener: Listener<SSLSocketEvents, E>,
  ): this;
  prependOnceListener(event: string | symbol, listener: AnyListener): this;
  off<E extends keyof SSLSocketEvents>(event: E, listener: Listener<SSLSocketEvents, E>): this;
  off(event: string | symbol, listener: AnyListener): this;
  removeListener<E extends keyof SSLSocketEvents>(event: E, listener: Listener<SSLSocketEvents, E>): this;
  removeListener(event: string | symbol, listener: AnyListener): this;
  emit<E extends keyof SSLSocketEvents>(event: E, ...args: SSLSocketEvents[E]): boolean;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/**
 * An SSL/TLS socket in the NSS style (python-nss's `nss.ssl.SSLSocket`) that is also a Node `stream.Duplex`,
 * so `https`, `undici` and `ws` accept it. NSS runs over memory; the socket moves ciphertext between NSS and
 * a transport (a TCP connection, or any Duplex for STARTTLS and proxies).
 * @example
 * ```ts
 * const sock = new SSLSocket();
 * sock.setHostname('example.com'); // the name NSS verifies the certificate against
 * sock.setHandshakeCallback((s) => console.log(s.connectionInfoString()));
 * await sock.connect({ host: 'example.com', port: 443 });
 * await sock.forceHandshake({ timeout: 5000 });
 * sock.end('GET / HTTP/1.0\r\n\r\n');
 * for await (const chunk of sock) process.stdout.write(chunk);
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the listener methods' typed overloads; the base class implements them
export class SSLSocket extends SSLConfigurable<SocketCallbacks, typeof Duplex>(Duplex) {
  readonly #engine: NativeSSLEngine;
  #transport: Duplex | undefined;
  #asServer = false;
  /** Writes NSS has not taken whole yet; `size` is the write's length as given, for bytesWritten. */
  #pendingWrites: Array<{ chunk: Buffer; size: number; callback: (err?: Error | null) => void }> = [];
  /** setMaxSendFragment's size; 0: NSS's own records (up to 16 KiB, or the peer's record_size_limit). */
  #maxSendFragment = 0;
  /** Cleartext bytes of the writes NSS took and delivered to the application (net.Socket's counts). */
  #bytesWritten = 0;
  #bytesRead = 0;
  /** The last setTimeout's delay (net.Socket's `timeout`). */
  #timeout: number | undefined;
  /** Where the engine writes each cycle's scalars (CycleState slots). */
  readonly #cycleState = new Float64Array(CycleState.length);
  #ciphertextWaiting = false;
  #deciding = false;
  /** Async callbacks deciding for NSS (certificate check, client certificate): input waits meanwhile. */
  #decisions = 0;
  /** The transport is paused because input is held (see MAX_HELD_INPUT). */
  #inputHeld = false;
  #failure: NSPRError | undefined;
  #callbackFailure: NSPRError | undefined;
  /** The verdict of our own certificate check, which NSS reports afterwards only as a generic failure. */
  #authFailure: NSPRError | undefined;
  /** Connection state: the one place that says where this socket is (see socket-state.ts). */
  readonly #state = new SocketState();
  readonly #suppressRaggedEOFs: boolean;
  /** Inside a native cycle: NSS holds this socket's locks, so teardown waits for the cycle to return. */
  #inNative = false;
  /** A pump is running: a pump asked for meanwhile (a write from a 'data' handler) runs after it. */
  #pumping = false;
  #pumpAgain = false;
  /**
   * A cycle runs on the cycle pool (configThreadPool): no other cycle starts, and teardown waits, until it
   * is back (#poolCycleDone).
   */
  #poolCycle = false;
  /** Transport input not yet given to NSS, and whether its end came. */
  #input: Buffer[] = [];
  #inputEnded = false;
  #inputEndGiven = false;
  /** Work asked for inside a native cycle (destroy, end), run once it returns. */
  #afterNative: Array<() => void> = [];
  /** A failure the pending connect()/forceHandshake()/rehandshake() promise reports: not also an 'error'. */
  #failureToPromise = false;
  /** A read or write came before the transport: start the handshake as soon as there is one. */
  #ioBeforeTransport = false;
  #sessionsWatched = false;
  #keyLog: KeyLog | undefined;
  /** Socket settings asked for before there was a transport. */
  #beforeTransport: Array<(transport: SocketSettings) => void> = [];
  #session: { tag: Buffer; token: Buffer } | undefined;
  /** The explicit `setSockPeerID`, combined with the session policy when the handshake starts. */
  #userPeerID: string | undefined;
  /** Server role: the sessions this socket may resume (see server-sessions.ts). */
  #serverSessions: ServerSessions | undefined;
  /** A client handshake is about to start: its peer ID (and session) are still to be given to NSS. */
  #sessionPolicyDue = false;
  /** The digest of the policy this client's sessions are made under (tags its `'session'` Buffers). */
  #policyTag: Buffer | undefined;
  /** A client's revocation mode as its session policy took it when the handshake started. */
  #handshakeRevocation: RevocationMode | undefined;
  /** Server: counts the renegotiations the peer starts (TLS 1.2 and below). */
  #renegotiations: RenegotiationLimiter | undefined;
  /** Server: a renegotiation this side asked for is under way. */
  #ownRenegotiation = false;
  #waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  #serverAuthCalls = 0;
  #authWaiters: Array<() => void> = [];
  /**
   * Server with an SNI or ALPN callback or an OCSP stapler: the first bytes, held until they have answered for the
   * ClientHello in them.
   */
  #hello: { reader: ClientHelloReader; deciding: boolean; ended: boolean } | null = null;
  /** The protocols offered in the ClientHello, when it was read ahead; `refused` by the ALPN callback. */
  #helloALPN: { offered: string[]; refused: boolean } | undefined;
  /** The SNI callback's answer for the name in the ClientHello, given to NSS when it asks. */
  #sniDecision:
    | { name: string; answer?: SNIAnswer; identity?: ServedIdentity; configured?: boolean; error?: unknown }
    | undefined;
  /** The TCP connection connect() is opening, and how to fail that connect(). */
  #connecting: { tcp: net.Socket; fail: (err: Error) => void } | undefined;
  /** end() came while the TCP connection was being opened: it goes on once the transport is attached. */
  #endOnAttach: ((err?: Error | null) => void) | undefined;
  /** Client: 'OCSPResponse' was emitted for this handshake. */
  #ocspResponseEmitted = false;
  /** @internal Set by an SSLServer whose 'OCSPRequest' has listeners, before the socket is attached. */
  ocspStapler: OCSPStapler | undefined;
  /** @internal The certificates of the SSLServer this socket was accepted by, in the order configured. */
  servedIdentities: readonly ServedIdentity[] = [];

  /** Always `true`: what Express and `http` check to tell TLS sockets apart. */
  readonly encrypted = true;
  /** Whether the peer's certificate was verified (or accepted by a callback). */
  authorized = false;
  /** Why it was not, as an NSS error code name. */
  authorizationError: string | null = null;
  /** The SNI name the client asked for (server side), or the one this client sent. */
  servername: string | false = false;
  /** @internal The host and port the application asked to connect to (part of the client's peer ID). */
  peerName: { host?: string; port?: number } = {};

  /**
   * How the peer ended its direction: `true` with close_notify, `false` with a bare TCP FIN (a truncation
   * the socket let through as `'end'`, see `suppressRaggedEOFs`), `undefined` while it has not ended.
   */
  get closeNotifyReceived(): boolean | undefined {
    return this.#state.cleanPeerEnd;
  }

  /** Whether this end is the TLS server (an accepted socket, or one attached as a server). */
  get isServer(): boolean {
    return this.#asServer;
  }

  /** @internal Where the socket is in its life (socket-state.ts). */
  get connectionState(): string {
    return this.#state.current;
  }

  /** @internal Starts the handshake now, as tls.connect does (python-nss waits for I/O or forceHandshake). */
  startHandshake(): void {
    this.#ioBeforeTransport = true;
    if (this.#transport && !this.#deciding) this.#pump();
  }

  constructor(opts: SSLSocketOptions = {}) {
    checkObject(opts, 'opts');
    if (opts.allowHalfOpen !== undefined) checkBoolean(opts.allowHalfOpen, 'opts.allowHalfOpen');
    if (opts.suppressRaggedEOFs !== undefined)
      checkBoolean(opts.suppressRaggedEOFs, 'opts.suppressRaggedEOFs');
    if (opts.highWaterMark !== undefined) checkInteger(opts.highWaterMark, 'opts.highWaterMark', 0);
    // 'close' is emitted by _destroy with net.Socket's hadError argument.
    super({
      allowHalfOpen: opts.allowHalfOpen ?? false,
      emitClose: false,
      highWaterMark: opts.highWaterMark,
    });
    this.#suppressRaggedEOFs = opts.suppressRaggedEOFs ?? true;
    if (opts.family !== undefined) checkFamily(opts.family, 'opts.family');
    if (opts.certDB !== undefined) checkInstance(opts.certDB, CertDB, 'opts.certDB');
    const model = opts.model;
    if (
      model !== undefined &&
      (typeof model !== 'object' || model === null || !(model.engine instanceof Object))
    )
      throw argTypeError('The "opts.model" argument must be an SSLSocket or an SSLServer');
    // A server's sessions before its engine is copied: the copy takes the session context along.
    this.#serverSessions = model?.serverSessions;
    this.#engine = new binding.NativeSSLEngine(model ? model.engine : null);
    this.#engine.setCycleState(this.#cycleState);
    if (!model) {
      applyDefaultProfile(this.#engine, 'socket');
    } else {
      // NSS copies the model's settings; the TypeScript side of them comes along here.
      this.namedGroups = model.namedGroups ? [...model.namedGroups] : undefined;
      this.fipsProfile = model.fipsProfile;
      if (model instanceof SSLSocket) this.#userPeerID = model.#userPeerID;
      this.renegotiationLimit = model.renegotiationLimit;
      this.renegotiationWindow = model.renegotiationWindow;
      // NSS copies the native settings; callbacks, trust and the rest live here, and come along too (a
      // server's accepted sockets, and a socket made from a server or socket with `model`).
      if (isConfiguredModel(model)) this.inherit(model);
      if (isServingModel(model)) {
        this.servedIdentities = model.servedIdentities;
        this.ocspStapler = model.servingStapler();
      }
    }
    this.enforceFIPSProfile();
    if (opts.certDB !== undefined) this.setCertificateDB(opts.certDB);
    // As in node:tls, sessions are handed out only to those who listen for them; NSS then keeps them out
    // of its own cache for this socket. NSS exports only ticket sessions (so TLS 1.2 asks for tickets) and
    // none that used a client certificate.
    if (keyLogWanted) this.#watchSecrets();
    this.on('newListener', (event: string | symbol) => {
      if (event === 'keylog') this.#watchSecrets();
      if (event !== 'session' || this.#sessionsWatched) return;
      this.#engine.watchSessions(true);
      // A client asks for tickets; a server's socket keeps NSS's untagged ones off (tagTickets): they would
      // resume at any server in the process, and a TLS 1.2 ticket is refused after the handshake, as a
      // session of another server (node-nss/tls's sockets listen for 'session' from the start).
      if (this.#serverSessions === undefined) this.#engine.optionSet(ssl.SSL_ENABLE_SESSION_TICKETS, 1);
      this.#sessionsWatched = true;
    });
  }

  /** @internal */
  override get engine(): NativeSSLEngine {
    return this.#engine;
  }

  /** Key log lines from now on: for 'keylog' listeners and SSLKEYLOGFILE (keylog.ts). */
  #watchSecrets(): void {
    // (a closed socket has no secrets left to log: a 'keylog' listener added then waits for nothing)
    if (this.#keyLog || this.#state.finished) return;
    this.#keyLog = new KeyLog();
    this.#engine.watchSecrets(true);
  }

  /** @internal The sessions this socket accepts as a server, once it is one; passed on to sockets it models. */
  get serverSessions(): ServerSessions | undefined {
    return this.#serverSessions;
  }

  /**
   * Server role: its server's (or model's) sessions, else its own, made when first needed. NSS's untagged
   * tickets go off then: this socket's TLS 1.3 tickets are tagged instead.
   */
  #sessionsAsServer(): ServerSessions {
    if (this.#serverSessions === undefined) {
      this.#serverSessions = new ServerSessions();
      tagTickets(this.#engine, this.#serverSessions.context);
    }
    return this.#serverSessions;
  }

  /** @internal Takes the configuration of an SSLServer or socket it was made from. */
  inherit(from: InheritedSettings): void {
    this.callbacks = { ...from.callbacks };
    this.trustAnchors = from.trustAnchors;
    this.revocationMode = from.revocationMode;
    this.renegotiationLimit = from.renegotiationLimit;
    this.renegotiationWindow = from.renegotiationWindow;
    this.pinArgs = [...from.pinArgs];
    // The accepted socket gets the server's ALPN list explicitly, like every other inherited setting.
    if (from.alpnProtocols.length) this.setALPNProtocols(from.alpnProtocols);
    this.sniCallback = from.sniCallback;
    this.alpnCallback = from.alpnCallback;
    this.certDB = from.certDB;
    if (this.pinArgs.length) this.#engine.setPinArgs(this.pinArgs);
    this.applyHandlers();
  }

  /** @internal */
  override applyHandlers(): void {
    const sni = this.sniCallback;
    this.#engine.setHandlers({
      clientAuth: this.callbacks.clientAuth !== undefined,
      // NSS's own check runs inside NSS, without a crossing, unless a callback or trust anchors need this one.
      serverAuth:
        this.callbacks.auth ||
        this.callbacks.badCert ||
        this.trustAnchors ||
        this.getRevocationMode() !== 'off'
          ? (checkSig) => this.#serverAuth(checkSig)
          : undefined,
      sni: sni ? (name) => this.#chooseServerCertificate(sni, name) : undefined,
    });
  }

  // ---- transport -------------------------------------------------------------------------------

  /**
   * Connects over TCP. The handshake runs on first I/O or on {@link forceHandshake}, as in python-nss. A
   * connection that cannot be opened (refused, timed out) leaves the socket as it was made, to try again; a
   * socket connects once (`PR_IN_PROGRESS_ERROR` while it connects, `PR_IS_CONNECTED_ERROR` after), and one
   * destroyed while it connects fails the promise and closes that connection.
   */
  connect(opts: { host: string; port: number; timeout?: number }): Promise<void> {
    checkObject(opts, 'opts');
    checkString(opts.host, 'opts.host');
    checkInteger(opts.port, 'opts.port', 1, 65535);
    if (opts.timeout !== undefined) checkDelay(opts.timeout, 'opts.timeout', 1);
    const state = this.#state.current;
    if (state !== 'idle') {
      // One connection per socket: a second connect() while the first opens, or after it, would attach a
      // second transport (it threw from the 'connect' event, uncaught, before).
      const [code, why] =
        state === 'connecting'
          ? [PR_IN_PROGRESS_ERROR, 'the socket is already connecting']
          : this.#state.finished
            ? [PR_INVALID_STATE_ERROR, 'the socket is closed']
            : [PR_IS_CONNECTED_ERROR, 'the socket is already connected'];
      return Promise.reject(new NSPRError(code, undefined, why));
    }
    if (this.#engine.getURL() === null) this.setHostname(opts.host);
    this.#state.on('connect');
    this.peerName = { host: opts.host, port: opts.port };
    return new Promise((resolve, reject) => {
      // Half-open at the TCP level: TLS decides when each direction ends (close_notify, then FIN).
      const tcp = net.connect({ host: opts.host, port: opts.port, allowHalfOpen: true });
      // Not connected after all: the socket is as it was made, and connect() may be tried again.
      const failed = (err: Error) => {
        clearTimeout(timer);
        this.#connecting = undefined;
        tcp.destroy();
        this.#state.on('connect-failed');
        reject(err);
      };
      const timer = opts.timeout
        ? setTimeout(
            () =>
              failed(
                new NSPRError(
                  PR_IO_TIMEOUT_ERROR,
                  undefined,
                  `connect to ${opts.host}:${opts.port} timed out`,
                ),
              ),
            opts.timeout,
          )
        : undefined;
      this.#connecting = { tcp, fail: reject };
      tcp.once('error', failed);
      tcp.once('connect', () => {
        clearTimeout(timer);
        this.#connecting = undefined;
        tcp.removeListener('error', failed);
        this.attach(tcp, false);
        resolve();
      });
    });
  }

  /** Runs TLS over an already connected transport (STARTTLS): a `net.Socket` or any Duplex. */
  static importTCPSocket(
    socket: net.Socket | Duplex,
    opts: { asServer?: boolean } & SSLSocketOptions = {},
  ): SSLSocket {
    checkDuplex(socket, 'socket');
    checkObject(opts, 'opts');
    if (opts.asServer !== undefined) checkBoolean(opts.asServer, 'opts.asServer');
    const sock = new SSLSocket(opts);
    sock.attach(socket, opts.asServer ?? false);
    return sock;
  }

  /** @internal The TCP connection for this socket is being opened (createConnection). */
  markConnecting(): void {
    this.#state.on('connect');
  }

  /**
   * As `net.Socket`'s: the TCP connection is still being opened. Node's http reads it (a request's
   * `setTimeout` on a socket still connecting waits for its `'connect'`).
   */
  get connecting(): boolean {
    return this.#state.current === 'connecting';
  }

  /** @internal Binds the socket to its transport and sets its role. */
  attach(transport: Duplex, asServer: boolean): void {
    checkDuplex(transport, 'transport');
    checkBoolean(asServer, 'asServer');
    if (this.#transport) throw new Error('the socket already has a transport');
    if (this.#state.finished) {
      transport.destroy();
      return;
    }
    this.#transport = transport;
    this.#state.on('attach');
    const tcp = transport instanceof net.Socket ? transport : undefined;
    // Each cycle writes whole records at once; Nagle would only hold handshake flights back.
    tcp?.setNoDelay(true);
    this.#beforeTransport.splice(0).forEach((apply) => apply(transport));
    this.#engine.setPeerAddress(tcp?.remoteAddress ?? '127.0.0.1', tcp?.remotePort ?? 0);
    // FIPS mode may have been turned on since the socket was made: no handshake runs outside the profile.
    this.enforceFIPSProfile();
    this.#resetHandshake(asServer);
    transport.on('data', (chunk: Buffer) => this.#receive(chunk));
    transport.on('end', () => this.#receive(null));
    transport.on('error', (err: Error) =>
      // After a pool cycle still running: what it brings (the peer's alert) is the socket's error, as inline.
      this.#outsideNative(() => {
        // Both directions already ended cleanly: a reset now (a peer that closed with data unread) loses
        // nothing, and node:tls reports none.
        if (this.#state.current === 'closing') this.destroy();
        else this.#fail(this.#transportError(err));
      }),
    );
    transport.on('close', () => this.#transportClosed());
    transport.on('drain', () => this.#drained());
    // A transport the caller paused (after reading a STARTTLS answer, say) stays paused when a 'data' listener
    // is added: measured, the handshake then waited forever for the peer's first flight.
    if (transport.readableFlowing === false) transport.resume();
    if (asServer || this.#ioBeforeTransport) this.#pump();
    const endOnAttach = this.#endOnAttach;
    this.#endOnAttach = undefined;
    if (endOnAttach) this.#endOwnDirection(endOnAttach);
  }

  #transportError(err: Error): NSPRError {
    const code = (err as NodeJS.ErrnoException).code;
    const errno = code === 'ECONNRESET' || code === 'EPIPE' ? PR_CONNECT_RESET_ERROR : PR_END_OF_FILE_ERROR;
    const wrapped = new NSPRError(errno, undefined, `transport: ${err.message}`);
    (wrapped as Error).cause = err;
    return wrapped;
  }

  /** Starts over as client or server (`SSL_ResetHandshake`); the next I/O begins a new handshake. */
  /**
   * Sets which side of the handshake this socket takes (`SSL_ResetHandshake`), before the handshake: once a
   * transport is attached it throws {@link NSPRError} `'PR_INVALID_STATE_ERROR'` (NSS would go on with a
   * half-reset connection, and crashes on an established one); {@link rehandshake} handshakes again.
   */
  resetHandshake(asServer: boolean): void {
    checkBoolean(asServer, 'asServer');
    if (this.#transport || this.#state.finished) {
      throw new NSPRError(
        PR_INVALID_STATE_ERROR,
        undefined,
        'resetHandshake() applies before the socket has a transport: use rehandshake() to handshake again',
      );
    }
    this.#resetHandshake(asServer);
  }

  #resetHandshake(asServer: boolean): void {
    this.#asServer = asServer;
    if (asServer) this.#sessionsAsServer();
    this.#hello =
      asServer && (this.sniCallback || this.alpnCallback || this.ocspStapler)
        ? { reader: new ClientHelloReader(), deciding: false, ended: false }
        : null;
    this.#sniDecision = undefined;
    this.#helloALPN = undefined;
    this.#ocspResponseEmitted = false;
    this.#engine.resetHandshake(asServer);
    this.#sessionPolicyDue = !asServer;
  }

  /** The name sent as SNI and checked against the server's certificate (`SSL_SetURL`). */
  setHostname(name: string): void {
    checkString(name, 'name');
    this.#engine.setURL(name);
    this.servername = net.isIP(name) ? false : name;
  }

  getHostname(): string | null {
    return this.#engine.getURL();
  }

  /**
   * Names the peer for NSS's client session cache (`SSL_SetSockPeerID`) in place of the host and port
   * (proxies, tunnels): sockets with the same ID share sessions. node-nss still adds its session policy when
   * the handshake starts — NSS's own verification or a callback, the client identity, versions and
   * signature schemes — but within an explicit ID callbacks count by kind, not by function identity.
   */
  setSockPeerID(id: string): void {
    checkString(id, 'id');
    this.#userPeerID = id;
  }

  /**
   * Resumes the session of an earlier `'session'` event (`SSL_SetResumptionToken`), before the handshake.
   * NSS refuses a token it cannot use (expired, damaged, another NSS, another server name) with an
   * `NSPRError`; drop it then. A session made under another policy (verification, client identity,
   * versions, signature schemes) is not used: the handshake is a full one.
   */
  setSession(session: Buffer): void {
    checkBuffer(session, 'session');
    const unwrapped = unwrapSession(session);
    this.#engine.setSession(unwrapped.token); // NSS's own checks, now; the policy's when the handshake starts
    this.#session = unwrapped;
  }

  /**
   * Client, as the handshake starts (every option and callback is set by now): the peer ID NSS's session
   * cache keys on, and the application's session if it was made under the same policy.
   */
  #applySessionPolicy(): void {
    this.#sessionPolicyDue = false;
    const clientAuth = this.callbacks.clientAuth;
    const chooser = (clientAuth?.fn as Partial<DefaultChooser> | undefined)?.[nssDefaultNickname];
    const inMemory = (clientAuth?.fn as Partial<MemoryClientAuth> | undefined)?.[memoryIdentity];
    const policy = sessionPolicy({
      auth: this.callbacks.auth,
      badCert: this.callbacks.badCert,
      clientAuth:
        chooser !== undefined
          ? { nssNickname: chooser }
          : inMemory !== undefined
            ? { certificate: inMemory }
            : clientAuth,
      userPeerID: this.#userPeerID,
      trustAnchors: this.trustAnchors?.id,
      revocation: (this.#handshakeRevocation = this.getRevocationMode()),
      versionRange: this.#engine.versionRangeGet(),
      signatureSchemes: this.#engine.signatureSchemePrefGet(),
      fipsProfile: this.fipsProfile,
    });
    const { host, port } = this.peerName;
    const servername = this.#engine.getURL();
    this.#engine.setSockPeerID(
      peerID({ host, port, servername, userPeerID: this.#userPeerID }, policy, binding.trustEpoch()),
    );
    this.#policyTag = policyTag(policy);
    const session = this.#session;
    if (!session) return;
    // Drop the token setSession gave NSS to check, then give it back only if its policy is this one.
    this.#engine.resetHandshake(false);
    if (!session.tag.equals(this.#policyTag)) return;
    try {
      this.#engine.setSession(session.token);
    } catch (err) {
      if (!(err instanceof NSPRError)) throw err; // expired since: a full handshake, as in node:tls
    }
  }

  // ---- the pump ------------------------------------------------------------------------------

  /** Bytes (or, with `null`, the end) from the transport. */
  #receive(chunk: Buffer | null): void {
    const hello = this.#hello;
    if (!hello) {
      if (chunk) this.#input.push(chunk);
      else this.#inputEnded = true;
      if (this.#decisions > 0) {
        this.#holdInput(this.#input.reduce((n, b) => n + b.length, 0));
        return;
      }
      this.#pump();
      return;
    }
    const { reader } = hello;
    const info = reader.push(chunk ?? Buffer.alloc(0));
    if (!chunk) hello.ended = true;
    // A first record of no TLS content type: NSS waits for all the bytes its header claims (measured: 1 KiB of
    // 0x2a held the connection until the handshake timeout) and then fails with SSL_ERROR_RX_UNKNOWN_RECORD_TYPE;
    // it fails now, as node:tls's does (ERR_SSL_WRONG_VERSION_NUMBER). A header claiming more than a record may
    // hold NSS refuses at once itself, with its alert.
    if (!hello.deciding && reader.length >= 5 && notTLS(reader.received)) {
      this.#hello = null;
      this.#fail(
        new NSPRError(
          SSL_ERROR_RX_UNKNOWN_RECORD_TYPE,
          undefined,
          'the client sent something other than TLS',
        ),
      );
      return;
    }
    if (hello.deciding) {
      this.#holdInput(reader.length);
      return;
    }
    if (reader.length > MAX_HELD_CLIENT_HELLO) {
      this.#fail(
        new NSPRError(
          SSL_ERROR_RX_MALFORMED_CLIENT_HELLO,
          undefined,
          `the ClientHello is larger than ${MAX_HELD_CLIENT_HELLO} bytes`,
        ),
      );
      return;
    }
    if (info === undefined && !hello.ended) return;
    hello.deciding = true;
    void this.#decideHello(info ?? NO_HELLO)
      .then((failure) => {
        this.#hello = null;
        if (failure) {
          this.#fail(failure);
          return;
        }
        if (reader.length) this.#input.push(Buffer.concat(reader.received, reader.length));
        if (hello.ended) this.#inputEnded = true;
        this.#pump();
      })
      // Nothing a decision throws may end the process: it fails this connection.
      .catch((err: unknown) =>
        this.#fail(callbackError('ClientHello decision', err, SSL_ERROR_BAD_CERTIFICATE)),
      );
  }

  /** `held` bytes wait for a decision: past the limit, the peer waits too. */
  #holdInput(held: number): void {
    if (held <= MAX_HELD_INPUT || !this.#transport) return;
    this.#inputHeld = true;
    this.#transport.pause();
  }

  /** The held input goes to NSS: the transport may flow again. */
  #releaseInput(): void {
    if (!this.#inputHeld) return;
    this.#inputHeld = false;
    this.#transport?.resume();
  }

  /** The transport closed. After a clean end that is the last step; before one, the peer went away. */
  #transportClosed(): void {
    // A pool cycle still running (a handshake's last flight, the peer's alert) comes first, as inline.
    if (this.#poolCycle) {
      this.#afterNative.push(() => this.#transportClosed());
      return;
    }
    if (this.#state.finished) return;
    if (!this.#state.secured) {
      this.#fail(new NSPRError(PR_CONNECT_RESET_ERROR, undefined, 'the connection was closed'));
      return;
    }
    if (!this.#state.peerEnded) this.#receive(null);
    // On the cycle pool the input's last cycle may still run: what it brings (the peer's end) comes first.
    this.#outsideNative(() => {
      if (this.#state.finished) return;
      this.#state.on('transport-closed');
      // Nothing more can be written; what was read is still delivered before 'close'.
      if (this.readableEnded || this.destroyed) this.destroy();
      else this.once('end', () => this.destroy());
    });
  }

  /**
   * What the server decides before NSS reads the ClientHello: the certificate for its SNI name, then the
   * OCSP response to staple with it. Resolves with the error that fails the handshake at once, if any.
   */
  async #decideHello(info: ClientHelloInfo): Promise<NSPRError | undefined> {
    if (info.alpnProtocols) this.#helloALPN = { offered: info.alpnProtocols, refused: false };
    await this.#decideSNI(info.serverName);
    // A failed SNI callback fails the handshake here, with its error, as node:tls's does (for a server with
    // no certificate of its own NSS went on to fail with SSL_ERROR_NO_SUPPORTED_SIGNATURE_ALGORITHM).
    const sni = this.#sniDecision;
    if (sni && 'error' in sni) return callbackError('SNI callback', sni.error, SSL_ERROR_BAD_CERTIFICATE);
    const refused = info.alpnProtocols
      ? await this.#decideALPN(info.serverName, info.alpnProtocols)
      : undefined;
    if (refused !== undefined) return refused;
    const failure = info.statusRequest ? await this.#decideStaple(info) : undefined;
    if (failure !== undefined || this.#state.finished) return failure;
    try {
      this.#configureSNIAnswer();
      // NSS's SNI hook answers from the engine then, without calling back into JavaScript (what lets a
      // server's handshake run on the cycle pool).
      if (this.sniCallback) {
        const decided = this.#sniDecision;
        this.#engine.setSNIDecision(
          decided?.name ?? '',
          decided && !decided.configured ? decided.answer : undefined,
        );
      }
    } catch (err) {
      // NSS refused the pair (SSL_ConfigServerCert): that handshake fails, as in the SNI hook.
      return callbackError('SNI callback', err, SSL_ERROR_BAD_CERTIFICATE);
    }
    return undefined;
  }

  /**
   * An SNI answer whose certificate is of another key type (or EC curve) than one of the server's: NSS keeps
   * one certificate per type, so the answer would not replace that one; TLS 1.3 serves the first certificate
   * configured that the client can verify, and TLS 1.2 picks its suite before NSS's SNI hook runs (measured:
   * an RSA default was served beside an EC answer). So the answer is configured here, before NSS reads the
   * ClientHello, and the server's other certificates again after it (first in NSS's list, it is the one
   * TLS 1.3 serves), and this socket's TLS 1.2 suites are only those it can serve. NSS's hook then keeps this
   * configuration. An answer of the same type as every server certificate replaces it in the hook itself.
   */
  #configureSNIAnswer(): void {
    const decision = this.#sniDecision;
    const chosen = decision?.answer && decision.identity;
    if (!decision?.answer || !chosen) return;
    const slot = certificateSlot(chosen.cert);
    const others = this.servedIdentities.filter((served) => certificateSlot(served.cert) !== slot);
    if (others.length === 0) return;
    this.#engine.configServerCert(
      chosen.cert.native,
      chosen.key.native,
      decision.answer.ocspResponse ?? null,
    );
    for (const other of others)
      this.#engine.configServerCert(other.cert.native, other.key.native, other.ocspResponse ?? null);
    this.#onlySuitesServedBy(chosen.key.keyType);
    decision.configured = true;
  }

  /** Asks the SNI callback (sync or async) about the name in the ClientHello, before NSS reads it. */
  async #decideSNI(name: string | null): Promise<void> {
    const sni = this.sniCallback;
    if (name === null || !sni) return;
    try {
      const answer = await sni(name);
      const checked = this.#sniAnswer(answer);
      this.#trustOfSNIAnswer(answer);
      const identity = checked && (answer as ServedIdentity);
      this.#sniDecision = {
        name,
        answer: checked,
        identity: identity && { cert: identity.cert, key: identity.key },
      };
    } catch (err) {
      this.#sniDecision = { name, error: err };
    }
  }

  /**
   * The ALPN callback chooses among the client's protocols: the answer becomes this connection's only one, so
   * NSS selects it; `undefined` leaves NSS a list the client's does not overlap, so NSS refuses with
   * `no_application_protocol`, as node:tls's does. Resolves with the error for an answer it cannot use.
   */
  async #decideALPN(serverName: string | null, protocols: string[]): Promise<NSPRError | undefined> {
    const choose = this.alpnCallback;
    if (!choose || this.#state.finished) return undefined;
    let answer: unknown;
    try {
      answer = await choose({ serverName, protocols: [...protocols] });
    } catch (err) {
      return callbackError('ALPN callback', err, SSL_ERROR_APPLICATION_ABORT);
    }
    if (this.#state.finished) return undefined;
    if (answer === undefined) {
      let none = 'node-nss/none';
      while (protocols.includes(none)) none += '!';
      this.setALPNProtocols([none]);
      if (this.#helloALPN) this.#helloALPN.refused = true;
    } else if (typeof answer === 'string' && protocols.includes(answer)) {
      this.setALPNProtocols([answer]);
    } else {
      return new NSPRError(
        SSL_ERROR_NEXT_PROTOCOL_NO_PROTOCOL,
        undefined,
        `the ALPN callback answered ${typeof answer === 'string' ? JSON.stringify(answer) : typeof answer}, ` +
          `not one of the client's protocols (${protocols.join(', ')})`,
      );
    }
    return undefined;
  }

  /**
   * The client asked for a stapled OCSP response: the stapler ('OCSPRequest') answers for the identity to be
   * served, and the response goes with it to NSS — in the SNI answer, or configured on this socket for the
   * server's own certificate. As in node:tls, a listener's error ends the connection (no alert).
   */
  async #decideStaple(info: ClientHelloInfo): Promise<NSPRError | undefined> {
    const stapler = this.ocspStapler;
    const decision = this.#sniDecision;
    // (a connection gone while the SNI callback decided asks for nothing; a failed callback failed it before)
    if (!stapler || this.#state.finished) return undefined;
    try {
      const own = decision?.answer ? undefined : this.#chooseOwnCertificate(info);
      const staple = await stapler(decision?.identity ?? own?.chosen);
      if (staple === null || this.#state.finished) return undefined;
      if (decision?.answer) {
        decision.answer.ocspResponse = staple.response;
        return undefined;
      }
      if (own?.order) {
        // Bound to the certificate chosen: NSS's list in that order, the staple with the chosen one.
        for (const s of own.order)
          this.#engine.configServerCert(
            s.cert.native,
            s.key.native,
            s.cert === staple.cert ? staple.response : (s.ocspResponse ?? null),
          );
        return undefined;
      }
      // Configuring a certificate puts it last in NSS's list: the ones configured after it follow again, so
      // that the certificate TLS 1.3 serves stays the same.
      const served = this.servedIdentities;
      const at = served.findIndex((s) => s.cert === staple.cert);
      this.#engine.configServerCert(staple.cert.native, staple.key.native, staple.response);
      for (const later of at < 0 ? [] : served.slice(at + 1))
        this.#engine.configServerCert(later.cert.native, later.key.native, later.ocspResponse ?? null);
      return undefined;
    } catch (err) {
      return callbackError("'OCSPRequest' listener", err, SSL_ERROR_APPLICATION_ABORT);
    }
  }

  /**
   * Which of the server's own certificates this connection serves, when they are of several key types and no
   * SNI answer chose: NSS picks as it reads the ClientHello (TLS 1.3: the first configured that the client's
   * signature schemes can verify; TLS 1.2: by its suite order), and 'OCSPRequest' must name it before. So the
   * choice is made here from the same ClientHello, and NSS is bound to it as for an SNI answer: TLS 1.3 finds
   * it first in NSS's list (`order`), TLS 1.2 keeps only this socket's suites it can serve. With one key type
   * there is nothing to choose: the first certificate (`order` undefined, NSS's list left as it is).
   */
  #chooseOwnCertificate(
    info: ClientHelloInfo,
  ): { chosen: ServedIdentity; order?: readonly ServedIdentity[] } | undefined {
    const served = this.servedIdentities;
    const first = served[0];
    if (!first || served.every((s) => certificateSlot(s.cert) === certificateSlot(first.cert)))
      return first && { chosen: first };
    const tls13 =
      this.#engine.versionRangeGet()[1] >= ssl.SSL_LIBRARY_VERSION_TLS_1_3 &&
      (info.versions?.includes(ssl.SSL_LIBRARY_VERSION_TLS_1_3) ?? false);
    const ours = new Set(this.getSignatureSchemes());
    const schemes = info.signatureSchemes?.filter((scheme) => ours.has(scheme));
    const signs = (s: ServedIdentity) =>
      schemes === undefined || schemes.some((x) => canSign(s.cert, x, tls13));
    if (tls13) {
      const chosen = served.find(signs) ?? first;
      return chosen === first
        ? { chosen }
        : { chosen, order: [chosen, ...served.filter((s) => s !== chosen)] };
    }
    const auth = suiteAuthTypes();
    const offered = info.cipherSuites.filter((suite) => {
      const type = auth.get(suite);
      return type !== undefined && type !== SSL_AUTH_TLS13_ANY && this.#engine.cipherPrefGet(suite);
    });
    const chosen =
      served.find(
        (s) => signs(s) && offered.some((suite) => servesAuthType(s.key.keyType, auth.get(suite)!)),
      ) ?? first;
    this.#onlySuitesServedBy(chosen.key.keyType);
    return { chosen };
  }

  /** Turns off on this socket the TLS 1.2 suites a certificate of this key type cannot serve. */
  #onlySuitesServedBy(keyType: string): void {
    for (const [suite, authType] of suiteAuthTypes()) {
      if (!servesAuthType(keyType, authType)) this.#engine.cipherPrefSet(suite, false);
    }
  }

  /**
   * Drives NSS with what is waiting (input, writes). One pump at a time: a pump asked for while one runs (a
   * write from a 'data' or 'secureConnect' listener, a write callback's next write) runs right after it,
   * so records always reach the transport in the order NSS made them.
   */
  #pump(): void {
    if (this.#pumping || this.#poolCycle) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        // (destroyed: its teardown waits for a pool cycle; nothing more goes to NSS before it.)
        if (this.#state.finished || !this.#transport || this.destroyed) break;
        this.#cycle();
      } while (this.#pumpAgain && !this.#poolCycle);
    } finally {
      this.#pumping = false;
      // A listener threw out of a cycle (the process's uncaught exception): what was asked for meanwhile (a
      // write from that listener) still runs, as node:tls's socket goes on. Before, the socket hung.
      if (this.#pumpAgain && !this.#poolCycle) process.nextTick(() => this.#pump());
    }
  }

  /**
   * Runs `work` now, or, inside a native cycle (a synchronous NSS hook) or while one runs on the pool, as soon
   * as the cycle is back.
   */
  #outsideNative(work: () => void): void {
    if (this.#inNative || this.#poolCycle) this.#afterNative.push(work);
    else work();
  }

  /** One native crossing: feed ciphertext, drive NSS, send what it wrote, deliver cleartext and events. */
  #cycle(): void {
    // While a callback decides NSS reads nothing: the input (and its end) wait here, where they are counted.
    const hold = this.#decisions > 0;
    const input =
      hold || this.#input.length === 0
        ? null
        : this.#input.length === 1
          ? this.#input[0]!
          : Buffer.concat(this.#input);
    if (!hold) {
      this.#input = [];
      this.#releaseInput();
    }
    const eof = !hold && this.#inputEnded && !this.#inputEndGiven;
    this.#inputEndGiven ||= eof;
    if (input && this.#asServer) this.#keyLog?.observeClientHello(input);
    let out: NativeCycleOutput;
    this.#inNative = true;
    socketsInCycle++;
    try {
      if (this.#sessionPolicyDue) this.#applySessionPolicy();
      const writes = this.#writesForNSS();
      // The pool takes the handshake (key exchange, signatures: milliseconds, longer on a token). Records on an
      // open connection stay inline, where node:tls makes them: AES-GCM takes microseconds even for 64 KiB,
      // less than the two thread hops a pool cycle costs (measured with the pool taking them too: a 1 KiB round
      // trip 134 -> 270 us, bulk 0.6-0.9x -> 0.4-0.6x of node:tls; and with writes pooled, their callbacks and
      // 'finish' came after the peer's echo in the stream contract).
      const pooled = cyclePoolEnabled() && !this.#state.secured;
      if (pooled && this.#engine.cycleAsync(input, eof, writes, this.#poolCycleDone)) {
        this.#poolCycle = true;
        this.#inNative = false;
        socketsInCycle--;
        return;
      }
      out = this.#engine.cycle(input, eof, writes);
    } catch (err) {
      this.#leaveNative();
      this.#cycleFailed(err);
      return;
    }
    this.#leaveNative();
    this.#afterCycle(out);
  }

  /**
   * A pool cycle is back, with what engine.cycle() would have returned or thrown. Called by N-API, which
   * would only warn about an exception (DEP0168) and drop it: a listener's exception becomes the process's
   * uncaught exception on the next tick instead, as it would be from the transport's 'data' event inline.
   */
  readonly #poolCycleDone = (error: Error | null, out: NativeCycleOutput): void => {
    try {
      this.#poolCycleBack(error, out);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  };

  #poolCycleBack(error: Error | null, out: NativeCycleOutput): void {
    this.#poolCycle = false;
    this.#pumping = true;
    try {
      if (error) this.#cycleFailed(error);
      // destroy() while the cycle ran waits below; the records NSS made still go out, as they would have.
      else if (this.destroyed) this.#afterCycleOfDestroyed(out);
      else this.#afterCycle(out);
    } finally {
      // Also after a listener threw (the process's uncaught exception): the socket goes on.
      this.#pumping = false;
      if (this.#pumpAgain) this.#pump();
      // What waited for the cycle (destroy(), the transport's close) runs once none is in flight: a pump
      // just started one (the input's end, say) whose outcome comes first.
      while (!this.#poolCycle && this.#afterNative.length > 0) this.#afterNative.shift()!();
    }
  }

  #afterCycleOfDestroyed(out: NativeCycleOutput): void {
    if (out?.[1]) this.#sendCiphertext(out[1]);
    this.#consumeWritten(this.#cycleState[CycleState.written]!);
  }

  #cycleFailed(err: unknown): void {
    if ((err as NSPRError).code === 'NSS_SHUT_DOWN') {
      // shutdown() released the engine: the application ended NSS under the socket, which only closes
      // (hadError) rather than throwing an 'error' nobody may be listening for.
      this.#failure ??= err as NSPRError;
      this.#failureToPromise = true;
      this.#waiters.splice(0).forEach((w) => w.reject(err as NSPRError));
      this.destroy();
      return;
    }
    this.#fail(err instanceof NSPRError ? err : callbackError('SSL engine', err, SSL_ERROR_BAD_CERTIFICATE));
  }

  /** What a cycle brought: ciphertext to send, key logs, events, cleartext, write callbacks, failures. */
  #afterCycle(out: NativeCycleOutput): void {
    const state = this.#cycleState;
    const flags = state[CycleState.flags]!;
    const extras = flags & CycleFlag.extras ? this.#engine.cycleExtras() : undefined;
    // What NSS wrote goes out first: anything a listener below makes NSS write comes after it.
    if (out?.[1]) {
      if (!this.#asServer) this.#keyLog?.observeClientHello(out[1]);
      this.#sendCiphertext(out[1]);
    }
    if (extras?.secrets && this.#keyLog) {
      const lines = this.#keyLog.lines(extras.secrets, this.#asServer);
      writeKeyLog(lines);
      for (const line of lines) this.emit('keylog', line);
    }
    if (extras?.callbackError !== undefined && !this.#callbackFailure) {
      this.#callbackFailure = callbackError('callback', extras.callbackError, SSL_ERROR_BAD_CERTIFICATE);
    }
    const serverAuthCalls = state[CycleState.serverAuthCalls]!;
    if (serverAuthCalls > 0) {
      this.#serverAuthCalls += serverAuthCalls;
      this.#authWaiters.splice(0).forEach((w) => w());
    }
    if (this.#state.finished) return; // destroyed by a hook (deferred above)
    // 'secureConnect' before the data that came with the last handshake flight, as node:tls orders them.
    const handshakes = state[CycleState.handshakes]!;
    if (handshakes > 0 && !this.#handshakeDone(handshakes)) return;
    if (out?.[0]) {
      this.#bytesRead += out[0].length;
      if (!this.push(out[0])) this.#transport?.pause();
    }
    // Read before the write callbacks run: one may destroy the socket, whose last flush reuses `state`.
    const error = state[CycleState.error]!;
    this.#consumeWritten(state[CycleState.written]!);
    if (error !== 0) {
      if (error === PR_END_OF_FILE_ERROR && this.#inputEndGiven && this.#state.secured) {
        this.#peerEnded(false);
        return;
      }
      this.#fail(this.#handshakeError(error));
      return;
    }
    if (flags & CycleFlag.authPending) void this.#authenticate();
    if (flags & CycleFlag.clientAuthPending) void this.#chooseClientCertificate(extras?.caNames ?? []);
    const tag = this.#policyTag;
    if (tag) extras?.sessions?.forEach((token) => this.emit('session', wrapSession(tag, token)));
    if (flags & CycleFlag.eof) this.#peerEnded((flags & CycleFlag.closeNotify) !== 0);
  }

  #leaveNative(): void {
    this.#inNative = false;
    socketsInCycle--;
    for (const work of this.#afterNative.splice(0)) work();
  }

  #handshakeError(errno: number): NSPRError {
    const known = this.#callbackFailure ?? this.#authFailure ?? this.#renegotiations?.error(errno);
    if (known) return known;
    if (this.#asServer && errno === SSL_ERROR_NO_CERTIFICATE) {
      // NSS's text ("Unable to find the certificate or key necessary for authentication") reads as if this
      // server lacked its own key.
      return new NSPRError(errno, undefined, 'the client sent no certificate, and this server requires one');
    }
    const alpn = this.#helloALPN;
    // NSS reports every extension it refuses as a malformed ClientHello (ssl3_HandleClientHello keeps that code
    // when ssl3_HandleParsedExtensions fails), an ALPN list without a protocol in common too, although it
    // sent the client no_application_protocol. Where the hello was read ahead, the reason is known.
    if (
      this.#asServer &&
      errno === SSL_ERROR_RX_MALFORMED_CLIENT_HELLO &&
      alpn &&
      (alpn.refused ||
        (this.alpnProtocols.length > 0 && !alpn.offered.some((p) => this.alpnProtocols.includes(p))))
    ) {
      const offered = alpn.offered.join(', ');
      return new NSPRError(
        SSL_ERROR_NEXT_PROTOCOL_NO_PROTOCOL,
        undefined,
        alpn.refused
          ? `the ALPN callback refused the client's protocols (${offered})`
          : `none of the client's protocols (${offered}) is one of this server's (${this.alpnProtocols.join(', ')})`,
      );
    }
    return new NSPRError(errno);
  }

  /**
   * The pending writes as NSS gets them: after setMaxSendFragment, in pieces of at most that size. NSS has no
   * setting for the size of the records it sends, but sends what each PR_Write gives it at once, in records of
   * its own, so a piece is a record.
   */
  #writesForNSS(): Buffer[] {
    const chunks = this.#pendingWrites.map((w) => w.chunk);
    const max = this.#maxSendFragment;
    if (max === 0 || chunks.every((chunk) => chunk.length <= max)) return chunks;
    const pieces: Buffer[] = [];
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; at += max) pieces.push(chunk.subarray(at, at + max));
    }
    return pieces;
  }

  #consumeWritten(written: number): void {
    let left = written;
    while (left > 0 && this.#pendingWrites.length) {
      const head = this.#pendingWrites[0]!;
      if (head.chunk.length <= left) {
        left -= head.chunk.length;
        this.#pendingWrites.shift();
        if (this.#ciphertextWaiting) {
          this.once('ciphertext-drained', () => {
            this.#bytesWritten += head.size;
            head.callback();
          });
        } else {
          this.#bytesWritten += head.size;
          head.callback();
        }
      } else {
        head.chunk = head.chunk.subarray(left);
        left = 0;
      }
    }
  }

  #sendCiphertext(data: Buffer): void {
    const transport = this.#transport;
    if (!transport || transport.destroyed || transport.writableEnded) return;
    if (!transport.write(data)) this.#ciphertextWaiting = true;
  }

  #drained(): void {
    if (!this.#ciphertextWaiting) return;
    this.#ciphertextWaiting = false;
    this.emit('ciphertext-drained');
  }

  /**
   * node:tls's 'OCSPResponse' on a client that asked (requestOCSP): the server's stapled response, or `null`
   * when none came, as node:tls emits it; once per handshake, before the verdict when there is one to make.
   */
  #emitOCSPResponse(): void {
    if (this.#ocspResponseEmitted || this.#asServer || this.listenerCount('OCSPResponse') === 0) return;
    if (!this.getSSLOption(ssl.SSL_ENABLE_OCSP_STAPLING)) return;
    this.#ocspResponseEmitted = true;
    const responses = this.#engine.peerStapledOCSPResponses();
    if (responses.length === 0) this.emit('OCSPResponse', null);
    for (const response of responses) this.emit('OCSPResponse', response);
  }

  /** `count` handshakes finished. Returns false when the handshake callback failed the socket. */
  #handshakeDone(count: number): boolean {
    const first = !this.#state.secured;
    if (first) {
      if (this.#asServer && !this.#firstServerHandshake()) return false;
      if (!this.#asServer) {
        this.#clientResumption();
        // Without a verdict of ours to make (NSS verified inside the handshake), it comes here.
        this.#emitOCSPResponse();
      }
      this.#state.on('secured');
    }
    // Handshakes after the first are renegotiations (several may complete in one cycle).
    if (this.#asServer) this.#countRenegotiations(first ? count - 1 : count);
    if (this.#asServer && !this.callbacks.auth && !this.callbacks.badCert) {
      // NSS's own check ran inside the handshake; a certificate that reached here is verified.
      this.authorized = this.#engine.peerCertificate() !== null;
      this.authorizationError = this.authorized ? null : 'SSL_ERROR_NO_CERTIFICATE';
    }
    if (this.#asServer) this.servername = this.#engine.negotiatedHost() ?? false;
    const handshake = this.callbacks.handshake;
    if (handshake) {
      try {
        handshake.fn(this, ...handshake.userData);
      } catch (err) {
        this.#fail(callbackError('handshake callback', err, SSL_ERROR_BAD_CERTIFICATE));
        return false;
      }
    }
    if (debug.enabled) this.#debugHandshake();
    this.#waiters.splice(0).forEach((w) => w.resolve());
    this.emit('secure');
    if (first && !this.#asServer) this.emit('secureConnect');
    return !this.#state.finished;
  }

  #debugHandshake(): void {
    const ci = this.getSSLChannelInfo();
    const peer = this.getPeerCertificate();
    debug(
      '%s %s handshake: %s %s%s, peer %s, authorized %s%s',
      this.#asServer ? 'server' : 'client',
      this.#asServer
        ? `from ${this.remoteAddress ?? '?'}`
        : `to ${String(this.peerName.host)}:${String(this.peerName.port)}`,
      ci.protocolVersion,
      ci.cipherSuiteName,
      ci.resumed ? ' (resumed)' : '',
      peer ? peer.subject : 'none',
      String(this.authorized),
      this.authorizationError ? ` (${this.authorizationError})` : '',
    );
  }

  /**
   * Server, first handshake: what depends on how it went, from one channel-info crossing. Returns false when
   * a resumed session fails this server's policy (the socket has failed).
   */
  #firstServerHandshake(): boolean {
    const { resumed, protocolVersion } = this.#engine.channelInfo();
    const tls13 = protocolVersion >= ssl.SSL_LIBRARY_VERSION_TLS_1_3;
    if (!resumed && !tls13) this.#sessionsAsServer().remember(this.#engine.sessionID());
    const refused = resumed ? (this.#refuseForeignSession(tls13) ?? this.#recheckResumedClient()) : undefined;
    if (refused) {
      this.#fail(refused);
      return false;
    }
    if (protocolVersion < ssl.SSL_LIBRARY_VERSION_TLS_1_3) {
      this.#noResumedRenegotiation();
      if (this.renegotiationLimit !== Infinity) {
        this.#renegotiations = new RenegotiationLimiter(
          this.#engine,
          this.renegotiationLimit,
          this.renegotiationWindow,
        );
      }
    }
    return true;
  }

  /** Server: `count` completed renegotiations count against the peer's limit (its own do not). */
  #countRenegotiations(count: number): void {
    const limiter = this.#renegotiations;
    for (let i = 0; limiter && i < count; i++) {
      if (this.#ownRenegotiation) limiter.ownRenegotiationDone();
      else limiter.peerRenegotiated();
      this.#ownRenegotiation = false;
    }
  }

  /** Server, first handshake that resumed a session: refused unless this server made the session. */
  #refuseForeignSession(tls13: boolean): NSPRError | undefined {
    // TLS 1.3: the ticket's tag was checked as the ClientHello came in; a resumption without a ticket this
    // server tagged (one offered only after a HelloRetryRequest, whose token NSS does not show) is refused.
    const ours = tls13
      ? this.#engine.ownTicketOffered()
      : this.#sessionsAsServer().made(this.#engine.sessionID());
    if (ours) return undefined;
    // TLS 1.2: the client finished first and keeps the session; out of NSS's shared cache, it makes its next
    // connection a full handshake.
    if (!tls13) this.#engine.invalidateSession();
    return new NSPRError(
      SSL_ERROR_APPLICATION_ABORT,
      undefined,
      'a resumed session was made by another server in this process',
    );
  }

  /**
   * Server, first handshake that resumed a session: the session is this server's (see server-sessions.ts)
   * and passes this server's own client-certificate policy, checked again now. NSS's server session cache and ticket keys are
   * process-wide, and a resumed handshake runs no certificate check, so a session made at a lenient server
   * in this process (any certificate, or none) would otherwise open a strict one (measured: openssl s_client
   * -sess_out at one SSLServer, -sess_in at another, was let in with a certificate the second server's
   * callback refuses).
   */
  #recheckResumedClient(): NSPRError | undefined {
    const hasPeer = this.#engine.peerCertificate() !== null;
    const require = this.#engine.optionGet(ssl.SSL_REQUIRE_CERTIFICATE);
    const required = require === ssl.SSL_REQUIRE_ALWAYS || require === ssl.SSL_REQUIRE_FIRST_HANDSHAKE;
    if (!hasPeer && required && this.#engine.optionGet(ssl.SSL_REQUEST_CERTIFICATE)) {
      return new NSPRError(
        SSL_ERROR_NO_CERTIFICATE,
        undefined,
        'a resumed session carries no client certificate, and this server requires one',
      );
    }
    // The client's certificate is checked again under this server's policy as it is now: a session made
    // before a CRL was imported, the trust changed or revocation checking was turned on must not let a
    // revoked or distrusted certificate back in (NSS's resumption checks nothing).
    if (!hasPeer) return undefined;
    const errno = this.#serverAuth(true);
    if (errno === 0) return undefined;
    return (
      this.#callbackFailure ??
      new NSPRError(
        errno,
        undefined,
        "a resumed session's client certificate does not pass this server's check",
      )
    );
  }

  // An NSS server that resumes a session inside a renegotiation takes a second reference on its certificate
  // and never drops the first (ssl3con.c, the resumption branch of the ClientHello handler): the reference
  // keeps NSS from shutting down. Renegotiations on this connection (TLS <= 1.2) therefore make full handshakes.
  #noResumedRenegotiation(): void {
    this.#engine.optionSet(ssl.SSL_NO_CACHE, 1);
    this.#engine.optionSet(ssl.SSL_ENABLE_SESSION_TICKETS, 0);
  }

  /** Client, first handshake: what a resumption means for NSS's cache and for `authorized`. */
  #clientResumption(): void {
    const { resumed, protocolVersion } = this.#engine.channelInfo();
    if (!resumed) return;
    // A socket with watched sessions keeps them with the application, not in NSS's cache.
    if (!this.#sessionsWatched && protocolVersion >= ssl.SSL_LIBRARY_VERSION_TLS_1_3) usedTicketLeftInCache();
    this.#authorizeResumed();
  }

  /**
   * Client, resumed: NSS runs no certificate check on resumption, and the session was made under this socket's
   * policy (peer ID, session tag) by a handshake that passed the check or the auth callback, unless a bad-cert
   * callback let a failed one through. node:tls reports a resumed session's stored verdict; here, with a
   * bad-cert callback, NSS's check runs again on the session's certificates, for `authorized` only (the
   * handshake goes on whatever it says, as the callback let it); with an auth callback too, the verdict was
   * the callback's and is not known: unauthorized.
   */
  #authorizeResumed(): void {
    let errno = 0;
    if (this.callbacks.badCert !== undefined) {
      // With revocation checking the verdict would need OCSP, on the JavaScript thread: not known either.
      errno =
        this.callbacks.auth === undefined && this.#revocationOfHandshake() === 'off'
          ? verifyPeer(this.#engine, true, false, this.trustAnchors, 'off')
          : SSL_ERROR_BAD_CERTIFICATE;
    }
    this.#recordVerification(errno);
  }

  /** The peer ended its direction: with close_notify (`clean`), or with a bare FIN. */
  #peerEnded(clean: boolean): void {
    if (!this.#state.secured) {
      this.#fail(
        new NSPRError(PR_END_OF_FILE_ERROR, undefined, 'the peer closed the connection during the handshake'),
      );
      return;
    }
    if (this.#state.peerEnded) return;
    if (!clean && !this.#suppressRaggedEOFs) {
      this.#fail(
        new NSPRError(
          PR_END_OF_FILE_ERROR,
          undefined,
          'the peer closed the connection without close_notify (truncation)',
        ),
      );
      return;
    }
    this.#state.on('peer-end', { clean });
    this.push(null);
    // As net.Socket does: with nothing left unread, 'end' comes now, whether or not anyone reads.
    this.read(0);
  }

  // ---- callbacks -------------------------------------------------------------------------------

  /** A client's revocation mode as its session policy took it (the process default may change meanwhile). */
  #revocationOfHandshake(): RevocationMode {
    return this.#handshakeRevocation ?? this.getRevocationMode();
  }

  /** Client side: NSS parked the handshake; decide, then resume it. */
  async #authenticate(): Promise<void> {
    this.#deciding = true;
    this.#decisions++;
    let errno = 0;
    let verification = 0;
    try {
      this.#emitOCSPResponse();
      const auth = this.callbacks.auth;
      if (auth) {
        const verdict = await auth.fn(this, true, false, ...auth.userData);
        if (verdict !== true) errno = SSL_ERROR_BAD_CERTIFICATE;
      } else {
        const revocation = this.#revocationOfHandshake();
        if (revocation === 'off') {
          errno = verifyPeer(this.#engine, true, false, this.trustAnchors, revocation);
        } else {
          errno = await verifyServerWithRevocation(this.#engine, this.trustAnchors, revocation);
          if (errno === 0 && !this.#state.finished) errno = this.#engine.checkPeerName();
        }
      }
      verification = errno;
      const badCert = this.callbacks.badCert;
      if (errno !== 0 && badCert) {
        if ((await badCert.fn(this, new NSPRError(errno), ...badCert.userData)) === true) errno = 0;
      }
    } catch (err) {
      const verdict = (err as { [peerVerdict]?: unknown } | null)?.[peerVerdict];
      if (typeof verdict === 'number') {
        errno = verification = verdict; // NSS's own reason, given by an internal callback
      } else {
        this.#callbackFailure = callbackError('auth certificate callback', err, SSL_ERROR_BAD_CERTIFICATE);
        errno = verification = SSL_ERROR_BAD_CERTIFICATE;
      }
    }
    this.#deciding = false;
    this.#decisions--;
    if (this.#state.finished) return;
    this.#recordVerification(verification);
    if (errno !== 0) this.#authFailure = new NSPRError(errno);
    try {
      this.#engine.authComplete(errno);
    } catch (err) {
      this.#fail(err as NSPRError);
      return;
    }
    this.#pump();
  }

  /**
   * `authorized` says whether the peer's certificate passed the check (NSS's or the auth callback's); a
   * bad-cert callback that lets a failed one through continues the handshake but leaves it unauthorized,
   * with the reason in `authorizationError` (as `rejectUnauthorized: false` does in node:tls).
   */
  #recordVerification(errno: number): void {
    this.authorized = errno === 0;
    this.authorizationError = errno === 0 ? null : errorName(errno);
  }

  /** Server side: NSS asks synchronously, from inside the handshake. Returns 0 or an NSS error. */
  #serverAuth(checkSig: boolean): number {
    try {
      let errno = 0;
      const auth = this.callbacks.auth;
      if (auth) {
        const verdict = auth.fn(this, checkSig, true, ...auth.userData);
        if (isThenable(verdict)) {
          void Promise.resolve(verdict).catch(() => undefined);
          throw new Error(
            'on a server socket the auth certificate callback must return a boolean, not a Promise',
          );
        }
        if (verdict !== true) errno = SSL_ERROR_BAD_CERTIFICATE;
      } else {
        errno = verifyPeer(this.#engine, checkSig, true, this.trustAnchors, this.getRevocationMode());
      }
      this.#recordVerification(errno);
      const badCert = this.callbacks.badCert;
      if (errno !== 0 && badCert) {
        const override = badCert.fn(this, new NSPRError(errno), ...badCert.userData);
        if (isThenable(override)) {
          void Promise.resolve(override).catch(() => undefined);
          throw new Error(
            'on a server socket the bad certificate callback must return a boolean, not a Promise',
          );
        }
        if (override === true) errno = 0;
      }
      return errno;
    } catch (err) {
      this.#callbackFailure = callbackError('auth certificate callback', err, SSL_ERROR_BAD_CERTIFICATE);
      this.#recordVerification(SSL_ERROR_BAD_CERTIFICATE);
      return SSL_ERROR_BAD_CERTIFICATE;
    }
  }

  /**
   * node-nss/tls: an SNI context verifies client certificates with its own trust (its `ca`, else the default),
   * as node:tls's SSL_set_SSL_CTX switches the certificate store; the server's stays for the default context.
   */
  #trustOfSNIAnswer(answer: unknown): void {
    if (typeof answer !== 'object' || answer === null || !('trustAnchors' in answer)) return;
    const anchors = (answer as { trustAnchors?: TrustAnchors | null }).trustAnchors;
    this.trustAnchors = anchors ?? undefined;
    this.applyHandlers();
  }

  /** Checks what an SNI callback answered, and hands the pair on in the form NSS takes. */
  #sniAnswer(answer: unknown): SNIAnswer {
    if (answer === undefined) return undefined;
    const pair = answer as { cert?: unknown; key?: unknown } | null;
    if (!(pair?.cert instanceof Certificate) || !(pair.key instanceof PrivateKey)) {
      throw new TypeError('the SNI callback must return { cert: Certificate, key: PrivateKey } or undefined');
    }
    if (this.fipsProfile) checkFIPSKey(pair.cert, 'the SNI callback chose a certificate');
    return { cert: pair.cert.native, key: pair.key.native };
  }

  /**
   * Server side, inside NSS: the certificate to serve for the SNI name the client sent — the answer the
   * callback gave before NSS read the ClientHello, or (for a name found only by NSS) a synchronous one.
   */
  #chooseServerCertificate(sni: SNICallback, name: string) {
    try {
      const decision = this.#sniDecision;
      if (decision?.name === name) {
        if ('error' in decision) throw decision.error;
        // Configured before NSS read the ClientHello (#configureSNIAnswer): kept as it is.
        return decision.configured ? undefined : decision.answer;
      }
      const answer = sni(name);
      if (isThenable(answer)) {
        throw new Error(
          'the SNI callback returned a Promise for a ClientHello node-nss could not read ahead',
        );
      }
      const checked = this.#sniAnswer(answer);
      this.#trustOfSNIAnswer(answer);
      return checked;
    } catch (err) {
      this.#callbackFailure = callbackError('SNI callback', err, SSL_ERROR_BAD_CERTIFICATE);
      throw err;
    }
  }

  /** Client side: the server asked for a certificate; ask the callback (sync or async), then resume. */
  async #chooseClientCertificate(caNames: Buffer[]): Promise<void> {
    this.#decisions++;
    const registered = this.callbacks.clientAuth;
    let cert: Certificate | null = null;
    let key: PrivateKey | null = null;
    let failure: NSPRError | undefined;
    try {
      if (registered) {
        const fn = registered.fn as Partial<DefaultChooser>;
        if (fn[nssDefaultNickname] !== undefined) {
          const pair = this.#engine.defaultClientAuth(fn[nssDefaultNickname] ?? null);
          if (pair) [cert, key] = [new Certificate(pair[0]), new PrivateKey(pair[1])];
        } else {
          const answer: ClientAuthData = await registered.fn(caNames, ...registered.userData);
          if (answer) {
            if (
              !Array.isArray(answer) ||
              !(answer[0] instanceof Certificate) ||
              !(answer[1] instanceof PrivateKey)
            ) {
              throw new TypeError(
                'the client auth data callback must return [Certificate, PrivateKey], null or false',
              );
            }
            [cert, key] = answer;
          }
        }
        if (cert && this.fipsProfile) checkFIPSKey(cert, 'a client certificate');
      }
    } catch (err) {
      failure = callbackError('client auth data callback', err, SSL_ERROR_NO_CERTIFICATE);
    }
    this.#decisions--;
    if (this.#state.finished) return;
    try {
      this.#engine.clientAuthComplete(cert?.native ?? null, key?.native ?? null);
    } catch (err) {
      failure ??= err as NSPRError;
    }
    if (failure) {
      this.#fail(failure);
      return;
    }
    this.#pump();
  }

  // ---- stream ----------------------------------------------------------------------------------

  /** @internal Node stream machinery, not for callers. */
  override _read(): void {
    if (!this.#transport) this.#ioBeforeTransport = true;
    if (this.#transport?.isPaused() && !this.#inputHeld) this.#transport.resume();
    if (this.#transport && !this.#state.secured && !this.#deciding) this.#pump();
  }

  /** @internal Node stream machinery, not for callers. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.#failure) {
      callback(this.#failure);
      return;
    }
    if (chunk.length === 0) {
      // NSS has nothing to do with an empty write (http uses them to flush headers).
      callback();
      return;
    }
    // Before the handshake the bytes wait here, in order; NSS takes them once it can (#cycle).
    this.#pendingWrites.push({ chunk, size: chunk.length, callback });
    if (this.#transport) this.#pump();
    else this.#ioBeforeTransport = true;
  }

  /**
   * Writes that Writable hands over together (corked, or queued behind one in flight) go to NSS as one
   * buffer, as node:tls's TLSWrap joins them: an HTTP header and its body, or a chunked body's pieces, make
   * one record instead of one each (measured: a corked chunked POST of three pieces, 13 records before).
   * @internal Node stream machinery.
   */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (err?: Error | null) => void,
  ): void {
    const data = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this._write(data, chunks[0]!.encoding, callback); // (_write ignores the encoding: chunks are Buffers)
  }

  /** @internal end(): once every write is in NSS, close_notify and then FIN, as node:tls does. */
  override _final(callback: (err?: Error | null) => void): void {
    this.#outsideNative(() => this.#endOwnDirection(callback));
  }

  #endOwnDirection(callback: (err?: Error | null) => void): void {
    const transport = this.#transport;
    if (!transport && this.#state.current === 'connecting') {
      // end() while the TCP connection is being opened: the handshake still runs, then close_notify (as
      // node:tls). Ending here, as for a socket that will never have a transport, left it unable to attach.
      this.#endOnAttach = callback;
      return;
    }
    if (!transport || this.#state.finished) {
      this.#state.on('self-end');
      callback();
      return;
    }
    if (this.#pendingWrites.length) {
      const last = this.#pendingWrites[this.#pendingWrites.length - 1]!;
      const written = last.callback;
      last.callback = (err) => {
        written(err);
        if (err) callback(err);
        else this.#endOwnDirection(callback);
      };
      return;
    }
    if (!this.#state.secured) {
      // end() before the handshake: the queued writes go first, after it.
      this.#ioBeforeTransport = true;
      const go = () => {
        this.removeListener('close', stop);
        this.#endOwnDirection(callback);
      };
      const stop = () => {
        this.removeListener('secure', go);
        callback();
      };
      this.once('secure', go);
      this.once('close', stop);
      this.#pump();
      return;
    }
    let closeNotify: Buffer | null = null;
    try {
      closeNotify = this.#engine.shutdownSend();
    } catch (err) {
      // NSS was shut down under the socket (shutdown() after end()): there is nothing left to say.
      if ((err as NSPRError).code !== 'NSS_SHUT_DOWN') {
        callback(err as Error);
        return;
      }
    }
    this.#state.on('self-end');
    if (transport.writableEnded || transport.destroyed) {
      // A transport that ends itself on the peer's FIN (a net.Socket without allowHalfOpen, handed in by the
      // application): close_notify has nowhere to go.
      callback();
      return;
    }
    const done = () => {
      transport.removeListener('error', done);
      callback();
    };
    // 'finish' comes once close_notify and the FIN have gone to the transport, as with node:tls.
    transport.once('error', done);
    if (closeNotify) transport.end(closeNotify, done);
    else transport.end(done);
  }

  /** @internal Node stream machinery, not for callers. */
  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#outsideNative(() => this.#teardown(err, callback));
  }

  #teardown(err: Error | null, callback: (err?: Error | null) => void): void {
    this.#flushWrites();
    const failed = err ?? (this.#failureToPromise ? this.#failure : undefined) ?? null;
    this.#state.on('destroy', { error: failed !== null });
    this.#renegotiations?.dispose();
    const transport = this.#transport;
    try {
      // PR_Close writes close_notify on an open connection; destroy() sends nothing (node:tls does not).
      this.#engine.close();
    } catch {
      // already closed (NSS shut down)
    }
    if (transport && !transport.destroyed) {
      if (this.#failure && transport.writableLength > 0) {
        // A failure's alert is still queued: let it out, but wait for no peer longer than a moment.
        transport.end();
        const timer = setTimeout(() => transport.destroy(), 500).unref();
        transport.once('finish', () => {
          clearTimeout(timer);
          transport.destroy();
        });
      } else {
        transport.destroy();
      }
    }
    const failure =
      err ?? this.#failure ?? new NSPRError(PR_CONNECT_RESET_ERROR, undefined, 'the socket was destroyed');
    // Destroyed while connect() opened its TCP connection: that connection goes, and connect() fails.
    const connecting = this.#connecting;
    this.#connecting = undefined;
    connecting?.tcp.destroy();
    connecting?.fail(failure);
    this.#waiters.splice(0).forEach((w) => w.reject(failure));
    for (const w of this.#pendingWrites.splice(0)) w.callback(failure);
    callback(err);
    process.nextTick(() => this.emit('close', this.#state.hadError));
  }

  /**
   * destroy() with writes that _write already took but no cycle has given NSS yet (a write callback that
   * writes and then destroys, while a pump runs): node:tls has encrypted and sent those by then (its
   * DoWrite encrypts at once), so they go out here instead of failing. Nothing is read; writes made before
   * the handshake, or while a callback decides, still fail.
   */
  #flushWrites(): void {
    const transport = this.#transport;
    if (this.#pendingWrites.length === 0 || !this.#state.secured || this.#state.finished) return;
    if (
      this.#failure ||
      this.#decisions > 0 ||
      !transport ||
      transport.destroyed ||
      transport.writableEnded
    ) {
      return;
    }
    let out: NativeCycleOutput;
    try {
      out = this.#engine.cycle(null, false, this.#writesForNSS());
    } catch {
      return; // the writes fail with the socket, as before
    }
    if (out?.[1]) this.#sendCiphertext(out[1]);
    let left = this.#cycleState[CycleState.written]!;
    while (this.#pendingWrites.length && left >= this.#pendingWrites[0]!.chunk.length) {
      const head = this.#pendingWrites.shift()!;
      left -= head.chunk.length;
      this.#bytesWritten += head.size;
      head.callback();
    }
  }

  /**
   * A TLS or transport failure. While a connect()/forceHandshake()/rehandshake() promise waits, the error
   * is that promise's (the python-nss way); otherwise it is the socket's 'error'.
   */
  #fail(err: NSPRError): void {
    if (this.#state.finished) return;
    debug('%s failed: %s %s', this.#asServer ? 'server socket' : 'client socket', err.code, err.message);
    this.#failure ??= err;
    if (this.#waiters.length) {
      this.#failureToPromise = true;
      this.#waiters.splice(0).forEach((w) => w.reject(this.#failure!));
      this.destroy();
    } else {
      this.destroy(this.#failure);
    }
  }

  // ---- handshake control -----------------------------------------------------------------------

  /** Resolves when the handshake in progress (or a new one) is complete; rejects with its NSPRError. */
  forceHandshake(opts: { timeout?: number } = {}): Promise<void> {
    checkObject(opts, 'opts');
    if (opts.timeout !== undefined) checkDelay(opts.timeout, 'opts.timeout', 1);
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#state.secured) return Promise.resolve();
    if (!this.#transport) return Promise.reject(new Error('forceHandshake() needs a connected socket'));
    return new Promise<void>((resolve, reject) => {
      const timer = opts.timeout
        ? setTimeout(() => {
            const err = new NSPRError(
              PR_IO_TIMEOUT_ERROR,
              undefined,
              `handshake timed out after ${opts.timeout} ms`,
            );
            reject(err);
            this.#fail(err);
          }, opts.timeout)
        : undefined;
      this.#waiters.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      if (!this.#deciding) this.#pump();
    });
  }

  #nextHandshake(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * A new handshake: renegotiation on TLS 1.2 and below (`SSL_ReHandshake`); on TLS 1.3, a server that
   * requests certificates sends a post-handshake CertificateRequest, anything else does a KeyUpdate.
   */
  async rehandshake(
    flushCache: boolean,
  ): Promise<{ kind: 'renegotiation' | 'post-handshake-auth' | 'key-update' }> {
    checkBoolean(flushCache, 'flushCache');
    const version = this.#engine.channelInfo().protocolVersion;
    if (version < ssl.SSL_LIBRARY_VERSION_TLS_1_3) {
      const done = this.#nextHandshake();
      if (this.#asServer) {
        this.#renegotiations?.ownRenegotiationStarts();
        this.#ownRenegotiation = true;
      }
      this.#engine.reHandshake(flushCache);
      this.#pump();
      await done;
      return { kind: 'renegotiation' };
    }
    if (flushCache) this.#engine.invalidateSession();
    if (this.#asServer && this.#engine.optionGet(ssl.SSL_REQUEST_CERTIFICATE)) {
      const before = this.#serverAuthCalls;
      const authed = new Promise<void>((resolve, reject) => {
        const check = () => (this.#serverAuthCalls > before ? resolve() : this.#authWaiters.push(check));
        this.#authWaiters.push(check);
        this.once('close', () => reject(this.#failure ?? new Error('the socket closed')));
      });
      this.#engine.sendCertificateRequest();
      this.#pump();
      await authed;
      return { kind: 'post-handshake-auth' };
    }
    this.keyUpdate(true);
    return { kind: 'key-update' };
  }

  /** TLS 1.3 KeyUpdate; with `requestPeerUpdate` the peer updates its keys too. */
  keyUpdate(requestPeerUpdate: boolean): void {
    checkBoolean(requestPeerUpdate, 'requestPeerUpdate');
    this.#engine.keyUpdate(requestPeerUpdate);
    this.#pump();
  }

  /** Removes this connection's session from the cache, so that the next one does a full handshake. */
  invalidateSession(): void {
    this.#engine.invalidateSession();
  }

  /** Bytes of decrypted data NSS holds that have not been read (`SSL_DataPending`). */
  dataPending(): number {
    return this.#engine.dataPending();
  }

  // ---- state -----------------------------------------------------------------------------------

  getPeerCertificate(): Certificate | null {
    const native = this.#engine.peerCertificate();
    return native ? new Certificate(native) : null;
  }

  getPeerCertificateChain(): Certificate[] {
    return this.#engine.peerCertificateChain().map((c) => new Certificate(c));
  }

  /** The certificate this end presented. */
  getCertificate(): Certificate | null {
    const native = this.#engine.localCertificate();
    return native ? new Certificate(native) : null;
  }

  getSecurityStatus(): SecurityStatus {
    return this.#engine.securityStatus();
  }

  getSSLChannelInfo(): SSLChannelInfo {
    const ci = this.#engine.channelInfo();
    return {
      ...ci,
      protocolVersion: versionName(ci.protocolVersion),
      protocolVersionNumber: ci.protocolVersion,
      cipherSuiteName: ci.cipherSuite ? binding.cipherSuiteInfo(ci.cipherSuite).cipherSuiteName : '',
      creationTime: new Date(ci.creationTime * 1000),
      lastAccessTime: new Date(ci.lastAccessTime * 1000),
      expirationTime: new Date(ci.expirationTime * 1000),
    };
  }

  getCipherSuiteInfo(suite: number): CipherSuiteInfo {
    return getCipherSuiteInfo(suite);
  }

  /** The SNI name the server accepted (`SSL_GetNegotiatedHostInfo`). */
  getNegotiatedHost(): string | null {
    return this.#engine.negotiatedHost();
  }

  getSessionID(): Buffer {
    return this.#engine.sessionID();
  }

  /** One line about the connection, as NSS tools print it. */
  connectionInfoString(): string {
    const ci = this.getSSLChannelInfo();
    const peer = this.getPeerCertificate();
    return (
      `${ci.protocolVersion} ${ci.cipherSuiteName}${ci.resumed ? ' (resumed)' : ''}` +
      (peer ? `, peer ${peer.subject} issued by ${peer.issuer}` : ', no peer certificate')
    );
  }

  /** RFC 5705 exporter (`SSL_ExportKeyingMaterial`). */
  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer {
    checkInteger(length, 'length', 1, 65535);
    checkString(label, 'label');
    if (context !== undefined && !Buffer.isBuffer(context))
      throw argTypeError('The "context" argument must be a Buffer');
    return this.#engine.exportKeyingMaterial(length, label, context ?? null);
  }

  // ---- node:tls compatibility ------------------------------------------------------------------

  /**
   * As node:tls's: the most cleartext one record this socket sends carries, from 512 to 16,384 bytes (the TLS
   * maximum and the default); smaller records let a peer start on the data sooner. Returns `false`, changing
   * nothing, for a size outside that range. Writes are given to NSS in pieces of that size (NSS has no such
   * setting), which it sends as records of their own.
   */
  setMaxSendFragment(size: number): boolean {
    if (typeof size !== 'number') throw argTypeError('The "size" argument must be of type number');
    if (!Number.isInteger(size)) {
      throw argValueError(
        `The value of "size" is out of range. It must be an integer. Received ${size}`,
        'ERR_OUT_OF_RANGE',
      );
    }
    if (size < 512 || size > 16384) return false;
    this.#maxSendFragment = size === 16384 ? 0 : size;
    return true;
  }

  /** The ALPN protocol agreed on, or `false`. */
  get alpnProtocol(): string | false {
    if (!this.#state.secured || this.#state.finished) return false;
    return this.#engine.alpn() ?? false;
  }

  /** `'TLSv1.3'`, `'TLSv1.2'`, … or `null` before the handshake. */
  getProtocol(): string | null {
    if (!this.#state.secured || this.#state.finished) return null;
    return versionName(this.#engine.channelInfo().protocolVersion).replace('tls', 'TLSv');
  }

  /**
   * `{ name, standardName, version }` like `tls.TLSSocket.getCipher()`: `name` is OpenSSL's name of the suite
   * (as node:tls says it; the IETF name for TLS 1.3), `standardName` the IETF one.
   */
  getCipher(): { name: string; standardName: string; version: string } | null {
    if (!this.#state.secured || this.#state.finished) return null;
    const ci = this.getSSLChannelInfo();
    return {
      name: openSSLName(ci.cipherSuiteName),
      standardName: ci.cipherSuiteName,
      version: ci.protocolVersion.replace('tls', 'TLSv'),
    };
  }

  get remoteAddress(): string | undefined {
    return (this.#transport as net.Socket | undefined)?.remoteAddress;
  }
  get remotePort(): number | undefined {
    return (this.#transport as net.Socket | undefined)?.remotePort;
  }
  get localAddress(): string | undefined {
    return (this.#transport as net.Socket | undefined)?.localAddress;
  }
  get localPort(): number | undefined {
    return (this.#transport as net.Socket | undefined)?.localPort;
  }

  get remoteFamily(): string | undefined {
    return (this.#transport as net.Socket | undefined)?.remoteFamily;
  }

  /** As `net.Socket.address()`: the transport's local address, `{}` without one. */
  address(): net.AddressInfo | Record<string, never> {
    const transport = this.#transport as net.Socket | undefined;
    return typeof transport?.address === 'function' ? transport.address() : {};
  }

  /** As net.Socket's (and node:tls's): cleartext bytes written, those still buffered included. */
  get bytesWritten(): number {
    return this.#bytesWritten + this.writableLength;
  }

  /** As net.Socket's (and node:tls's): cleartext bytes received. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** @deprecated As net.Socket's: `writableLength`, and `undefined` once destroyed (net.Socket's has no handle then). */
  get bufferSize(): number | undefined {
    return this.destroyed ? undefined : this.writableLength;
  }

  /** As net.Socket's: `'opening'` while connecting, then `'open'`, `'readOnly'`, `'writeOnly'` or `'closed'`. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  /** As net.Socket's: true until the socket has a connected transport, and again once destroyed. */
  get pending(): boolean {
    return !this.#transport || this.connecting || this.destroyed;
  }

  /** As net.Socket's: the delay of the last `setTimeout` (undefined before one). */
  get timeout(): number | undefined {
    return this.#timeout;
  }

  /** As `net.Socket.destroySoon()` (what `http.Server` calls after a response): end, then destroy once finished. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /**
   * Node socket methods HTTP clients call, passed to the transport where it has them; called before the
   * transport exists (`createConnection` while connecting), they are applied when it attaches. Their
   * arguments are checked when called (a boolean, a delay in milliseconds up to 2^31 - 1, a function), so a
   * wrong one is a TypeError or RangeError here rather than a failure of the later attach.
   */
  setNoDelay(noDelay?: boolean): this {
    if (noDelay !== undefined) checkBoolean(noDelay, 'noDelay');
    return this.#onTransport((t) => t.setNoDelay?.(noDelay));
  }
  setKeepAlive(enable?: boolean, delay?: number): this {
    if (enable !== undefined) checkBoolean(enable, 'enable');
    if (delay !== undefined) checkDelay(delay, 'delay', 0);
    return this.#onTransport((t) => t.setKeepAlive?.(enable, delay));
  }
  setTimeout(ms: number, callback?: () => void): this {
    checkDelay(ms, 'ms', 0);
    if (callback !== undefined) checkFunction(callback, 'callback');
    if (callback) this.once('timeout', callback);
    this.#timeout = ms;
    return this.#onTransport((t) => {
      if (!t.setTimeout) return;
      t.setTimeout(ms);
      t.removeAllListeners('timeout');
      t.on('timeout', () => this.emit('timeout'));
    });
  }
  ref(): this {
    return this.#onTransport((t) => t.ref?.());
  }
  unref(): this {
    return this.#onTransport((t) => t.unref?.());
  }

  #onTransport(apply: (transport: SocketSettings) => void): this {
    if (this.#transport) apply(this.#transport);
    else this.#beforeTransport.push(apply);
    return this;
  }
}
