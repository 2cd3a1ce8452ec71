import { binding } from '../core/binding.js';
import { CERT_DB } from './brands.js';
import { Certificate, certificateBytes } from './certificate.js';
import * as c from '../core/constants.js';
import { PrivateKey } from './private-key.js';
import {
  checkKeyImportOptions,
  importKeyObject,
  readPrivateKey,
  type PrivateKeyInput,
} from './key-import.js';
import { PK11Slot } from './slot.js';
import { crlListBytes } from './revocation.js';
import { ucs2Password } from './pkcs12.js';
import {
  checkBoolean,
  checkBuffer,
  checkInstance,
  checkInteger,
  checkNonEmptyString,
  checkObject,
  checkString,
  argValueError,
} from '../core/validate.js';

const TRUST_STRING = /^[pPwcTCuig]*,[pPwcTCuig]*,[pPwcTCuig]*$/;

function checkTrust(trust: unknown): asserts trust is string {
  checkString(trust, 'trust');
  if (!TRUST_STRING.test(trust)) {
    throw argValueError(
      `The "trust" argument must be a certutil trust string such as 'CT,C,C' (letters pPwcTCuig). Received '${trust}'`,
    );
  }
}

/** One field of a trust string, in the letters and order certutil prints. */
function trustLetters(flags: number): string {
  const has = (bit: number) => (flags & bit) !== 0;
  let out = '';
  if (has(c.CERTDB_VALID_CA) && !has(c.CERTDB_TRUSTED_CA) && !has(c.CERTDB_TRUSTED_CLIENT_CA)) out += 'c';
  if (has(c.CERTDB_TERMINAL_RECORD) && !has(c.CERTDB_TRUSTED)) out += 'p';
  if (has(c.CERTDB_TRUSTED_CA)) out += 'C';
  if (has(c.CERTDB_TRUSTED_CLIENT_CA)) out += 'T';
  if (has(c.CERTDB_TRUSTED)) out += 'P';
  if (has(c.CERTDB_USER)) out += 'u';
  if (has(c.CERTDB_SEND_WARN)) out += 'w';
  if (has(c.CERTDB_INVISIBLE_CA)) out += 'I';
  if (has(c.CERTDB_GOVT_APPROVED_CA)) out += 'G';
  return out;
}

function checkPKCS12Import(data: Buffer, password: string, opts: { slot?: PK11Slot }): void {
  checkBuffer(data, 'data');
  checkString(password, 'password');
  checkObject(opts, 'opts');
  if (opts.slot !== undefined) checkInstance(opts.slot, PK11Slot, 'opts.slot');
}

/** Options for {@link CertDB.importCertificate}. */
export interface ImportCertificateOptions {
  /** Nickname to store the certificate under. */
  nickname: string;
  /** Trust in certutil syntax, e.g. `'CT,C,C'` for a CA trusted for TLS servers and clients. */
  trust?: string;
  /** Token to store it on (default: the token holding its private key, else the internal key slot). */
  slot?: PK11Slot;
}

/**
 * The NSS certificate database opened by {@link init}, with every token NSS has loaded. Lookups by nickname
 * accept `'token:nickname'` for certificates on other tokens.
 * @example
 * ```ts
 * init({ dbDir: 'sql:/etc/pki/nssdb' });
 * const db = getDefaultCertDB();
 * for (const cert of db.listCertificates()) console.log(cert.nickname, db.getTrust(cert));
 * const key = db.findKeyByAnyCert(db.findCertFromNickname('server'));
 * ```
 */
export class CertDB {
  /** @internal */
  constructor() {
    CERT_DB.add(this);
  }

  /** The certificate called `nick`; throws {@link NSPRError} (NSS's own code) when there is none. */
  findCertFromNickname(nick: string, ...pinArgs: unknown[]): Certificate {
    checkString(nick, 'nick');
    return new Certificate(binding.findCertFromNickname(nick, pinArgs));
  }

  /** Every certificate called `nick` (several when a subject has more than one). */
  findCertsFromNickname(nick: string, ...pinArgs: unknown[]): Certificate[] {
    checkString(nick, 'nick');
    return binding.findCertsFromNickname(nick, pinArgs).map((native) => new Certificate(native));
  }

  /** The stored certificate with this DER encoding, or `null`. */
  findCertByDER(der: Buffer): Certificate | null {
    checkBuffer(der, 'der');
    const native = binding.findCertByDER(der);
    return native ? new Certificate(native) : null;
  }

  /**
   * Nicknames of stored certificates, each once (`'token:nickname'` for other tokens):
   * `SEC_CERT_NICKNAMES_ALL` every one (what `certutil -L` lists), `_USER` those with a private key,
   * `_CA` CA certificates, `_SERVER` those trusted as TLS peers (`p`/`P` in the first trust field).
   */
  getCertNicknames(what: number, ...pinArgs: unknown[]): string[] {
    checkInteger(what, 'what', c.SEC_CERT_NICKNAMES_ALL, c.SEC_CERT_NICKNAMES_CA);
    const type =
      what === c.SEC_CERT_NICKNAMES_USER
        ? c.PK11CertListUserUnique
        : what === c.SEC_CERT_NICKNAMES_CA
          ? c.PK11CertListCAUnique
          : c.PK11CertListUnique;
    const peer = c.CERTDB_TERMINAL_RECORD | c.CERTDB_TRUSTED;
    const names = new Set<string>();
    for (const native of binding.listCertificates(type, pinArgs)) {
      const nickname = native.nickname();
      if (nickname === null) continue;
      if (what === c.SEC_CERT_NICKNAMES_SERVER && ((native.getTrust()?.[0] ?? 0) & peer) === 0) continue;
      names.add(nickname);
    }
    return [...names];
  }

  /**
   * Certificates on every token. `type` is a `PK11CertList*` constant (default `PK11CertListUnique`: each
   * certificate once).
   */
  listCertificates(type: number = c.PK11CertListUnique, ...pinArgs: unknown[]): Certificate[] {
    checkInteger(type, 'type', c.PK11CertListUnique, c.PK11CertListAll);
    return binding.listCertificates(type, pinArgs).map((native) => new Certificate(native));
  }

  /**
   * Stores a certificate (a {@link Certificate}, PEM text, or a DER or PEM Buffer) under `nickname`,
   * optionally with `trust`. Needs a database opened read-write. Without `opts.slot` the certificate goes
   * to the token that holds its private key (NSS looks on every token, logging in where needed, and labels
   * the key with the nickname), else to the internal key slot.
   */
  importCertificate(
    data: Certificate | Buffer | string,
    opts: ImportCertificateOptions,
    ...pinArgs: unknown[]
  ): Certificate {
    const der = data instanceof Certificate ? data.derData : certificateBytes(data, 'data');
    checkObject(opts, 'opts');
    checkNonEmptyString(opts.nickname, 'opts.nickname');
    if (opts.trust !== undefined) checkTrust(opts.trust);
    if (opts.slot !== undefined) checkInstance(opts.slot, PK11Slot, 'opts.slot');
    try {
      const native = binding.importCertificate(der, opts.nickname, opts.slot?.native ?? null, pinArgs);
      if (opts.trust !== undefined) native.setTrust(opts.trust, pinArgs);
      return new Certificate(native);
    } finally {
      binding.trustChanged();
    }
  }

  /**
   * Stores a private key in the database (or on `opts.slot`), from what node:tls takes: PEM text (PKCS #8,
   * PKCS #1 `RSA PRIVATE KEY`, SEC 1 `EC PRIVATE KEY`, encrypted with `opts.passphrase`), DER, or a
   * `KeyObject` — no openssl and no PKCS #12 step. A certificate for the key imported before or after is
   * linked to it ({@link findKeyByAnyCert}, TLS), as certutil's are. RSA and EC (P-256/384/521) keys; in FIPS
   * mode too (the key crosses into the token encrypted).
   *
   * @example
   * ```ts
   * const db = nss.getDefaultCertDB();
   * db.importPrivateKey(fs.readFileSync('server.key'), { nickname: 'server' });
   * db.importCertificate(fs.readFileSync('server.crt'), { nickname: 'server' });
   * ```
   */
  importPrivateKey(
    key: PrivateKeyInput,
    opts: { passphrase?: string | Buffer; slot?: PK11Slot; nickname?: string } = {},
    ...pinArgs: unknown[]
  ): PrivateKey {
    checkKeyImportOptions(opts);
    const read = readPrivateKey(key, opts.passphrase, 'key');
    try {
      return importKeyObject(read, { ...opts, permanent: true, pinArgs }, 'key');
    } finally {
      binding.trustChanged();
    }
  }

  /** Trust of `cert` in certutil syntax (`'CT,C,C'`, `'u,u,u'`, `',,'`). */
  getTrust(cert: Certificate): string {
    checkInstance(cert, Certificate, 'cert');
    const flags = cert.native.getTrust();
    return flags ? flags.map(trustLetters).join(',') : ',,';
  }

  /** Sets the trust of a stored certificate from certutil syntax (`'CT,C,C'`). */
  setTrust(cert: Certificate, trust: string, ...pinArgs: unknown[]): void {
    checkInstance(cert, Certificate, 'cert');
    checkTrust(trust);
    try {
      cert.native.setTrust(trust, pinArgs);
    } finally {
      binding.trustChanged();
    }
  }

  /** Removes a certificate from the database; with `withKey` its private key too. */
  deleteCertificate(cert: Certificate, opts: { withKey?: boolean } = {}, ...pinArgs: unknown[]): void {
    checkInstance(cert, Certificate, 'cert');
    checkObject(opts, 'opts');
    if (opts.withKey !== undefined) checkBoolean(opts.withKey, 'opts.withKey');
    try {
      binding.deleteCertificate(cert.native, opts.withKey ?? false, pinArgs);
    } finally {
      binding.trustChanged();
    }
  }

  /**
   * Imports the certificates and keys of a PKCS#12 file and returns the certificates. A wrong password
   * throws {@link NSPRError} (`SEC_ERROR_BAD_PASSWORD` or `SEC_ERROR_PKCS12_…`).
   *
   * This blocks the JavaScript thread for as long as the file's key derivations take: 0.3–0.4 s for a file
   * from `pk12util` or {@link exportPKCS12} (PBKDF2 with 600,000 iterations, three times). A server should
   * use {@link importPKCS12Async}.
   */
  importPKCS12(
    data: Buffer,
    password: string,
    opts: { slot?: PK11Slot } = {},
    ...pinArgs: unknown[]
  ): Certificate[] {
    checkPKCS12Import(data, password, opts);
    try {
      return binding
        .importPKCS12(data, ucs2Password(password), opts.slot?.native ?? null, pinArgs)
        .map((native) => new Certificate(native));
    } finally {
      binding.trustChanged();
    }
  }

  /**
   * {@link importPKCS12} off the JavaScript thread. A token login it needs happens first, on the JavaScript
   * thread, so that the password callback can answer (with `pinArgs`); `shutdown()` meanwhile waits for
   * the import and rejects it with `'NSS_SHUT_DOWN'`.
   */
  async importPKCS12Async(
    data: Buffer,
    password: string,
    opts: { slot?: PK11Slot } = {},
    ...pinArgs: unknown[]
  ): Promise<Certificate[]> {
    checkPKCS12Import(data, password, opts);
    try {
      const natives = await binding.importPKCS12Async(
        data,
        ucs2Password(password),
        opts.slot?.native ?? null,
        pinArgs,
      );
      return natives.map((native) => new Certificate(native));
    } finally {
      binding.trustChanged();
    }
  }

  /**
   * Exports the certificate called `nickname` with its private key as PKCS#12 (AES-256 keys, AES-128
   * certificates, SHA-256 MAC: what `pk12util` writes by default). Blocks the JavaScript thread for 0.3 s
   * (see {@link importPKCS12}); {@link exportPKCS12Async} does not.
   */
  exportPKCS12(nickname: string, password: string, ...pinArgs: unknown[]): Buffer {
    checkString(nickname, 'nickname');
    checkString(password, 'password');
    return binding.exportPKCS12(nickname, Buffer.from(password, 'utf8'), pinArgs);
  }

  /** {@link exportPKCS12} off the JavaScript thread, as {@link importPKCS12Async} imports. */
  async exportPKCS12Async(nickname: string, password: string, ...pinArgs: unknown[]): Promise<Buffer> {
    checkString(nickname, 'nickname');
    checkString(password, 'password');
    return binding.exportPKCS12Async(nickname, Buffer.from(password, 'utf8'), pinArgs);
  }

  /**
   * The private keys on `slot` (default: the database's key slot), as `certutil -K` lists them: each with its
   * {@link PrivateKey.nickname} and {@link PrivateKey.id}. A token that needs a login is logged in first, through
   * the password callback (`pinArgs` reach it).
   */
  listPrivateKeys(slot?: PK11Slot, ...pinArgs: unknown[]): PrivateKey[] {
    if (slot !== undefined) checkInstance(slot, PK11Slot, 'slot');
    const native = slot?.native ?? binding.getInternalKeySlot();
    return native.listPrivateKeys(pinArgs).map((key) => new PrivateKey(key));
  }

  /**
   * Imports a CRL (PEM `X509 CRL` or DER) into the database, as `crlutil -I` does: NSS checks its signature
   * against a certificate with its issuer's name that NSS holds (`SEC_ERROR_CRL_INVALID`,
   * `SEC_ERROR_UNKNOWN_ISSUER`...),
   * and it replaces an older CRL of the same issuer. From then on every verification in the process checks the
   * chain against it, whatever the revocation mode. `opts.url` records where the CRL comes from. A trust change:
   * sessions made before are not resumed.
   */
  importCRL(crl: string | Buffer, opts: { url?: string } = {}, ...pinArgs: unknown[]): void {
    checkObject(opts, 'opts');
    if (opts.url !== undefined) checkString(opts.url, 'opts.url');
    for (const der of crlListBytes(crl, 'crl')) {
      try {
        binding.importCRL(der, opts.url ?? null, pinArgs);
      } finally {
        binding.trustChanged();
      }
    }
  }

  /** The CRLs in the database (`crlutil -L`): each issuer's name (RFC 4514), the DER and the URL recorded. */
  listCRLs(): { issuer: string; der: Buffer | null; url: string | null }[] {
    return binding.listCRLs();
  }

  /** Deletes the database's CRL of the issuer of `crl` (PEM or DER), as `crlutil -D` does. */
  deleteCRL(crl: string | Buffer): void {
    for (const der of crlListBytes(crl, 'crl')) {
      try {
        binding.deleteCRL(der);
      } finally {
        binding.trustChanged();
      }
    }
  }

  /** The private key that belongs to `cert`, on whichever token holds it. */
  findKeyByAnyCert(cert: Certificate, ...pinArgs: unknown[]): PrivateKey {
    checkInstance(cert, Certificate, 'cert');
    return new PrivateKey(binding.findKeyByAnyCert(cert.native, pinArgs));
  }
}

const defaultCertDB = new CertDB();

/**
 * The database opened by {@link init} (python-nss's `get_default_certdb`).
 * @example
 * ```ts
 * const db = getDefaultCertDB();
 * const cert = db.findCertFromNickname('NSS Certificate DB:server');
 * ```
 */
export function getDefaultCertDB(): CertDB {
  return defaultCertDB;
}
