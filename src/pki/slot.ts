import type { NativeSlot } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { Certificate } from './certificate.js';
import { errnos } from '../core/constants.js';
import { NSPRError } from '../core/errors.js';
import { checkString, argTypeError } from '../core/validate.js';

/** FIPS_MIN_PIN in NSS's softoken. */
const FIPS_MIN_PASSWORD_CHARS = 7;

/**
 * Why `password` breaks the softoken's FIPS rules (at least 7 characters from at least 3 of the classes
 * digits, lowercase, uppercase, other ASCII, non-ASCII; an uppercase first letter and a digit as last
 * character do not count towards their class), or undefined when it follows them.
 */
function fipsPasswordProblem(password: string): string | undefined {
  const chars = [...password];
  const classes = new Set<string>();
  chars.forEach((ch, i) => {
    if (/[0-9]/.test(ch)) {
      if (i < chars.length - 1) classes.add('digits');
    } else if (/[a-z]/.test(ch)) classes.add('lowercase');
    else if (/[A-Z]/.test(ch)) {
      if (i > 0) classes.add('uppercase');
    } else if (ch.charCodeAt(0) < 0x80) classes.add('other ASCII');
    else classes.add('non-ASCII');
  });
  if (chars.length < FIPS_MIN_PASSWORD_CHARS) return `it has ${chars.length} characters`;
  if (classes.size < 3) {
    return `it uses ${classes.size} character class${classes.size === 1 ? '' : 'es'} (${[...classes].join(', ') || 'none'})`;
  }
  return undefined;
}

/**
 * A PKCS#11 slot and its token: NSS's internal key store, a smart card, an HSM. Properties are read from
 * NSS each time, so `isPresent` follows a card being inserted or removed.
 * @example
 * ```ts
 * for (const slot of getAllTokens()) console.log(slot.tokenName, slot.isHW, slot.needLogin());
 * const slot = getInternalKeySlot();
 * if (!slot.isLoggedIn()) await slot.login('database password'); // off the JavaScript thread, one try
 * ```
 */
export class PK11Slot {
  readonly #native: NativeSlot;

  /** @internal */
  constructor(native: NativeSlot) {
    if (!(native instanceof binding.NativeSlot)) {
      throw argTypeError(
        'PK11Slot objects come from getAllTokens(), getInternalKeySlot() or findSlotByName()',
        'ERR_ILLEGAL_CONSTRUCTOR',
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

  /**
   * Whether the token has never had a password set (`PK11_NeedUserInit`): a database NSS created without
   * `certutil -N`. {@link init} sets the first password of a new database it opens read-write;
   * {@link PK11Slot.changePassword} sets it on other tokens.
   */
  needUserInit(): boolean {
    return this.#native.needUserInit();
  }

  isLoggedIn(...pinArgs: unknown[]): boolean {
    return this.#native.isLoggedIn(pinArgs);
  }

  /**
   * Logs in with `pin`, off the JavaScript thread. A wrong PIN rejects with `SEC_ERROR_BAD_PASSWORD`; it is
   * tried exactly once (real cards lock after a few failures). A `shutdown()` meanwhile waits for the check
   * and then rejects the promise with `'NSS_SHUT_DOWN'`.
   */
  async login(pin: string): Promise<void> {
    checkString(pin, 'pin');
    try {
      await this.#native.login(pin);
    } finally {
      // A token's private objects (certificates, trust) become visible: verifications may change.
      binding.trustChanged();
    }
  }

  logout(): void {
    try {
      this.#native.logout();
    } finally {
      binding.trustChanged();
    }
  }

  /**
   * Changes the token's password (`PK11_ChangePW`), or sets the first one of a database that never had one
   * (`PK11_InitPin`; `oldPassword` is then ignored). `''` is the password of a database made with
   * `certutil -N --empty-password`. A wrong `oldPassword` throws {@link NSPRError} `'SEC_ERROR_BAD_PASSWORD'`.
   *
   * In FIPS mode the internal token only accepts passwords of at least 7 characters from at least 3
   * character classes (digits, lowercase, uppercase, other ASCII, non-ASCII; an uppercase first letter and a
   * digit as last character do not count): others throw `'SEC_ERROR_INVALID_PASSWORD'` with a message that
   * says which rule failed.
   */
  changePassword(oldPassword: string, newPassword: string): void {
    checkString(oldPassword, 'oldPassword');
    checkString(newPassword, 'newPassword');
    try {
      this.#native.changePassword(oldPassword, newPassword);
    } catch (err) {
      const problem = binding.isFIPS() ? fipsPasswordProblem(newPassword) : undefined;
      if (err instanceof NSPRError && err.code === 'SEC_ERROR_INVALID_PASSWORD' && problem) {
        throw new NSPRError(
          errnos.SEC_ERROR_INVALID_PASSWORD,
          'SEC_ERROR_INVALID_PASSWORD',
          `The new password breaks the FIPS mode password rules: at least ${FIPS_MIN_PASSWORD_CHARS} characters ` +
            'from at least 3 character classes (digits, lowercase, uppercase, other ASCII, non-ASCII; an ' +
            `uppercase first letter and a digit as last character do not count), and ${problem}`,
        );
      }
      throw err;
    }
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
