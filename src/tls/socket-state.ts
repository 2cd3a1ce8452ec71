// The one place that owns an SSLSocket's connection state: where it is in its life, and which transport or
// user event moves it where. The socket asks this table before it acts, so "may I still write?", "did the
// handshake finish?" and "is this end clean?" have one answer each.

/** Where a socket is in its life. */
export type ConnectionState =
  /** Made, no transport yet. */
  | 'idle'
  /** Its TCP connection is being opened (`connect()`, `createConnection`). */
  | 'connecting'
  /** Transport attached; the first handshake has not finished. */
  | 'handshaking'
  /** Handshake done; both directions open. */
  | 'open'
  /** The peer ended its direction (close_notify, or a FIN taken as one); this side may still write. */
  | 'peer-ended'
  /** This side sent close_notify and FIN; the peer may still write. */
  | 'self-ended'
  /** Both directions ended; the transport is closing. */
  | 'closing'
  /** The transport closed after both directions ended. */
  | 'closed'
  /** `destroy()`ed, by the user or by a failure. */
  | 'destroyed';

/** What happens to a socket. */
export type ConnectionEvent =
  | 'connect' // a TCP connection is being opened for it
  | 'connect-failed' // that connection could not be opened: the socket may try again
  | 'attach' // it has its transport
  | 'secured' // the first handshake finished
  | 'peer-end' // the peer ended its direction
  | 'self-end' // this side ended its direction (close_notify sent)
  | 'transport-closed' // the transport closed
  | 'destroy'; // destroy(), with or without an error

const TRANSITIONS: Readonly<Record<ConnectionState, Partial<Record<ConnectionEvent, ConnectionState>>>> = {
  idle: { connect: 'connecting', attach: 'handshaking', 'self-end': 'closed' },
  connecting: { attach: 'handshaking', 'connect-failed': 'idle', 'self-end': 'closed' },
  handshaking: { secured: 'open' },
  open: { 'peer-end': 'peer-ended', 'self-end': 'self-ended' },
  'peer-ended': { 'self-end': 'closing', 'transport-closed': 'closed' },
  'self-ended': { 'peer-end': 'closing', 'transport-closed': 'closed' },
  closing: { 'transport-closed': 'closed' },
  closed: {},
  destroyed: {},
};

/** The state of one socket, moved only by {@link SocketState.on}. */
export class SocketState {
  #state: ConnectionState = 'idle';
  #secured = false;
  #destroyedWithError = false;
  #cleanPeerEnd: boolean | undefined;

  get current(): ConnectionState {
    return this.#state;
  }

  /** The first handshake finished (it stays true after the socket ends). */
  get secured(): boolean {
    return this.#secured;
  }

  /** The socket is gone: destroyed, or closed after both ends. Nothing more goes to NSS or the transport. */
  get finished(): boolean {
    return this.#state === 'destroyed' || this.#state === 'closed';
  }

  /** The peer's direction ended. */
  get peerEnded(): boolean {
    return (
      this.#state === 'peer-ended' || this.#state === 'closing' || (this.#state === 'closed' && this.#secured)
    );
  }

  /** How the peer ended: `true` with close_notify, `false` with a bare FIN, `undefined` while it has not. */
  get cleanPeerEnd(): boolean | undefined {
    return this.#cleanPeerEnd;
  }

  /** `'close'`'s `hadError`. */
  get hadError(): boolean {
    return this.#destroyedWithError;
  }

  /**
   * Moves the state on `event` and returns the new state. An event the current state does not take (the peer
   * ending a socket that is already destroyed, a second end) changes nothing and returns `undefined`.
   */
  on(event: ConnectionEvent, detail: { error?: boolean; clean?: boolean } = {}): ConnectionState | undefined {
    if (event === 'destroy') {
      if (this.#state === 'destroyed') return undefined;
      this.#destroyedWithError = detail.error === true;
      this.#state = 'destroyed';
      return this.#state;
    }
    const next = TRANSITIONS[this.#state][event];
    if (next === undefined) return undefined;
    if (event === 'secured') this.#secured = true;
    if (event === 'peer-end') this.#cleanPeerEnd = detail.clean === true;
    this.#state = next;
    return next;
  }
}
