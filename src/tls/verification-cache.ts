import { createHash } from 'node:crypto';
import { binding } from '../core/binding.js';
import { afterNSSShutdown } from '../core/shutdown-hooks.js';
import { checkInteger, checkObject } from '../core/validate.js';
import type { NativeSSLEngine } from '../../types/binding.js';
import type { TrustAnchors } from './trust-anchors.js';
import { certificateUsageSSLServer } from '../core/constants.js';
import { revocationCode, type RevocationMode } from '../pki/revocation-mode.js';

const SSL_ERROR_NO_CERTIFICATE = -12285; // sslerr.h

// NSS's own check of a peer (SSL_AuthCertificate) is a chain verification (CERT_VerifyCert: chain building
// and a signature check per certificate) followed, on a client, by the host-name check. Measured on the
// 2-core machine, the chain verification is most of a client's certificate cost per full handshake, and a
// client that connects to one server again and again pays it every time. This cache remembers chains that
// verified: a certificate chain sent again, byte for byte, for the same usage skips CERT_VerifyCert, while the
// host name is still checked on every connection and the peer still proves it holds the key (CertificateVerify
// is NSS's, outside this hook). Only successes are kept: a failure is verified again each time.
//
// An entry is used only while
// - nothing that can change a verification's outcome has happened since, in any thread: node-nss counts
//   (binding.trustChanged) every trust change, certificate import or deletion, PKCS#12 import, issuance into
//   the database, token login and logout, module load and unload, FIPS switch, init and shutdown;
// - every certificate the peer sent is still within its validity;
// - it is younger than maxAge (default 10 minutes), which bounds what node-nss cannot see: a database changed
//   by another process, a token removed, a root in the database that expires.

interface Entry {
  epoch: number;
  expires: number;
}

let maxEntries = 1000;
let maxAge = 10 * 60 * 1000;
const entries = new Map<string, Entry>();

/**
 * Configures the cache of successful peer-certificate verifications that node-nss's default check keeps
 * (the check made when a socket has no auth-certificate callback). A chain sent again, byte for byte, for
 * the same usage is not verified again while nothing that affects verification has changed (trust,
 * imports, deletions, tokens, logins, FIPS mode), its certificates are valid and the entry is younger than
 * `maxAge`; the host name is still checked on every connection. `maxEntries: 0` turns the cache off.
 * Changing either setting empties the cache.
 *
 * @param opts.maxEntries - chains remembered, least recently used dropped first (default 1000; 0: off)
 * @param opts.maxAge - milliseconds an entry is used for at most (default 600000, ten minutes)
 * @example
 * ```ts
 * // A database another process edits (certutil): use what it says within a minute.
 * nss.configVerificationCache({ maxAge: 60_000 });
 * ```
 */
export function configVerificationCache(opts: { maxEntries?: number; maxAge?: number }): void {
  checkObject(opts, 'opts');
  if (opts.maxEntries !== undefined) checkInteger(opts.maxEntries, 'opts.maxEntries', 0);
  if (opts.maxAge !== undefined) checkInteger(opts.maxAge, 'opts.maxAge', 0);
  if (opts.maxEntries !== undefined) maxEntries = opts.maxEntries;
  if (opts.maxAge !== undefined) maxAge = opts.maxAge;
  entries.clear();
}

/**
 * Empties the cache of successful peer-certificate verifications (see {@link configVerificationCache}),
 * for a change node-nss cannot see, such as another process editing the database: every peer is verified
 * again on its next full handshake.
 */
export function clearVerificationCache(): void {
  entries.clear();
}

afterNSSShutdown(clearVerificationCache);

/**
 * @internal NSS's default check of the peer's certificate (`SSL_AuthCertificate`, or against `anchors`
 * only), through the cache. `isServer`: this end is the server, checking a client's certificate. Returns 0
 * or the NSS error. With revocation checking (`revocation` soft or hard) the cache is not used: an answer
 * NSS caches itself (OCSP, CRLs) decides each time whether a certificate that verified before is revoked now.
 */
export function verifyPeer(
  engine: NativeSSLEngine,
  checkSig: boolean,
  isServer: boolean,
  anchors: TrustAnchors | undefined,
  revocation: RevocationMode,
): number {
  const natives = anchors?.natives() ?? null;
  const only = !anchors?.keepDatabaseTrust;
  const check = (revocationLevel: number): number =>
    unlessPinned(
      engine.defaultAuth(checkSig, isServer, natives, revocationLevel, only),
      engine,
      isServer,
      anchors,
      true,
    );
  if (revocation !== 'off') return check(revocationCode(revocation));
  if (maxEntries === 0 || maxAge === 0) return check(0);
  const [ders, earliestNotAfter] = engine.peerChainDER();
  const now = Date.now();
  const key = chainKey(ders, checkSig, isServer, anchors?.id ?? '');
  const epoch = binding.trustEpoch();
  const entry = entries.get(key);
  if (entry !== undefined) {
    entries.delete(key);
    if (entry.epoch === epoch && now < entry.expires) {
      entries.set(key, entry); // most recently used last
      return isServer ? 0 : engine.checkPeerName();
    }
  }
  const errno = check(0);
  if (errno === 0 && ders.length > 0) {
    entries.set(key, { epoch, expires: Math.min(now + maxAge, earliestNotAfter) });
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
  }
  return errno;
}

/**
 * @internal A client's check of the server's certificate with revocation checking, off the JavaScript thread:
 * the chain (and OCSP, which may wait for a responder) on a libuv worker, with the stapled responses handed
 * to NSS first. Resolves with 0 or the NSS error; the host name is the caller's to check afterwards, on a
 * socket that is still there. The worker holds the peer's certificates for as long as it needs them.
 */
export async function verifyServerWithRevocation(
  engine: NativeSSLEngine,
  anchors: TrustAnchors | undefined,
  revocation: RevocationMode,
): Promise<number> {
  const chain = engine.peerCertificateChain();
  const leaf = chain[0];
  if (leaf === undefined) return SSL_ERROR_NO_CERTIFICATE;
  const errno = await leaf.verifyPKIXAsync(
    certificateUsageSSLServer,
    undefined,
    anchors?.natives() ?? null,
    revocationCode(revocation),
    engine.peerStapledOCSPResponses(),
    chain,
    !anchors?.keepDatabaseTrust,
  );
  return unlessPinned(errno, engine, false, anchors, false);
}

/**
 * `errno`, the outcome of NSS's verification of the peer, unless the peer sent one of `anchors`' self-signed
 * certificates ({@link TrustAnchors.pinnedPeerError}), which NSS does not trust as a peer: then that rule's
 * answer, followed on a client by the host-name check when `checkName`.
 */
function unlessPinned(
  errno: number,
  engine: NativeSSLEngine,
  isServer: boolean,
  anchors: TrustAnchors | undefined,
  checkName: boolean,
): number {
  if (errno === 0 || anchors === undefined) return errno;
  const pinned = anchors.pinnedPeerError(engine.peerChainDER()[0][0], isServer);
  if (pinned === undefined) return errno;
  return pinned !== 0 || isServer || !checkName ? pinned : engine.checkPeerName();
}

function chainKey(ders: Buffer[], checkSig: boolean, isServer: boolean, anchorsID: string): string {
  const hash = createHash('sha256');
  // The usage (a client's certificate, checked by a server, or a server's), whether signatures were
  // checked and the trust anchors (empty: the database's trust), then each certificate with its length, so
  // that no two chains hash the same bytes.
  hash.update(Buffer.from([isServer ? 1 : 0, checkSig ? 1 : 0]));
  hash.update(`${anchorsID}\n`);
  const length = Buffer.alloc(4);
  for (const der of ders) {
    length.writeUInt32BE(der.length);
    hash.update(length);
    hash.update(der);
  }
  return hash.digest('base64');
}
