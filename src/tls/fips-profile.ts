// The package's FIPS TLS profile. Upstream NSS in FIPS mode restricts its token, not TLS: ChaCha20-Poly1305
// and X25519 still negotiate (measured on NSS 3.87). Whenever isFIPS() is true, every SSLSocket and
// SSLServer is narrowed to this profile when it is made, and asking one for anything outside it throws.
import type { NativeSSLEngine } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import type { Certificate } from '../pki/certificate.js';
import * as c from '../core/constants.js';
import { NSPRError } from '../core/errors.js';
import * as ssl from './constants.js';
import { FIPS_MIN_DH_BITS, FIPS_MIN_RSA_BITS, syncFIPSKeySizes } from '../pkcs11/fips.js';

/** What {@link FIPS_TLS_PROFILE} allows. */
export interface FIPSTLSProfile {
  /** Lowest and highest protocol version. */
  readonly minVersion: 'tls1.2';
  readonly maxVersion: 'tls1.3';
  /** Cipher suites (AES-GCM with ephemeral key exchange; TLS 1.3's two AES-GCM suites). */
  readonly cipherSuites: readonly number[];
  /** Key-exchange groups (`ssl_grp_*`): NIST P-256/P-384/P-521 and the RFC 7919 FFDHE groups. */
  readonly namedGroups: readonly number[];
  /** Signature schemes (`ssl_sig_*`): ECDSA, RSA-PSS and RSA PKCS#1 v1.5 with SHA-2; no SHA-1, DSA or EdDSA. */
  readonly signatureSchemes: readonly number[];
  /** Smallest RSA modulus accepted from peers and served (`NSS_RSA_MIN_KEY_SIZE` while FIPS mode is on). */
  readonly minRSABits: number;
  /** Smallest finite-field Diffie-Hellman prime (`NSS_DH_MIN_KEY_SIZE` while FIPS mode is on). */
  readonly minDHBits: number;
}

/**
 * The TLS profile every socket gets while {@link isFIPS} is true: TLS 1.2–1.3, AES-GCM suites with ECDHE or
 * DHE (TLS 1.3: `TLS_AES_128_GCM_SHA256`, `TLS_AES_256_GCM_SHA384`), groups P-256/P-384/P-521 and FFDHE
 * 2048–8192 (no X25519), signature schemes without SHA-1, and RSA keys of at least 2048 bits (or ECDSA).
 */
export const FIPS_TLS_PROFILE: FIPSTLSProfile = Object.freeze({
  minVersion: 'tls1.2',
  maxVersion: 'tls1.3',
  cipherSuites: Object.freeze([
    ssl.TLS_AES_128_GCM_SHA256,
    ssl.TLS_AES_256_GCM_SHA384,
    ssl.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ssl.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ssl.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ssl.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ssl.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
    ssl.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
  ]),
  namedGroups: Object.freeze([
    c.ssl_grp_ec_secp256r1,
    c.ssl_grp_ec_secp384r1,
    c.ssl_grp_ec_secp521r1,
    c.ssl_grp_ffdhe_2048,
    c.ssl_grp_ffdhe_3072,
    c.ssl_grp_ffdhe_4096,
    c.ssl_grp_ffdhe_6144,
    c.ssl_grp_ffdhe_8192,
  ]),
  signatureSchemes: Object.freeze([
    c.ssl_sig_ecdsa_secp256r1_sha256,
    c.ssl_sig_ecdsa_secp384r1_sha384,
    c.ssl_sig_ecdsa_secp521r1_sha512,
    c.ssl_sig_rsa_pss_rsae_sha256,
    c.ssl_sig_rsa_pss_rsae_sha384,
    c.ssl_sig_rsa_pss_rsae_sha512,
    c.ssl_sig_rsa_pss_pss_sha256,
    c.ssl_sig_rsa_pss_pss_sha384,
    c.ssl_sig_rsa_pss_pss_sha512,
    c.ssl_sig_rsa_pkcs1_sha256,
    c.ssl_sig_rsa_pkcs1_sha384,
    c.ssl_sig_rsa_pkcs1_sha512,
  ]),
  minRSABits: FIPS_MIN_RSA_BITS,
  minDHBits: FIPS_MIN_DH_BITS,
});

/** @internal Every group `setNamedGroups` accepts, and NSS's default list (sslsock.c, in NSS's order). */
export const KNOWN_GROUPS: readonly number[] = [c.ssl_grp_ec_curve25519, ...FIPS_TLS_PROFILE.namedGroups];

/** @internal Every signature scheme `setSignatureSchemes` accepts. */
export const KNOWN_SIGNATURE_SCHEMES: readonly number[] = [
  ...FIPS_TLS_PROFILE.signatureSchemes,
  c.ssl_sig_rsa_pkcs1_sha1,
  c.ssl_sig_ecdsa_sha1,
  c.ssl_sig_ed25519,
  c.ssl_sig_ed448,
  c.ssl_sig_dsa_sha1,
  c.ssl_sig_dsa_sha256,
  c.ssl_sig_dsa_sha384,
  c.ssl_sig_dsa_sha512,
];

/** @internal The `SEC_ERROR_INVALID_ARGS` NSPRError for a request outside the profile. */
export function fipsProfileError(what: string): NSPRError {
  return new NSPRError(
    c.errnos.SEC_ERROR_INVALID_ARGS,
    'SEC_ERROR_INVALID_ARGS',
    `${what} is outside the FIPS TLS profile (NSS is in FIPS mode: TLS 1.2-1.3, AES-GCM suites, ` +
      'groups P-256/P-384/P-521/FFDHE, RSA >= 2048 or ECDSA)',
  );
}

/** @internal Whether NSS is initialised in this environment and in FIPS mode. */
export function fipsModeOn(): boolean {
  return binding.isInitialized() && binding.isFIPS();
}

const TLS_1_2 = ssl.SSL_LIBRARY_VERSION_TLS_1_2;
const TLS_1_3 = ssl.SSL_LIBRARY_VERSION_TLS_1_3;

/** @internal The configuration state the profile narrows (kept in TypeScript where NSS has no getter). */
export interface ProfileState {
  /** The groups given to `SSL_NamedGroupConfig`, or undefined for NSS's defaults. */
  namedGroups: number[] | undefined;
  /** Whether the FIPS profile was applied to this socket (and its checks are on). */
  fipsProfile: boolean;
}

/**
 * @internal Narrows a socket to the FIPS profile, keeping whatever the application already narrowed further:
 * versions clamped to 1.2–1.3, every suite outside the profile disabled, groups and signature schemes
 * intersected with the profile's (the profile's own lists when nothing would be left).
 */
export function applyFIPSProfile(engine: NativeSSLEngine, state: ProfileState): void {
  syncFIPSKeySizes(true);
  const [lo, hi] = engine.versionRangeGet();
  const newHi = Math.min(Math.max(hi, TLS_1_2), TLS_1_3);
  const newLo = Math.min(Math.max(lo, TLS_1_2), newHi);
  if (newLo !== lo || newHi !== hi) engine.versionRangeSet(newLo, newHi);
  const allowed = new Set(FIPS_TLS_PROFILE.cipherSuites);
  for (const suite of binding.implementedCiphers()) {
    if (!allowed.has(suite) && engine.cipherPrefGet(suite)) engine.cipherPrefSet(suite, false);
  }
  const groups = (state.namedGroups ?? KNOWN_GROUPS).filter((g) => FIPS_TLS_PROFILE.namedGroups.includes(g));
  state.namedGroups = groups.length ? groups : [...FIPS_TLS_PROFILE.namedGroups];
  engine.namedGroupConfig(state.namedGroups);
  const schemes = engine
    .signatureSchemePrefGet()
    .filter((s) => FIPS_TLS_PROFILE.signatureSchemes.includes(s));
  engine.signatureSchemePrefSet(schemes.length ? schemes : FIPS_TLS_PROFILE.signatureSchemes);
  // TLS 1.2 DHE only with the RFC 7919 groups (approved safe primes), not whatever prime a server sends.
  engine.optionSet(ssl.SSL_REQUIRE_DH_NAMED_GROUPS, 1);
  state.fipsProfile = true;
}

/** @internal Throws unless the certificate's key is one the profile allows (RSA >= 2048 bits, or EC). */
export function checkFIPSKey(cert: Certificate, what: string): void {
  const type = cert.publicKeyType;
  const bits = cert.publicKeyBits;
  if (type === 'ec') return;
  if ((type === 'rsa' || type === 'rsa-pss') && bits >= FIPS_TLS_PROFILE.minRSABits) return;
  throw fipsProfileError(`${what} with a ${bits}-bit ${type} key`);
}
