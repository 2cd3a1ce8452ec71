// Which resumed sessions a server accepts. NSS's server session-ID cache and its ticket keys are
// process-wide, and NSS remembers nothing of the server that made a session but the kind of certificate it
// used (tls13_CanResume, ssl3con.c): measured on NSS 3.87, a session made at one SSLServer resumed at any
// other in the process, one with another certificate included, and the client kept believing it spoke to the
// first. node:tls keeps sessions per server (ticket keys and session cache per SecureContext). So every
// server has a session context of its own: TLS 1.3 tickets carry it (the native engine tags them and checks
// the tag of an offered ticket), and a TLS 1.2 session resumes only if this server made it.
import { randomBytes } from 'node:crypto';
import type { NativeSSLEngine } from '../../types/binding.js';
import * as ssl from './constants.js';

// NSS's defaults for SSL_ConfigServerSessionIDCache (sslsnce.c): 10,000 entries, 24 hours (also its maximum;
// at least 5 s).
const NSS_DEFAULT_ENTRIES = 10_000;
const NSS_DEFAULT_TIMEOUT_S = 86_400;
const NSS_MIN_TIMEOUT_S = 5;

let limits = { maxEntries: NSS_DEFAULT_ENTRIES, lifetimeMs: NSS_DEFAULT_TIMEOUT_S * 1000 };

/** @internal The server session cache was configured: the sessions a server remembers last as long. */
export function serverSessionLimits(maxEntries: number, timeoutSeconds: number): void {
  const seconds = timeoutSeconds === 0 ? NSS_DEFAULT_TIMEOUT_S : timeoutSeconds;
  limits = {
    maxEntries: maxEntries === 0 ? NSS_DEFAULT_ENTRIES : maxEntries,
    lifetimeMs: Math.min(Math.max(seconds, NSS_MIN_TIMEOUT_S), NSS_DEFAULT_TIMEOUT_S) * 1000,
  };
}

/**
 * @internal Makes `engine`'s TLS 1.3 tickets carry `context`: NSS's own `SSL_ENABLE_SESSION_TICKETS` (untagged
 * tickets, TLS 1.2 tickets) goes off, and what it said becomes whether tagged tickets are sent, which is
 * returned.
 */
export function tagTickets(engine: NativeSSLEngine, context: Buffer): boolean {
  const tickets = engine.optionGet(ssl.SSL_ENABLE_SESSION_TICKETS) === 1;
  engine.optionSet(ssl.SSL_ENABLE_SESSION_TICKETS, 0);
  engine.setServerSessionContext(context, tickets);
  return tickets;
}

/** @internal One server's sessions: its ticket context and the TLS 1.2 session IDs it made. */
export class ServerSessions {
  /**
   * Tags this server's TLS 1.3 tickets (at most 255 bytes for NSS): random, or in a worker sharing its
   * primary's session cache, the context the same server has in the other workers (server-session-cache.ts).
   */
  readonly context: Buffer;
  // session ID (hex) → when NSS's cache lets it go; insertion order is expiry order.
  readonly #issued = new Map<string, number>();

  constructor(context: Buffer = randomBytes(16)) {
    this.context = context;
  }

  /** A full TLS 1.2 handshake made this session. */
  remember(sessionID: Buffer, now = Date.now()): void {
    if (sessionID.length === 0) return;
    const key = sessionID.toString('hex');
    this.#issued.delete(key);
    this.#issued.set(key, now + limits.lifetimeMs);
    for (const [id, expires] of this.#issued) {
      if (expires > now && this.#issued.size <= limits.maxEntries) break;
      this.#issued.delete(id);
    }
  }

  /** Whether a resumed TLS 1.2 session is one this server made (and NSS could still hold). */
  made(sessionID: Buffer, now = Date.now()): boolean {
    const expires = this.#issued.get(sessionID.toString('hex'));
    return expires !== undefined && expires > now;
  }
}
