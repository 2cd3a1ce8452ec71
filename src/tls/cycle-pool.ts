import { binding } from '../core/binding.js';
import { checkInteger, checkObject } from '../core/validate.js';

// The cycle pool: native threads (not libuv's) that run sockets' handshakes (key exchange, signatures) off the
// JavaScript thread. Opt-in: without it every cycle runs on the JavaScript thread, which is the cheapest for
// one connection (no thread hop) but stalls the event loop for as long as a handshake's cryptography takes.

let threads = 0;

/**
 * Runs TLS sockets' handshakes on a pool of `threads` native threads (not libuv's), off the JavaScript
 * thread: a burst of handshakes no longer stalls the event loop, they spread over the cores, and a signature
 * on a slow token does not hold the loop up. Each socket keeps one cycle in flight at a time, so its records
 * stay in order; nothing else changes for the application (events, bytes and errors are those of the inline
 * mode). Records on an open connection are encrypted and decrypted inline, as node:tls does: that takes
 * microseconds, less than a trip to another thread. `threads: 0` (the default)
 * runs every cycle inline again. The pool is process-wide; sockets of this thread use it from their next
 * cycle on. `NODE_NSS_THREADS=N` in the environment does the same when node-nss loads.
 *
 * A socket cycles inline whatever the setting while NSS would call back into JavaScript inside its
 * handshake: a server with an auth-certificate callback (python-nss style, or node-nss/tls's
 * `requestCert` checks) or an SNI callback, and a socket given pin arguments (its token login may ask the
 * password callback; log in first, `slot.login(pin)`, to keep such a socket on the pool).
 *
 * @param opts.threads - pool threads, 0 to 256; the machine's core count is a good start for a server
 * @example
 * ```ts
 * nss.configThreadPool({ threads: os.availableParallelism() });
 * ```
 */
export function configThreadPool(opts: { threads: number }): void {
  checkObject(opts, 'opts');
  checkInteger(opts.threads, 'opts.threads', 0, 256);
  threads = opts.threads;
  binding.configureCyclePool(threads);
}

/**
 * The cycle pool's size (see {@link configThreadPool}) and the number of cycles it has run in this process.
 */
export function threadPool(): { threads: number; cycles: number } {
  return binding.cyclePool();
}

/** @internal Whether this thread's sockets try the pool. */
export function cyclePoolEnabled(): boolean {
  return threads > 0;
}

const fromEnvironment = process.env.NODE_NSS_THREADS;
if (fromEnvironment !== undefined && fromEnvironment !== '') {
  const n = Number(fromEnvironment);
  if (!Number.isInteger(n) || n < 0 || n > 256) {
    throw new RangeError(
      `NODE_NSS_THREADS must be an integer from 0 to 256; got ${JSON.stringify(fromEnvironment)}`,
    );
  }
  configThreadPool({ threads: n });
}
