// Private keys from PEM or DER into NSS. node:crypto reads every format node:tls takes (PKCS #8, PKCS #1,
// SEC 1, encrypted PEM and PKCS #8); the key then crosses into the token encrypted: a FIPS-mode softoken
// refuses a private key made from plaintext, but unwraps an EncryptedPrivateKeyInfo (measured on NSS 3.87:
// the PBES2/PBKDF2-SHA-256/AES-256-CBC encoding node:crypto writes is one NSS reads).
import {
  constants as cryptoConstants,
  createHash,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  publicDecrypt,
  randomBytes,
  verify,
} from 'node:crypto';
import { binding } from '../core/binding.js';
import {
  checkBuffer,
  checkInstance,
  checkObject,
  checkString,
  argTypeError,
  argValueError,
} from '../core/validate.js';
import { looksLikePEM } from './pem.js';
import { PrivateKey } from './private-key.js';
import { PK11Slot } from './slot.js';

/** A private key as node:tls takes one: PEM text, a Buffer of PEM or DER, or a `KeyObject`. */
export type PrivateKeyInput = string | Buffer | KeyObject;

/** Where and how {@link readPrivateKey}'s key goes into NSS. */
export interface KeyImportTarget {
  /** Its password, when the PEM or PKCS #8 is encrypted. */
  passphrase?: string | Buffer;
  /** The token (default: the internal key slot). */
  slot?: PK11Slot;
  /** A token object (kept in the database) or a session object (gone when the process ends). */
  permanent: boolean;
  nickname?: string;
  pinArgs: unknown[];
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** The key as node:crypto reads it; a clear error for anything else. */
function keyObject(input: unknown, passphrase: string | Buffer | undefined, name: string): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'private') {
      throw argTypeError(`The "${name}" argument must be a private key, not a ${input.type} KeyObject`);
    }
    return input;
  }
  if (typeof input !== 'string') checkBuffer(input, name);
  const attempts: Array<Parameters<typeof createPrivateKey>[0]> =
    typeof input === 'string' || looksLikePEM(input)
      ? [{ key: input, format: 'pem', passphrase }]
      : (['pkcs8', 'pkcs1', 'sec1'] as const).map((type) => ({
          key: input,
          format: 'der',
          type,
          passphrase,
        }));
  let first: unknown;
  for (const attempt of attempts) {
    try {
      return createPrivateKey(attempt);
    } catch (err) {
      first ??= err;
    }
  }
  const encrypted = (typeof input === 'string' ? Buffer.from(input) : input).includes('ENCRYPTED');
  const reason =
    encrypted && passphrase === undefined
      ? 'it is encrypted, and no passphrase was given'
      : first instanceof Error
        ? first.message
        : String(first);
  throw argValueError(`The "${name}" argument is not a private key that can be read: ${reason}`, undefined, {
    cause: first,
  });
}

/** The RSA modulus or the uncompressed EC point: what NSS derives the key's CKA_ID from. */
function publicValue(key: KeyObject): Buffer {
  const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
  if (key.asymmetricKeyType === 'rsa') return Buffer.from(jwk.n ?? '', 'base64url');
  return Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x ?? '', 'base64url'),
    Buffer.from(jwk.y ?? '', 'base64url'),
  ]);
}

/** @internal The key type NSS takes, or a RangeError that says which keys it takes. */
export function nssKeyType(key: KeyObject, name: string): 'rsa' | 'ec' {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return 'rsa';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (type === 'ec' && curve !== undefined && CURVES[curve] !== undefined) return 'ec';
  throw argValueError(
    `The "${name}" key is ${type === 'ec' ? `an EC key on ${curve ?? 'an unnamed curve'}` : `a ${type ?? 'unknown'} key`}; ` +
      'NSS takes RSA keys and EC keys on P-256, P-384 and P-521',
  );
}

/** @internal A private key read by node:crypto: checked, not yet in NSS. */
export function readPrivateKey(
  input: unknown,
  passphrase: string | Buffer | undefined,
  name: string,
): KeyObject {
  if (passphrase !== undefined && typeof passphrase !== 'string')
    checkBuffer(passphrase, `${name} passphrase`);
  const key = keyObject(input, passphrase, name);
  nssKeyType(key, name);
  return key;
}

/** @internal Puts a key read by {@link readPrivateKey} into NSS. */
export function importKeyObject(key: KeyObject, target: KeyImportTarget, name: string): PrivateKey {
  const password = randomBytes(32).toString('hex');
  const encrypted = key.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: password });
  return new PrivateKey(
    binding.importEncryptedPrivateKey(
      encrypted,
      Buffer.from(password, 'utf8'),
      publicValue(key),
      nssKeyType(key, name),
      target.slot?.native ?? null,
      target.permanent,
      target.nickname ?? null,
      target.pinArgs,
    ),
  );
}

/**
 * @internal Unwraps an EncryptedPrivateKeyInfo (DER) into a session object of the internal token: the key of
 * `publicKey`, which gives it its CKA_ID. `password` is as the encryption's scheme takes it.
 */
export function importEncryptedKeyFor(
  epki: Buffer,
  password: Buffer,
  publicKey: KeyObject,
  name: string,
): PrivateKey {
  return new PrivateKey(
    binding.importEncryptedPrivateKey(
      epki,
      password,
      publicValue(publicKey),
      nssKeyType(publicKey, name),
      null,
      false,
      null,
      [],
    ),
  );
}

/**
 * @internal Whether `key` (in its token) is the private half of `publicKey`: the key signs a fresh random
 * digest inside NSS and node:crypto checks the signature with the public key. For keys that arrive encrypted,
 * so nothing outside the token ever saw them; NSS itself pairs a key with a certificate by an ID the file
 * chose, and would serve a certificate with a key that is not its own.
 */
export function keyBelongsTo(key: PrivateKey, publicKey: KeyObject): boolean {
  const type = publicKey.asymmetricKeyType;
  if (type !== key.keyType) return false;
  const message = randomBytes(32);
  const digest = createHash('sha256').update(message).digest();
  const signature = key.native.signDigest(digest, []);
  if (type === 'rsa') {
    try {
      return publicDecrypt({ key: publicKey, padding: cryptoConstants.RSA_PKCS1_PADDING }, signature).equals(
        digest,
      );
    } catch {
      return false; // another key's signature does not even unpad
    }
  }
  return verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
}

/** @internal Checks the options of a key import. */
export function checkKeyImportOptions(opts: unknown): asserts opts is {
  passphrase?: string | Buffer;
  slot?: PK11Slot;
  nickname?: string;
} {
  checkObject(opts, 'opts');
  const o = opts as { passphrase?: unknown; slot?: unknown; nickname?: unknown };
  if (o.passphrase !== undefined && typeof o.passphrase !== 'string')
    checkBuffer(o.passphrase, 'opts.passphrase');
  if (o.slot !== undefined) checkInstance(o.slot, PK11Slot, 'opts.slot');
  if (o.nickname !== undefined) checkString(o.nickname, 'opts.nickname');
}
