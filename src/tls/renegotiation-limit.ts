// How many renegotiations a client may start on a server socket (TLS 1.2 and below; TLS 1.3 has none). NSS
// allows any number, each costing the server a full handshake (testssl.sh flags it as a DoS vector);
// node:tls allows 3 per 10 minutes, node-nss none by default. NSS tells the server nothing when a ClientHello starts a renegotiation,
// only when one completes, so the socket counts completed renegotiations the peer started, and once the
// limit is reached it turns SSL_ENABLE_RENEGOTIATION to SSL_RENEGOTIATE_NEVER for the rest of the window:
// NSS then refuses the next ClientHello before doing any work for it (a warning no_renegotiation alert and
// SSL_ERROR_RENEGOTIATION_NOT_ALLOWED from the read, which fails the connection).
import type { NativeSSLEngine } from '../../types/binding.js';
import { errnos } from '../core/constants.js';
import { NSPRError } from '../core/errors.js';
import * as ssl from './constants.js';

/** @internal One server socket's count of the renegotiations its peer started. */
export class RenegotiationLimiter {
  readonly #engine: NativeSSLEngine;
  readonly #limit: number;
  readonly #window: number;
  #count = 0;
  #last = 0;
  /** The application's SSL_ENABLE_RENEGOTIATION while the limiter holds it at NEVER. */
  #saved: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(engine: NativeSSLEngine, limit: number, window: number) {
    this.#engine = engine;
    this.#limit = limit;
    this.#window = window;
    if (limit === 0) this.#block();
  }

  /** A renegotiation the peer started has completed. */
  peerRenegotiated(now = Date.now()): void {
    if (now - this.#last > this.#window) this.#count = 0;
    this.#last = now;
    this.#count++;
    if (this.#count >= this.#limit) this.#block();
  }

  /** The server itself asks for a renegotiation: NSS must accept the client's answer to it. */
  ownRenegotiationStarts(): void {
    this.#unblock();
  }

  /** The server's own renegotiation completed: the peer's limit applies again. */
  ownRenegotiationDone(): void {
    if (this.#limit === 0 || (this.#count >= this.#limit && Date.now() - this.#last <= this.#window))
      this.#block();
  }

  /** The error for NSS's refusal while the limit holds (else undefined: NSS's own error stands). */
  error(errno: number): NSPRError | undefined {
    if (errno !== errnos.SSL_ERROR_RENEGOTIATION_NOT_ALLOWED || this.#saved === undefined) return undefined;
    if (this.#limit === 0) {
      return new NSPRError(
        errno,
        undefined,
        'the peer tried to renegotiate, and this server refuses renegotiations a client starts (renegotiationLimit 0)',
      );
    }
    const times = this.#limit === 1 ? 'time' : 'times';
    return new NSPRError(
      errno,
      undefined,
      `the peer tried to renegotiate more than ${this.#limit} ${times} in ${this.#window / 1000} s ` +
        '(renegotiationLimit, renegotiationWindow)',
    );
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }

  #block(): void {
    if (this.#saved === undefined) {
      const current = this.#engine.optionGet(ssl.SSL_ENABLE_RENEGOTIATION);
      if (current === ssl.SSL_RENEGOTIATE_NEVER) return; // the application refuses them all already
      this.#saved = current;
      this.#engine.optionSet(ssl.SSL_ENABLE_RENEGOTIATION, ssl.SSL_RENEGOTIATE_NEVER);
    }
    if (this.#limit === 0) return;
    clearTimeout(this.#timer);
    // The window is counted from the last renegotiation, as node:tls does.
    this.#timer = setTimeout(() => {
      this.#count = 0;
      this.#unblock();
    }, this.#window).unref();
  }

  #unblock(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#saved === undefined) return;
    try {
      this.#engine.optionSet(ssl.SSL_ENABLE_RENEGOTIATION, this.#saved);
    } catch {
      // the socket closed meanwhile
    }
    this.#saved = undefined;
  }
}
