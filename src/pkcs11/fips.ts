// FIPS mode as the operating system and NSS's process-wide policy see it: the kernel's switch, and the
// minimum key sizes NSS enforces while FIPS mode is on. The TLS profile built on them is in tls/.
import * as fs from 'node:fs';
import { binding } from '../core/binding.js';

/** @internal Smallest RSA modulus while FIPS mode is on (`NSS_RSA_MIN_KEY_SIZE`). */
export const FIPS_MIN_RSA_BITS = 2048;
/** @internal Smallest finite-field Diffie-Hellman prime while FIPS mode is on (`NSS_DH_MIN_KEY_SIZE`). */
export const FIPS_MIN_DH_BITS = 2048;

// NSS's minimum key sizes are process-wide options: raised while FIPS mode is on, restored when it goes.
let savedKeySizes: Array<[number, number]> | undefined;

function keySizeOptions(): Array<[number, number]> {
  const k = binding.constants;
  return [
    [k.NSS_RSA_MIN_KEY_SIZE ?? 1, FIPS_MIN_RSA_BITS],
    [k.NSS_DH_MIN_KEY_SIZE ?? 2, FIPS_MIN_DH_BITS],
    [k.NSS_DSA_MIN_KEY_SIZE ?? 4, 2048],
  ];
}

/**
 * @internal Raises NSS's minimum RSA/DH/DSA key sizes to the profile's while FIPS mode is on and puts the
 * previous values back when it is off. A locked system policy (NSS_OptionSet fails) keeps its own values.
 */
export function syncFIPSKeySizes(fips: boolean): void {
  if (fips && savedKeySizes === undefined) {
    savedKeySizes = [];
    for (const [option, minimum] of keySizeOptions()) {
      try {
        const current = binding.nssOptionGet(option);
        savedKeySizes.push([option, current]);
        if (current < minimum) binding.nssOptionSet(option, minimum);
      } catch {
        // SEC_ERROR_POLICY_LOCKED: the system's crypto policy decides
      }
    }
  } else if (!fips && savedKeySizes !== undefined) {
    for (const [option, value] of savedKeySizes) {
      try {
        binding.nssOptionSet(option, value);
      } catch {
        // as above
      }
    }
    savedKeySizes = undefined;
  }
}

let systemFIPSFile = '/proc/sys/crypto/fips_enabled';

/**
 * @internal Reads the kernel's FIPS switch from another file (tests on machines whose kernel is not in
 * FIPS mode). NSS itself always reads /proc/sys/crypto/fips_enabled.
 */
export function setSystemFIPSFile(file: string): void {
  systemFIPSFile = file;
}

/**
 * Whether the operating system forces FIPS mode: the Linux kernel was booted with `fips=1`
 * (`/proc/sys/crypto/fips_enabled` is `1`, the test NSS's `SECMOD_GetSystemFIPSEnabled` makes). NSS then
 * opens its internal module in FIPS mode whatever the database says, and refuses to leave it:
 * `enableFIPS(false)` throws `SEC_ERROR_MODULE_STUCK`.
 */
export function isSystemFIPS(): boolean {
  try {
    const fd = fs.openSync(systemFIPSFile, 'r');
    try {
      const byte = Buffer.alloc(1);
      return fs.readSync(fd, byte, 0, 1, 0) === 1 && byte[0] === 0x31; // '1'
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return false;
  }
}
