// The BER reader (src/pki/ber.ts) reads PKCS #12 files given as `pfx` after NSS accepted them, and is the one
// parser of that format in TypeScript. Checked two ways: against openssl (pk12util's BER re-encoded as DER by
// the reader must still be the same file to openssl: same MAC, same contents), and by seeded mutation (every
// answer is a value or a BerError; nothing else is thrown, nothing loops).
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BerError,
  children,
  encodeDer,
  integer,
  octets,
  oid,
  readBer,
  type BerElement,
} from '../../dist/pki/ber.js';
import { makePemPKI, PFX_PASSPHRASE, type PemPKI } from '../support/pem-pki.js';
import { prng } from '../support/hostile.js';
import { removeTemps, run } from '../support/tools.js';

let pki: PemPKI;
beforeAll(() => {
  pki = makePemPKI();
});
afterAll(() => removeTemps());

/** Reads everything the reader can read in `element`, as a PKCS #12 walk does; returns how many elements. */
function walk(element: BerElement, depth = 0): number {
  let count = 1;
  if (element.tag === 0x06) oid(element, 'oid');
  else if (element.tag === 0x02 && element.contents.length <= 6 && ((element.contents[0] ?? 0) & 0x80) === 0)
    integer(element, 'integer');
  else if (element.tag === 0x04 || element.tag === 0x24) {
    const bytes = octets(element);
    // PKCS #12 nests structures inside OCTET STRINGs.
    if (bytes[0] === 0x30 && depth < 16) {
      try {
        count += walk(readBer(bytes), depth + 1);
      } catch (err) {
        if (!(err instanceof BerError)) throw err;
      }
    }
  }
  if (element.constructed) for (const child of children(element)) count += walk(child, depth + 1);
  return count;
}

function openssl(file: string): { status: number; out: string } {
  const r = run('openssl', ['pkcs12', '-in', file, '-passin', `pass:${PFX_PASSPHRASE}`, '-nodes']);
  return { status: r.status, out: r.stdout.replace(/^Bag Attributes[^]*?(?=-----BEGIN)/gm, '') };
}

describe('the BER reader', () => {
  it("re-encodes pk12util's BER as DER that openssl reads as the same file", () => {
    const ber = readFileSync(pki.file('server-int.nss.p12'));
    // pk12util's file is BER (an indefinite length right at the top), so the comparison means something.
    expect(ber[1]).toBe(0x80);
    const der = encodeDer(readBer(ber));
    expect(der.equals(ber)).toBe(false);
    const derFile = path.join(pki.dir, 'reencoded.p12');
    writeFileSync(derFile, der);
    const original = openssl(pki.file('server-int.nss.p12'));
    expect(original.status).toBe(0);
    expect(openssl(derFile)).toEqual(original);
    // openssl's own file is DER already: the reader gives it back byte for byte.
    const fromOpenssl = readFileSync(pki.file('server-int.p12'));
    expect(encodeDer(readBer(fromOpenssl)).equals(fromOpenssl)).toBe(true);
    expect(walk(readBer(ber))).toBeGreaterThan(20);
  });

  it('answers 20,000 seeded mutations of real files with a value or a BerError, never anything else', () => {
    const seeds = ['server-int.nss.p12', 'server-int.p12', 'client.3des.p12'].map((f) =>
      readFileSync(pki.file(f)),
    );
    const random = prng(0x12c5);
    let berErrors = 0;
    let read = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = Buffer.from(seeds[i % seeds.length]!);
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(random() * input.length);
        const kind = random();
        if (kind < 0.5) input[at] = Math.floor(random() * 256);
        else if (kind < 0.75)
          input[at] = 0x80; // indefinite lengths, where they hurt
        else input[at] = input[at]! ^ (1 << Math.floor(random() * 8));
      }
      const cut = random() < 0.2 ? Math.floor(random() * input.length) : input.length;
      try {
        walk(readBer(input.subarray(0, cut)));
        read++;
      } catch (err) {
        if (!(err instanceof BerError)) throw new Error(`mutation ${i}: ${String(err)}`, { cause: err });
        berErrors++;
      }
    }
    // Both outcomes occur: the mutations reach past the first bytes.
    expect(berErrors).toBeGreaterThan(1000);
    expect(read).toBeGreaterThan(100);
  });

  it('refuses nesting beyond its bound instead of overflowing the stack', () => {
    const deep = Buffer.concat([Buffer.alloc(2000).fill(Buffer.from([0x30, 0x80])), Buffer.alloc(4000)]);
    expect(() => readBer(deep)).toThrow(BerError);
  });

  it('reads object identifiers as openssl does, and refuses the encodings openssl calls bad', () => {
    const cases = [
      '06082b06010401865f01', // 1.3.6.1.4.1.863.1 (an arc in two bytes)
      '0603883703', // 2.999.3 (a first byte past 2.39)
      '060128', // 1.0
      '06032a8001', // an arc that starts with 0x80: a leading zero
      '06028001', // the same in the first arc
      '06022a86', // ends inside an arc
      '0600', // empty
    ];
    const file = path.join(pki.dir, 'oid.der');
    for (const hex of cases) {
      const der = Buffer.from(hex, 'hex');
      writeFileSync(file, der);
      const line = run('openssl', ['asn1parse', '-inform', 'DER', '-in', file]).stdout;
      const theirs = /OBJECT\s+:(.*)$/m.exec(line)?.[1]?.trim();
      let ours: string;
      try {
        ours = oid(readBer(der), 'oid');
      } catch (err) {
        expect(err, hex).toBeInstanceOf(BerError);
        ours = 'BAD';
      }
      expect(theirs === undefined || theirs.startsWith('BAD OBJECT') ? 'BAD' : theirs, hex).toBe(ours);
    }
  });
});
