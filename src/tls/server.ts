import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { NativeSSLEngine } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { certUsageAnyCA } from '../core/constants.js';
import { Certificate } from '../pki/certificate.js';
import { CertDB } from '../pki/certdb.js';
import { NSPRError } from '../core/errors.js';
import { debug } from '../core/debug.js';
import { checkFIPSKey } from './fips-profile.js';
import { PrivateKey } from '../pki/private-key.js';
import type { ALPNCallback, SNICallback } from './callbacks.js';
import { SSLConfigurable } from './config.js';
import * as ssl from './constants.js';
import {
  certificateSlot,
  SSLSocket,
  type OCSPStapler,
  type ServedIdentity,
  type SocketCallbacks,
  type SSLSocketOptions,
} from './socket.js';
import {
  checkBoolean,
  checkBuffer,
  checkDelay,
  checkFamily,
  checkFunction,
  checkInstance,
  checkInteger,
  checkObject,
  checkString,
} from '../core/validate.js';
import { applyDefaultProfile } from './defaults.js';
import { ServerSessions, tagTickets } from './server-sessions.js';
import { ensureServerSessionCache, serverContext } from './server-session-cache.js';
import type { AnyListener, Listener } from '../core/events.js';

const PR_IO_TIMEOUT_ERROR = -5990;

/** Options of the {@link SSLServer} constructor. */
export interface SSLServerOptions {
  /** As on an SSLSocket (python-nss's address family); checked, and `listen`'s host decides the family. */
  family?: 'ipv4' | 'ipv6';
  /** The database certificates and trust come from (default: the process's). */
  certDB?: CertDB;
  /** Whether an accepted socket stays writable after the client ends its side (default false). */
  allowHalfOpen?: boolean;
  /**
   * In a worker sharing its primary's session cache (`configMPServerSIDCache`), the name under which
   * this server shares sessions: the servers of the same name in the other workers resume its sessions (by
   * default the server's place among those the process makes: `'server #0'`, `'server #1'`…). Elsewhere
   * unused: a server's sessions resume only at that server.
   */
  sessionIdContext?: string;
}

/** The callback of an `'OCSPRequest'` listener: a DER OCSPResponse to staple, `null` for none, or an error. */
export type OCSPRequestCallback = (err: Error | null, response?: Buffer | null) => void;

/** The events of an {@link SSLServer} and their arguments. */
export interface SSLServerEvents {
  /** A connection was accepted; its handshake has not run yet. */
  connection: [sock: SSLSocket];
  /** A connection's first handshake completed. */
  secureConnection: [sock: SSLSocket];
  /** A connection failed before its handshake completed. */
  tlsClientError: [err: Error, sock: SSLSocket];
  /** A key log line of one of the connections (NSS Key Log Format, with its newline). */
  keylog: [line: Buffer, sock: SSLSocket];
  /** A client asked for a stapled OCSP response: see the class. */
  OCSPRequest: [certificate: Buffer, issuer: Buffer | null, callback: OCSPRequestCallback];
  /** The listening socket failed. */
  error: [err: Error];
}

/** Typed listeners for {@link SSLServerEvents}; other event names take any listener. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the listener methods' typed overloads; the base class implements them
export interface SSLServer {
  addListener<E extends keyof SSLServerEvents>(event: E, listener: Listener<SSLServerEvents, E>): this;
  addListener(event: string | symbol, listener: AnyListener): this;
  on<E extends keyof SSLServerEvents>(event: E, listener: Listener<SSLServerEvents, E>): this;
  on(event: string | symbol, listener: AnyListener): this;
  once<E extends keyof SSLServerEvents>(event: E, listener: Listener<SSLServerEvents, E>): this;
  once(event: string | symbol, listener: AnyListener): this;
  prependListener<E extends keyof SSLServerEvents>(event: E, listener: Listener<SSLServerEvents, E>): this;
  prependListener(event: string | symbol, listener: AnyListener): this;
  prependOnceListener<E extends keyof SSLServerEvents>(
    event: E,
    listener: Listener<SSLServerEvents, E>,
  ): this;
  prependOnceListener(event: string | symbol, listener: AnyListener): this;
  off<E extends keyof SSLServerEvents>(event: E, listener: Listener<SSLServerEvents, E>): this;
  off(event: string | symbol, listener: AnyListener): this;
  removeListener<E extends keyof SSLServerEvents>(event: E, listener: Listener<SSLServerEvents, E>): this;
  removeListener(event: string | symbol, listener: AnyListener): this;
  emit<E extends keyof SSLServerEvents>(event: E, ...args: SSLServerEvents[E]): boolean;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

/**
 * The listening side: configure it once (certificates, options, callbacks), and every accepted connection
 * is an {@link SSLSocket} made from it, inheriting all of that as NSS model sockets do. Events:
 * `'connection'` (before the handshake), `'secureConnection'`, `'tlsClientError'`, `'keylog'`, and node:tls's
 * `'OCSPRequest'` `(certificate, issuer, callback)` when a client asks for a stapled OCSP response: the DER
 * of the certificate to be served (the SNI callback's choice, else the first one configured) and of its issuer
 * (`null` when NSS knows none); `callback(err, response)` with a DER OCSPResponse to staple, `null` for none,
 * or an error that ends the connection. The ClientHello waits for the answer, which may come later.
 * @example
 * ```ts
 * const db = getDefaultCertDB();
 * const cert = db.findCertFromNickname('server');
 * const server = new SSLServer();
 * server.configSecureServer(cert, db.findKeyByAnyCert(cert));
 * server.on('secureConnection', (sock) => sock.pipe(sock)); // an echo server
 * const { port } = await server.listen({ port: 8443, host: '0.0.0.0' });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the listener methods' typed overloads; the base class implements them
export class SSLServer extends SSLConfigurable<SocketCallbacks, typeof EventEmitter>(EventEmitter) {
  readonly #engine: NativeSSLEngine;
  #server: net.Server | undefined;
  /** What configSecureServer was given, one per key type: the identities 'OCSPRequest' is asked about. */
  #served: ServedIdentity[] = [];
  #accepted: Array<[SSLSocket, { address: string; port: number }]> = [];
  #acceptors: Array<{
    resolve: (v: [SSLSocket, { address: string; port: number }]) => void;
    reject: (e: Error) => void;
  }> = [];
  #handshakeTimeout = 120_000;
  readonly #allowHalfOpen: boolean;
  readonly #sessions: ServerSessions;
  #keyLogWanted = false;
  /** Whether this server sends (tagged) TLS 1.3 tickets: `SSL_ENABLE_SESSION_TICKETS` as the user set it. */
  #tickets: boolean;

  constructor(opts: SSLServerOptions = {}) {
    super();
    checkObject(opts, 'opts');
    if (opts.family !== undefined) checkFamily(opts.family, 'opts.family');
    if (opts.certDB !== undefined) checkInstance(opts.certDB, CertDB, 'opts.certDB');
    if (opts.allowHalfOpen !== undefined) checkBoolean(opts.allowHalfOpen, 'opts.allowHalfOpen');
    this.#allowHalfOpen = opts.allowHalfOpen ?? false;
    if (opts.sessionIdContext !== undefined) checkString(opts.sessionIdContext, 'opts.sessionIdContext');
    ensureServerSessionCache();
    const { context, shared } = serverContext(opts.sessionIdContext);
    this.#sessions = new ServerSessions(context);
    this.#engine = new binding.NativeSSLEngine(null);
    applyDefaultProfile(this.#engine, 'server');
    // TLS 1.3 resumption needs tickets from the server: ones tagged with this server's context (see
    // server-sessions.ts). NSS's own untagged tickets stay off, and with them TLS 1.2 tickets, which cannot
    // carry a tag: TLS 1.2 clients resume through the session-ID cache.
    this.#engine.optionSet(ssl.SSL_ENABLE_SESSION_TICKETS, 1);
    this.#tickets = tagTickets(this.#engine, this.#sessions.context);
    // Sharing sessions with other workers: TLS 1.3 tickets carry this server's context, TLS 1.2 session IDs
    // carry nothing that says which server made them, so in a process that shares they go unused (no
    // lookup, nothing cached): a session of another server in another worker could otherwise resume here.
    if (shared) this.#engine.optionSet(ssl.SSL_NO_CACHE, 1);
    this.enforceFIPSProfile();
    if (opts.certDB !== undefined) this.setCertificateDB(opts.certDB);
    // As tls.Server: 'keylog' (line, socket) for every accepted socket, once someone listens.
    this.on('newListener', (event: string | symbol) => {
      if (event === 'keylog') this.#keyLogWanted = true;
    });
  }

  /** @internal */
  override get engine(): NativeSSLEngine {
    return this.#engine;
  }

  /** @internal The sessions this server made, shared by its accepted sockets. */
  get serverSessions(): ServerSessions {
    return this.#sessions;
  }

  /**
   * As on a socket; `SSL_ENABLE_SESSION_TICKETS` (default on) says whether this server sends TLS 1.3 session
   * tickets, which only this server accepts back. TLS 1.2 sessions resume by session ID only.
   */
  override setSSLOption(option: number, value: boolean | number): void {
    super.setSSLOption(option, value);
    if (option === ssl.SSL_ENABLE_SESSION_TICKETS)
      this.#tickets = tagTickets(this.#engine, this.#sessions.context);
  }

  override getSSLOption(option: number): number {
    if (option === ssl.SSL_ENABLE_SESSION_TICKETS) return this.#tickets ? 1 : 0;
    return super.getSSLOption(option);
  }

  /**
   * Milliseconds an accepted connection has to finish its handshake (default 120,000, as in node:tls; `0`:
   * no limit; at most 2^31 - 1, the longest a Node timer keeps, else a RangeError). A client that stalls is
   * dropped with `PR_IO_TIMEOUT_ERROR` (`'tlsClientError'`).
   */
  get handshakeTimeout(): number {
    return this.#handshakeTimeout;
  }

  set handshakeTimeout(ms: number) {
    checkDelay(ms, 'handshakeTimeout', 0);
    this.#handshakeTimeout = ms;
  }

  /** @internal Server-side hooks live on each accepted socket, which inherits the callbacks. */
  override applyHandlers(): void {}

  /**
   * The certificate and key to serve; call once per key type to serve RSA and EC together. With
   * `opts.ocspResponse` (a DER OCSPResponse for `cert`, as `openssl ocsp -respout` writes), it is stapled for
   * clients that ask (status_request); call again with a fresh one before it expires.
   */
  configSecureServer(
    cert: Certificate,
    key: PrivateKey,
    kea?: number,
    opts: { ocspResponse?: Buffer } = {},
  ): void {
    checkInstance(cert, Certificate, 'cert');
    checkInstance(key, PrivateKey, 'key');
    // python-nss's SSLKEAType: NSS picks the key exchange from the key itself (SSL_ConfigServerCert).
    if (kea !== undefined) checkInteger(kea, 'kea', 0, 0xffffffff);
    checkObject(opts, 'opts');
    if (opts.ocspResponse !== undefined) checkBuffer(opts.ocspResponse, 'opts.ocspResponse');
    if (this.fipsProfile) checkFIPSKey(cert, 'a server certificate');
    this.#engine.configServerCert(cert.native, key.native, opts.ocspResponse ?? null);
    // NSS keeps one certificate per key type and EC curve (SSL_ConfigServerCert replaces it, and puts it
    // last in its list): so does the record.
    const slot = certificateSlot(cert);
    this.#served = [
      ...this.#served.filter((served) => certificateSlot(served.cert) !== slot),
      { cert, key, ocspResponse: opts.ocspResponse },
    ];
  }

  /** Asks the 'OCSPRequest' listeners (see the class) for an accepted socket whose client sent status_request. */
  #stapler: OCSPStapler = (chosen) => {
    const identity = chosen ?? this.#served[0];
    if (identity === undefined || this.listenerCount('OCSPRequest') === 0) return Promise.resolve(null);
    let issuer: Buffer | null = null;
    try {
      const issuerNative = identity.cert.native.getChain(certUsageAnyCA, undefined)[1];
      if (issuerNative !== undefined) issuer = new Certificate(issuerNative).derData;
    } catch {
      // No chain NSS can build: the listener gets no issuer, as node:tls gives none it cannot find.
    }
    return new Promise((resolve, reject) => {
      let answered = false;
      this.emit(
        'OCSPRequest',
        identity.cert.derData,
        issuer,
        (err: Error | null, response?: Buffer | null) => {
          if (answered) return;
          answered = true;
          if (err) reject(err);
          else if (response === undefined || response === null) resolve(null);
          else if (!Buffer.isBuffer(response))
            reject(new TypeError("The 'OCSPRequest' response must be a Buffer (a DER OCSPResponse) or null"));
          else resolve({ ...identity, response });
        },
      );
    });
  };

  /**
   * Chooses the certificate by the name the client asked for (SNI): `{ cert, key }`, `undefined` for the
   * configured default, or a Promise of either. A callback that throws or rejects fails that handshake.
   */
  setSNICallback(cb: SNICallback | null): void {
    if (cb !== null) checkFunction(cb, 'cb');
    this.sniCallback = cb ?? undefined;
  }

  /**
   * Chooses each connection's ALPN protocol among those its client offers (node:tls's `ALPNCallback`), after
   * the SNI callback; asked only when the client offers some. Its answer replaces the server's
   * {@link setALPNProtocols} list for that connection; `undefined` refuses the client's protocols (a
   * `no_application_protocol` alert, `SSL_ERROR_NEXT_PROTOCOL_NO_PROTOCOL`). A Promise may be returned: the
   * ClientHello waits for it.
   */
  setALPNCallback(cb: ALPNCallback | null): void {
    if (cb !== null) checkFunction(cb, 'cb');
    this.alpnCallback = cb ?? undefined;
  }

  listen(opts: { port: number; host?: string; backlog?: number }): Promise<{ port: number; host: string }> {
    checkObject(opts, 'opts');
    checkInteger(opts.port, 'opts.port', 0, 65535);
    if (opts.host !== undefined) checkString(opts.host, 'opts.host');
    if (opts.backlog !== undefined) checkInteger(opts.backlog, 'opts.backlog', 0);
    if (this.#server) return Promise.reject(new Error('the server is already listening'));
    // Half-open at the TCP level: TLS decides when each direction ends (close_notify, then FIN).
    const server = net.createServer({ allowHalfOpen: true }, (tcp) => acceptListened(this, tcp));
    this.#server = server;
    return new Promise((resolve, reject) => {
      // A failed listen (a port in use, an address family the host lacks) leaves the server free to try again.
      const failed = (err: Error) => {
        if (this.#server === server) this.#server = undefined;
        reject(err);
      };
      server.once('error', failed);
      server.listen({ port: opts.port, host: opts.host ?? '127.0.0.1', backlog: opts.backlog }, () => {
        server.removeListener('error', failed);
        server.on('error', (err) => this.emit('error', err));
        const address = server.address() as net.AddressInfo;
        resolve({ port: address.port, host: address.address });
      });
    });
  }

  /** Wraps a connection the application accepted itself (any Duplex), as `tls.Server` does. */
  handleConnection(transport: net.Socket): SSLSocket {
    return this.#accept(transport);
  }

  /** @internal The certificates sockets made from this server serve, in the order configured. */
  get servedIdentities(): readonly ServedIdentity[] {
    return this.#served;
  }

  /** @internal What asks 'OCSPRequest' for the sockets made from this server: only with a listener does a
   * ClientHello wait for the staple decision. */
  servingStapler(): OCSPStapler | undefined {
    return this.listenerCount('OCSPRequest') > 0 ? this.#stapler : undefined;
  }

  /** @internal Makes the accepted sockets (a subclass's, for node-nss/tls). */
  newSocket(opts: SSLSocketOptions): SSLSocket {
    return new SSLSocket(opts);
  }

  #accept(transport: net.Socket): SSLSocket {
    // The socket takes this server's callbacks, certificates and stapler as it is made (isServingModel).
    const sock = this.newSocket({ model: this, allowHalfOpen: this.#allowHalfOpen });
    const peer = { address: transport.remoteAddress ?? '', port: transport.remotePort ?? 0 };
    const limit = this.#handshakeTimeout;
    const timer =
      limit > 0
        ? setTimeout(() => {
            sock.destroy(
              new NSPRError(
                PR_IO_TIMEOUT_ERROR,
                undefined,
                `the TLS handshake did not finish within ${limit} ms`,
              ),
            );
          }, limit).unref()
        : undefined;
    let secured = false;
    if (this.#keyLogWanted) sock.on('keylog', (line: Buffer) => this.emit('keylog', line, sock));
    sock.once('close', () => clearTimeout(timer));
    sock.once('secure', () => {
      secured = true;
      clearTimeout(timer);
      this.emit('secureConnection', sock);
    });
    // As tls.Server: 'tlsClientError' is a failure before the handshake finished; later errors are the
    // socket's own (this listener only keeps one nobody listens for from taking the process down).
    sock.once('error', (err) => {
      if (!secured && this.listenerCount('tlsClientError') > 0) this.emit('tlsClientError', err, sock);
    });
    this.emit('connection', sock);
    const acceptor = this.#acceptors.shift();
    if (acceptor) acceptor.resolve([sock, peer]);
    else if (this.listenerCount('connection') === 0 && this.listenerCount('secureConnection') === 0)
      this.#accepted.push([sock, peer]);
    sock.attach(transport, true);
    return sock;
  }

  /** The next connection (TLS not yet done), as python-nss's `accept()`. */
  accept(opts: { timeout?: number } = {}): Promise<[SSLSocket, { address: string; port: number }]> {
    checkObject(opts, 'opts');
    if (opts.timeout !== undefined) checkDelay(opts.timeout, 'opts.timeout', 1);
    const ready = this.#accepted.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject };
      this.#acceptors.push(entry);
      if (opts.timeout) {
        setTimeout(() => {
          const i = this.#acceptors.indexOf(entry);
          if (i >= 0) {
            this.#acceptors.splice(i, 1);
            reject(new NSPRError(PR_IO_TIMEOUT_ERROR, undefined, `no connection within ${opts.timeout} ms`));
          }
        }, opts.timeout).unref();
      }
    });
  }

  address(): { port: number; host: string } | null {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? { port: address.port, host: address.address } : null;
  }

  /** Stops listening; resolves when every connection has closed. */
  close(): Promise<void> {
    const server = this.#server;
    this.#acceptors.splice(0).forEach((a) => a.reject(new Error('the server was closed')));
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

/**
 * @internal A connection a listening server accepted (its 'connection' event, where nobody could catch an
 * exception). After `shutdown()` nothing can serve it: it is dropped (measured: connections still arriving
 * when shutdown() came threw NSS_SHUT_DOWN or SEC_ERROR_NOT_INITIALIZED out of the event, uncaught, ending
 * the process).
 */
export function acceptListened(server: SSLServer, transport: net.Socket): void {
  try {
    server.handleConnection(transport);
  } catch (err) {
    const code = (err as NSPRError).code;
    if (code !== 'NSS_SHUT_DOWN' && code !== 'SEC_ERROR_NOT_INITIALIZED') throw err;
    debug('server: a connection after NSS was shut down, dropped');
    transport.destroy();
  }
}
