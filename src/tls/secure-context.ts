// Credentials in memory, as node:tls takes them: `key`, `cert`, `ca`, `crl` (PEM or DER, one or many), with no
// database. Certificates become NSS temporary certificates and keys session objects of the internal token:
// nothing is written to disk, and everything goes when the context is collected. `ca` is trusted by the
// sockets given it and by no one else (trust-anchors.ts).
import { createHash, X509Certificate } from 'node:crypto';
import { Certificate, certificateListBytes } from '../pki/certificate.js';
import { importKeyObject, readPrivateKey, type PrivateKeyInput } from '../pki/key-import.js';
import { readPKCS12Identity } from '../pki/pkcs12.js';
import type { PrivateKey } from '../pki/private-key.js';
import { checkObject, argTypeError, argValueError } from '../core/validate.js';
import { cacheCRLs } from '../pki/revocation.js';
import type { NativeCachedCRL } from '../../types/binding.js';
import type { ClientAuthDataCallback } from './callbacks.js';
import { TrustAnchors } from './trust-anchors.js';

/** A certificate as node:tls takes one: PEM text (one or more), a Buffer of PEM or DER, or a Certificate. */
export type CertificateInput = string | Buffer | Certificate;

/** A private key, or (as in node:tls) one with its own passphrase. */
export type KeyInput = PrivateKeyInput | { pem: PrivateKeyInput; passphrase?: string };

/** The credential options node:tls's `createSecureContext` takes that NSS can use. */
export interface SecureContextOptions {
  /** Private keys (PEM, DER or `KeyObject`; RSA or EC), one per certificate chain in `cert`. */
  key?: KeyInput | KeyInput[];
  /** Certificate chains: each the certificate for one key, then its intermediates (not the root). */
  cert?: CertificateInput | CertificateInput[];
  /** The CAs to trust instead of the database's (and Mozilla's) roots, for the sockets given this context. */
  ca?: CertificateInput | CertificateInput[];
  /** Password of encrypted keys (one with its own `passphrase` uses that). */
  passphrase?: string;
  /**
   * Certificate revocation lists (PEM `X509 CRL` or DER, one or many), checked by every verification while
   * this context lives: NSS holds them in its CRL cache (a CRL revokes only what its issuer signed, so it is
   * not kept to this context's sockets), and nothing is written to disk. Each must be signed by a CA given in
   * `ca` or trusted by the database: one that is not is refused here (`SEC_ERROR_CRL_BAD_SIGNATURE`,
   * `SEC_ERROR_UNKNOWN_ISSUER`), where node:tls fails the handshake.
   */
  crl?: string | Buffer | (string | Buffer)[];
  /**
   * PKCS #12 files (`.pfx`, `.p12`), each a certificate with its key and, optionally, the certificates that
   * issue it (sent as its chain; unlike node:tls, they are not trusted: trust comes from `ca`). One key per
   * file; an entry `{ buf, passphrase }` has its own password, else (as in node:tls, also when that one is
   * empty) `passphrase` is used. NSS checks the file's integrity and decrypts it (`SEC_ERROR_BAD_PASSWORD` or
   * `SEC_ERROR_PKCS12_INVALID_MAC` for a wrong password); a key that belongs to none of the file's
   * certificates is a RangeError. The key becomes a session object, and nothing is written to disk. Like node:tls, this is synchronous: a file from pk12util takes
   * 0.3–0.5 s of key derivation (600,000 PBKDF2 iterations), one from `openssl pkcs12 -export` much less.
   */
  pfx?: PfxInput | PfxInput[];
}

/** A PKCS #12 file as node:tls takes one: its bytes, or its bytes with their own passphrase. */
export type PfxInput = Buffer | { buf: Buffer; passphrase?: string };

/** A certificate with its private key and the chain sent with it. */
export interface Identity {
  cert: Certificate;
  key: PrivateKey;
  /** The certificate, then the intermediates given with it. */
  chain: Certificate[];
}

/** Where {@link SecureContext.clientAuth}'s callbacks keep the certificate they send, for the session policy. */
export const memoryIdentity = Symbol('node-nss.memoryIdentity');

/** @internal A client-auth-data callback that sends one certificate held in memory. */
export type MemoryClientAuth = ClientAuthDataCallback & { [memoryIdentity]: string };

/**
 * @internal A credential option that node:tls reads as none: `null`, `false` and `''` (`ca: cond && pem`).
 * Numbers stay TypeErrors, where node:tls ignores 0 and NaN: no credential is a number.
 */
export function absentCredential(value: unknown): value is null | undefined | false | '' {
  return value === undefined || value === null || value === false || value === '';
}

/** A credential option as a list; a TypedArray or DataView is the bytes it views (a Buffer on that memory). */
function list<T>(value: T | T[] | undefined): T[] {
  if (absentCredential(value)) return [];
  return (Array.isArray(value) ? value : [value]).map((entry) => viewBuffer(entry));
}

function viewBuffer<T>(value: T): T {
  if (!ArrayBuffer.isView(value) || Buffer.isBuffer(value)) return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength) as T;
}

/**
 * Credentials held by NSS in memory: what {@link createSecureContext} makes from node:tls's options. Give it
 * to `connect`/`createServer` as `secureContext`, or to several of them: they share its certificates and
 * keys (and, on clients, their sessions).
 * @example
 * ```ts
 * const context = createSecureContext({ cert: fs.readFileSync('client.pem'), key: fs.readFileSync('client.key'),
 *   ca: fs.readFileSync('ca.pem') });
 * const a = await connect({ host: 'api.example.com', port: 443, secureContext: context });
 * const b = await connect({ host: 'api.example.com', port: 443, secureContext: context }); // resumes a's session
 * ```
 */
export class SecureContext {
  /** The certificates with their keys, in the order of `cert`. */
  readonly identities: readonly Identity[];
  /** @internal */
  readonly anchors: TrustAnchors | undefined;
  /** The CRLs in NSS's cache while this context lives. */
  readonly #crls: readonly NativeCachedCRL[];
  #clientAuth: MemoryClientAuth | undefined;

  /** @internal */
  constructor(identities: Identity[], anchors: TrustAnchors | undefined, crls: NativeCachedCRL[] = []) {
    if (
      !Array.isArray(identities) ||
      (anchors !== undefined && !(anchors instanceof TrustAnchors)) ||
      !Array.isArray(crls)
    )
      throw argTypeError('SecureContext objects come from createSecureContext()', 'ERR_ILLEGAL_CONSTRUCTOR');
    this.identities = identities;
    this.anchors = anchors;
    this.#crls = crls;
  }

  /** How many CRLs this context holds in NSS's cache (`crl`). */
  get crlCount(): number {
    return this.#crls.length;
  }

  /** The CAs trusted instead of the database's, or `null` when none were given. */
  get trustAnchors(): Certificate[] | null {
    return this.anchors ? [...this.anchors.certificates] : null;
  }

  /** node:tls's `secureContext.context` (the native context): here the context itself. */
  get context(): this {
    return this;
  }

  /** @internal A client-auth-data callback that sends the first identity; one per context. */
  clientAuth(): MemoryClientAuth | undefined {
    const identity = this.identities[0];
    if (identity === undefined) return undefined;
    if (this.#clientAuth === undefined) {
      const answer = (): [Certificate, PrivateKey] => [identity.cert, identity.key];
      // Sessions are told apart by the certificate sent, whichever context sent it.
      this.#clientAuth = Object.assign(answer, {
        [memoryIdentity]: createHash('sha256').update(identity.cert.derData).digest('hex'),
      });
    }
    return this.#clientAuth;
  }
}

/** Temporary certificates for every certificate in `input`. */
function certificates(input: CertificateInput, name: string): Certificate[] {
  if (input instanceof Certificate) return [input];
  return certificateListBytes(input, name).map((der) => Certificate.fromDER(der));
}

/**
 * Like `tls.createSecureContext`: certificates, keys and CAs from PEM or DER, held by NSS in memory (no
 * database needed, nothing written to disk). Each key is paired with the chain in `cert` whose certificate
 * it matches; a key or a chain left without its partner is a RangeError, as are keys NSS cannot use (RSA and
 * EC on P-256, P-384 and P-521 only). NSS must be initialised (`init()`, with or without a database).
 *
 * @example
 * ```ts
 * nss.init();
 * const context = nss.createSecureContext({
 *   key: fs.readFileSync('server.key'),
 *   cert: fs.readFileSync('server.crt'),
 *   ca: fs.readFileSync('clients-ca.crt'),
 * });
 * nss.createServer({ secureContext: context, requireCert: true }, (sock) => sock.end('hello\n'));
 * ```
 */
export function createSecureContext(opts: SecureContextOptions = {}): SecureContext {
  checkObject(opts, 'opts');
  if (opts.passphrase !== undefined && typeof opts.passphrase !== 'string')
    throw argTypeError('The "opts.passphrase" option must be a string');
  const keys = list(opts.key).map((entry, i) => {
    const name = Array.isArray(opts.key) ? `opts.key[${i}]` : 'opts.key';
    const pair =
      typeof entry === 'object' && entry !== null && !Buffer.isBuffer(entry) && 'pem' in entry
        ? entry
        : { pem: entry, passphrase: undefined };
    return { name, key: readPrivateKey(pair.pem, pair.passphrase ?? opts.passphrase, name) };
  });
  const chains = list(opts.cert).map((entry, i) => {
    const name = Array.isArray(opts.cert) ? `opts.cert[${i}]` : 'opts.cert';
    return { name, certs: certificates(entry, name) };
  });
  const identities: Identity[] = [];
  const used = new Set<number>();
  for (const { name, key } of keys) {
    const index = chains.findIndex(
      ({ certs }, i) =>
        !used.has(i) && new X509Certificate((certs[0] as Certificate).derData).checkPrivateKey(key),
    );
    if (index < 0) throw argValueError(`The "${name}" key matches no certificate in "opts.cert"`);
    used.add(index);
    const chain = (chains[index] as { certs: Certificate[] }).certs;
    identities.push({
      cert: chain[0] as Certificate,
      chain,
      key: importKeyObject(key, { permanent: false, pinArgs: [] }, name),
    });
  }
  const unmatched = chains.find((_, i) => !used.has(i));
  if (unmatched !== undefined)
    throw argValueError(`The "${unmatched.name}" certificate has no key in "opts.key"`);
  list(opts.pfx).forEach((entry, i) => {
    const name = Array.isArray(opts.pfx) ? `opts.pfx[${i}]` : 'opts.pfx';
    const withPassphrase =
      typeof entry === 'object' && entry !== null && !Buffer.isBuffer(entry) && 'buf' in entry;
    // `||` as node:tls has it: an entry's empty passphrase gives way to the top-level one.
    const passphrase = withPassphrase ? entry.passphrase || opts.passphrase : opts.passphrase;
    if (passphrase !== undefined && typeof passphrase !== 'string')
      throw argTypeError(`The "${name}.passphrase" option must be a string`);
    identities.push(
      readPKCS12Identity(withPassphrase ? viewBuffer(entry.buf) : entry, passphrase ?? '', name),
    );
  });
  const ca = list(opts.ca).flatMap((entry, i) =>
    certificates(entry, Array.isArray(opts.ca) ? `opts.ca[${i}]` : 'opts.ca'),
  );
  const crls = list(opts.crl).flatMap((entry, i) =>
    cacheCRLs(entry, Array.isArray(opts.crl) ? `opts.crl[${i}]` : 'opts.crl', ca),
  );
  return new SecureContext(identities, ca.length > 0 ? new TrustAnchors(ca) : undefined, crls);
}
