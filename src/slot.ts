import type { NativeSlot } from '../types/binding.js';
import { binding } from './binding.js';
import { Certificate } from './certificate.js';
import { checkString } from './validate.js';

/**
 * A PKCS#11 slot and its token: NSS's internal key store, a smart card, an HSM. Properties are read from
 * NSS each time, so `isPresent` follows a card being inserted or removed.
 */
export class PK11Slot {
  readonly #native: NativeSlot;

  /** @internal */
  constructor(native: NativeSlot) {
    if (!(native instanceof binding.NativeSlot)) {
      throw new TypeError(
        'PK11Slot objects come from getAllTokens(), getInternalKeySlot() or findSlotByName()',
      );
    }
    this.#native = native;
  }

  /** @internal */
  get native(): NativeSlot {
    return this.#native;
  }

  get slotName(): string {
    return this.#native.info().slotName;
  }
  get tokenName(): string {
    return this.#native.info().tokenName;
  }
  get isHW(): boolean {
    return this.#native.info().isHW;
  }
  get isRemovable(): boolean {
    return this.#native.info().isRemovable;
  }
  get isPresent(): boolean {
    return this.#native.info().isPresent;
  }
  get isInternal(): boolean {
    return this.#native.info().isInternal;
  }
  get isReadOnly(): boolean {
    return this.#native.info().isReadOnly;
  }

  /** Whether the token requires a login (a PIN, or the database password) before using its keys. */
  needLogin(): boolean {
    return this.#native.needLogin();
  }

  isLoggedIn(...pinArgs: unknown[]): boolean {
    return this.#native.isLoggedIn(pinArgs);
  }

  /**
   * Logs in with `pin`, off the JavaScript thread. A wrong PIN rejects with `SEC_ERROR_BAD_PASSWORD`; it is
   * tried exactly once (real cards lock after a few failures).
   */
  async login(pin: string): Promise<void> {
    checkString(pin, 'pin');
    await this.#native.login(pin);
  }

  logout(): void {
    this.#native.logout();
  }

  /** Certificates stored on this token. */
  listCertificates(): Certificate[] {
    return this.#native.listCertificates().map((native) => new Certificate(native));
  }

  toString(): string {
    return `PK11Slot(${this.tokenName})`;
  }
}

/** Every token NSS knows (internal, database, loaded PKCS#11 modules). */
export function getAllTokens(...pinArgs: unknown[]): PK11Slot[] {
  return binding.getAllTokens(pinArgs).map((native) => new PK11Slot(native));
}

/** The token that holds the database's private keys (NSS Certificate DB). */
export function getInternalKeySlot(): PK11Slot {
  return new PK11Slot(binding.getInternalKeySlot());
}

/** The token or slot called `name`, or `null`. */
export function findSlotByName(name: string): PK11Slot | null {
  checkString(name, 'name');
  const native = binding.findSlotByName(name);
  return native ? new PK11Slot(native) : null;
}
