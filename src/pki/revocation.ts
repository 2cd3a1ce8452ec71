// Revocation: OCSP settings, CRLs in memory and in the database, and the mode the default checks use.
//
// node-nss checks revocation with CERT_PKIXVerifyCert and NSS's classic policies (certvfypkix.c):
// - 'off': CRLs NSS holds (the database's, and those given as `crl`) for the whole chain; nothing is fetched.
//   This is what SSL_AuthCertificate does when OCSP was never enabled, and the default.
// - 'soft': the same, and OCSP for the leaf from its AIA URL or the default responder; no answer (a responder
//   down, a timeout) lets the certificate through, a `revoked` answer does not.
// - 'hard': as 'soft', but without a fresh answer the certificate fails (SEC_ERROR_OCSP_SERVER_ERROR and the
//   like). A certificate with no OCSP URL, and no default responder set, is not asked about.
// A server's stapled response counts as an answer: it goes into NSS's OCSP cache before the check.
//
// Measured on NSS 3.87: NSS verifies an OCSP response's signer with the classic verifier against the
// database's trust (ocsp.c, ocsp_CheckSignature), except the default responder's. So under trust anchors
// (node:tls's `ca`) alone, OCSP answers can only be checked through a default responder; a response signed by
// the CA is rejected as SEC_ERROR_OCSP_INVALID_SIGNING_CERT ('hard' fails, 'soft' passes).
import { binding } from '../core/binding.js';
import { checkInteger, checkNonEmptyString, checkObject, argValueError } from '../core/validate.js';
import type { NativeCachedCRL } from '../../types/binding.js';
import { Certificate } from './certificate.js';
import { pemOrDERList } from './pem.js';
import { checkRevocationMode, type RevocationMode } from './revocation-mode.js';

export type { RevocationMode } from './revocation-mode.js';

let defaultMode: RevocationMode = 'off';

/**
 * Sets how the default certificate checks of sockets that chose no mode themselves
 * (`connect({ revocation })`, {@link SSLSocket.setRevocationMode}) check revocation:
 *
 * - `'off'` (the default): the CRLs NSS holds — imported into the database ({@link CertDB.importCRL}) or
 *   given as `crl` — for the whole chain. Nothing is fetched.
 * - `'soft'`: also OCSP for the server's (or client's) certificate, from its AIA URL or the default responder
 *   ({@link setOCSPDefaultResponder}); a stapled response counts. When no answer comes the certificate passes;
 *   a `revoked` answer fails it with `SEC_ERROR_REVOKED_CERTIFICATE`.
 * - `'hard'`: as `'soft'`, but a certificate with an OCSP URL and no fresh answer fails too
 *   (`SEC_ERROR_OCSP_SERVER_ERROR`, `SEC_ERROR_OCSP_BAD_HTTP_RESPONSE`...).
 *
 * OCSP requests are made on a libuv worker for clients, so a slow responder never blocks the event loop; a
 * server checking a client's certificate must answer NSS inside the handshake and asks on the JavaScript thread
 * (bounded by {@link setOCSPTimeout}). NSS only accepts OCSP answers whose signer the database trusts, or the
 * default responder's: with trust anchors alone (`ca`), set a default responder.
 *
 * @example
 * ```ts
 * nss.init({ dbDir: '/etc/pki/nssdb' });
 * nss.setDefaultRevocationMode('hard');
 * nss.setOCSPTimeout(5);
 * ```
 */
export function setDefaultRevocationMode(mode: RevocationMode): void {
  checkRevocationMode(mode, 'mode');
  defaultMode = mode;
}

/** The mode set by {@link setDefaultRevocationMode} (`'off'` until then). */
export function getDefaultRevocationMode(): RevocationMode {
  return defaultMode;
}

/**
 * Sends every OCSP request to `url` (instead of each certificate's AIA URL), and accepts its answers when
 * signed by `signer`: a certificate, or the nickname of one in the database. A new responder counts as a
 * trust change: sessions made before are not resumed. NSS's setting, for the whole process.
 */
export function setOCSPDefaultResponder(url: string, signer: Certificate | string): void {
  checkNonEmptyString(url, 'url');
  // NSS fetches OCSP over plain HTTP only (and node-nss's client takes nothing else).
  if (!/^http:\/\/[^/?#\s]+/i.test(url))
    throw argValueError(`The "url" argument must be an http:// URL. Received '${url}'`);
  let nickname: string;
  if (signer instanceof Certificate) {
    const name = signer.nickname;
    if (name === null)
      throw argValueError(
        'The "signer" certificate has no nickname: import it into the database (CertDB.importCertificate) or pass one that has',
      );
    nickname = name;
  } else {
    checkNonEmptyString(signer, 'signer');
    nickname = signer;
  }
  binding.ocspSetDefaultResponder(url, nickname);
  binding.trustChanged();
}

/** Sends OCSP requests to each certificate's AIA URL again. */
export function clearOCSPDefaultResponder(): void {
  binding.ocspClearDefaultResponder();
  binding.trustChanged();
}

/**
 * How long one OCSP request may take, in seconds: connecting, sending and reading the answer (default 10; at
 * most 60, libpkix's own limit). NSS tries a GET and then a POST, so a responder that never answers holds a
 * verification for about twice this, plus the name lookup. Process-wide.
 */
export function setOCSPTimeout(seconds: number): void {
  checkInteger(seconds, 'seconds', 1, 60);
  binding.ocspSetTimeout(seconds);
}

/**
 * NSS's cache of OCSP answers: `maxEntries` answers at most (`0`: no limit, `-1`: no cache), each used for
 * at least `minSeconds` and at most `maxSeconds` before it is asked again (NSS's defaults: 1000, 3600, 86400).
 */
export function configOCSPCache(opts: { maxEntries: number; minSeconds: number; maxSeconds: number }): void {
  checkObject(opts, 'opts');
  checkInteger(opts.maxEntries, 'opts.maxEntries', -1, 0x7fffffff);
  checkInteger(opts.minSeconds, 'opts.minSeconds', 0, 0xffffffff);
  checkInteger(opts.maxSeconds, 'opts.maxSeconds', 0, 0xffffffff);
  if (opts.maxSeconds < opts.minSeconds)
    throw argValueError('The "opts.maxSeconds" option must not be less than "opts.minSeconds"');
  binding.ocspCacheSettings(opts.maxEntries, opts.minSeconds, opts.maxSeconds);
}

/** Forgets every OCSP answer NSS holds, fetched or stapled: the next check asks again. */
export function clearOCSPCache(): void {
  binding.ocspClearCache();
}

const CRL_LABELS = ['X509 CRL'] as const;

/** @internal DER CRLs from PEM text (one or more `X509 CRL` blocks), or a Buffer of PEM or of one DER CRL. */
export function crlListBytes(data: unknown, name: string): Buffer[] {
  return pemOrDERList(data, name, CRL_LABELS, 'X509 CRL');
}

/**
 * @internal Puts CRLs into NSS's CRL cache for as long as the returned handles are held (node:tls's `crl`). A
 * CRL must be signed by a CA allowed to sign CRLs that is one of `anchors` (the `ca` given with it) or that the
 * database trusts, else it is refused (`SEC_ERROR_CRL_BAD_SIGNATURE`, `SEC_ERROR_UNKNOWN_ISSUER`): one bad CRL
 * in the cache would switch NSS's CRL checks for that issuer off. A CRL revokes only what its issuer signed, so one given to a context applies to
 * every verification in the process while that context lives. Counts as a trust change.
 */
export function cacheCRLs(
  data: unknown,
  name: string,
  anchors: readonly Certificate[] = [],
): NativeCachedCRL[] {
  const natives = anchors.length > 0 ? anchors.map((anchor) => anchor.native) : null;
  // Contexts given the same CRL share one copy in NSS's cache (crl.cc counts its holders); NSS drops it when
  // the last handle is released or collected.
  const handles = crlListBytes(data, name).map((der) => binding.cacheCRL(der, natives));
  binding.trustChanged();
  return handles;
}
