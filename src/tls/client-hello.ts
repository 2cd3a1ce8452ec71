// Reads the server name, the ALPN list and the status_request extension out of a ClientHello before NSS
// sees it, so that a server's SNI and ALPN callbacks and 'OCSPRequest' listeners may take their time (a
// Promise) while the bytes wait.

const RECORD_HEADER = 5;
const HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const SERVER_NAME_EXTENSION = 0;
const STATUS_REQUEST_EXTENSION = 5;
const ALPN_EXTENSION = 16;
const SIGNATURE_ALGORITHMS_EXTENSION = 13;
const SUPPORTED_VERSIONS_EXTENSION = 43;
const HOST_NAME = 0;
/** More than any ClientHello NSS would accept; past this the bytes go to NSS, which judges them. */
const LIMIT = 64 * 1024;

/** What a server decides on before NSS reads the ClientHello. */
export interface ClientHelloInfo {
  /** The SNI host name, or `null` when there is none. */
  serverName: string | null;
  /** Whether the client asks for a stapled OCSP response (status_request). */
  statusRequest: boolean;
  /** The protocols the client offers (ALPN), in its order; `null` without a well-formed ALPN extension. */
  alpnProtocols: string[] | null;
  /** The cipher suites the client offers. */
  cipherSuites: number[];
  /** Its signature_algorithms (TLS signature schemes); `null` without that extension. */
  signatureSchemes: number[] | null;
  /** Its supported_versions (TLS 1.3's way of offering it); `null` without that extension. */
  versions: number[] | null;
}

/**
 * The SNI host name in the ClientHello at the start of `data` (TLS records as received): a string, `null`
 * when there is none or the bytes are not a ClientHello NSS could read, `undefined` when more bytes are
 * needed.
 */
export function clientHelloServerName(data: Buffer): string | null | undefined {
  const info = readClientHello(data);
  return info === undefined ? undefined : info.serverName;
}

/**
 * {@link ClientHelloInfo} of the ClientHello at the start of `data`; `undefined` when more bytes are needed.
 * Bytes that are not a ClientHello NSS could read give no name and no request (NSS then judges them).
 */
export function readClientHello(data: Buffer): ClientHelloInfo | undefined {
  return new ClientHelloReader().push(data);
}

/** What a hello that could not be read says: nothing. */
export const NO_HELLO: ClientHelloInfo = {
  serverName: null,
  statusRequest: false,
  alpnProtocols: null,
  cipherSuites: [],
  signatureSchemes: null,
  versions: null,
};

/**
 * Reads a ClientHello as its bytes arrive, each byte looked at once: a hello sent a byte at a time, or in
 * one-byte records, costs as much as one sent whole (parsing everything held again on every chunk made
 * such a sender's hello quadratic). Records are taken whole, as NSS takes them.
 */
export class ClientHelloReader {
  /** Everything pushed, in order, for NSS once the decision is made. */
  readonly received: Buffer[] = [];
  /** Bytes in {@link received}. */
  length = 0;
  // The bytes not read yet: #queue from #head on.
  #queue: Buffer[] = [];
  #head = 0;
  #queued = 0;
  /** The current record's fragment length, once its header was read; `-1` before. */
  #recordLength = -1;
  // The handshake message so far: fragments of the records read, and its length once known.
  readonly #fragments: Buffer[] = [];
  #have = 0;
  #need = Infinity;
  #result: ClientHelloInfo | undefined;

  /** Adds bytes; returns what the hello says once it is known (then always the same), else `undefined`. */
  push(chunk: Buffer): ClientHelloInfo | undefined {
    if (chunk.length > 0) {
      this.received.push(chunk);
      this.length += chunk.length;
      if (this.#result === undefined) {
        this.#queue.push(chunk);
        this.#queued += chunk.length;
      }
    }
    this.#result ??= this.#read();
    if (this.#result !== undefined) {
      this.#queue = [];
      this.#head = 0;
    }
    return this.#result;
  }

  #read(): ClientHelloInfo | undefined {
    while (this.#have < this.#need) {
      if (this.#recordLength < 0) {
        if (this.#queued < RECORD_HEADER) return this.length > LIMIT ? NO_HELLO : undefined;
        const header = this.#take(RECORD_HEADER);
        if (header[0] !== HANDSHAKE) return NO_HELLO;
        this.#recordLength = header.readUInt16BE(3);
      }
      if (this.#queued < this.#recordLength) return this.length > LIMIT ? NO_HELLO : undefined;
      const fragment = this.#take(this.#recordLength);
      this.#recordLength = -1;
      this.#fragments.push(fragment);
      this.#have += fragment.length;
      if (this.#need === Infinity && this.#have >= 4) {
        const head = Buffer.concat(this.#fragments, 4);
        if (head[0] !== CLIENT_HELLO) return NO_HELLO;
        this.#need = 4 + head.readUIntBE(1, 3);
        if (this.#need > LIMIT) return NO_HELLO;
      }
    }
    const body = Buffer.concat(this.#fragments).subarray(4, this.#need);
    return {
      serverName: serverName(body),
      statusRequest: extension(body, STATUS_REQUEST_EXTENSION) !== null,
      alpnProtocols: alpnProtocols(body),
      cipherSuites: cipherSuites(body),
      signatureSchemes: uint16List(extension(body, SIGNATURE_ALGORITHMS_EXTENSION), 2),
      versions: uint16List(extension(body, SUPPORTED_VERSIONS_EXTENSION), 1),
    };
  }

  /** The next `n` queued bytes (there are that many). */
  #take(n: number): Buffer {
    this.#queued -= n;
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      // An index, not shift(): a queue of many one-byte chunks would make each shift a copy of the rest.
      const next = this.#queue[this.#head]!;
      if (next.length > n - got) {
        parts.push(next.subarray(0, n - got));
        this.#queue[this.#head] = next.subarray(n - got);
        got = n;
      } else {
        parts.push(next);
        got += next.length;
        this.#head++;
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, n);
  }
}

/** Where the cipher_suites field of a ClientHello body starts (its 2-byte length). */
function cipherSuitesAt(body: Buffer): number {
  const pos = 2 + 32; // legacy_version, random
  return pos + 1 + body.readUInt8(pos); // legacy_session_id
}

/** The extensions block of a ClientHello body: where its first extension starts and where the block ends. */
function extensionsOf(body: Buffer): { pos: number; end: number } | null {
  let pos = cipherSuitesAt(body);
  pos += 2 + body.readUInt16BE(pos); // cipher_suites
  pos += 1 + body.readUInt8(pos); // legacy_compression_methods
  if (pos + 2 > body.length) return null; // no extensions
  return { pos: pos + 2, end: Math.min(body.length, pos + 2 + body.readUInt16BE(pos)) };
}

/** The data of the ClientHello body's extension of `wanted` type, if it is there whole (within the block). */
function extension(body: Buffer, wanted: number): Buffer | null {
  try {
    const block = extensionsOf(body);
    if (block === null) return null;
    for (let pos = block.pos; pos + 4 <= block.end;) {
      const type = body.readUInt16BE(pos);
      const length = body.readUInt16BE(pos + 2);
      if (type === wanted)
        return pos + 4 + length <= block.end ? body.subarray(pos + 4, pos + 4 + length) : null;
      pos += 4 + length;
    }
    return null;
  } catch {
    return null;
  }
}

/** The cipher suites of a ClientHello body (those whole within it). */
function cipherSuites(body: Buffer): number[] {
  try {
    const at = cipherSuitesAt(body);
    const end = Math.min(body.length, at + 2 + body.readUInt16BE(at));
    const suites: number[] = [];
    for (let pos = at + 2; pos + 2 <= end; pos += 2) suites.push(body.readUInt16BE(pos));
    return suites;
  } catch {
    return [];
  }
}

/** An extension's list of 16-bit values after a length of `lengthBytes`; `null` if missing or not whole. */
function uint16List(data: Buffer | null, lengthBytes: 1 | 2): number[] | null {
  if (data === null || data.length < lengthBytes) return null;
  const length = lengthBytes === 1 ? data[0]! : data.readUInt16BE(0);
  if (length % 2 !== 0 || lengthBytes + length > data.length) return null;
  const values: number[] = [];
  for (let pos = lengthBytes; pos < lengthBytes + length; pos += 2) values.push(data.readUInt16BE(pos));
  return values;
}

/**
 * The protocol names of the ALPN extension, or `null` when it is missing or not as NSS would read it (a list
 * length other than the data's, an empty list or name): NSS then answers the client itself.
 */
function alpnProtocols(body: Buffer): string[] | null {
  const data = extension(body, ALPN_EXTENSION);
  if (data === null || data.length < 2 || data.readUInt16BE(0) !== data.length - 2) return null;
  const names: string[] = [];
  for (let pos = 2; pos < data.length;) {
    const length = data[pos]!;
    if (length === 0 || pos + 1 + length > data.length) return null;
    names.push(data.toString('utf8', pos + 1, pos + 1 + length));
    pos += 1 + length;
  }
  return names.length > 0 ? names : null;
}

/** The host_name entry of the server_name extension of a ClientHello body, or `null`. */
function serverName(body: Buffer): string | null {
  try {
    const block = extensionsOf(body);
    if (block === null) return null;
    const end = block.end;
    for (let pos = block.pos; pos + 4 <= end;) {
      const type = body.readUInt16BE(pos);
      const length = body.readUInt16BE(pos + 2);
      pos += 4;
      if (type === SERVER_NAME_EXTENSION) {
        // Within the extension and the extensions block: an extension length running past the message
        // once made the name run past it too (toString stops at the end of the buffer), handing the SNI
        // callback a cut-off string that was no entry of the hello (found by test/hardening/client-hello-fuzz).
        const listEnd = Math.min(pos + 2 + body.readUInt16BE(pos), pos + length, end);
        for (let p = pos + 2; p + 3 <= listEnd;) {
          const nameType = body.readUInt8(p);
          const nameLength = body.readUInt16BE(p + 1);
          if (nameType === HOST_NAME && p + 3 + nameLength <= listEnd) {
            return body.toString('latin1', p + 3, p + 3 + nameLength);
          }
          p += 3 + nameLength;
        }
        return null;
      }
      pos += length;
    }
    return null;
  } catch {
    return null; // a truncated field: let NSS reject it
  }
}
