// Key log lines (NSS's SSLKEYLOGFILE format, which Wireshark reads and node:tls's 'keylog' event gives) from
// the TLS 1.3 traffic secrets NSS hands over (SSL_SecretCallback). NSS itself writes SSLKEYLOGFILE only when
// built with NSS_ALLOW_SSLKEYLOGFILE, which distributions' builds are not (Debian 12's libssl3 has no trace of
// it), and it gives no API for the client random that labels each line: it is read here from the
// ClientHello, the client's first output or the server's first input. TLS 1.2 has no secret callback in NSS:
// no lines for it.
import * as fs from 'node:fs';
import { nodeOptionValue } from '../core/node-options.js';

/**
 * The files key log lines go to, read once: SSLKEYLOGFILE's (NSS's variable), and node's `--tls-keylog`'s,
 * which node:tls writes every TLS connection's lines to (the same format).
 */
const keyLogFiles = [...new Set([process.env.SSLKEYLOGFILE, nodeOptionValue('--tls-keylog')])].filter(
  (file): file is string => !!file,
);
/** Whether any file wants key log lines. */
export const keyLogWanted = keyLogFiles.length > 0;

// record header (5) + handshake header (4) + legacy_version (2), then the 32-byte random
const RANDOM_OFFSET = 11;
const RANDOM_END = RANDOM_OFFSET + 32;

const LABELS: Record<string, string> = {
  'client 1': 'CLIENT_EARLY_TRAFFIC_SECRET',
  'client 2': 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  'server 2': 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
};

/** @internal One connection's key log: the client random, then a line per secret. */
export class KeyLog {
  #head = Buffer.alloc(0);
  #clientRandom: string | undefined;

  /** The first bytes of the ClientHello's flight, until the random is in them. */
  observeClientHello(bytes: Buffer): void {
    if (this.#clientRandom !== undefined) return;
    this.#head = Buffer.concat([this.#head, bytes.subarray(0, RANDOM_END - this.#head.length)]);
    if (this.#head.length < RANDOM_END) return;
    // a handshake record holding a ClientHello; anything else leaves the log without lines
    if (this.#head[0] === 22 && this.#head[5] === 1)
      this.#clientRandom = this.#head.subarray(RANDOM_OFFSET, RANDOM_END).toString('hex');
    else this.#clientRandom = '';
  }

  /** The lines for these secrets (each with its newline, as node:tls gives them). */
  lines(secrets: ReadonlyArray<[number, boolean, Buffer]>, isServer: boolean): Buffer[] {
    if (!this.#clientRandom) return [];
    return secrets.map(([epoch, write, secret]) => {
      const side = write !== isServer ? 'client' : 'server';
      const label = LABELS[`${side} ${epoch}`] ?? `${side.toUpperCase()}_TRAFFIC_SECRET_${epoch - 3}`;
      return Buffer.from(`${label} ${this.#clientRandom} ${secret.toString('hex')}\n`, 'latin1');
    });
  }
}

/** @internal Appends lines to SSLKEYLOGFILE and `--tls-keylog`'s file. */
export function writeKeyLog(lines: Buffer[]): void {
  if (lines.length === 0) return;
  for (const file of keyLogFiles) fs.appendFileSync(file, Buffer.concat(lines));
}
