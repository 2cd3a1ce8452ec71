import type { NativePrivateKey } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { PK11Slot } from './slot.js';

/** A private key held by NSS or a token. Opaque: the key material never reaches JavaScript. */
export class PrivateKey {
  readonly #native: NativePrivateKey;

  /** @internal */
  constructor(native: NativePrivateKey) {
    if (!(native instanceof binding.NativePrivateKey)) {
      throw new TypeError('PrivateKey objects come from CertDB.findKeyByAnyCert() or generateKeyPair()');
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

  toString(): string {
    return `PrivateKey(${this.keyType})`;
  }
}
