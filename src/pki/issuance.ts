// Issuing keys and certificates with NSS: key pairs on a token, PKCS #10 requests, X.509 v3 certificates.
// The policy lives here (defaults, names, which extensions); NSS encodes and signs (native/nss/cert_*.cc).
import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import type { NativeAltName, NativeExtension } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { Certificate } from './certificate.js';
import * as c from '../core/constants.js';
import { errnos } from '../core/constants.js';
import { NSPRError } from '../core/errors.js';
import { looksLikePEM, pemDecode } from './pem.js';
import { PrivateKey } from './private-key.js';
import { PK11Slot } from './slot.js';
import {
  checkBoolean,
  checkDate,
  checkInstance,
  checkInteger,
  checkNonEmptyString,
  checkObject,
  checkString,
  checkStringArray,
  argTypeError,
  argValueError,
} from '../core/validate.js';

/** Key usage names (RFC 5280 `KeyUsage` bits) accepted by the issuance functions. */
export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign';

/** Extended key usage names; a dotted OID (`'1.3.6.1.5.5.7.3.1'`) is accepted as well. */
export type ExtKeyUsageName =
  'serverAuth' | 'clientAuth' | 'codeSigning' | 'emailProtection' | 'timeStamping' | 'OCSPSigning';

/** Digest for signatures made by {@link createCertificateRequest} and {@link createCertificate}. */
export type SignatureHash = 'sha256' | 'sha384' | 'sha512';

/** Named curves for EC keys. */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

/** Options for {@link generateKeyPair}. */
export interface GenerateKeyPairOptions {
  /** `'rsa'` or `'ec'`. */
  type: 'rsa' | 'ec';
  /** RSA modulus size, 2048 to 8192 (default 2048). RSA only. */
  bits?: number;
  /** Curve of an EC key (default `'P-256'`). EC only. */
  curve?: NamedCurve;
  /** Token to generate the key on (default: the internal key slot, i.e. the NSS database). */
  slot?: PK11Slot;
  /** `true` (default): a token object that stays in the database or on the card; `false`: a session key. */
  permanent?: boolean;
  /**
   * `CKA_EXTRACTABLE`: whether the token may export the key wrapped (PKCS #12 backup with
   * {@link CertDB.exportPKCS12}). Default `true`, as `certutil` makes keys; `false` keeps it on a smart card
   * or HSM for good. NSS's own database token records the attribute but does not enforce it when wrapping
   * (measured with NSS 3.87: PKCS #12 export still succeeds); cards and HSMs do.
   */
  extractable?: boolean;
  /** Label of the key on the token (importing its certificate later sets it to the certificate's nickname). */
  nickname?: string;
  /** Handed to the password callback if the token needs a login. */
  pinArgs?: unknown[];
}

/** What {@link createCertificateRequest} asks for. */
export interface CertificateRequestOptions {
  /** Subject distinguished name, RFC 4514 (`'CN=Smartcard User,O=node-nss'`). */
  subject: string;
  /**
   * Subject alternative names in the syntax {@link Certificate.subjectAltNames} returns:
   * `'DNS:example.com'`, `'IP:127.0.0.1'`, `'IP:::1'`, `'email:a@example.com'`, `'URI:https://example.com/'`.
   */
  subjectAltNames?: readonly string[];
  /** Key usage names ({@link KeyUsageName}); written as a critical extension. */
  keyUsage?: readonly string[];
  /** Extended key usage names ({@link ExtKeyUsageName}) or dotted OIDs. */
  extKeyUsage?: readonly string[];
  /** Signature digest (default `'sha256'`). */
  hash?: SignatureHash;
}

/** What {@link createCertificate} makes. */
export interface CreateCertificateOptions {
  /** Subject distinguished name (RFC 4514). Required unless `publicKeyFrom` is a request, whose subject is used. */
  subject?: string;
  /**
   * The subject's public key: a {@link PrivateKey} (its public half), or a PKCS #10 request (DER or PEM,
   * as a Buffer or PEM text). A request's signature is checked; its subject, subject alternative names,
   * key usage and extended key usage are used unless given here. Other requested extensions are ignored.
   */
  publicKeyFrom: PrivateKey | Buffer | string;
  /** The issuing CA and its key. Omitted: self-signed with the key in `publicKeyFrom`. */
  issuer?: { certificate: Certificate; key: PrivateKey };
  /** Positive serial number (a hex string is read as hex). Default: 16 random bytes from NSS's DRBG. */
  serialNumber?: bigint | number | string;
  /** Start of validity (default: now minus 5 minutes, for clocks that lag). */
  notBefore?: Date;
  /** End of validity (default: `notBefore` plus 365 days). */
  notAfter?: Date;
  /** A CA certificate (basicConstraints CA:TRUE, critical). Default `false`. */
  isCA?: boolean;
  /** For a CA: how many intermediate CAs may follow it. Default: no limit. */
  pathLength?: number;
  /** As in {@link CertificateRequestOptions.subjectAltNames}. */
  subjectAltNames?: readonly string[];
  /**
   * Key usage names, written critical. Default: the request's, else `keyCertSign, cRLSign` for a CA and
   * `digitalSignature` (plus `keyEncipherment` for RSA keys) otherwise. `[]` writes no key usage.
   */
  keyUsage?: readonly string[];
  /** Extended key usage names or dotted OIDs. Default: the request's, else none. */
  extKeyUsage?: readonly string[];
  /** Signature digest (default `'sha256'`). */
  hash?: SignatureHash;
}

const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

const KEY_USAGE_BITS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: c.KU_DIGITAL_SIGNATURE,
  nonRepudiation: c.KU_NON_REPUDIATION,
  keyEncipherment: c.KU_KEY_ENCIPHERMENT,
  dataEncipherment: c.KU_DATA_ENCIPHERMENT,
  keyAgreement: c.KU_KEY_AGREEMENT,
  keyCertSign: c.KU_KEY_CERT_SIGN,
  cRLSign: c.KU_CRL_SIGN,
};

const EXT_KEY_USAGE_OIDS: Readonly<Record<ExtKeyUsageName, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
};

const CURVES: readonly NamedCurve[] = ['P-256', 'P-384', 'P-521'];
const HASHES: readonly SignatureHash[] = ['sha256', 'sha384', 'sha512'];
const REQUEST_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'] as const;
const FIVE_MINUTES = 5 * 60 * 1000;
const YEAR = 365 * 24 * 60 * 60 * 1000;

function has<K extends string>(table: Readonly<Record<K, unknown>>, key: string): key is K {
  return Object.prototype.hasOwnProperty.call(table, key);
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  checkString(value, name);
  if (!(allowed as readonly string[]).includes(value)) {
    throw argValueError(
      `The "${name}" argument must be one of ${allowed.map((a) => `'${a}'`).join(', ')}. Received '${value}'`,
    );
  }
  return value as T;
}

function hashArg(value: unknown, name: string): SignatureHash {
  return value === undefined ? 'sha256' : oneOf(value, name, HASHES);
}

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/** 'DNS:x' | 'IP:a.b.c.d' | 'IP:::1' | 'email:a@b' | 'URI:…' → what NSS encodes. */
function altName(text: string, name: string): NativeAltName {
  const colon = text.indexOf(':');
  const kind = colon > 0 ? text.slice(0, colon).toLowerCase() : '';
  const value = text.slice(colon + 1);
  const bad = (why: string) => argValueError(`The "${name}" argument ${why}. Received '${text}'`);
  switch (kind) {
    case 'dns':
      if (
        !/^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(
          value,
        )
      ) {
        throw bad('is not a DNS name (ASCII; use punycode for international names)');
      }
      return { type: 'dns', value };
    case 'ip':
      if (isIP(value) === 0) throw bad('is not an IPv4 or IPv6 address');
      return { type: 'ip', value };
    case 'email':
      if (!PRINTABLE_ASCII.test(value) || !value.includes('@')) throw bad('is not an ASCII e-mail address');
      return { type: 'email', value };
    case 'uri':
      if (!PRINTABLE_ASCII.test(value) || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value))
        throw bad('is not an ASCII URI');
      return { type: 'uri', value };
    default:
      throw bad("must start with 'DNS:', 'IP:', 'email:' or 'URI:'");
  }
}

function altNamesExtension(value: unknown, name: string): NativeExtension | null {
  checkStringArray(value, name);
  if (value.length === 0) return null;
  const names = value.map((text, i) => altName(text, `${name}[${i}]`));
  return { oid: OID.subjectAltName, critical: false, value: binding.encodeAltNames(names) };
}

function keyUsageBits(value: unknown, name: string): number {
  checkStringArray(value, name);
  let bits = 0;
  value.forEach((usage, i) => {
    if (!has(KEY_USAGE_BITS, usage)) {
      throw argValueError(
        `The "${name}[${i}]" argument must be one of ${Object.keys(KEY_USAGE_BITS).join(', ')}. Received '${usage}'`,
      );
    }
    bits |= KEY_USAGE_BITS[usage];
  });
  return bits;
}

function keyUsageExtension(bits: number): NativeExtension | null {
  return bits === 0 ? null : { oid: OID.keyUsage, critical: true, value: binding.encodeKeyUsage(bits) };
}

function extKeyUsageExtension(value: unknown, name: string): NativeExtension | null {
  checkStringArray(value, name);
  if (value.length === 0) return null;
  const oids = value.map((usage, i) => {
    if (has(EXT_KEY_USAGE_OIDS, usage)) return EXT_KEY_USAGE_OIDS[usage];
    if (/^[0-2](\.(0|[1-9][0-9]*))+$/.test(usage)) return usage;
    throw argValueError(
      `The "${name}[${i}]" argument must be one of ${Object.keys(EXT_KEY_USAGE_OIDS).join(', ')} or a dotted OID. Received '${usage}'`,
    );
  });
  return { oid: OID.extKeyUsage, critical: false, value: binding.encodeExtKeyUsage(oids) };
}

/** The content octets of a positive, minimally encoded DER INTEGER. */
function serialBytes(value: unknown): Buffer {
  const name = 'opts.serialNumber';
  if (value === undefined) {
    const random = binding.generateRandom(16);
    random[0] = (random[0] ?? 0) & 0x7f || 0x01; // positive, and no leading zero octet
    return random;
  }
  let n: bigint;
  if (typeof value === 'bigint') {
    n = value;
  } else if (typeof value === 'number') {
    checkInteger(value, name, 1, Number.MAX_SAFE_INTEGER);
    n = BigInt(value);
  } else if (typeof value === 'string') {
    if (!/^(0x)?[0-9a-f]+$/i.test(value)) {
      throw argValueError(`The "${name}" argument must be a hex string. Received '${value}'`);
    }
    n = BigInt(`0x${value.replace(/^0x/i, '')}`);
  } else {
    throw argTypeError(`The "${name}" argument must be a bigint, a number or a hex string`);
  }
  if (n <= 0n) throw argValueError(`The "${name}" argument must be positive`);
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.alloc(1), bytes]);
  if (bytes.length > 20) throw argValueError(`The "${name}" argument must fit in 20 octets (RFC 5280)`);
  return bytes;
}

function requestBytes(value: Buffer | string): Buffer {
  const name = 'opts.publicKeyFrom';
  const text = typeof value === 'string' ? value : looksLikePEM(value) ? value.toString('latin1') : null;
  if (text === null) return value as Buffer;
  const der = pemDecode(text, REQUEST_LABELS);
  if (!der?.length)
    throw argTypeError(
      `The "${name}" argument does not contain a PEM "CERTIFICATE REQUEST" block`,
      'ERR_INVALID_ARG_VALUE',
    );
  return der;
}

/**
 * Generates a key pair on a token (default: the NSS database) and returns its private key. The private key
 * never leaves the token; only its public half is read (for requests and certificates).
 *
 * The generation runs off the JavaScript thread. If the token needs a login, it happens first, on the
 * JavaScript thread, so that the password callback can answer (`opts.pinArgs` are handed to it).
 * Wrong types throw `TypeError`, values out of range `RangeError`; NSS failures reject with {@link NSPRError}.
 * A `shutdown()` meanwhile waits for the generation and then rejects the promise with `'NSS_SHUT_DOWN'` (a
 * permanent key pair already made stays on the token).
 * @example
 * ```ts
 * const key = await generateKeyPair({ type: 'ec', curve: 'P-256', nickname: 'server' }); // in the database
 * const cardKey = await generateKeyPair({ type: 'rsa', bits: 3072, slot: findSlotByName('My Card')! });
 * ```
 */
export async function generateKeyPair(opts: GenerateKeyPairOptions): Promise<PrivateKey> {
  checkObject(opts, 'opts');
  const type = oneOf(opts.type, 'opts.type', ['rsa', 'ec'] as const);
  let bits = 2048;
  let curve: NamedCurve = 'P-256';
  if (opts.bits !== undefined) {
    if (type !== 'rsa') throw argValueError('The "opts.bits" argument applies to RSA keys only');
    checkInteger(opts.bits, 'opts.bits', 2048, 8192);
    bits = opts.bits;
  }
  if (opts.curve !== undefined) {
    if (type !== 'ec') throw argValueError('The "opts.curve" argument applies to EC keys only');
    curve = oneOf(opts.curve, 'opts.curve', CURVES);
  }
  if (opts.slot !== undefined) checkInstance(opts.slot, PK11Slot, 'opts.slot');
  if (opts.permanent !== undefined) checkBoolean(opts.permanent, 'opts.permanent');
  if (opts.extractable !== undefined) checkBoolean(opts.extractable, 'opts.extractable');
  if (opts.nickname !== undefined) checkNonEmptyString(opts.nickname, 'opts.nickname');
  if (opts.pinArgs !== undefined && !Array.isArray(opts.pinArgs)) {
    throw argTypeError('The "opts.pinArgs" argument must be an array');
  }
  const native = await binding.generateKeyPair(
    {
      type,
      bits,
      curve,
      slot: opts.slot?.native ?? null,
      permanent: opts.permanent ?? true,
      extractable: opts.extractable ?? true,
      nickname: opts.nickname ?? null,
    },
    opts.pinArgs ?? [],
  );
  return new PrivateKey(native);
}

/**
 * A PKCS #10 certificate request (DER) for `key`'s public key, signed by `key`. Subject alternative names,
 * key usage and extended key usage go into the request's extensionRequest attribute. `pemEncode(der,
 * 'CERTIFICATE REQUEST')` gives the PEM form. `pinArgs` reach the password callback if signing needs a login.
 * @example
 * ```ts
 * const key = await generateKeyPair({ type: 'rsa', bits: 2048 });
 * const csr = createCertificateRequest(key, { subject: 'CN=www.example.com', subjectAltNames: ['DNS:www.example.com'] });
 * fs.writeFileSync('www.csr', pemEncode(csr, 'CERTIFICATE REQUEST'));
 * ```
 */
export function createCertificateRequest(
  key: PrivateKey,
  opts: CertificateRequestOptions,
  ...pinArgs: unknown[]
): Buffer {
  checkInstance(key, PrivateKey, 'key');
  checkObject(opts, 'opts');
  checkNonEmptyString(opts.subject, 'opts.subject');
  const hash = hashArg(opts.hash, 'opts.hash');
  const extensions: NativeExtension[] = [];
  const add = (ext: NativeExtension | null) => {
    if (ext) extensions.push(ext);
  };
  if (opts.subjectAltNames !== undefined)
    add(altNamesExtension(opts.subjectAltNames, 'opts.subjectAltNames'));
  if (opts.keyUsage !== undefined) add(keyUsageExtension(keyUsageBits(opts.keyUsage, 'opts.keyUsage')));
  if (opts.extKeyUsage !== undefined) add(extKeyUsageExtension(opts.extKeyUsage, 'opts.extKeyUsage'));
  return binding.createCertificateRequest(
    key.native,
    key.native.publicKeyInfo(),
    opts.subject,
    extensions,
    hash,
    pinArgs,
  );
}

/**
 * Issues an X.509 v3 certificate signed with NSS and returns it as a temporary {@link Certificate} (in
 * memory, not yet in the database: store it with {@link CertDB.importCertificate}, which puts it next to its
 * private key).
 *
 * Written extensions: basicConstraints (critical, `CA:TRUE` for a CA, `CA:FALSE` otherwise), keyUsage
 * (critical), extendedKeyUsage and subjectAltName when there are any, subjectKeyIdentifier (SHA-1 of the
 * public key) and authorityKeyIdentifier (the issuer's subject key identifier).
 *
 * Throws `TypeError`/`RangeError` for bad arguments, {@link NSPRError} `SEC_ERROR_CA_CERT_INVALID` when the
 * issuer certificate is not a CA (or may not sign certificates), `SEC_ERROR_BAD_SIGNATURE` when a request's
 * signature does not verify or the issuer key does not belong to the issuer certificate,
 * `SEC_ERROR_BAD_DER` for a request that does not decode.
 * @example
 * ```ts
 * const caKey = await generateKeyPair({ type: 'ec', nickname: 'My CA' });
 * const ca = createCertificate({ subject: 'CN=My CA', publicKeyFrom: caKey, isCA: true });
 * const cert = createCertificate({ publicKeyFrom: csr, issuer: { certificate: ca, key: caKey } });
 * getDefaultCertDB().importCertificate(cert, { nickname: 'www' });
 * ```
 */
export function createCertificate(opts: CreateCertificateOptions, ...pinArgs: unknown[]): Certificate {
  checkObject(opts, 'opts');
  const from: unknown = opts.publicKeyFrom;
  let spki: Buffer;
  let subject: string | Buffer | undefined;
  let requested: NativeExtension[] = [];
  if (from instanceof PrivateKey) {
    spki = from.native.publicKeyInfo();
  } else if (Buffer.isBuffer(from) || typeof from === 'string') {
    const request = binding.decodeCertificateRequest(requestBytes(from));
    spki = request.spki;
    subject = request.subjectName;
    requested = request.extensions;
  } else {
    throw argTypeError(
      'The "opts.publicKeyFrom" argument must be a PrivateKey or a PKCS #10 request (Buffer or PEM string)',
    );
  }
  if (opts.subject !== undefined || subject === undefined) {
    checkNonEmptyString(opts.subject, 'opts.subject');
    subject = opts.subject;
  }

  let signer: PrivateKey;
  let issuerCert: Certificate | null = null;
  if (opts.issuer !== undefined) {
    checkObject(opts.issuer, 'opts.issuer');
    checkInstance(opts.issuer.certificate, Certificate, 'opts.issuer.certificate');
    checkInstance(opts.issuer.key, PrivateKey, 'opts.issuer.key');
    issuerCert = opts.issuer.certificate;
    signer = opts.issuer.key;
    const usage = issuerCert.keyUsage;
    if (!issuerCert.isCA || (usage !== null && (usage & c.KU_KEY_CERT_SIGN) === 0)) {
      throw new NSPRError(
        errnos.SEC_ERROR_CA_CERT_INVALID,
        undefined,
        `The issuer certificate '${issuerCert.subject}' is not a CA certificate that may sign certificates`,
      );
    }
  } else if (from instanceof PrivateKey) {
    signer = from;
  } else {
    throw argTypeError(
      'The "opts.publicKeyFrom" argument must be a PrivateKey when "opts.issuer" is omitted (a self-signed certificate is signed by its own key)',
    );
  }

  const serial = serialBytes(opts.serialNumber);
  // Absent means the default; null is a wrong value like any other.
  const notBefore = opts.notBefore === undefined ? new Date(Date.now() - FIVE_MINUTES) : opts.notBefore;
  checkDate(notBefore, 'opts.notBefore');
  const notAfter = opts.notAfter === undefined ? new Date(notBefore.getTime() + YEAR) : opts.notAfter;
  checkDate(notAfter, 'opts.notAfter');
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw argValueError('The "opts.notAfter" argument must be later than "opts.notBefore"');
  }
  const isCA = opts.isCA === undefined ? false : opts.isCA;
  checkBoolean(isCA, 'opts.isCA');
  let pathLength = -1;
  if (opts.pathLength !== undefined) {
    if (!isCA) throw argValueError('The "opts.pathLength" argument applies to CA certificates only');
    checkInteger(opts.pathLength, 'opts.pathLength', 0, 2 ** 31 - 1);
    pathLength = opts.pathLength;
  }
  const hash = hashArg(opts.hash, 'opts.hash');
  const fromRequest = (oid: string) => requested.find((ext) => ext.oid === oid) ?? null;

  const extensions: NativeExtension[] = [
    { oid: OID.basicConstraints, critical: isCA, value: binding.encodeBasicConstraints(isCA, pathLength) },
  ];
  const add = (ext: NativeExtension | null) => {
    if (ext) extensions.push(ext);
  };
  if (opts.keyUsage !== undefined) {
    add(keyUsageExtension(keyUsageBits(opts.keyUsage, 'opts.keyUsage')));
  } else {
    const ku = fromRequest(OID.keyUsage);
    if (ku) {
      add({ ...ku, critical: true });
    } else {
      const rsa = createPublicKey({ key: spki, format: 'der', type: 'spki' }).asymmetricKeyType === 'rsa';
      const defaults: KeyUsageName[] = isCA
        ? ['keyCertSign', 'cRLSign']
        : rsa
          ? ['digitalSignature', 'keyEncipherment']
          : ['digitalSignature'];
      add(keyUsageExtension(keyUsageBits(defaults, 'opts.keyUsage')));
    }
  }
  add(
    opts.extKeyUsage !== undefined
      ? extKeyUsageExtension(opts.extKeyUsage, 'opts.extKeyUsage')
      : fromRequest(OID.extKeyUsage),
  );
  add(
    opts.subjectAltNames !== undefined
      ? altNamesExtension(opts.subjectAltNames, 'opts.subjectAltNames')
      : fromRequest(OID.subjectAltName),
  );
  const keyID = binding.keyIdentifier(spki);
  extensions.push({
    oid: OID.subjectKeyIdentifier,
    critical: false,
    value: binding.encodeSubjectKeyID(keyID),
  });
  let authorityKeyID = keyID;
  if (issuerCert) {
    const info = binding.certificateKeyInfo(issuerCert.native);
    authorityKeyID = info.subjectKeyID ?? binding.keyIdentifier(info.spki);
  }
  extensions.push({
    oid: OID.authorityKeyIdentifier,
    critical: false,
    value: binding.encodeAuthorityKeyID(authorityKeyID),
  });

  const native = binding.createCertificate(
    {
      subject,
      spki,
      issuer: issuerCert?.native ?? null,
      key: signer.native,
      serial,
      notBefore: notBefore.getTime(),
      notAfter: notAfter.getTime(),
      extensions,
      hash,
    },
    pinArgs,
  );
  return new Certificate(native);
}
