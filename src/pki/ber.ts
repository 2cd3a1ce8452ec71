// A reader of BER (X.690) structure, for the formats node:crypto does not parse (PKCS #12). Only structure:
// tags, lengths (definite and indefinite), children, and the few primitive types those formats use. BER and
// not just DER, because NSS's PKCS #12 encoder (pk12util, exportPKCS12) streams: it writes indefinite
// lengths and constructed OCTET STRINGs.

/** One element: its identifier octet and its contents (for an indefinite length, without the end mark). */
export interface BerElement {
  /** The identifier octet: class, constructed bit and (low) tag number, e.g. 0x30 for SEQUENCE. */
  readonly tag: number;
  readonly contents: Buffer;
  readonly constructed: boolean;
}

/** Malformed input, with where and what. The caller turns it into its own error. */
export class BerError extends Error {}

const MAX_DEPTH = 32;

function readAt(data: Buffer, offset: number, depth: number): { element: BerElement; end: number } {
  if (depth > MAX_DEPTH) throw new BerError('nested too deeply');
  if (offset + 2 > data.length) throw new BerError(`truncated at byte ${offset}`);
  const tag = data[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new BerError(`high tag number at byte ${offset}`);
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const first = data[pos++] as number;
  if (first === 0x80) {
    // Indefinite: children until the end-of-contents octets 00 00.
    if (!constructed) throw new BerError(`indefinite length on a primitive at byte ${offset}`);
    const start = pos;
    for (;;) {
      if (pos + 2 > data.length) throw new BerError(`no end of contents for byte ${offset}`);
      if (data[pos] === 0 && data[pos + 1] === 0) break;
      pos = readAt(data, pos, depth + 1).end;
    }
    return { element: { tag, constructed, contents: data.subarray(start, pos) }, end: pos + 2 };
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new BerError(`length of ${count} octets at byte ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) {
      if (pos >= data.length) throw new BerError(`truncated length at byte ${offset}`);
      length = length * 256 + (data[pos++] as number);
    }
  }
  if (pos + length > data.length) throw new BerError(`element at byte ${offset} runs past the end`);
  return { element: { tag, constructed, contents: data.subarray(pos, pos + length) }, end: pos + length };
}

/** The single element `data` holds (trailing bytes are an error). */
export function readBer(data: Buffer): BerElement {
  const { element, end } = readAt(data, 0, 0);
  if (end !== data.length) throw new BerError(`${data.length - end} bytes after the element`);
  return element;
}

/** The children of a constructed element. */
export function children(element: BerElement): BerElement[] {
  if (!element.constructed) throw new BerError(`tag 0x${element.tag.toString(16)} is not constructed`);
  const out: BerElement[] = [];
  for (let pos = 0; pos < element.contents.length;) {
    const { element: child, end } = readAt(element.contents, pos, 1);
    out.push(child);
    pos = end;
  }
  return out;
}

/** `element`, checked to carry `tag`; `what` names it in the error. */
export function expectTag(element: BerElement | undefined, tag: number, what: string): BerElement {
  if (element === undefined) throw new BerError(`${what} is missing`);
  // Constructed and primitive encodings of a string type share a tag number.
  if ((element.tag | 0x20) !== (tag | 0x20)) {
    throw new BerError(`${what} has tag 0x${element.tag.toString(16)}, not 0x${tag.toString(16)}`);
  }
  return element;
}

/** The bytes of an OCTET STRING (or an implicitly tagged one), joined when BER splits it in pieces. */
export function octets(element: BerElement, depth = 0): Buffer {
  if (!element.constructed) return element.contents;
  if (depth > MAX_DEPTH) throw new BerError('nested too deeply');
  return Buffer.concat(children(element).map((piece) => octets(piece, depth + 1)));
}

/** A non-negative INTEGER that fits a JavaScript number exactly. */
export function integer(element: BerElement, what: string): number {
  const bytes = expectTag(element, 0x02, what).contents;
  if (bytes.length === 0 || bytes.length > 6 || ((bytes[0] as number) & 0x80) !== 0) {
    throw new BerError(`${what} is not a small non-negative integer`);
  }
  return bytes.readUIntBE(0, bytes.length);
}

/** An OBJECT IDENTIFIER in dotted form. */
export function oid(element: BerElement | undefined, what: string): string {
  const bytes = expectTag(element, 0x06, what).contents;
  if (bytes.length === 0 || ((bytes[bytes.length - 1] as number) & 0x80) !== 0) {
    throw new BerError(`${what} is not an object identifier`);
  }
  const arcs: number[] = [];
  let value = 0;
  let arcStart = true;
  for (const byte of bytes) {
    // X.690 8.19.2: an arc's first byte is never 0x80 (that would be a leading zero, a second spelling).
    if (arcStart && byte === 0x80) throw new BerError(`${what} is not an object identifier`);
    arcStart = (byte & 0x80) === 0;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new BerError(`${what} has an arc too large`);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0)
        arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/**
 * The DER bytes of an element: definite lengths, and an OCTET STRING BER split in pieces joined into one.
 * For handing BER-encoded pieces to NSS's DER decoder.
 */
export function encodeDer(element: BerElement, depth = 0): Buffer {
  if (depth > MAX_DEPTH) throw new BerError('nested too deeply');
  let tag = element.tag;
  let contents = element.contents;
  if (tag === 0x24) {
    tag = 0x04;
    contents = octets(element);
  } else if (element.constructed) {
    contents = Buffer.concat(children(element).map((child) => encodeDer(child, depth + 1)));
  }
  const n = contents.length;
  let length: Buffer;
  if (n < 0x80) {
    length = Buffer.from([n]);
  } else {
    const hex = n.toString(16);
    const bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
    length = Buffer.concat([Buffer.from([0x80 | bytes.length]), bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, contents]);
}
