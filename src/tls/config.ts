// The configuration surface SSLSocket and SSLServer share (NSS's "model socket"): options, versions,
// ciphers, callbacks, pin arguments, ALPN. Applied to both classes as a mixin over their own base.
import type { NativeSSLEngine } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { CertDB } from '../pki/certdb.js';
import type { Certificate } from '../pki/certificate.js';
import { TrustAnchors, type TrustAnchorOptions } from './trust-anchors.js';
import { getDefaultRevocationMode } from '../pki/revocation.js';
import { checkRevocationMode, type RevocationMode } from '../pki/revocation-mode.js';
import * as c from '../core/constants.js';
import {
  applyFIPSProfile,
  FIPS_TLS_PROFILE,
  fipsModeOn,
  fipsProfileError,
  KNOWN_GROUPS,
  KNOWN_SIGNATURE_SCHEMES,
} from './fips-profile.js';
import * as ssl from './constants.js';
import { DEFAULT_TLS_PROFILE } from './defaults.js';
import type {
  ALPNCallback,
  ClientAuthDataCallback,
  Registered,
  SNICallback,
  SSLCallbacks,
  SocketCallbackTypes,
} from './callbacks.js';
import {
  checkBoolean,
  checkDelay,
  checkFunction,
  checkInstance,
  checkInteger,
  checkObject,
  checkStringArray,
  argTypeError,
  argValueError,
} from '../core/validate.js';

const VERSION_NAMES: Record<string, number> = {
  'tls1.0': ssl.SSL_LIBRARY_VERSION_TLS_1_0,
  'tls1.1': ssl.SSL_LIBRARY_VERSION_TLS_1_1,
  'tls1.2': ssl.SSL_LIBRARY_VERSION_TLS_1_2,
  'tls1.3': ssl.SSL_LIBRARY_VERSION_TLS_1_3,
};

/** @internal `0x0304` → `'tls1.3'`. */
export function versionName(version: number): string {
  return Object.entries(VERSION_NAMES).find(([, v]) => v === version)?.[0] ?? `0x${version.toString(16)}`;
}

function versionNumber(value: unknown, name: string): number {
  if (typeof value === 'string') {
    const v = VERSION_NAMES[value.toLowerCase()];
    if (v === undefined)
      throw argValueError(`The "${name}" argument must be one of ${Object.keys(VERSION_NAMES).join(', ')}`);
    return v;
  }
  checkInteger(value, name, 0, 0xffff);
  if (!Object.values(VERSION_NAMES).includes(value)) {
    throw argValueError(`The "${name}" argument is not a TLS version NSS supports: 0x${value.toString(16)}`);
  }
  return value;
}

/** Options whose value is one of a few numbers rather than on/off. */
const ENUM_OPTIONS = new Map<number, readonly number[]>([
  [
    ssl.SSL_REQUIRE_CERTIFICATE,
    [
      ssl.SSL_REQUIRE_NEVER,
      ssl.SSL_REQUIRE_ALWAYS,
      ssl.SSL_REQUIRE_FIRST_HANDSHAKE,
      ssl.SSL_REQUIRE_NO_ERROR,
    ],
  ],
  [
    ssl.SSL_ENABLE_RENEGOTIATION,
    [
      ssl.SSL_RENEGOTIATE_NEVER,
      ssl.SSL_RENEGOTIATE_UNRESTRICTED,
      ssl.SSL_RENEGOTIATE_REQUIRES_XTN,
      ssl.SSL_RENEGOTIATE_TRANSITIONAL,
    ],
  ],
]);
/** Every option `SSL_OptionSet` knows (ssl.h: SSL_SECURITY … SSL_SUPPRESS_END_OF_EARLY_DATA). */
const OPTIONS = new Set(
  [
    ssl.SSL_SECURITY,
    ssl.SSL_SOCKS,
    ssl.SSL_REQUEST_CERTIFICATE,
    ssl.SSL_HANDSHAKE_AS_CLIENT,
    ssl.SSL_HANDSHAKE_AS_SERVER,
    ssl.SSL_ENABLE_SSL2,
    ssl.SSL_ENABLE_SSL3,
    ssl.SSL_NO_CACHE,
    ssl.SSL_REQUIRE_CERTIFICATE,
    ssl.SSL_ENABLE_FDX,
    ssl.SSL_V2_COMPATIBLE_HELLO,
    ssl.SSL_ENABLE_TLS,
    ssl.SSL_ROLLBACK_DETECTION,
    ssl.SSL_NO_STEP_DOWN,
    ssl.SSL_BYPASS_PKCS11,
    ssl.SSL_NO_LOCKS,
    ssl.SSL_ENABLE_SESSION_TICKETS,
    ssl.SSL_ENABLE_DEFLATE,
    ssl.SSL_ENABLE_RENEGOTIATION,
    ssl.SSL_REQUIRE_SAFE_NEGOTIATION,
    ssl.SSL_ENABLE_FALSE_START,
    ssl.SSL_CBC_RANDOM_IV,
    ssl.SSL_ENABLE_OCSP_STAPLING,
    ssl.SSL_ENABLE_NPN,
    ssl.SSL_ENABLE_ALPN,
    ssl.SSL_REUSE_SERVER_ECDHE_KEY,
    ssl.SSL_ENABLE_FALLBACK_SCSV,
    ssl.SSL_ENABLE_SERVER_DHE,
    ssl.SSL_ENABLE_EXTENDED_MASTER_SECRET,
    ssl.SSL_ENABLE_SIGNED_CERT_TIMESTAMPS,
    ssl.SSL_REQUIRE_DH_NAMED_GROUPS,
    ssl.SSL_ENABLE_0RTT_DATA,
    ssl.SSL_RECORD_SIZE_LIMIT,
    ssl.SSL_ENABLE_TLS13_COMPAT_MODE,
    ssl.SSL_ENABLE_DTLS_SHORT_HEADER,
    ssl.SSL_ENABLE_HELLO_DOWNGRADE_CHECK,
    ssl.SSL_ENABLE_V2_COMPATIBLE_HELLO,
    ssl.SSL_ENABLE_POST_HANDSHAKE_AUTH,
    ssl.SSL_ENABLE_DELEGATED_CREDENTIALS,
    ssl.SSL_SUPPRESS_END_OF_EARLY_DATA,
  ].filter((o) => o > 0),
);

function optionValue(option: number, value: unknown): number {
  const allowed = ENUM_OPTIONS.get(option);
  if (option === ssl.SSL_RECORD_SIZE_LIMIT) {
    checkInteger(value, 'value', 64, 16385);
    return value;
  }
  if (allowed) {
    const n = typeof value === 'boolean' ? Number(value) : value;
    checkInteger(n, 'value');
    if (!allowed.includes(n))
      throw argValueError(`The "value" argument must be one of ${allowed.join(', ')} for option ${option}`);
    return n;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === 0 || value === 1) return value;
  throw argValueError(
    `The "value" argument must be a boolean (or 0/1) for option ${option}. Received ${String(value)}`,
  );
}

/** ALPN wire format in the order NSS needs: it sends the first protocol it is given last. */
function alpnWire(protocols: string[]): Buffer {
  const ordered =
    protocols.length > 1 ? [protocols[protocols.length - 1] as string, ...protocols.slice(0, -1)] : protocols;
  return Buffer.concat(
    ordered.map((p) => {
      const bytes = Buffer.from(p, 'utf8');
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    }),
  );
}

const GROUP_NAMES: Record<number, string> = {
  [c.ssl_grp_ec_secp256r1]: 'P-256 (secp256r1)',
  [c.ssl_grp_ec_secp384r1]: 'P-384 (secp384r1)',
  [c.ssl_grp_ec_secp521r1]: 'P-521 (secp521r1)',
  [c.ssl_grp_ec_curve25519]: 'X25519',
  [c.ssl_grp_ffdhe_2048]: 'ffdhe2048',
  [c.ssl_grp_ffdhe_3072]: 'ffdhe3072',
  [c.ssl_grp_ffdhe_4096]: 'ffdhe4096',
  [c.ssl_grp_ffdhe_6144]: 'ffdhe6144',
  [c.ssl_grp_ffdhe_8192]: 'ffdhe8192',
};

/** @internal A key-exchange group's name (`'X25519'`, `'P-256 (secp256r1)'`), or its code point in hex. */
export function groupName(group: number): string {
  return GROUP_NAMES[group] ?? hex(group);
}

/**
 * @internal The group of a name as the command line and node:tls's `ecdhCurve` take it (`X25519`, `P-256`,
 * `secp384r1`, OpenSSL's `prime256v1`, `ffdhe2048`).
 */
export function groupByName(name: string): number | undefined {
  const wanted = name.toLowerCase();
  if (wanted === 'prime256v1') return c.ssl_grp_ec_secp256r1;
  for (const [code, label] of Object.entries(GROUP_NAMES)) {
    const names = label.toLowerCase().replace(/[()]/g, '').split(' ');
    if (names.includes(wanted)) return Number(code);
  }
  return undefined;
}

/**
 * @internal node:tls's `ecdhCurve` (`'P-384:X25519'`, OpenSSL's names too) as groups in that order, or
 * undefined for `'auto'` (NSS's defaults). A name NSS does not implement (X448, brainpool) is a RangeError.
 */
export function ecdhCurveGroups(value: unknown, name: string): number[] | undefined {
  if (typeof value !== 'string') throw argTypeError(`The "${name}" option must be a string`);
  if (value.toLowerCase() === 'auto') return undefined;
  const groups = value.split(':').map((entry) => {
    const group = groupByName(entry.trim());
    if (group === undefined)
      throw argValueError(`The "${name}" option names a group NSS does not implement: '${entry}'`);
    return group;
  });
  return [...new Set(groups)];
}

// OpenSSL's legacy sigalgs names: the hash per key type (ECDSA+SHA256 is the P-256 scheme in TLS 1.3).
const LEGACY_SIGALGS: Record<string, number> = {
  'rsa+sha1': c.ssl_sig_rsa_pkcs1_sha1,
  'rsa+sha256': c.ssl_sig_rsa_pkcs1_sha256,
  'rsa+sha384': c.ssl_sig_rsa_pkcs1_sha384,
  'rsa+sha512': c.ssl_sig_rsa_pkcs1_sha512,
  'rsa-pss+sha256': c.ssl_sig_rsa_pss_rsae_sha256,
  'rsa-pss+sha384': c.ssl_sig_rsa_pss_rsae_sha384,
  'rsa-pss+sha512': c.ssl_sig_rsa_pss_rsae_sha512,
  'pss+sha256': c.ssl_sig_rsa_pss_rsae_sha256,
  'pss+sha384': c.ssl_sig_rsa_pss_rsae_sha384,
  'pss+sha512': c.ssl_sig_rsa_pss_rsae_sha512,
  'ecdsa+sha1': c.ssl_sig_ecdsa_sha1,
  'ecdsa+sha256': c.ssl_sig_ecdsa_secp256r1_sha256,
  'ecdsa+sha384': c.ssl_sig_ecdsa_secp384r1_sha384,
  'ecdsa+sha512': c.ssl_sig_ecdsa_secp521r1_sha512,
};

/**
 * @internal node:tls's `sigalgs` (`'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256'`, TLS 1.3 names as NSS's
 * `ssl_sig_*` constants spell them, or OpenSSL's `RSA-PSS+SHA256` forms) as signature schemes, in order. A
 * name NSS does not know is a RangeError.
 */
export function sigalgsSchemes(value: unknown, name: string): number[] {
  if (typeof value !== 'string') throw argTypeError(`The "${name}" option must be a string`);
  const schemes = value.split(':').map((entry) => {
    const wanted = entry.trim().toLowerCase();
    const scheme = LEGACY_SIGALGS[wanted] ?? (c as Record<string, unknown>)[`ssl_sig_${wanted}`];
    if (typeof scheme !== 'number' || !KNOWN_SIGNATURE_SCHEMES.includes(scheme))
      throw argValueError(`The "${name}" option names a signature scheme NSS does not know: '${entry}'`);
    return scheme;
  });
  return [...new Set(schemes)];
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

function suiteName(suite: number): string {
  try {
    return `${binding.cipherSuiteInfo(suite).cipherSuiteName} (${hex(suite)})`;
  } catch {
    return hex(suite);
  }
}

/** Checks a list argument of known numeric code points. */
function checkCodeList(value: unknown, name: string, known: readonly number[], what: string): number[] {
  if (!Array.isArray(value)) throw argTypeError(`The "${name}" argument must be an array of integers`);
  if (value.length === 0) throw argValueError(`The "${name}" argument must not be empty`);
  value.forEach((v: unknown, i) => {
    checkInteger(v, `${name}[${i}]`, 0, 0xffff);
    if (!known.includes(v))
      throw argValueError(`The "${name}[${i}]" argument is not a ${what} NSS supports: ${hex(v)}`);
  });
  return [...(value as number[])];
}

/**
 * The configuration surface {@link SSLSocket} and {@link SSLServer} share: NSS's options, protocol versions,
 * cipher suites, groups, signature schemes, trust, revocation, callbacks and ALPN. `Callbacks` are the types
 * of the callbacks that receive a socket (an SSLSocket: a server's accepted sockets too).
 */
export interface SSLConfiguration<Callbacks extends SocketCallbackTypes> {
  /** @internal */
  get engine(): NativeSSLEngine;
  /** @internal */
  callbacks: SSLCallbacks<Callbacks>;
  /** @internal */
  pinArgs: unknown[];
  /** @internal */
  certDB: CertDB | undefined;
  /** @internal */
  alpnProtocols: string[];
  /** @internal */
  sniCallback: SNICallback | undefined;
  /** @internal */
  alpnCallback: ALPNCallback | undefined;
  /** @internal The groups given to SSL_NamedGroupConfig (NSS has no getter), or undefined for NSS's defaults. */
  namedGroups: number[] | undefined;
  /** @internal The CAs trusted instead of the database's ({@link setTrustAnchors}). */
  trustAnchors: TrustAnchors | undefined;
  /** @internal The mode given to {@link setRevocationMode}; undefined: the process default. */
  revocationMode: RevocationMode | undefined;
  /** @internal Whether the FIPS TLS profile was applied to this socket (its checks are on). */
  fipsProfile: boolean;
  /**
   * Server side: how many renegotiations (TLS 1.2 and below) a client may start within
   * {@link renegotiationWindow} ms — default `0`, none (as OpenSSL 3 and nginx; testssl.sh flags any other
   * number as a DoS risk); `3` is node:tls's limit, `Infinity` allows any number. The next one fails the
   * connection with `SSL_ERROR_RENEGOTIATION_NOT_ALLOWED`. Renegotiations the server asks for
   * ({@link SSLSocket.rehandshake}) do not count. Read when a connection's first handshake completes (a
   * server's accepted sockets take the server's values).
   */
  get renegotiationLimit(): number;
  set renegotiationLimit(limit: number);
  /**
   * The window of {@link renegotiationLimit} in milliseconds, counted from the last renegotiation (default
   * 600,000; from 1 to 2^31 - 1, the longest a Node timer keeps, else a RangeError).
   */
  get renegotiationWindow(): number;
  set renegotiationWindow(ms: number);
  /**
   * Sets an `SSL_*` option (`setSSLOption(SSL_REQUEST_CERTIFICATE, true)`). Unknown options and bad values
   * are RangeErrors.
   */
  setSSLOption(option: number, value: boolean | number): void;
  /** An `SSL_*` option's value (booleans as 0 or 1). */
  getSSLOption(option: number): number;
  /** Allowed protocol versions: `'tls1.2'`, `'tls1.3'` or `SSL_LIBRARY_VERSION_*` values. */
  setSSLVersionRange(min: string | number, max: string | number): void;
  /** The allowed protocol versions, as `['tls1.2', 'tls1.3']`. */
  getSSLVersionRange(): [string, string];
  /** Enables or disables one cipher suite (a `TLS_*` constant) on this socket or server. */
  setCipherPref(suite: number, enabled: boolean): void;
  /** Whether a cipher suite is enabled here. */
  getCipherPref(suite: number): boolean;
  /**
   * The key-exchange groups to offer and accept, most preferred first (`SSL_NamedGroupConfig`), from the
   * `ssl_grp_*` constants: `[ssl_grp_ec_secp256r1, ssl_grp_ec_secp384r1]`. Groups left out are disabled.
   * In FIPS mode only P-256/P-384/P-521 and FFDHE are allowed.
   */
  setNamedGroups(groups: number[]): void;
  /** The enabled key-exchange groups in preference order (NSS's defaults until {@link setNamedGroups}). */
  getNamedGroups(): number[];
  /**
   * The signature schemes to offer and accept, most preferred first (`SSL_SignatureSchemePrefSet`), from the
   * `ssl_sig_*` constants. In FIPS mode SHA-1, DSA and EdDSA schemes are refused.
   */
  setSignatureSchemes(schemes: number[]): void;
  /** The enabled signature schemes in preference order (`SSL_SignatureSchemePrefGet`). */
  getSignatureSchemes(): number[];
  /** @internal Narrows this socket to the FIPS TLS profile when NSS is in FIPS mode and it is not yet. */
  enforceFIPSProfile(): void;
  /** The certificate database used for verification (there is one per process: the default). */
  setCertificateDB(db: CertDB): void;
  /**
   * Verify the peer against these CA certificates only, instead of the database's trust (node:tls's
   * `ca`): a chain that ends in one of them is trusted, one that ends in a root the database trusts is not.
   * The certificates need no trust of their own, nor to be in the database (`Certificate.fromPEM`), and
   * are trusted for this socket (or this server's connections) alone. `null` returns to the database's
   * trust. With `options.keepDatabaseTrust` the anchors are trusted beside the database's roots rather than
   * instead of them (what node does with `NODE_EXTRA_CA_CERTS`). Sessions are only resumed under the same
   * anchors. A self-signed certificate among them also pins that peer, as node:tls does: a peer that sends
   * exactly that certificate is trusted while it is valid and its (extended) key usage allows the use.
   *
   * @example
   * ```ts
   * sock.setTrustAnchors([nss.Certificate.fromPEM(fs.readFileSync('ca.pem', 'utf8'))]);
   * ```
   */
  setTrustAnchors(certs: Certificate[] | null, options?: TrustAnchorOptions): void;
  /** The certificates given to {@link setTrustAnchors}, or `null` when the database's trust applies. */
  getTrustAnchors(): Certificate[] | null;
  /**
   * How NSS's default check of the peer's certificate checks revocation on this socket (a server: on its
   * connections): `'off'`, `'soft'` or `'hard'` (see `setDefaultRevocationMode`); `null` returns to
   * the process default. A client asks OCSP off the JavaScript thread; a server asks inside the handshake.
   * Sessions are only resumed under the same mode. Callbacks decide for themselves: with an auth-certificate
   * callback this setting is not used.
   *
   * @example
   * ```ts
   * const sock = new nss.SSLSocket();
   * sock.setRevocationMode('hard'); // a revoked, or unanswered, server certificate fails the handshake
   * ```
   */
  setRevocationMode(mode: RevocationMode | null): void;
  /** The mode this socket's checks use: its own ({@link setRevocationMode}), or the process default. */
  getRevocationMode(): RevocationMode;
  /** Arguments handed to the password callback when this socket's key needs a login. */
  setPKCS11PinArg(...args: unknown[]): void;
  /** The arguments given to {@link setPKCS11PinArg}. */
  getPKCS11PinArg(): unknown[];
  /**
   * The auth-certificate callback, as python-nss's: `(sock, checkSig, isServer, ...userData)` returns (or
   * resolves to) `true` to accept the peer's certificate. `null` returns to NSS's own check.
   */
  setAuthCertificateCallback(cb: Callbacks['auth'] | null, ...userData: unknown[]): void;
  /**
   * The bad-certificate callback: `(sock, error, ...userData)` returns (or resolves to) `true` to accept a
   * certificate that failed verification (`error` says why).
   */
  setBadCertCallback(cb: Callbacks['badCert'] | null, ...userData: unknown[]): void;
  /** The client-auth-data callback: chooses the client certificate and key when the server asks for one. */
  setClientAuthDataCallback(cb: ClientAuthDataCallback | null, ...userData: unknown[]): void;
  /** The handshake callback: called after every completed handshake, with the socket. */
  setHandshakeCallback(cb: Callbacks['handshake'] | null, ...userData: unknown[]): void;
  /** ALPN protocols, most preferred first (`['h2', 'http/1.1']`). */
  setALPNProtocols(list: string[]): void;
  /** @internal Tells the engine which NSS hooks need JavaScript. */
  applyHandlers(): void;
}

/** The class {@link SSLConfigurable} makes of `TBase`: its statics, and instances with {@link SSLConfiguration}. */
export type SSLConfigurableClass<
  TBase extends abstract new (...args: never[]) => object,
  Callbacks extends SocketCallbackTypes,
> = Pick<TBase, keyof TBase> &
  (abstract new (...args: ConstructorParameters<TBase>) => InstanceType<TBase> & SSLConfiguration<Callbacks>);

// TypeScript's mixin pattern requires a constructor type with `any[]` arguments (the published type is
// SSLConfigurableClass, which has none).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor<T = object> = new (...args: any[]) => T;

/**
 * @internal Adds the shared configuration surface ({@link SSLConfiguration}) to `Base`; the class supplies
 * `engine` and `applyHandlers`.
 */
export function SSLConfigurable<Callbacks extends SocketCallbackTypes, TBase extends Constructor>(
  Base: TBase,
): SSLConfigurableClass<TBase, Callbacks> {
  abstract class Configurable extends Base implements SSLConfiguration<Callbacks> {
    abstract get engine(): NativeSSLEngine;
    callbacks: SSLCallbacks<Callbacks> = {};
    pinArgs: unknown[] = [];
    certDB: CertDB | undefined;
    alpnProtocols: string[] = [];
    sniCallback: SNICallback | undefined;
    alpnCallback: ALPNCallback | undefined;
    namedGroups: number[] | undefined;
    trustAnchors: TrustAnchors | undefined;
    revocationMode: RevocationMode | undefined;
    fipsProfile = false;
    #renegotiationLimit = DEFAULT_TLS_PROFILE.renegotiationLimit;
    #renegotiationWindow = DEFAULT_TLS_PROFILE.renegotiationWindow;

    get renegotiationLimit(): number {
      return this.#renegotiationLimit;
    }

    set renegotiationLimit(limit: number) {
      if (limit !== Infinity) checkInteger(limit, 'renegotiationLimit', 0);
      this.#renegotiationLimit = limit;
    }

    get renegotiationWindow(): number {
      return this.#renegotiationWindow;
    }

    set renegotiationWindow(ms: number) {
      checkDelay(ms, 'renegotiationWindow', 1);
      this.#renegotiationWindow = ms;
    }

    setSSLOption(option: number, value: boolean | number): void {
      checkInteger(option, 'option');
      if (!OPTIONS.has(option))
        throw argValueError(`The "option" argument is not an SSL option NSS knows: ${option}`);
      const v = optionValue(option, value);
      if (this.fipsProfile && option === ssl.SSL_REQUIRE_DH_NAMED_GROUPS && v === 0)
        throw fipsProfileError('Diffie-Hellman with groups other than the RFC 7919 ones');
      this.engine.optionSet(option, v);
    }

    getSSLOption(option: number): number {
      checkInteger(option, 'option');
      if (!OPTIONS.has(option))
        throw argValueError(`The "option" argument is not an SSL option NSS knows: ${option}`);
      return this.engine.optionGet(option);
    }

    setSSLVersionRange(min: string | number, max: string | number): void {
      const lo = versionNumber(min, 'min');
      const hi = versionNumber(max, 'max');
      if (lo > hi) throw argValueError(`The "min" version must not be above "max"`);
      if (this.fipsProfile && lo < ssl.SSL_LIBRARY_VERSION_TLS_1_2)
        throw fipsProfileError(`TLS version ${versionName(lo)}`);
      this.engine.versionRangeSet(lo, hi);
    }

    getSSLVersionRange(): [string, string] {
      const [lo, hi] = this.engine.versionRangeGet();
      return [versionName(lo), versionName(hi)];
    }

    setCipherPref(suite: number, enabled: boolean): void {
      checkInteger(suite, 'suite', 0, 0xffff);
      if (typeof enabled !== 'boolean') throw argTypeError('The "enabled" argument must be of type boolean');
      if (!binding.implementedCiphers().includes(suite))
        throw argValueError(`NSS does not implement cipher suite 0x${suite.toString(16)}`);
      if (enabled && this.fipsProfile && !FIPS_TLS_PROFILE.cipherSuites.includes(suite))
        throw fipsProfileError(`cipher suite ${suiteName(suite)}`);
      this.engine.cipherPrefSet(suite, enabled);
    }

    getCipherPref(suite: number): boolean {
      checkInteger(suite, 'suite', 0, 0xffff);
      return this.engine.cipherPrefGet(suite);
    }

    setNamedGroups(groups: number[]): void {
      const list = checkCodeList(groups, 'groups', KNOWN_GROUPS, 'key-exchange group');
      if (this.fipsProfile) {
        const outside = list.find((g) => !FIPS_TLS_PROFILE.namedGroups.includes(g));
        if (outside !== undefined)
          throw fipsProfileError(`key-exchange group ${GROUP_NAMES[outside] ?? hex(outside)}`);
      }
      this.engine.namedGroupConfig(list);
      this.namedGroups = list;
    }

    getNamedGroups(): number[] {
      return [...(this.namedGroups ?? KNOWN_GROUPS)];
    }

    setSignatureSchemes(schemes: number[]): void {
      const list = checkCodeList(schemes, 'schemes', KNOWN_SIGNATURE_SCHEMES, 'signature scheme');
      if (this.fipsProfile) {
        const outside = list.find((s) => !FIPS_TLS_PROFILE.signatureSchemes.includes(s));
        if (outside !== undefined) throw fipsProfileError(`signature scheme ${hex(outside)}`);
      }
      this.engine.signatureSchemePrefSet(list);
    }

    getSignatureSchemes(): number[] {
      return this.engine.signatureSchemePrefGet();
    }

    enforceFIPSProfile(): void {
      if (!this.fipsProfile && fipsModeOn()) applyFIPSProfile(this.engine, this);
    }

    setCertificateDB(db: CertDB): void {
      checkInstance(db, CertDB, 'db');
      this.certDB = db;
    }

    setTrustAnchors(certs: Certificate[] | null, options: TrustAnchorOptions = {}): void {
      checkObject(options, 'options');
      const { keepDatabaseTrust = false } = options;
      checkBoolean(keepDatabaseTrust, 'options.keepDatabaseTrust');
      this.trustAnchors = certs === null ? undefined : new TrustAnchors(certs, keepDatabaseTrust);
      this.applyHandlers();
    }

    getTrustAnchors(): Certificate[] | null {
      return this.trustAnchors ? [...this.trustAnchors.certificates] : null;
    }

    setRevocationMode(mode: RevocationMode | null): void {
      if (mode !== null) checkRevocationMode(mode, 'mode');
      this.revocationMode = mode ?? undefined;
      this.applyHandlers();
    }

    getRevocationMode(): RevocationMode {
      return this.revocationMode ?? getDefaultRevocationMode();
    }

    setPKCS11PinArg(...args: unknown[]): void {
      this.pinArgs = args;
      this.engine.setPinArgs(args);
    }

    getPKCS11PinArg(): unknown[] {
      return [...this.pinArgs];
    }

    setAuthCertificateCallback(cb: Callbacks['auth'] | null, ...userData: unknown[]): void {
      this.callbacks.auth = this.#register(cb, userData);
      this.applyHandlers();
    }

    setBadCertCallback(cb: Callbacks['badCert'] | null, ...userData: unknown[]): void {
      this.callbacks.badCert = this.#register(cb, userData);
      this.applyHandlers();
    }

    setClientAuthDataCallback(cb: ClientAuthDataCallback | null, ...userData: unknown[]): void {
      this.callbacks.clientAuth = this.#register(cb, userData);
      this.applyHandlers();
    }

    setHandshakeCallback(cb: Callbacks['handshake'] | null, ...userData: unknown[]): void {
      this.callbacks.handshake = this.#register(cb, userData);
    }

    setALPNProtocols(list: string[]): void {
      checkStringArray(list, 'list');
      list.forEach((p, i) => {
        if (p.length === 0 || Buffer.byteLength(p) > 255)
          throw argValueError(`The "list[${i}]" protocol must be 1 to 255 bytes`);
      });
      this.alpnProtocols = [...list];
      this.engine.setALPN(alpnWire(list));
    }

    abstract applyHandlers(): void;

    #register<F>(cb: F | null, userData: unknown[]): Registered<F> | undefined {
      if (cb === null) return undefined;
      checkFunction(cb, 'cb');
      return { fn: cb, userData };
    }
  }
  // The class is the base's instances with the surface added: what the published type says.
  return Configurable as unknown as SSLConfigurableClass<TBase, Callbacks>;
}
