// Reads the server name and the status_request extension out of a ClientHello before NSS sees it, so that
// a server's SNI callback and 'OCSPRequest' listeners may take their time (a Promise) while the bytes wait.

const RECORD_HEADER = 5;
const HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const SERVER_NAME_EXTENSION = 0;
const STATUS_REQUEST_EXTENSION = 5;
const HOST_NAME = 0;
/** More than any ClientHello NSS would accept; past this the bytes go to NSS, which judges them. */
const LIMIT = 64 * 1024;

/** What a server decides on before NSS reads the ClientHello. */
export interface ClientHelloInfo {
  /** The SNI host name, or `null` when there is none. */
  serverName: string | null;
  /** Whether the client asks for a stapled OCSP response (status_request). */
  statusRequest: boolean;
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
  const none = { serverName: null, statusRequest: false };
  // The handshake message may span several records: join their fragments.
  const fragments: Buffer[] = [];
  let have = 0;
  let need = Infinity;
  for (let pos = 0; have < need;) {
    if (data.length < pos + RECORD_HEADER) return data.length > LIMIT ? none : undefined;
    if (data[pos] !== HANDSHAKE) return none;
    const length = data.readUInt16BE(pos + 3);
    if (data.length < pos + RECORD_HEADER + length) return data.length > LIMIT ? none : undefined;
    const fragment = data.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + length);
    fragments.push(fragment);
    have += fragment.length;
    pos += RECORD_HEADER + length;
    if (need === Infinity && have >= 4) {
      const head = Buffer.concat(fragments);
      if (head[0] !== CLIENT_HELLO) return none;
      need = 4 + head.readUIntBE(1, 3);
      if (need > LIMIT) return none;
    }
  }
  const body = Buffer.concat(fragments).subarray(4, need);
  return { serverName: serverName(body), statusRequest: hasExtension(body, STATUS_REQUEST_EXTENSION) };
}

/** The extensions block of a ClientHello body: where its first extension starts and where the block ends. */
function extensionsOf(body: Buffer): { pos: number; end: number } | null {
  let pos = 2 + 32; // legacy_version, random
  pos += 1 + body.readUInt8(pos); // legacy_session_id
  pos += 2 + body.readUInt16BE(pos); // cipher_suites
  pos += 1 + body.readUInt8(pos); // legacy_compression_methods
  if (pos + 2 > body.length) return null; // no extensions
  return { pos: pos + 2, end: Math.min(body.length, pos + 2 + body.readUInt16BE(pos)) };
}

/** Whether the ClientHello body carries an extension of `wanted` type (whole, within the block). */
function hasExtension(body: Buffer, wanted: number): boolean {
  try {
    const block = extensionsOf(body);
    if (block === null) return false;
    for (let pos = block.pos; pos + 4 <= block.end;) {
      const type = body.readUInt16BE(pos);
      const length = body.readUInt16BE(pos + 2);
      if (type === wanted) return pos + 4 + length <= block.end;
      pos += 4 + length;
    }
    return false;
  } catch {
    return false;
  }
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
