// Which sessions a client socket may resume. NSS's client session cache is process-wide, keyed by the peer
// address, port, URL (SSL_SetURL) and the peer ID (SSL_SetSockPeerID), and a resumed handshake runs neither
// the auth-certificate hook nor the client-auth hook (measured on NSS 3.87, TLS 1.2 and 1.3): a session made
// without verification, or with another client certificate, would be taken over as it is. So, as https.Agent
// keys its session cache by everything that shapes authentication, every client socket's peer ID is a
// digest of its verification policy, its client identity and its version/signature settings, computed when
// its handshake starts. Session tokens handed to the application carry a digest of the same policy.
import { createHash } from 'node:crypto';
import { NSPRError } from '../core/errors.js';
import type { Registered } from './callbacks.js';

const SSL_ERROR_BAD_RESUMPTION_TOKEN_ERROR = -12115; // sslerr.h

const objectIds = new WeakMap<object, number>();
const symbolIds = new Map<symbol, number>();
let lastId = 0;

/** A stable name for a value: objects and functions by identity (a counter per object), others by value. */
function identity(value: unknown): string {
  if ((typeof value === 'object' && value !== null) || typeof value === 'function') {
    let id = objectIds.get(value);
    if (id === undefined) objectIds.set(value, (id = ++lastId));
    return `#${id}`;
  }
  if (typeof value === 'symbol') {
    let id = symbolIds.get(value);
    if (id === undefined) symbolIds.set(value, (id = ++lastId));
    return `#${id}`;
  }
  return `${typeof value}:${String(value)}`;
}

/** A callback with its user data: the same function with the same user data decides the same way. */
function registration(registered: Registered<unknown>): string[] {
  return [identity(registered.fn), ...registered.userData.map(identity)];
}

/** @internal What of a client socket decides how its peer and itself were authenticated. */
export interface SessionPolicyInput {
  auth: Registered<unknown> | undefined;
  badCert: Registered<unknown> | undefined;
  /**
   * The client-auth-data callback, NSS's own chooser and the nickname it picks (`null`: any), or a
   * certificate held in memory (the digest of its DER).
   */
  clientAuth: Registered<unknown> | { nssNickname: string | null } | { certificate: string } | undefined;
  /** An explicit `setSockPeerID`: the application vouches that its callbacks decide alike within it. */
  userPeerID: string | undefined;
  /** The digest of the trust anchors that replace the database's trust, if any. */
  trustAnchors: string | undefined;
  /** How NSS's default check asked about revocation: a session made 'off' is not resumed by a 'hard' client. */
  revocation: string;
  versionRange: readonly number[];
  signatureSchemes: readonly number[];
  fipsProfile: boolean;
}

/** @internal Where a client socket connects: the peer NSS does not see (names, proxies, other transports). */
export interface SessionPeerInput {
  host: string | undefined;
  port: number | undefined;
  servername: string | null;
  userPeerID: string | undefined;
}

/**
 * @internal The policy a session is made under, as a canonical string. Without an explicit peer ID, callbacks
 * count by function identity and user data; within one, only by kind (NSS's check alone, or a callback).
 */
export function sessionPolicy(input: SessionPolicyInput): string {
  const explicit = input.userPeerID !== undefined;
  const callback = (r: Registered<unknown> | undefined): string[] | string =>
    r === undefined ? 'none' : explicit ? 'callback' : registration(r);
  const client = input.clientAuth;
  const identity =
    client === undefined
      ? 'none'
      : 'nssNickname' in client
        ? ['nss', client.nssNickname]
        : 'certificate' in client
          ? ['certificate', client.certificate]
          : explicit
            ? 'callback'
            : registration(client);
  return JSON.stringify({
    auth: callback(input.auth),
    badCert: callback(input.badCert),
    identity,
    trustAnchors: input.trustAnchors ?? null,
    revocation: input.revocation,
    versions: input.versionRange,
    signatureSchemes: input.signatureSchemes,
    fips: input.fipsProfile,
  });
}

function digest(...parts: string[]): Buffer {
  return createHash('sha256').update(JSON.stringify(parts)).digest();
}

/**
 * @internal The peer ID given to NSS: a digest (NSS copies it into session tokens, which take at most 255
 * bytes) of the peer as the application named it, the policy and the trust epoch (binding.trustEpoch: a
 * session made before trust changed, e.g. its CA distrusted, is not resumed after). An explicit peer ID
 * stands for the peer. Session tokens handed to the application carry the policy but not the epoch, which
 * counts changes in this process only.
 */
export function peerID(peer: SessionPeerInput, policy: string, trustEpoch: number): string {
  const who =
    peer.userPeerID !== undefined
      ? ['explicit', peer.userPeerID]
      : ['connect', peer.host ?? '', String(peer.port ?? ''), peer.servername ?? ''];
  return `node-nss:${digest(...who, policy, String(trustEpoch)).toString('hex')}`;
}

// A session handed to the application: magic, format version, the policy digest, then NSS's token.
const MAGIC = Buffer.from('NNSS', 'latin1');
const FORMAT = 1;
const TAG_LENGTH = 32;
const HEADER = MAGIC.length + 1 + TAG_LENGTH;

/** @internal The digest of a policy that tags the sessions made under it. */
export function policyTag(policy: string): Buffer {
  return digest('session', policy);
}

/** @internal NSS's resumption token as the `'session'` Buffer: tagged with the policy it was made under. */
export function wrapSession(tag: Buffer, token: Buffer): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([FORMAT]), tag, token]);
}

/** @internal Splits a `'session'` Buffer; anything else is refused as NSS refuses a bad token. */
export function unwrapSession(session: Buffer): { tag: Buffer; token: Buffer } {
  if (session.length <= HEADER || !session.subarray(0, MAGIC.length).equals(MAGIC) || session[4] !== FORMAT) {
    throw new NSPRError(
      SSL_ERROR_BAD_RESUMPTION_TOKEN_ERROR,
      undefined,
      "not a session from a node-nss socket's 'session' event",
    );
  }
  return {
    tag: Buffer.from(session.subarray(MAGIC.length + 1, HEADER)),
    token: Buffer.from(session.subarray(HEADER)),
  };
}
