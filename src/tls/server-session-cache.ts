// NSS's server session cache: one per process (SSL_ConfigServerSessionIDCache), or one shared by a primary
// process and the workers it starts (SSL_ConfigMPServerSIDCache / SSL_InheritMPServerSIDCache), so that a
// client resumes on any worker of a cluster the session another worker made.
//
// What a worker needs besides NSS's shared memory (found in sslsnce.c, checked with cluster.fork on NSS 3.87):
// - NSS keeps the TLS 1.3 ticket keys in the shared cache only wrapped by an RSA key pair that every process
//   holds (SSL_SetSessionTicketKeyPair; by default the key of the last RSA server certificate configured): a
//   server with only an EC certificate made ticket keys no other worker could read. The primary makes one RSA
//   key for all of them.
// - node-nss tags every server's tickets with a context of its own (server-sessions.ts), random per server:
//   in a worker, a server's context is instead derived from a key the primary makes and the server's
//   sessionIdContext (by default its place among the process's servers), so that the same server in another
//   worker accepts the ticket and no other server does.
// - TLS 1.2 session IDs carry no tag: a server that shares keeps them out of NSS's cache (SSL_NO_CACHE), or a
//   session another worker's other server made would resume at it.
// Both reach the workers in an anonymous file whose descriptor they inherit as they inherit NSS's own (NSS
// opens its cache and lock pipes without close-on-exec); the environment names only the descriptor.
import { createHmac, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { binding } from '../core/binding.js';
import { afterNSSShutdown } from '../core/shutdown-hooks.js';
import { checkInteger, checkNonEmptyString, checkObject } from '../core/validate.js';
import { importKeyObject } from '../pki/key-import.js';
import type { PrivateKey } from '../pki/private-key.js';
import { serverSessionLimits } from './server-sessions.js';

/** The environment variable that tells a worker how to join its primary's cache. */
const INHERITANCE_VARIABLE = 'NODE_NSS_SERVER_SESSIONS';
const CONTEXT_KEY_LENGTH = 32;
// An RSA-2048 PKCS #8 is about 1.2 KB; the file holds the context key before it.
const SECRET_MAX_LENGTH = 16 * 1024;

interface Inheritance {
  /** NSS's SSL_INHERITANCE value. */
  nss: string;
  /** The descriptor of the file with the context key and the ticket-wrapping key. */
  secret: number;
  maxEntries: number;
  timeout: number;
}

/** Options of {@link configServerSessionIDCache} and {@link configMPServerSIDCache}. */
export interface ServerSessionCacheOptions {
  /** Sessions kept (default 10,000; `0`: NSS's default). */
  maxEntries?: number;
  /** Seconds a session lasts (default and maximum 86,400; at least 5; `0`: the default). */
  timeout?: number;
}

/** Options of {@link configMPServerSIDCache}. */
export interface MPServerSIDCacheOptions extends ServerSessionCacheOptions {
  /** Where NSS makes (and at once unlinks) the file its shared memory maps (default `/tmp`). */
  directory?: string;
}

type Sharing =
  | { kind: 'none' }
  // This process made the shared cache: it starts workers (and serves as any process would).
  | { kind: 'primary' }
  // This process joined a primary's cache: its servers share sessions with the other workers.
  | { kind: 'worker'; contextKey: Buffer; ticketKey: PrivateKey }
  // A worker after NSS shut down: NSS cannot join again, its servers keep their sessions to themselves.
  | { kind: 'left' };

let sharing: Sharing = { kind: 'none' };
/** Whether NSS's cache is configured (NSS's shutdown closes it). */
let configured = false;

function checkCacheOptions(opts: ServerSessionCacheOptions): void {
  checkObject(opts, 'opts');
  // NSS takes both as 32-bit numbers: a larger one would wrap around.
  if (opts.maxEntries !== undefined) checkInteger(opts.maxEntries, 'opts.maxEntries', 0, 0x7fffffff);
  if (opts.timeout !== undefined) checkInteger(opts.timeout, 'opts.timeout', 0, 0x7fffffff);
}

function refuseReconfiguration(what: string): void {
  if (configured && (sharing.kind === 'primary' || sharing.kind === 'worker'))
    throw new Error(`${what}: this process already shares a server session cache (${sharing.kind})`);
}

/**
 * Configures NSS's server session-ID cache (TLS 1.2 resumption). Called with defaults by the first
 * SSLServer; call it earlier to choose the size and lifetime.
 */
export function configServerSessionIDCache(opts: ServerSessionCacheOptions = {}): void {
  checkCacheOptions(opts);
  refuseReconfiguration('configServerSessionIDCache');
  binding.configServerSessionIDCache(opts.maxEntries ?? 0, opts.timeout ?? 0);
  serverSessionLimits(opts.maxEntries ?? 0, opts.timeout ?? 0);
  configured = true;
}

/**
 * Primary process of a cluster: makes NSS's server session cache one that the worker processes started
 * after this call share (with `cluster.fork()` or `child_process.fork()`), so that a client resumes on any
 * worker the TLS 1.3 session another worker made — what node:tls users build with shared `ticketKeys`. Call it
 * before starting the workers, and before any server in this process; NSS need not be initialised here.
 * Workers join at their first server (or with {@link inheritMPServerSIDCache}).
 *
 * In the workers, each server shares its sessions with the servers of the same `sessionIdContext` in the
 * other workers (by default its place in the order the worker makes its servers: give every worker the same
 * servers in the same order, or name them); servers within one process never share. TLS 1.2 session IDs
 * carry nothing that says which server made them, so servers that share make no TLS 1.2 resumptions (NSS's
 * `SSL_NO_CACHE` on them): TLS 1.2 clients make full handshakes.
 *
 * The cache lives in shared memory NSS maps from a file it unlinks at once; the key that protects the
 * workers' tickets reaches them through an inherited file descriptor, not the environment. A process
 * started by a worker inherits nothing: the worker closes the descriptor once read.
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * if (cluster.isPrimary) {
 *   nss.configMPServerSIDCache();
 *   for (let i = 0; i < os.availableParallelism(); i++) cluster.fork();
 * } else {
 *   nss.init({ dbDir: 'sql:/etc/pki/nssdb' });
 *   nss.createServer({ certNickname: 'server' }).listen({ port: 8443 });
 * }
 * ```
 */
export function configMPServerSIDCache(opts: MPServerSIDCacheOptions = {}): void {
  checkCacheOptions(opts);
  if (opts.directory !== undefined) checkNonEmptyString(opts.directory, 'opts.directory');
  if (configured || sharing.kind !== 'none')
    throw new Error(`configMPServerSIDCache: this process's server session cache is already configured`);
  const maxEntries = opts.maxEntries ?? 0;
  const timeout = opts.timeout ?? 0;
  const nss = binding.configMPServerSIDCache(maxEntries, timeout, opts.directory ?? null);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const secret = Buffer.concat([
    randomBytes(CONTEXT_KEY_LENGTH),
    privateKey.export({ type: 'pkcs8', format: 'der' }),
  ]);
  const inheritance: Inheritance = { nss, secret: binding.inheritableSecret(secret), maxEntries, timeout };
  secret.fill(0);
  process.env[INHERITANCE_VARIABLE] = JSON.stringify(inheritance);
  serverSessionLimits(maxEntries, timeout);
  sharing = { kind: 'primary' };
  configured = true;
}

function readInheritance(value: string): Inheritance {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const p = parsed as Partial<Inheritance> | undefined;
  if (
    typeof p?.nss !== 'string' ||
    !Number.isInteger(p.secret) ||
    !Number.isInteger(p.maxEntries) ||
    !Number.isInteger(p.timeout)
  )
    throw new Error(`${INHERITANCE_VARIABLE} is not what configMPServerSIDCache sets`);
  return p as Inheritance;
}

/**
 * Worker process: joins the server session cache of the primary that started it (see
 * {@link configMPServerSIDCache}). The first server in a worker does this itself; call it to join earlier,
 * or to fail early. Needs NSS initialised. Returns false when this process was not started by such a primary.
 */
export function inheritMPServerSIDCache(): boolean {
  if (sharing.kind === 'worker' && configured) return true;
  const value = process.env[INHERITANCE_VARIABLE];
  if (value === undefined || sharing.kind === 'left') return false;
  if (configured)
    throw new Error(`inheritMPServerSIDCache: this process's server session cache is already configured`);
  const inheritance = readInheritance(value);
  binding.inheritMPServerSIDCache(inheritance.nss);
  // The descriptor is read once and closed, and the variable goes with it: children of this worker (not
  // started by the primary) inherit neither.
  const secret = binding.readInheritedSecret(inheritance.secret, SECRET_MAX_LENGTH);
  delete process.env[INHERITANCE_VARIABLE];
  try {
    const contextKey = Buffer.from(secret.subarray(0, CONTEXT_KEY_LENGTH));
    const der = secret.subarray(CONTEXT_KEY_LENGTH);
    const ticketKey = importKeyObject(
      createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      { permanent: false, pinArgs: [] },
      'ticket key',
    );
    binding.setSessionTicketKeyPair(ticketKey.native);
    serverSessionLimits(inheritance.maxEntries, inheritance.timeout);
    sharing = { kind: 'worker', contextKey, ticketKey };
    configured = true;
  } finally {
    secret.fill(0);
  }
  return true;
}

/** @internal The first server of a process: joins a primary's cache, or configures this process's own. */
export function ensureServerSessionCache(): void {
  if (configured || inheritMPServerSIDCache()) return;
  try {
    configServerSessionIDCache();
  } catch {
    // already configured in this process (for instance before a shutdown/init cycle)
    configured = true;
  }
}

let serversMade = 0;

/**
 * @internal The ticket context of a new server: random, or in a worker that shares sessions, the same as
 * that of the server of the same name (`sessionIdContext`, by default its place) in the other workers.
 * `shared`: whether it shares (TLS 1.3 tickets only: its TLS 1.2 session IDs stay out of the cache).
 */
export function serverContext(sessionIdContext: string | undefined): { context: Buffer; shared: boolean } {
  const place = serversMade++;
  if (sharing.kind !== 'worker') return { context: randomBytes(16), shared: false };
  const name = sessionIdContext ?? `server #${place}`;
  return {
    context: createHmac('sha256', sharing.contextKey).update(name, 'utf8').digest().subarray(0, 16),
    shared: true,
  };
}

// NSS shut down, and its server session cache with it: the next server configures it again. A worker cannot
// join again (NSS remembers it did and would not map the cache a second time).
afterNSSShutdown(() => {
  configured = false;
  if (sharing.kind === 'worker') sharing = { kind: 'left' };
});
