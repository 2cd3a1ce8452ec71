import type { NativePrivateKey } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { Certificate } from './certificate.js';
import { PK11Slot } from './slot.js';
import { argTypeError } from '../core/validate.js';

/**
 * A private key held by NSS or a token. Opaque: the key material never reaches JavaScript.
 * @example
 * ```ts
 * const db = getDefaultCertDB();
 * const key = db.findKeyByAnyCert(db.findCertFromNickname('server'));
 * console.log(key.keyType, key.slot?.tokenName, key.id);
 * ```
 */
export class PrivateKey {
  readonly #native: NativePrivateKey;

  /** @internal */
  constructor(native: NativePrivateKey) {
    if (!(native instanceof binding.NativePrivateKey)) {
      throw argTypeError(
        'PrivateKey objects come from CertDB.findKeyByAnyCert() or generateKeyPair()',
        'ERR_ILLEGAL_CONSTRUCTOR',
      );
    }
    this.#native = native;
  }

  /** @internal */
  get native(): NativePrivateKey {
    return this.#native;
  }

  /** `'rsa'`, `'ec'`, `'rsa-pss'`, … */
  get keyType(): string {
    return this.#native.keyType();
  }

  /** The token the key lives on. */
  get slot(): PK11Slot | null {
    const native = this.#native.slot();
    return native ? new PK11Slot(native) : null;
  }

  /** The key's label on its token (`CKA_LABEL`; certutil -K's nickname column), or `null`. */
  get nickname(): string | null {
    return this.#native.nickname();
  }

  /** The key's `CKA_ID` in lowercase hex (what certutil -K prints, and what links a certificate to it), or `null`. */
  get id(): string | null {
    return this.#native.id()?.toString('hex') ?? null;
  }

  /** A certificate of this key on the key's token (`PK11_GetCertFromPrivateKey`), or `null` for an orphan key. */
  getCertificate(): Certificate | null {
    const native = this.#native.certificate();
    return native ? new Certificate(native) : null;
  }

  toString(): string {
    return `PrivateKey(${this.keyType})`;
  }
}
