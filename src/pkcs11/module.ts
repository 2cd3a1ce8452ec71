import { EventEmitter } from 'node:events';
import type { NativePKCS11Module } from '../../types/binding.js';
import { binding } from '../core/binding.js';
import { PK11Slot } from '../pki/slot.js';
import {
  checkInteger,
  checkNonEmptyString,
  checkObject,
  checkString,
  argTypeError,
} from '../core/validate.js';

const tokenEvents = new Set<string | symbol>(['tokenInserted', 'tokenRemoved']);

/**
 * A PKCS#11 module NSS has loaded: a smart-card driver, an HSM library, NSS's own softoken or root store.
 *
 * Events `'tokenInserted'` and `'tokenRemoved'` (each with the {@link PK11Slot}) are reported while someone
 * listens: a thread of its own asks the module every {@link tokenPollInterval} ms
 * (`SECMOD_WaitForAnyTokenEvent`, without blocking). When watching starts, each token already present is
 * reported once as inserted. Only removable slots have events; NSS ignores the others. While someone
 * listens the watch keeps the process alive, like `fs.watch`.
 * @example
 * ```ts
 * const card = loadPKCS11Module({ name: 'card', library: '/usr/lib64/opensc-pkcs11.so' });
 * card.on('tokenInserted', (slot) => console.log('inserted', slot.tokenName));
 * card.on('tokenRemoved', (slot) => console.log('removed', slot.slotName));
 * ```
 */
export class PKCS11Module extends EventEmitter {
  readonly #native: NativePKCS11Module;
  #watching = false;
  #unloaded = false;
  #pollInterval = 1000;

  /** @internal */
  constructor(native: NativePKCS11Module) {
    super();
    if (!(native instanceof binding.NativePKCS11Module)) {
      throw argTypeError(
        'PKCS11Module objects come from loadPKCS11Module() or listModules()',
        'ERR_ILLEGAL_CONSTRUCTOR',
      );
    }
    this.#native = native;
    this.on('newListener', (event: string | symbol) => {
      if (tokenEvents.has(event)) queueMicrotask(() => this.#updateWatch());
    });
    this.on('removeListener', (event: string | symbol) => {
      if (tokenEvents.has(event)) this.#updateWatch();
    });
  }

  /** The module's name (`commonName`), as `modutil -list` shows it. */
  get name(): string {
    return this.#native.info().name;
  }

  /** The shared library it was loaded from (`null` for NSS's built-in modules). */
  get library(): string | null {
    return this.#native.info().library;
  }

  /** Whether the module is in use (`false` after {@link unload}). */
  get loaded(): boolean {
    return !this.#unloaded && this.#native.info().loaded;
  }

  /** How often, in milliseconds (10 to 3,600,000), token events are looked for while someone listens; default 1000. */
  get tokenPollInterval(): number {
    return this.#pollInterval;
  }

  set tokenPollInterval(ms: number) {
    checkInteger(ms, 'tokenPollInterval', 10, 3_600_000);
    this.#pollInterval = ms;
  }

  /** Whether this is NSS's internal softoken module. */
  get isInternal(): boolean {
    return this.#native.info().internal;
  }

  /** Whether this is the FIPS softoken. */
  get isFIPS(): boolean {
    return this.#native.info().fips;
  }

  /** The module's slots (readers), each with its token. */
  listSlots(): PK11Slot[] {
    return this.#native.slots().map((native) => new PK11Slot(native));
  }

  /**
   * Unloads the module (`SECMOD_UnloadUserModule`). Certificates and keys still held from its tokens stay
   * valid objects; using them throws {@link NSPRError}s.
   */
  unload(): void {
    this.#stopWatching();
    try {
      this.#native.unload();
      this.#unloaded = true;
    } finally {
      binding.trustChanged();
    }
  }

  override toString(): string {
    return `PKCS11Module(${this.name})`;
  }

  #updateWatch(): void {
    const wanted = this.listenerCount('tokenInserted') + this.listenerCount('tokenRemoved') > 0;
    if (wanted && !this.#watching) {
      // NSS reports a slot whenever its state or event series moved; only a change of presence is news.
      const known = new Map<string, boolean>();
      this.#native.watchTokens((native, present) => {
        const slot = new PK11Slot(native);
        if (known.get(slot.slotName) === present) return;
        known.set(slot.slotName, present);
        binding.trustChanged(); // a token's certificates and trust came or went
        this.emit(present ? 'tokenInserted' : 'tokenRemoved', slot);
      }, this.#pollInterval);
      this.#watching = true;
    } else if (!wanted) {
      this.#stopWatching();
    }
  }

  #stopWatching(): void {
    if (!this.#watching) return;
    this.#watching = false;
    this.#native.stopWatching();
  }
}

/** Options of {@link loadPKCS11Module}. */
export interface LoadPKCS11ModuleOptions {
  /** A name for the module (what `listModules()` and `modutil -list` show). */
  name: string;
  /** Path of the PKCS#11 shared library, e.g. `/usr/lib/softhsm/libsofthsm2.so` or OpenSC's `opensc-pkcs11.so`. */
  library: string;
  /** The module's own parameter string, if it takes one. */
  parameters?: string;
}

/**
 * Loads a PKCS#11 module for this process (`SECMOD_LoadUserModule`), without writing it to the database.
 * Its tokens then appear in {@link getAllTokens}; their certificates are found as `'token:nickname'` or by
 * PKCS#11 URI (`'pkcs11:token=…;object=…'`) with `CertDB.findCertFromNickname`.
 * @example
 * ```ts
 * const hsm = loadPKCS11Module({ name: 'SoftHSM', library: '/usr/lib/softhsm/libsofthsm2.so' });
 * const [slot] = hsm.listSlots();
 * ```
 */
export function loadPKCS11Module(opts: LoadPKCS11ModuleOptions): PKCS11Module {
  checkObject(opts, 'opts');
  checkNonEmptyString(opts.name, 'opts.name');
  checkNonEmptyString(opts.library, 'opts.library');
  if (opts.parameters !== undefined) checkString(opts.parameters, 'opts.parameters');
  try {
    return new PKCS11Module(binding.loadPKCS11Module(opts.name, opts.library, opts.parameters ?? null));
  } finally {
    binding.trustChanged();
  }
}

/** Every module NSS has loaded: the internal softoken, the root store, and modules from the database or {@link loadPKCS11Module}. */
export function listModules(): PKCS11Module[] {
  return binding.listModules().map((native) => new PKCS11Module(native));
}
