import { binding } from './binding.js';
import { checkInteger, checkString } from './validate.js';

/** Name of an NSS/NSPR error code (`-8179` → `'SEC_ERROR_UNKNOWN_ISSUER'`), or `'UNKNOWN_ERROR_<n>'`. */
export function errorName(errno: number): string {
  checkInteger(errno, 'errno');
  return binding.errorName(errno) ?? `UNKNOWN_ERROR_${errno}`;
}

/** NSS's own text for an error code (`PR_ErrorToString`), or the code's name when NSS has none. */
export function errorMessage(errno: number): string {
  const name = errorName(errno);
  return binding.errorMessage(errno) || name;
}

/**
 * An NSS or NSPR failure. `code` is NSS's name for the error (`'SSL_ERROR_BAD_CERT_DOMAIN'`), `errno` its
 * number, and the message NSS's own text. A few package-level conditions have codes of their own:
 * `'NSS_SHUT_DOWN'` (an object used after {@link shutdown}) and `'NSS_ALREADY_INITIALIZED'`. An
 * `SSLSocket` used after `destroy()` says `'PR_BAD_DESCRIPTOR_ERROR'` (the socket is closed; NSS is not).
 * @example
 * ```ts
 * try {
 *   await connect({ host: 'expired.badssl.com', port: 443 });
 * } catch (err) {
 *   if (err instanceof NSPRError) console.log(err.code, err.errno, err.message); // 'SEC_ERROR_EXPIRED_CERTIFICATE'
 * }
 * ```
 */
export class NSPRError extends Error {
  /** The NSS/NSPR error number (negative, as in `secerr.h`, `sslerr.h`, `prerr.h`). */
  readonly errno: number;
  /** The NSS name of the error, e.g. `'SEC_ERROR_EXPIRED_CERTIFICATE'`. */
  readonly code: string;

  constructor(errno: number, code?: string, message?: string) {
    checkInteger(errno, 'errno');
    if (code !== undefined) checkString(code, 'code');
    if (message !== undefined) checkString(message, 'message');
    const name = code ?? errorName(errno);
    super(message ?? errorMessage(errno));
    this.errno = errno;
    this.code = name;
  }

  override get name(): string {
    return 'NSPRError';
  }
}

binding.setErrorClass(NSPRError);
