// The TLS settings every SSLSocket and SSLServer starts with. NSS_SetDomesticPolicy allows, and NSS's defaults
// enable, nearly every suite it implements: measured on NSS 3.87, a new socket had 35 suites on (RC4, 3DES,
// static-RSA key exchange, CBC with SHA-1 among them) and offered rsa_pkcs1_sha1, ecdsa_sha1 and the DSA
// signature schemes; a client accepted any server-chosen DHE prime of NSS_DH_MIN_KEY_SIZE bits or more
// (measured: RFC 5114's 2048-bit group from openssl s_server -dhparam).
// node-nss narrows each socket to Mozilla's "intermediate" profile; anything else is opt-in per socket.
import type { NativeSSLEngine } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import * as c from '../core/constants.js';
import * as ssl from './constants.js';

/** What {@link DEFAULT_TLS_PROFILE} holds. */
export interface DefaultTLSProfile {
  /** Lowest and highest protocol version. */
  readonly minVersion: 'tls1.2';
  readonly maxVersion: 'tls1.3';
  /** The cipher suites enabled: TLS 1.3's, and TLS 1.2 ECDHE/DHE with AES-GCM or ChaCha20-Poly1305. */
  readonly cipherSuites: readonly number[];
  /** The signature schemes offered and accepted (`ssl_sig_*`), in NSS's order: no SHA-1, no DSA. */
  readonly signatureSchemes: readonly number[];
  /**
   * `SSL_REQUIRE_DH_NAMED_GROUPS` on sockets (clients): TLS 1.2 DHE only over the RFC 7919 groups the
   * client offered (2048 bits and up), never a prime the server picked. Servers leave it off: an NSS server
   * only ever uses an RFC 7919 group (ffdhe2048 unless the client asks for another), and the option would
   * only refuse DHE to clients that list no FFDHE group (OpenSSL's).
   */
  readonly requireDHNamedGroups: true;
  /**
   * Renegotiations a client may start on a server socket within {@link renegotiationWindow} ms: none. Any
   * number above zero is flagged by testssl.sh ("Secure Client-Initiated Renegotiation: VULNERABLE, potential
   * DoS", measured with testssl 3.0.8 against node:tls, which allows 3 per 10 minutes, as well); OpenSSL 3's
   * own `s_server` and nginx refuse them too. `renegotiationLimit = 3` is node:tls's behaviour.
   */
  readonly renegotiationLimit: number;
  /** The window of {@link renegotiationLimit}, in milliseconds. */
  readonly renegotiationWindow: number;
}

/**
 * What every {@link SSLSocket} and {@link SSLServer} starts with, Mozilla's "intermediate" profile: TLS
 * 1.2–1.3; the three TLS 1.3 suites and, for TLS 1.2, ECDHE-ECDSA, ECDHE-RSA and DHE-RSA with AES-128/256-GCM
 * or ChaCha20-Poly1305; signature schemes ECDSA, RSA-PSS and RSA PKCS#1 v1.5 with SHA-2; Diffie-Hellman only
 * over the RFC 7919 groups; and, as in node:tls, at most 3 renegotiations started by a client per 10
 * minutes on a server socket. Weaker suites or schemes are opt-in per socket or server, by name:
 * `setCipherPref(TLS_RSA_WITH_AES_128_CBC_SHA, true)`, `setSignatureSchemes([...])`.
 */
export const DEFAULT_TLS_PROFILE: DefaultTLSProfile = Object.freeze({
  minVersion: 'tls1.2',
  maxVersion: 'tls1.3',
  cipherSuites: Object.freeze([
    ssl.TLS_AES_128_GCM_SHA256,
    ssl.TLS_CHACHA20_POLY1305_SHA256,
    ssl.TLS_AES_256_GCM_SHA384,
    ssl.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ssl.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ssl.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ssl.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ssl.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ssl.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ssl.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    ssl.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ssl.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
  ]),
  signatureSchemes: Object.freeze([
    c.ssl_sig_ecdsa_secp256r1_sha256,
    c.ssl_sig_ecdsa_secp384r1_sha384,
    c.ssl_sig_ecdsa_secp521r1_sha512,
    c.ssl_sig_rsa_pss_rsae_sha256,
    c.ssl_sig_rsa_pss_rsae_sha384,
    c.ssl_sig_rsa_pss_rsae_sha512,
    c.ssl_sig_rsa_pkcs1_sha256,
    c.ssl_sig_rsa_pkcs1_sha384,
    c.ssl_sig_rsa_pkcs1_sha512,
  ]),
  requireDHNamedGroups: true,
  renegotiationLimit: 0,
  renegotiationWindow: 600_000,
});

let outsideProfile: number[] | undefined;

/**
 * @internal Narrows a new socket or server (one not made from a model) to the default profile. The FIPS
 * profile, a subset of this one, is applied after it where FIPS mode is on.
 */
export function applyDefaultProfile(engine: NativeSSLEngine, role: 'socket' | 'server'): void {
  engine.versionRangeSet(ssl.SSL_LIBRARY_VERSION_TLS_1_2, ssl.SSL_LIBRARY_VERSION_TLS_1_3);
  const allowed = new Set(DEFAULT_TLS_PROFILE.cipherSuites);
  // Every suite outside the profile is turned off (whatever NSS's default for it): one crossing each.
  outsideProfile ??= binding.implementedCiphers().filter((suite) => !allowed.has(suite));
  for (const suite of outsideProfile) engine.cipherPrefSet(suite, false);
  for (const suite of DEFAULT_TLS_PROFILE.cipherSuites) engine.cipherPrefSet(suite, true);
  engine.signatureSchemePrefSet([...DEFAULT_TLS_PROFILE.signatureSchemes]);
  if (role === 'socket') {
    engine.optionSet(ssl.SSL_REQUIRE_DH_NAMED_GROUPS, 1);
    // NSS leaves TLS 1.2 session tickets off; OpenSSL clients (node:tls) offer them, and a node:tls server
    // resumes TLS 1.2 only from a ticket (its session-ID cache is off unless the application keeps one through
    // 'newSession'/'resumeSession'): measured, a node-nss client never resumed against one. A socket that
    // becomes a server of its own turns NSS's tickets off again and sends tagged TLS 1.3 tickets (tagTickets).
    engine.optionSet(ssl.SSL_ENABLE_SESSION_TICKETS, 1);
  }
}
