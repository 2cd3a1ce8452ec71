// PEM (RFC 7468) text: the one encoder and decoder the package uses for certificates and requests.
import { checkBuffer, checkString, argTypeError, argValueError } from '../core/validate.js';

const LABEL = /^[A-Z0-9][A-Z0-9 ]*[A-Z0-9]$|^[A-Z0-9]$/;

/**
 * PEM text for DER bytes, 64 base64 characters a line:
 * `pemEncode(csr, 'CERTIFICATE REQUEST')`, `pemEncode(cert.derData, 'CERTIFICATE')`.
 */
export function pemEncode(der: Buffer, label: string): string {
  checkBuffer(der, 'der');
  checkString(label, 'label');
  if (!LABEL.test(label)) {
    throw argValueError(
      `The "label" argument must be a PEM label such as 'CERTIFICATE'. Received '${label}'`,
    );
  }
  const base64 =
    der
      .toString('base64')
      .match(/.{1,64}/g)
      ?.join('\n') ?? '';
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

/** @internal DER bytes of every PEM block whose label is one of `labels`, in order. */
export function pemDecodeAll(text: string, labels: readonly string[]): Buffer[] {
  const block = /-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*)-----END \1-----/g;
  const out: Buffer[] = [];
  for (let match = block.exec(text); match !== null; match = block.exec(text)) {
    if (match[1] !== undefined && labels.includes(match[1])) {
      out.push(Buffer.from((match[2] ?? '').replace(/\s+/g, ''), 'base64'));
    }
  }
  return out;
}

/** @internal DER bytes of the first PEM block whose label is one of `labels`, or `null` when there is none. */
export function pemDecode(text: string, labels: readonly string[]): Buffer | null {
  return pemDecodeAll(text, labels)[0] ?? null;
}

/**
 * @internal Whether a Buffer holds PEM text rather than DER. Anywhere in it: openssl writes "Bag Attributes"
 * lines before the block (`openssl pkcs12 -nodes`).
 */
export function looksLikePEM(data: Buffer): boolean {
  return data[0] !== 0x30 && data.includes('-----BEGIN', 0, 'latin1');
}

/**
 * @internal Every block labelled one of `labels` in PEM text (or a Buffer of PEM), or a Buffer of one DER
 * object as it is; a TypeError naming `name` when the text has none (`what`: the label it says it wanted).
 */
export function pemOrDERList(data: unknown, name: string, labels: readonly string[], what: string): Buffer[] {
  if (typeof data !== 'string') checkBuffer(data, name);
  if (typeof data === 'string' || looksLikePEM(data)) {
    const ders = pemDecodeAll(typeof data === 'string' ? data : data.toString('latin1'), labels);
    if (ders.length === 0)
      throw argTypeError(
        `The "${name}" argument does not contain a PEM "${what}" block`,
        'ERR_INVALID_ARG_VALUE',
      );
    return ders;
  }
  return [data];
}
