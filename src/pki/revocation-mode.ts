// The revocation modes, on their own: the certificate and the socket layers both take one.
import { argTypeError, argValueError } from '../core/validate.js';

/** How a verification checks revocation: see {@link setDefaultRevocationMode}. */
export type RevocationMode = 'off' | 'soft' | 'hard';

const MODES: Record<RevocationMode, number> = { off: 0, soft: 1, hard: 2 };

/** @internal Throws TypeError/RangeError unless `mode` is a RevocationMode. */
export function checkRevocationMode(mode: unknown, name: string): asserts mode is RevocationMode {
  if (typeof mode !== 'string') throw argTypeError(`The "${name}" argument must be 'off', 'soft' or 'hard'`);
  if (!Object.hasOwn(MODES, mode))
    throw argValueError(`The "${name}" argument must be 'off', 'soft' or 'hard'. Received '${mode}'`);
}

/** @internal The number the native verifier takes for a mode. */
export function revocationCode(mode: RevocationMode): number {
  return MODES[mode];
}
