// The differential contract harness: each scenario is written once, over an abstract client and server
// implementation, and runs in every pairing (node:tls ↔ node:tls is the reference; node-nss takes the
// client end, the server end, or both). A leg records what each end observably did (its events in order,
// the bytes it received, a few scenario notes, errors that reached the process, whether the scenario
// finished within its deadline); every leg with node-nss in it must record exactly what the reference does.
//
// Normalisations (what legitimately differs between the implementations, and nothing else):
//   N1  Consecutive 'data' events are one 'data' entry: how bytes are cut into records and reads differs.
//       Received bytes are compared by length and SHA-256 instead.
//   N2  Error codes are compared by class where the two libraries name the same condition differently
//       (errorClass below): a reset connection (ECONNRESET, EPIPE / PR_CONNECT_RESET_ERROR) is 'reset'; an
//       untrusted certificate (OpenSSL's DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_VERIFY_LEAF_SIGNATURE, … /
//       NSS's SEC_ERROR_UNKNOWN_ISSUER, …) is 'untrusted-certificate'; an alert from the peer is
//       'alert:<name>' (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA / SSL_ERROR_UNKNOWN_CA_ALERT are 'alert:unknown_ca').
//       Node's own stream errors (ERR_STREAM_*) and the test's own errors keep their codes: both libraries
//       are node streams and must give the same ones. Anything else keeps its code, so that an NSS-only
//       condition (PR_END_OF_FILE_ERROR, a truncation) shows as itself.
//   N3  The end of a handshake is 'secure' on both ends: the client's 'secureConnect' and the server's
//       'secureConnection' (node-nss's own 'secure' event is not a node:tls event and is not recorded).
//   N4  Each end is recorded only from the moment node:tls lets a user see it: the client from its
//       tls.connect / createConnection, the server's socket from 'secureConnection'. Events after the
//       scenario ended (the harness tearing down) are not recorded.
//   Scenarios add their own (a nondeterministic quantity such as how much of a queue the kernel had already
//   sent); each is stated where the scenario defines it.
import { createHash } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import {
  Agent as NSSAgent,
  connect as nssConnect,
  createConnection as nssCreateConnection,
  createServer as nssCreateServer,
  type ConnectOptions,
  type CreateServerOptions,
} from 'node-nss';

export type ImplName = 'node:tls' | 'node-nss';
export type TLSVersion = 'TLSv1.2' | 'TLSv1.3';

/** A TLS connection end as both libraries give it: a Duplex with net.Socket's timeout. */
export type TLSEnd = Duplex & {
  setTimeout(ms: number, callback?: () => void): unknown;
  alpnProtocol?: string | false | null;
};

/** The certificates both implementations use: nicknames in the NSS database, PEM exports of the same. */
export interface Credentials {
  caPem: Buffer;
  server: { nickname: string; certPem: Buffer; keyPem: Buffer };
  /** Self-signed, so trusted by neither implementation's client. */
  untrusted: { nickname: string; certPem: Buffer; keyPem: Buffer };
  /** A client certificate (issued by the CA) and its key. */
  user: { nickname: string; certPem: Buffer; keyPem: Buffer };
  /** The NSS database (`sql:` directory) node-nss was initialised with. */
  dbDir: string;
  /** The same PEM files on disk, for command-line peers. */
  files: { caCert: string; serverCert: string; serverKey: string };
}

export interface ClientOptions {
  port: number;
  version?: TLSVersion;
  allowHalfOpen?: boolean;
  ALPNProtocols?: string[];
  rejectUnauthorized?: boolean;
  /** An already connected TCP socket to run TLS over (the harness keeps it, to watch and cut it). */
  socket?: net.Socket;
  /** Answer a certificate request with test_user (node: its PEM cert and key; node-nss: its nickname). */
  clientCert?: boolean;
}

export type AgentOptions = https.AgentOptions & { clientCert?: boolean };

export interface ClientImpl {
  name: ImplName;
  /** tls.connect / node-nss createConnection: returns at once, the handshake runs in the background. */
  connect(opts: ClientOptions): TLSEnd;
  /** Resolves after the handshake: `once(tls.connect(), 'secureConnect')` / node-nss `connect()`. */
  connectAsync(opts: ClientOptions): Promise<TLSEnd>;
  /** An https.Agent whose connections are this implementation's. */
  agent(opts?: AgentOptions): https.Agent;
}

export interface ServerOptions {
  version?: TLSVersion;
  allowHalfOpen?: boolean;
  identity?: 'trusted' | 'untrusted';
  ALPNProtocols?: string[];
}

/** A TLS server: listening itself, or fed with connections the harness accepts (and so owns). */
export interface ServerInstance {
  /** Emits 'secureConnection' (socket) and 'tlsClientError' (error). */
  events: EventEmitter;
  /** `listen()` on a loopback port; `onRaw` sees each TCP connection where the implementation shows it. */
  listen(onRaw: (raw: net.Socket) => void): Promise<number>;
  /** Takes a connection accepted elsewhere: `tls.Server`'s 'connection', node-nss's `handleConnection`. */
  handle(raw: net.Socket): void;
  close(): Promise<void>;
}

export interface ServerImpl {
  name: ImplName;
  create(opts: ServerOptions): ServerInstance;
}

export function nodeClient(creds: Credentials): ClientImpl {
  const options = (opts: ClientOptions): tls.ConnectionOptions => ({
    ...(opts.socket ? { socket: opts.socket } : { host: '127.0.0.1', port: opts.port }),
    servername: 'localhost',
    ca: [creds.caPem],
    ...(opts.version ? { minVersion: opts.version, maxVersion: opts.version } : {}),
    ...(opts.allowHalfOpen !== undefined ? { allowHalfOpen: opts.allowHalfOpen } : {}),
    ...(opts.ALPNProtocols ? { ALPNProtocols: opts.ALPNProtocols } : {}),
    ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
    ...(opts.clientCert ? { cert: creds.user.certPem, key: creds.user.keyPem } : {}),
  });
  return {
    name: 'node:tls',
    connect: (opts) => tls.connect(options(opts)),
    connectAsync: (opts) =>
      new Promise((resolve, reject) => {
        const sock = tls.connect(options(opts));
        sock.once('secureConnect', () => {
          sock.removeListener('error', reject);
          resolve(sock);
        });
        sock.once('error', reject);
      }),
    agent: ({ clientCert, ...opts } = {}) =>
      new https.Agent({
        ca: [creds.caPem],
        ...(clientCert ? { cert: creds.user.certPem, key: creds.user.keyPem } : {}),
        ...opts,
      }),
  };
}

export function nssClient(creds: Credentials): ClientImpl {
  // allowHalfOpen is handed over as tls.connect takes it; node-nss's ConnectOptions do not name it (yet).
  const options = (opts: ClientOptions): ConnectOptions =>
    ({
      ...(opts.socket ? { socket: opts.socket } : { host: '127.0.0.1', port: opts.port }),
      servername: 'localhost',
      ...(opts.version ? { minVersion: opts.version, maxVersion: opts.version } : {}),
      ...(opts.allowHalfOpen !== undefined ? { allowHalfOpen: opts.allowHalfOpen } : {}),
      ...(opts.ALPNProtocols ? { ALPNProtocols: opts.ALPNProtocols } : {}),
      ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
      ...(opts.clientCert ? { clientCertNickname: creds.user.nickname } : {}),
    }) as ConnectOptions;
  return {
    name: 'node-nss',
    connect: (opts) => nssCreateConnection(options(opts)) as unknown as TLSEnd,
    connectAsync: async (opts) => (await nssConnect(options(opts))) as unknown as TLSEnd,
    // node-nss's Agent takes TLS settings in its `nss` options (the https.AgentOptions ones are node's).
    agent: ({ clientCert, minVersion, maxVersion, ...opts } = {}) =>
      new NSSAgent({
        ...opts,
        nss: {
          ...(clientCert ? { clientCertNickname: creds.user.nickname } : {}),
          ...(minVersion ? { minVersion: minVersion as TLSVersion } : {}),
          ...(maxVersion ? { maxVersion: maxVersion as TLSVersion } : {}),
        },
      }),
  };
}

export function nodeServer(creds: Credentials): ServerImpl {
  return {
    name: 'node:tls',
    create(opts) {
      const id = opts.identity === 'untrusted' ? creds.untrusted : creds.server;
      const server = tls.createServer({
        cert: id.certPem,
        key: id.keyPem,
        ...(opts.version ? { minVersion: opts.version, maxVersion: opts.version } : {}),
        ...(opts.allowHalfOpen !== undefined ? { allowHalfOpen: opts.allowHalfOpen } : {}),
        ...(opts.ALPNProtocols ? { ALPNProtocols: opts.ALPNProtocols } : {}),
      });
      return {
        events: server,
        listen: async (onRaw) => {
          const port = await freshPort();
          return new Promise((resolve) => {
            server.on('connection', onRaw);
            server.listen(port, '127.0.0.1', () => resolve(port));
          });
        },
        handle: (raw) => server.emit('connection', raw),
        close: () =>
          new Promise((resolve) => {
            if (!server.listening) resolve();
            else server.close(() => resolve());
          }),
      };
    },
  };
}

// Every leg's server gets a port no earlier leg in this process had. A node-nss client keeps its sessions
// per host and port, and a node-nss server refuses (fails) a session another server in the process made,
// where a node:tls server makes a full handshake instead (NSS cannot decline a ticket and go on): a port
// handed out again would make a leg depend on the legs before it.
const usedPorts = new Set<number>();

/** A loopback port free now and not used by an earlier leg. */
async function freshPort(): Promise<number> {
  for (;;) {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (!usedPorts.has(port)) {
      usedPorts.add(port);
      return port;
    }
  }
}

export function nssServer(creds: Credentials): ServerImpl {
  return {
    name: 'node-nss',
    create(opts) {
      const id = opts.identity === 'untrusted' ? creds.untrusted : creds.server;
      // allowHalfOpen as tls.createServer takes it; CreateServerOptions do not name it (yet).
      const server = nssCreateServer({
        certNickname: id.nickname,
        ...(opts.version ? { minVersion: opts.version, maxVersion: opts.version } : {}),
        ...(opts.allowHalfOpen !== undefined ? { allowHalfOpen: opts.allowHalfOpen } : {}),
        ...(opts.ALPNProtocols ? { ALPNProtocols: opts.ALPNProtocols } : {}),
      } as CreateServerOptions);
      return {
        events: server,
        // node-nss's SSLServer does not show its TCP connections.
        listen: async () => (await server.listen({ port: await freshPort(), host: '127.0.0.1' })).port,
        handle: (raw) => server.handleConnection(raw),
        close: () => server.close(),
      };
    },
  };
}

// ---- recording ---------------------------------------------------------------------------------

const resetCodes = new Set(['ECONNRESET', 'EPIPE', 'PR_CONNECT_RESET_ERROR']);
const untrustedCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'SEC_ERROR_UNKNOWN_ISSUER',
  'SEC_ERROR_UNTRUSTED_ISSUER',
  'SEC_ERROR_UNTRUSTED_CERT',
  'SEC_ERROR_CA_CERT_INVALID',
]);
// NSS's names for alerts it received, where they differ from the alert's own name.
const nssAlertNames: Record<string, string> = { BAD_CERT: 'bad_certificate' };

/** N2: the class of an error, the same for both libraries where they name one condition differently. */
export function errorClass(err: unknown): string {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (resetCodes.has(code)) return 'reset';
  if (untrustedCodes.has(code)) return 'untrusted-certificate';
  const openssl = /^ERR_SSL_(?:TLSV1|SSLV3|TLSV13)_ALERT_(\w+)$/.exec(code);
  if (openssl) return `alert:${openssl[1]!.toLowerCase()}`;
  const nss = /^SSL_ERROR_(\w+)_ALERT$/.exec(code);
  if (nss && code !== 'SSL_ERROR_END_OF_FILE_ALERT')
    return `alert:${nssAlertNames[nss[1]!] ?? nss[1]!.toLowerCase()}`;
  if (code) return code;
  return `no code: ${err instanceof Error ? err.message : String(err)}`;
}

/** What one end of a leg observed. */
export interface EndRecord {
  events: string[];
  received: { length: number; sha256: string };
  notes: Record<string, unknown>;
}

export interface WatchOptions {
  /** Listen for 'data' (default true; off where an http parser owns the socket's reads). */
  data?: boolean;
  /** Listen for 'error' (default true; off to see what happens when nobody does). */
  error?: boolean;
}

/** The recorder of one end. */
export class Side {
  readonly events: string[] = [];
  readonly notes: Record<string, unknown> = {};
  #hash = createHash('sha256');
  #length = 0;
  #stopped = false;
  /** The end's socket, once there is one. */
  sock: TLSEnd | undefined;
  #paused = false;
  #dataWhilePaused = 0;

  constructor(private readonly changed: () => void) {}

  /** Records an event (N1: consecutive 'data' events are one). */
  mark(event: string): void {
    if (this.#stopped) return;
    if (!(event === 'data' && this.events.at(-1) === 'data')) this.events.push(event);
    this.changed();
  }

  note(key: string, value: unknown): void {
    if (this.#stopped) return;
    this.notes[key] = value;
    this.changed();
  }

  has(prefix: string): boolean {
    return this.events.some((e) => e.startsWith(prefix));
  }

  get closed(): boolean {
    return this.has('close');
  }

  get receivedLength(): number {
    return this.#length;
  }

  /** Pauses the socket; data that still arrives while paused is counted. */
  pause(): void {
    this.#paused = true;
    this.sock?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.sock?.resume();
  }

  get dataWhilePaused(): number {
    return this.#dataWhilePaused;
  }

  watch(sock: TLSEnd, opts: WatchOptions = {}): TLSEnd {
    this.sock = sock;
    if (opts.data !== false) {
      sock.on('data', (chunk: Buffer | string) => {
        if (this.#stopped) return;
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        if (typeof chunk === 'string') this.notes.stringChunks = true;
        if (this.#paused) this.#dataWhilePaused++;
        this.#hash.update(bytes);
        this.#length += bytes.length;
        this.mark('data');
      });
    }
    for (const event of ['end', 'finish', 'timeout']) sock.on(event, () => this.mark(event));
    sock.on('close', (hadError?: unknown) => this.mark(`close(${String(hadError)})`));
    if (opts.error !== false) sock.on('error', (err: Error) => this.mark(`error(${errorClass(err)})`));
    return sock;
  }

  stop(): void {
    this.#stopped = true;
  }

  record(): EndRecord {
    return {
      events: [...this.events],
      received: { length: this.#length, sha256: this.#hash.copy().digest('hex') },
      notes: { ...this.notes },
    };
  }
}

/** What a leg observed. */
export interface LegRecord {
  /** The scenario reached its end within its deadline. */
  completed: boolean;
  client: EndRecord;
  server: EndRecord;
  /** Events on the server object: 'tlsClientError(<class>)'. */
  serverEvents: string[];
  /** Errors that reached the process (an 'error' event nobody listened for, a rejection nobody caught). */
  uncaught: string[];
  /** An exception in the scenario's own code (a bug in the scenario, or a library throwing where it must not). */
  scriptError?: string;
}

// ---- running a leg -------------------------------------------------------------------------------

export interface Leg {
  readonly clientImpl: ClientImpl;
  readonly serverImpl: ServerImpl | undefined;
  readonly client: Side;
  readonly server: Side;
  readonly serverEvents: string[];
  readonly uncaught: string[];
  port: number;
  /** The accepted TCP connections, in order. */
  readonly serverRaw: net.Socket[];
  /** The client's TCP connection, when the scenario made it itself ({@link connectOwnSocket}). */
  clientRaw: net.Socket | undefined;
  /** With {@link LegPlan.relay}: the TLS records that crossed the relay, each way. */
  relay: Relay | undefined;
  /** The implementation's tls.connect / createConnection to the leg's server, watched as the client end. */
  connect(opts?: Omit<ClientOptions, 'port'>, watch?: WatchOptions): TLSEnd;
  /** Like {@link connect}, over a TCP connection the harness opens first and keeps as {@link clientRaw}. */
  connectOwnSocket(opts?: Omit<ClientOptions, 'port' | 'socket'>, watch?: WatchOptions): Promise<TLSEnd>;
  /** Resolves true once `predicate` holds, false after `ms` (it is checked whenever something is recorded). */
  waitFor(predicate: () => boolean, ms: number): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  /** Something else to tear down when the leg ends. */
  defer(cleanup: () => void | Promise<void>): void;
  changed(): void;
}

export interface LegPlan {
  clientImpl: ClientImpl;
  serverImpl?: ServerImpl;
  server?: ServerOptions;
  /**
   * The harness accepts the TCP connections itself (a net.Server made with the server's allowHalfOpen, as
   * tls.Server makes its own) and hands them to the implementation, so that {@link Leg.serverRaw} holds them
   * for node-nss too; otherwise the implementation listens itself.
   */
  ownTCP?: boolean;
  /**
   * Clients connect through a loopback TCP relay that forwards bytes both ways (with backpressure, FIN as
   * FIN and a reset as a reset) and reads the TLS record headers going by ({@link Leg.relay}).
   */
  relay?: boolean;
  /** Called after the scenario ended, before the records are taken (to note what the relay saw). */
  beforeRecord?: (leg: Leg) => void;
  /** Called with the server's socket at 'secureConnection' (already watched). */
  onServer?: (sock: TLSEnd, leg: Leg) => void;
  watchServer?: WatchOptions;
  /** Drives the leg (starts the client). */
  run: (leg: Leg) => void | Promise<void>;
  /** The scenario's end; default: both ends emitted 'close'. */
  done?: (leg: Leg) => boolean;
  /** Milliseconds; a generous upper bound (the reference takes a small fraction of it). */
  deadline: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one leg: a loopback TCP listener feeding the server implementation, the scenario's script, and a
 * recorder on each end. Errors that reach the process while the leg runs are caught and recorded, so that a
 * leg that would crash a program fails its own test and nothing else.
 */
export async function runLeg(plan: LegPlan): Promise<LegRecord> {
  const watchers: Array<() => void> = [];
  const changed = () => watchers.slice().forEach((w) => w());
  const uncaught: string[] = [];
  const onUncaught = (err: unknown) => {
    uncaught.push(errorClass(err));
    changed();
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const cleanups: Array<() => void | Promise<void>> = [];
  const sockets: Duplex[] = [];
  let tcp: net.Server | undefined;
  let scriptError: string | undefined;
  const leg: Leg = {
    clientImpl: plan.clientImpl,
    serverImpl: plan.serverImpl,
    client: new Side(changed),
    server: new Side(changed),
    serverEvents: [],
    uncaught,
    port: 0,
    serverRaw: [],
    clientRaw: undefined,
    relay: undefined,
    connect(opts = {}, watch = {}) {
      const sock = plan.clientImpl.connect({ ...opts, port: leg.port });
      sockets.push(sock);
      sock.once('secureConnect', () => leg.client.mark('secure'));
      return leg.client.watch(sock, watch);
    },
    async connectOwnSocket(opts = {}, watch = {}) {
      // tls.connect({ socket }) takes allowHalfOpen from the socket
      const raw = net.connect({
        host: '127.0.0.1',
        port: leg.port,
        allowHalfOpen: opts.allowHalfOpen ?? false,
      });
      leg.clientRaw = raw;
      sockets.push(raw);
      raw.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
      return leg.connect({ ...opts, socket: raw }, watch);
    },
    waitFor(predicate, ms) {
      if (predicate()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const check = () => {
          if (!predicate()) return;
          finish(true);
        };
        const timer = setTimeout(() => finish(false), ms);
        const finish = (value: boolean) => {
          clearTimeout(timer);
          watchers.splice(watchers.indexOf(check) >>> 0, 1);
          resolve(value);
        };
        watchers.push(check);
      });
    },
    sleep,
    defer: (cleanup) => cleanups.push(cleanup),
    changed,
  };
  try {
    let server: ServerInstance | undefined;
    if (plan.serverImpl) {
      server = plan.serverImpl.create(plan.server ?? {});
      server.events.on('tlsClientError', (err: unknown) => {
        leg.serverEvents.push(`tlsClientError(${errorClass(err)})`);
        changed();
      });
      server.events.on('secureConnection', (sock: TLSEnd) => {
        sockets.push(sock);
        leg.server.mark('secure');
        leg.server.watch(sock, plan.watchServer);
        try {
          plan.onServer?.(sock, leg);
        } catch (err) {
          scriptError ??= `server script: ${String(err)}`;
        }
      });
      const instance = server;
      const onRaw = (raw: net.Socket) => {
        leg.serverRaw.push(raw);
        sockets.push(raw);
        raw.on('error', () => undefined);
      };
      if (plan.ownTCP) {
        tcp = net.createServer({ allowHalfOpen: plan.server?.allowHalfOpen ?? false }, (raw) => {
          onRaw(raw);
          instance.handle(raw);
        });
        const port = await freshPort();
        await new Promise<void>((resolve) => tcp?.listen(port, '127.0.0.1', resolve));
        leg.port = (tcp.address() as net.AddressInfo).port;
      } else leg.port = await instance.listen(onRaw);
    }
    if (plan.relay) {
      const relay = await startRelay(leg.port);
      leg.relay = relay;
      leg.port = relay.port;
      cleanups.push(relay.close);
    }
    const done = plan.done ?? ((l: Leg) => l.client.closed && l.server.closed);
    const finished = leg.waitFor(() => done(leg), plan.deadline);
    try {
      await plan.run(leg);
    } catch (err) {
      scriptError ??= `client script: ${err instanceof Error ? err.message : String(err)}`;
    }
    const completed = await finished;
    // Trailing events (a second 'close', an 'error' after 'close') belong to the record too.
    await sleep(30);
    try {
      plan.beforeRecord?.(leg);
    } catch (err) {
      scriptError ??= `beforeRecord: ${String(err)}`;
    }
    leg.client.stop();
    leg.server.stop();
    const record: LegRecord = {
      completed,
      client: leg.client.record(),
      server: leg.server.record(),
      serverEvents: [...leg.serverEvents],
      uncaught: [...uncaught],
      ...(scriptError ? { scriptError } : {}),
    };
    // Tear down (errors now are the harness's doing, not the leg's).
    for (const sock of sockets) {
      sock.on('error', () => undefined);
      sock.destroy();
    }
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // the leg is over
      }
    }
    await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
    await Promise.race([server?.close(), sleep(2000)]);
    await sleep(20);
    return record;
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    process.removeListener('unhandledRejection', onUncaught);
  }
}

// ---- the relay ---------------------------------------------------------------------------------

/** Reads TLS record headers (type, length) from one direction of a connection. */
export class RecordTap {
  readonly records: Array<{ type: number; length: number; complete: boolean }> = [];
  /** The sender's FIN or reset reached the relay. */
  ended = false;
  /**
   * Held: the relay reads nothing more from the sender (as a peer that stops reading would), so that the
   * relay adds no buffer of its own to the sender's.
   */
  held = false;
  /** @internal */
  onRelease: () => void = () => undefined;

  hold(on: boolean): void {
    this.held = on;
    if (!on) this.onRelease();
  }
  #header = Buffer.alloc(0);
  #left = 0;

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#left > 0) {
        const n = Math.min(this.#left, chunk.length - at);
        this.#left -= n;
        at += n;
        if (this.#left === 0) this.records.at(-1)!.complete = true;
        continue;
      }
      const take = chunk.subarray(at, at + 5 - this.#header.length);
      this.#header = Buffer.concat([this.#header, take]);
      at += take.length;
      if (this.#header.length < 5) continue;
      const length = this.#header.readUInt16BE(3);
      this.records.push({ type: this.#header[0]!, length, complete: length === 0 });
      this.#left = length;
      this.#header = Buffer.alloc(0);
    }
  }

  /**
   * Whether the last whole record before the sender's end was an alert: content type 21 (TLS 1.2), or in
   * TLS 1.3, where alerts are encrypted, a 19-byte application_data record (2 bytes of alert, the inner
   * content type and a 16-byte AEAD tag: the size of an encrypted alert, and of nothing this suite sends).
   */
  endsWithAlert(): boolean {
    const last = this.records.filter((r) => r.complete).at(-1);
    return last !== undefined && (last.type === 21 || (last.type === 23 && last.length === 19));
  }
}

export interface Relay {
  port: number;
  /** Client to server. */
  toServer: RecordTap;
  /** Server to client. */
  toClient: RecordTap;
  close: () => Promise<void>;
}

async function startRelay(target: number): Promise<Relay> {
  const taps = { toServer: new RecordTap(), toClient: new RecordTap() };
  const open: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (down) => {
    const up = net.connect({ host: '127.0.0.1', port: target, allowHalfOpen: true });
    open.push(down, up);
    const wire = (from: net.Socket, to: net.Socket, tap: RecordTap) => {
      from.on('data', (chunk: Buffer) => {
        tap.feed(chunk);
        if (!to.write(chunk) || tap.held) from.pause();
      });
      to.on('drain', () => {
        if (!tap.held) from.resume();
      });
      tap.onRelease = () => from.resume();
      from.on('end', () => {
        tap.ended = true;
        to.end();
      });
      from.on('error', () => {
        tap.ended = true;
        if (!to.destroyed) to.resetAndDestroy();
      });
    };
    wire(down, up, taps.toServer);
    wire(up, down, taps.toClient);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    ...taps,
    close: () =>
      new Promise<void>((resolve) => {
        open.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

// ---- comparing ---------------------------------------------------------------------------------

/** One line per difference between the reference record and a leg's, for the failure message. */
export function differences(reference: LegRecord, actual: LegRecord): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, at: string) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (
      a &&
      b &&
      typeof a === 'object' &&
      typeof b === 'object' &&
      !Array.isArray(a) &&
      !Array.isArray(b) &&
      !(at.endsWith('received') && 'sha256' in a)
    ) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys)
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
      return;
    }
    const show = (v: unknown) => {
      const bytes = v as { length?: number; sha256?: string } | null;
      return bytes && typeof bytes === 'object' && typeof bytes.sha256 === 'string'
        ? `${String(bytes.length)} bytes ${bytes.sha256.slice(0, 8)}`
        : JSON.stringify(v);
    };
    out.push(`${at}: node:tls ${show(a)}, got ${show(b)}`);
  };
  walk(reference, actual, '');
  return out;
}

/** Appends a leg's verdict to $CONTRACT_SUMMARY, if set (one line: name, pass/fail, differences). */
export function summarise(name: string, diffs: string[]): void {
  const file = process.env.CONTRACT_SUMMARY;
  if (!file) return;
  fs.appendFileSync(file, `${diffs.length ? 'FAIL' : 'pass'}\t${name}\t${diffs.join(' | ')}\n`);
}

/** Deterministic bytes. */
export function payload(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = (0x9e3779b9 ^ (length * 31 + seed)) >>> 0;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
