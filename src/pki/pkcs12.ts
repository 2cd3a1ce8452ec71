// PKCS #12 files held in memory, for node:tls's `pfx`. NSS's decoder checks the file's integrity (its MAC)
// and decrypts its certificates, but its import makes every key a token object: permanent, written to the
// database, and impossible with no database. So the certificates come from the decoder, which imports
// nothing (readPKCS12Certificates), and the key bag from a reading of the file's structure here: the tools
// that write PKCS #12 (openssl, pk12util and NSS, Windows, Java's keytool) keep keys in an unencrypted safe,
// each key encrypted on its own. NSS then unwraps that key into a session object, and nothing reaches disk.
import { X509Certificate } from 'node:crypto';
import { binding } from '../core/binding.js';
import { errnos } from '../core/constants.js';
import { NSPRError } from '../core/errors.js';
import { checkBuffer, argValueError } from '../core/validate.js';
import { BerError, children, encodeDer, expectTag, octets, oid, readBer, type BerElement } from './ber.js';
import { Certificate } from './certificate.js';
import { importEncryptedKeyFor, importKeyObject, keyBelongsTo, readPrivateKey } from './key-import.js';
import type { PrivateKey } from './private-key.js';

/** @internal A PKCS#12 password as NSS's decoder wants it: UCS-2 big-endian with a terminating zero. */
export function ucs2Password(password: string): Buffer {
  return Buffer.from(password + '\0', 'utf16le').swap16();
}

const OID_DATA = '1.2.840.113549.1.7.1';
const OID_KEY_BAG = '1.2.840.113549.1.12.10.1.1';
const OID_SHROUDED_KEY_BAG = '1.2.840.113549.1.12.10.1.2';
const OID_SAFE_CONTENTS_BAG = '1.2.840.113549.1.12.10.1.6';
/** PKCS #12's own password-based encryptions (pbeWithSHAAnd3-KeyTripleDES-CBC, …) take a BMPString password. */
const PKCS12_PBE_PREFIX = '1.2.840.113549.1.12.1.';

interface KeyBag {
  /** The EncryptedPrivateKeyInfo's encryption scheme (an OID), or undefined for a plain PrivateKeyInfo. */
  scheme: string | undefined;
  /** The EncryptedPrivateKeyInfo or the PrivateKeyInfo, as DER. */
  der: Buffer;
}

interface Structure {
  /** The key bags of the unencrypted safes. */
  keys: KeyBag[];
}

/** The [0] EXPLICIT content of a ContentInfo, checked to be `type`'s. */
function explicitContent(element: BerElement, what: string): { type: string; content: BerElement } {
  const [type, content] = children(expectTag(element, 0x30, what));
  const tagged = expectTag(content, 0xa0, `${what} content`);
  const [inner] = children(tagged);
  if (inner === undefined) throw new BerError(`${what} has no content`);
  return { type: oid(type, `${what} type`), content: inner };
}

function collectBags(safeContents: BerElement, into: Structure, depth: number): void {
  if (depth > 8) throw new BerError('safe contents nested too deeply');
  for (const bag of children(expectTag(safeContents, 0x30, 'SafeContents'))) {
    const [bagId, value] = children(expectTag(bag, 0x30, 'SafeBag'));
    const type = oid(bagId, 'bag type');
    if (type !== OID_KEY_BAG && type !== OID_SHROUDED_KEY_BAG && type !== OID_SAFE_CONTENTS_BAG) continue;
    const [inner] = children(expectTag(value, 0xa0, 'bag value'));
    if (inner === undefined) throw new BerError('empty bag value');
    if (type === OID_SAFE_CONTENTS_BAG) collectBags(inner, into, depth + 1);
    else if (type === OID_KEY_BAG) into.keys.push({ scheme: undefined, der: encodeDer(inner) });
    else {
      const [algorithm] = children(expectTag(inner, 0x30, 'EncryptedPrivateKeyInfo'));
      const [scheme] = children(expectTag(algorithm, 0x30, 'key encryption algorithm'));
      into.keys.push({ scheme: oid(scheme, 'key encryption'), der: encodeDer(inner) });
    }
  }
}

/** The key bags of the file's unencrypted safes. */
function readStructure(data: Buffer): Structure {
  const [, authSafe] = children(expectTag(readBer(data), 0x30, 'PFX'));
  const outer = explicitContent(authSafe as BerElement, 'authSafe');
  if (outer.type !== OID_DATA) {
    throw new NSPRError(
      errnos.SEC_ERROR_PKCS12_UNSUPPORTED_TRANSPORT_MODE,
      undefined,
      'The PKCS #12 file is signed (public-key integrity mode), which NSS does not read',
    );
  }
  const structure: Structure = { keys: [] };
  for (const safe of children(readBer(octets(expectTag(outer.content, 0x04, 'authSafe data'))))) {
    const { type, content } = explicitContent(safe, 'safe');
    // Encrypted safes hold the certificates, which NSS's decoder read already.
    if (type === OID_DATA) collectBags(readBer(octets(expectTag(content, 0x04, 'safe data'))), structure, 0);
  }
  return structure;
}

/** A certificate and its key from a PKCS #12 file, with the file's other certificates that issue it. */
export interface PKCS12Identity {
  cert: Certificate;
  key: PrivateKey;
  /** The certificate, then its issuers among the file's certificates, in order. */
  chain: Certificate[];
}

/** The issuers of `leaf` among `others`, nearest first (a self-signed one ends the chain). */
function issuerPath(leaf: X509Certificate, others: X509Certificate[]): X509Certificate[] {
  const path = [leaf];
  let last = leaf;
  while (path.length <= others.length) {
    if (last.checkIssued(last)) break;
    const next = others.find((candidate) => !path.includes(candidate) && last.checkIssued(candidate));
    if (next === undefined) break;
    path.push(next);
    last = next;
  }
  return path;
}

/** The file's certificates in the order to try them for its key: the ones NSS pairs with a key bag, then
 * the leaves (which issue none of the others), then the rest. */
function candidateOrder(found: { hasKey: boolean }[], x509s: X509Certificate[]): number[] {
  const paired = found.flatMap((entry, i) => (entry.hasKey ? [i] : []));
  const leaves = x509s.flatMap((x509, i) =>
    x509s.some((other) => other !== x509 && other.checkIssued(x509)) ? [] : [i],
  );
  return [...new Set([...paired, ...leaves, ...x509s.keys()])];
}

/**
 * @internal The identity in a PKCS #12 file, held by NSS in memory: the certificates as temporary
 * certificates, the key as a session object. One key per file, as node:tls takes (and clearer than its
 * choice of the first): a file with more is a RangeError, and so is a key that belongs to none of the file's
 * certificates (checked by a signature, whatever IDs the file gives). NSS's errors keep their codes (a wrong
 * passphrase is `SEC_ERROR_BAD_PASSWORD` or `SEC_ERROR_PKCS12_INVALID_MAC`).
 */
export function readPKCS12Identity(data: unknown, passphrase: string, name: string): PKCS12Identity {
  checkBuffer(data, name);
  const { certificates: found, keyBags } = binding.readPKCS12Certificates(data, ucs2Password(passphrase), []);
  let structure: Structure;
  try {
    structure = readStructure(data);
  } catch (err) {
    if (!(err instanceof BerError)) throw err;
    throw new NSPRError(
      errnos.SEC_ERROR_PKCS12_DECODING_PFX,
      undefined,
      `The "${name}" PKCS #12 file could not be read: ${err.message}`,
    );
  }
  if (keyBags > 1 || structure.keys.length > 1) {
    throw argValueError(
      `The "${name}" PKCS #12 file holds ${Math.max(keyBags, structure.keys.length)} private keys: give one file (or one pfx entry) per key`,
    );
  }
  const [bag] = structure.keys;
  if (bag === undefined) {
    if (keyBags > 0) {
      throw new NSPRError(
        errnos.SEC_ERROR_PKCS12_UNABLE_TO_IMPORT_KEY,
        undefined,
        `The "${name}" PKCS #12 file keeps its private key in an encrypted safe, which NSS opens only to import into a database: use CertDB.importPKCS12, or export the file again with openssl pkcs12 -export`,
      );
    }
    throw argValueError(`The "${name}" PKCS #12 file holds no private key`);
  }
  const x509s = found.map((entry) => new X509Certificate(entry.der));
  const order = candidateOrder(found, x509s);
  const mismatch = () =>
    argValueError(`The "${name}" PKCS #12 file's private key belongs to none of its certificates`);
  let key: PrivateKey;
  let index: number | undefined;
  if (bag.scheme !== undefined) {
    // NSS unwraps the key inside the token; the certificate given with it supplies the key's ID (CKA_ID) and
    // type. Which certificate the key really belongs to, a signature says.
    const password = bag.scheme.startsWith(PKCS12_PBE_PREFIX)
      ? ucs2Password(passphrase)
      : Buffer.from(passphrase, 'utf8');
    const unwrapFor = (i: number) =>
      importEncryptedKeyFor(bag.der, password, (x509s[i] as X509Certificate).publicKey, name);
    const first = order[0];
    if (first === undefined) throw mismatch();
    key = unwrapFor(first);
    const unwrapped = key;
    index = order.find((i) => keyBelongsTo(unwrapped, (x509s[i] as X509Certificate).publicKey));
    if (index === undefined) throw mismatch();
    if (index !== first) key = unwrapFor(index);
  } else {
    const plain = readPrivateKey(bag.der, undefined, name);
    index = order.find((i) => (x509s[i] as X509Certificate).checkPrivateKey(plain));
    if (index === undefined) throw mismatch();
    key = importKeyObject(plain, { permanent: false, pinArgs: [] }, name);
  }
  const leaf = x509s[index] as X509Certificate;
  const path = issuerPath(
    leaf,
    x509s.filter((x509) => x509 !== leaf),
  );
  const chain = path.map((x509) => Certificate.fromDER(x509.raw));
  return { cert: chain[0] as Certificate, key, chain };
}
