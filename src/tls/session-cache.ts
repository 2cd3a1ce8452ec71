import { binding } from '../core/binding.js';
import { checkInteger, checkObject } from '../core/validate.js';

// NSS's client session cache keeps the ticket of every TLS 1.3 session a client has resumed from until the
// ticket expires (two days for NSS servers), next to the fresh ticket the resumed connection receives:
// about 1 KiB per resumed connection. Clearing the cache now and then bounds that; the cost is one full
// handshake per other server after each clearing (the connection that triggered it caches its fresh ticket).
let usedTicketLimit = 5000;
let usedTickets = 0;

/**
 * Empties NSS's client session cache (`SSL_ClearSessionCache`): the next connection to each server makes a
 * full handshake.
 */
export function clearSessionCache(): void {
  binding.clearSessionCache();
  usedTickets = 0;
}

/**
 * Configures the client session cache. NSS keeps each TLS 1.3 ticket a client has resumed from until it
 * expires; node-nss clears the cache after `maxUsedTickets` such resumptions (default 5000, about 5 MiB) so
 * that a long-running client's memory stays bounded. `0` never clears it.
 */
export function configClientSessionCache(opts: { maxUsedTickets?: number }): void {
  checkObject(opts, 'opts');
  if (opts.maxUsedTickets !== undefined) {
    checkInteger(opts.maxUsedTickets, 'opts.maxUsedTickets', 0);
    usedTicketLimit = opts.maxUsedTickets;
  }
}

/** @internal A client resumed a TLS 1.3 session from NSS's cache, which keeps the spent ticket. */
export function usedTicketLeftInCache(): void {
  usedTickets++;
  if (usedTicketLimit > 0 && usedTickets >= usedTicketLimit) clearSessionCache();
}
