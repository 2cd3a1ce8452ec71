import { createHash, X509Certificate } from 'node:crypto';
import type { NativeCertificate, NativeCertificateInfo } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { CERT_DB } from './brands.js';
import type { CertDB } from './certdb.js';
import {
  certUsageAnyCA,
  errnos,
  secCertTimeExpired,
  secCertTimeNotValidYet,
  secCertTimeValid,
} from '../core/constants.js';
import { NSPRError } from '../core/errors.js';
import { looksLikePEM, pemDecode, pemEncode, pemOrDERList } from './pem.js';
import {
  checkBoolean,
  checkBrand,
  checkBuffer,
  checkDate,
  checkInstance,
  checkInteger,
  checkObject,
  checkString,
  argTypeError,
  argValueError,
} from '../core/validate.js';
import { checkRevocationMode, revocationCode, type RevocationMode } from './revocation-mode.js';

const CERTIFICATE_LABELS = ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'] as const;

/** @internal DER bytes of the first certificate in a PEM text. */
export function pemToDER(pem: string): Buffer {
  const der = pemDecode(pem, CERTIFICATE_LABELS);
  if (!der?.length)
    throw argTypeError(
      'The "pem" argument does not contain a PEM "CERTIFICATE" block',
      'ERR_INVALID_ARG_VALUE',
    );
  return der;
}

/** @internal DER bytes from PEM text or a DER/PEM Buffer. */
export function certificateBytes(data: unknown, name: string): Buffer {
  if (typeof data === 'string') return pemToDER(data);
  checkBuffer(data, name);
  return looksLikePEM(data) ? pemToDER(data.toString('latin1')) : data;
}

/**
 * @internal Every certificate in PEM text (a chain or a bundle), a Buffer of PEM or of one DER certificate,
 * or a Certificate, as DER.
 */
export function certificateListBytes(data: unknown, name: string): Buffer[] {
  if (data instanceof Certificate) return [data.derData];
  return pemOrDERList(data, name, CERTIFICATE_LABELS, 'CERTIFICATE');
}

function hexFingerprint(der: Buffer, algorithm: string): string {
  return createHash(algorithm).update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

/** The integer of a DER serial number in hex, as openssl and `X509Certificate.serialNumber` print it. */
function serialHex(serial: Buffer): string {
  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) start++;
  return serial.subarray(start).toString('hex').toUpperCase();
}

function timeArg(at: Date | undefined): number | undefined {
  if (at === undefined) return undefined;
  checkDate(at, 'at');
  return at.getTime();
}

/** One entry of a verification log: which certificate of the chain failed, and why. */
export interface CertVerifyLogEntry {
  cert: Certificate;
  depth: number;
  error: NSPRError;
}

/**
 * Certificate verification failed. `usages` is the bitmap of usages that did verify
 * (`certificateUsage*`), `log` every problem NSS found along the chain.
 * @example
 * ```ts
 * try {
 *   cert.verifyNow(db, true, certificateUsageSSLServer);
 * } catch (err) {
 *   if (!(err instanceof CertVerifyError)) throw err;
 *   console.log(err.code); // 'SEC_ERROR_UNKNOWN_ISSUER', …
 *   for (const entry of err.log) console.log(entry.depth, entry.cert.subject, entry.error.code);
 * }
 * ```
 */
export class CertVerifyError extends NSPRError {
  readonly usages: number;
  readonly log: CertVerifyLogEntry[];

  constructor(errno: number, usages: number, log: CertVerifyLogEntry[]) {
    checkInteger(usages, 'usages', 0, 0xffffffff);
    if (!Array.isArray(log)) throw argTypeError('The "log" argument must be an array');
    super(errno);
    this.usages = usages;
    this.log = log;
  }

  override get name(): string {
    return 'CertVerifyError';
  }
}

/**
 * An X.509 certificate held by NSS: an immutable snapshot of its fields plus the NSS handle that the
 * verification, trust and TLS functions use. Certificates come from a {@link CertDB}, from a TLS peer,
 * or from {@link Certificate.fromDER} / {@link Certificate.fromPEM} (temporary: not stored in the database).
 * @example
 * ```ts
 * const cert = Certificate.fromPEM(fs.readFileSync('server.pem', 'latin1'));
 * console.log(cert.subject, cert.subjectAltNames, cert.validNotAfter);
 * cert.verifyNow(getDefaultCertDB(), true, certificateUsageSSLServer); // throws CertVerifyError
 * console.log(cert.verifyHostname('www.example.com'));
 * ```
 */
export class Certificate {
  readonly #native: NativeCertificate;
  #info: NativeCertificateInfo | undefined;

  /** @internal */
  constructor(native: NativeCertificate) {
    if (!(native instanceof binding.NativeCertificate)) {
      throw argTypeError(
        'Certificates come from CertDB, Certificate.fromDER() or Certificate.fromPEM()',
        'ERR_ILLEGAL_CONSTRUCTOR',
      );
    }
    this.#native = native;
  }

  /** A temporary certificate from DER bytes (python-nss's `Certificate(der)`); not stored in the database. */
  static fromDER(der: Buffer): Certificate {
    checkBuffer(der, 'der');
    return new Certificate(binding.certFromDER(der));
  }

  /** A temporary certificate from the first `CERTIFICATE` block of a PEM text. */
  static fromPEM(pem: string): Certificate {
    checkString(pem, 'pem');
    return new Certificate(binding.certFromDER(pemToDER(pem)));
  }

  /** @internal */
  get native(): NativeCertificate {
    this.#native.assertLive();
    return this.#native;
  }

  #snapshot(): NativeCertificateInfo {
    if (this.#info === undefined) {
      this.#info = this.#native.info();
    } else {
      this.#native.assertLive();
    }
    return this.#info;
  }

  /** Subject distinguished name, RFC 4514 style (`CN=localhost,O=Example`). */
  get subject(): string {
    return this.#snapshot().subject;
  }
  /** Issuer distinguished name. */
  get issuer(): string {
    return this.#snapshot().issuer;
  }
  /** The subject's common name, or `null`. */
  get subjectCommonName(): string | null {
    return this.#snapshot().subjectCommonName;
  }
  /** Serial number in upper-case hex (`'0A1B'`), as `openssl x509 -serial` prints it. */
  get serialNumber(): string {
    return serialHex(this.#snapshot().serial);
  }
  /** X.509 version (3 for v3 certificates). */
  get version(): number {
    return this.#snapshot().version;
  }
  get validNotBefore(): Date {
    return new Date(this.#snapshot().notBefore);
  }
  get validNotAfter(): Date {
    return new Date(this.#snapshot().notAfter);
  }
  /** The certificate's nickname in the database, or `null` for a certificate that has none. */
  get nickname(): string | null {
    return this.native.nickname();
  }
  /** DER encoding. */
  get derData(): Buffer {
    return Buffer.from(this.#snapshot().der);
  }
  /** Subject alternative names: `'DNS:example.com'`, `'IP:127.0.0.1'`, `'email:a@b'`, `'URI:…'`. */
  get subjectAltNames(): string[] {
    return [...this.#snapshot().subjectAltNames];
  }
  /** Key usage bits (`KU_*`), or `null` when the certificate has no key usage extension. */
  get keyUsage(): number | null {
    return this.#snapshot().keyUsage;
  }
  /** Extended key usage OIDs (`'1.3.6.1.5.5.7.3.1'` = serverAuth), or `null` when absent. */
  get extKeyUsage(): string[] | null {
    const eku = this.#snapshot().extKeyUsage;
    return eku ? [...eku] : null;
  }
  /** Whether NSS considers this a CA certificate. */
  get isCA(): boolean {
    return this.#snapshot().isCA;
  }
  /** SHA-256 fingerprint, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`). */
  get fingerprint256(): string {
    return hexFingerprint(this.#snapshot().der, 'sha256');
  }
  /** SHA-1 fingerprint, colon-separated upper-case hex. */
  get fingerprint(): string {
    return hexFingerprint(this.#snapshot().der, 'sha1');
  }
  /** `'rsa'`, `'ec'`, `'rsa-pss'`, `'dsa'`, … */
  get publicKeyType(): string {
    return this.#snapshot().publicKeyType;
  }
  /** Public key strength in bits (RSA modulus size, EC field size). */
  get publicKeyBits(): number {
    return this.#snapshot().publicKeyBits;
  }

  /**
   * Checks the validity period at `at` (default now), as python-nss does: `0` when valid, otherwise the NSS
   * error number — `SEC_ERROR_EXPIRED_CERTIFICATE` when expired, `SEC_ERROR_CERT_NOT_VALID` when not yet
   * valid, `SEC_ERROR_INVALID_TIME` when the dates cannot be decoded.
   */
  checkValidTimes(at?: Date): number {
    const result = this.native.checkValidTimes(timeArg(at));
    if (result === secCertTimeValid) return 0;
    if (result === secCertTimeExpired) return errnos.SEC_ERROR_EXPIRED_CERTIFICATE;
    if (result === secCertTimeNotValidYet) return errnos.SEC_ERROR_CERT_NOT_VALID;
    return errnos.SEC_ERROR_INVALID_TIME;
  }

  /**
   * Verifies the certificate now for `requiredUsages` (`certificateUsage*` bits; `0` checks every usage)
   * and returns the bitmap of usages it is valid for. Throws {@link CertVerifyError} (with `.usages` and
   * `.log`) when a required usage does not verify. `pinArgs` reach the password callback.
   */
  verifyNow(certdb: CertDB, checkSig: boolean, requiredUsages: number, ...pinArgs: unknown[]): number {
    return this.#verify(certdb, checkSig, requiredUsages, undefined, pinArgs);
  }

  /** As {@link verifyNow}, at the time `at`. */
  verify(certdb: CertDB, checkSig: boolean, requiredUsages: number, at: Date, ...pinArgs: unknown[]): number {
    checkDate(at, 'at');
    return this.#verify(certdb, checkSig, requiredUsages, at, pinArgs);
  }

  #verify(
    certdb: CertDB,
    checkSig: boolean,
    requiredUsages: number,
    at: Date | undefined,
    pinArgs: unknown[],
  ) {
    checkBrand(certdb, CERT_DB, 'CertDB', 'certdb');
    checkBoolean(checkSig, 'checkSig');
    checkInteger(requiredUsages, 'requiredUsages', 0, 0xffff);
    const result = this.native.verify(checkSig, requiredUsages, timeArg(at), pinArgs);
    if (result.ok) return result.usages;
    const log = result.log.map((entry) => ({
      cert: new Certificate(entry.cert),
      depth: entry.depth,
      error: new NSPRError(entry.error),
    }));
    // The log names the real problem; the thread's error after CERT_VerifyCertificate can be a leftover
    // (for an expired certificate it is SEC_ERROR_EXTENSION_NOT_FOUND).
    const errno = log[0]?.error.errno ?? result.error;
    throw new CertVerifyError(errno, result.usages, log);
  }

  /**
   * Verifies the certificate for one usage (a `certificateUsage*` bit such as `certificateUsageSSLServer`)
   * with NSS's PKIX verifier, off the JavaScript thread, checking revocation by `opts.revocation` (default
   * `'off'`: CRLs NSS holds; `'soft'`/`'hard'` also ask OCSP for this certificate, see
   * {@link setDefaultRevocationMode}). With `opts.trustAnchors` the chain must end in one of them instead of a
   * root the database trusts (or in either, with `opts.keepDatabaseTrust: true`). Resolves when it verifies;
   * rejects with {@link CertVerifyError} (its `errno` the NSS reason, such as `SEC_ERROR_REVOKED_CERTIFICATE`)
   * when it does not.
   *
   * @example
   * ```ts
   * await cert.verifyAsync(nss.getDefaultCertDB(), nss.certificateUsageSSLServer, { revocation: 'hard' });
   * ```
   */
  async verifyAsync(
    certdb: CertDB,
    usage: number,
    opts: {
      at?: Date;
      revocation?: RevocationMode;
      trustAnchors?: Certificate[];
      keepDatabaseTrust?: boolean;
    } = {},
  ): Promise<void> {
    checkBrand(certdb, CERT_DB, 'CertDB', 'certdb');
    checkInteger(usage, 'usage', 1, 0xffff);
    if ((usage & (usage - 1)) !== 0)
      throw argValueError('The "usage" argument must be a single certificateUsage bit');
    checkObject(opts, 'opts');
    if (opts.at !== undefined) checkDate(opts.at, 'opts.at');
    const mode = opts.revocation === undefined ? 'off' : opts.revocation;
    checkRevocationMode(mode, 'opts.revocation');
    if (opts.keepDatabaseTrust !== undefined) checkBoolean(opts.keepDatabaseTrust, 'opts.keepDatabaseTrust');
    let anchors = null;
    if (opts.trustAnchors !== undefined) {
      if (!Array.isArray(opts.trustAnchors))
        throw argTypeError('The "opts.trustAnchors" option must be an array of Certificates');
      anchors = opts.trustAnchors.map((anchor, i) => {
        checkInstance(anchor, Certificate, `opts.trustAnchors[${i}]`);
        return anchor.native;
      });
    }
    const errno = await this.native.verifyPKIXAsync(
      usage,
      timeArg(opts.at),
      anchors,
      revocationCode(mode),
      [],
      [],
      opts.keepDatabaseTrust !== true,
    );
    if (errno !== 0) throw new CertVerifyError(errno, 0, []);
  }

  /** Whether `hostname` matches the certificate (`CERT_VerifyCertName`: SANs, wildcards, IP SANs). */
  verifyHostname(hostname: string): boolean {
    checkString(hostname, 'hostname');
    return this.native.verifyHostname(hostname);
  }

  /** Whether this certificate or its chain was issued by one of `caNames` (DER names a server sent). */
  hasSignerInCaNames(caNames: Buffer[]): boolean {
    if (!Array.isArray(caNames)) throw argTypeError('The "caNames" argument must be an array of Buffers');
    caNames.forEach((name, i) => checkBuffer(name, `caNames[${i}]`));
    return this.native.hasSignerInCaNames(caNames);
  }

  /** The chain NSS builds from this certificate up to a root it knows, leaf first. */
  getChain(certdb: CertDB): Certificate[] {
    checkBrand(certdb, CERT_DB, 'CertDB', 'certdb');
    return this.native.getChain(certUsageAnyCA, undefined).map((native) => new Certificate(native));
  }

  /** PEM encoding. */
  toPEM(): string {
    return pemEncode(this.#snapshot().der, 'CERTIFICATE');
  }

  /** The same certificate as Node's `crypto.X509Certificate`. */
  toX509Certificate(): X509Certificate {
    return new X509Certificate(this.#snapshot().der);
  }

  /** Whether both objects hold the same certificate (same DER). */
  equals(other: Certificate): boolean {
    checkInstance(other, Certificate, 'other');
    return this.#snapshot().der.equals(other.#snapshot().der);
  }

  toString(): string {
    return `Certificate(${this.subject})`;
  }
}
