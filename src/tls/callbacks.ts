// The callback shapes sockets and servers take, and what a model socket must offer. Callbacks that receive
// the socket are typed by the socket class (socket.ts), so that neither this module, the configuration
// surface nor the server imports it.
import type { NativeSSLEngine } from '../../types/binding.js';
import type { Certificate } from '../pki/certificate.js';
import type { PrivateKey } from '../pki/private-key.js';
import type { ServerSessions } from './server-sessions.js';
import type { TrustAnchors } from './trust-anchors.js';

/** What a client-auth-data callback answers: a certificate and its key, or `null`/`false` for none. */
export type ClientAuthData = [Certificate, PrivateKey] | null | false;
/** Client-auth-data callback: `caNames` are the DER names of the CAs the server accepts. */
export type ClientAuthDataCallback = (
  caNames: Buffer[],
  ...userData: unknown[]
) => ClientAuthData | Promise<ClientAuthData>;

/** Answer of an SNI callback: the certificate and key to serve for that name, or `undefined` for the default. */
export type SNIResult =
  | {
      cert: Certificate;
      key: PrivateKey;
      /**
       * @internal node-nss/tls: the trust the answer's context verifies client certificates with, replacing the
       * server's for this connection (`null`: the database's), as node:tls's SNI context does.
       */
      trustAnchors?: TrustAnchors | null;
    }
  | undefined;
/**
 * SNI callback (server): the name the client asked for → what to serve, or a Promise of it. The server reads
 * the ClientHello before NSS does, so an async answer (a lookup, a certificate issued on demand) is fine.
 */
export type SNICallback = (serverName: string) => SNIResult | Promise<SNIResult>;

/** What an ALPN callback is asked about: the SNI name (`null` without one) and the client's protocols. */
export interface ALPNRequest {
  serverName: string | null;
  /** The protocols the client offers, in its order of preference. */
  protocols: string[];
}
/**
 * ALPN callback (server): chooses the protocol of a connection whose client offers some, after the SNI
 * callback: one of `protocols`, or `undefined` to refuse them all (the client gets a `no_application_protocol`
 * alert), or a Promise of either. A callback that throws or rejects, or names a protocol the client did not
 * offer, fails that handshake.
 */
export type ALPNCallback = (request: ALPNRequest) => string | undefined | Promise<string | undefined>;

/** @internal A registered callback and the user data appended to its arguments. */
export interface Registered<F> {
  fn: F;
  userData: unknown[];
}

/**
 * The shape of the types of the callbacks that receive the socket itself, given by the socket class
 * ({@link SocketCallbacks}) so that the configuration surface, which registers them, needs no import of it.
 */
export interface SocketCallbackTypes {
  // Left as `unknown`: checking the function types here would make the socket class's type depend on
  // itself through its base class (TS2506).
  auth: unknown;
  badCert: unknown;
  handshake: unknown;
}

/** @internal The callbacks registered on a socket or server. */
export interface SSLCallbacks<T extends SocketCallbackTypes> {
  auth?: Registered<T['auth']>;
  badCert?: Registered<T['badCert']>;
  clientAuth?: Registered<ClientAuthDataCallback>;
  handshake?: Registered<T['handshake']>;
}

/**
 * A configured socket or server that new sockets copy (NSS's model socket): an `SSLSocket` or an
 * `SSLServer`.
 */
export interface SSLModel {
  /** @internal */
  readonly engine: NativeSSLEngine;
  /** @internal */
  readonly namedGroups: number[] | undefined;
  /** @internal */
  readonly fipsProfile: boolean;
  /** @internal A server's sessions, shared with the sockets made from it. */
  readonly serverSessions: ServerSessions | undefined;
  /** How many renegotiations a client may start (copied by sockets made from this one). */
  readonly renegotiationLimit: number;
  /** The window of `renegotiationLimit` in milliseconds. */
  readonly renegotiationWindow: number;
}
