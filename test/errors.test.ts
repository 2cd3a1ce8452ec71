import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CertVerifyError, errorMessage, errorName, NSPRError } from 'node-nss';

// Every error code the installed headers define, with its name: NSS's SEC_ and SSL_ tables and NSPR's.
function headerCodes(): Array<[string, number]> {
  const codes: Array<[string, number]> = [];
  const enumEntry = /^\s*((?:SEC|SSL)_ERROR_\w+)\s*=\s*\(?\s*(SEC|SSL)_ERROR_BASE\s*\+\s*(\d+)\s*\)?/gm;
  const bases: Record<string, number> = { SEC: -0x2000, SSL: -0x3000 };
  for (const file of ['/usr/include/nss/secerr.h', '/usr/include/nss/sslerr.h']) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(enumEntry)) {
      const [, name, base, offset] = m;
      if (!name || !base || !offset || name.endsWith('END_OF_LIST')) continue;
      codes.push([name, (bases[base] ?? 0) + Number(offset)]);
    }
  }
  for (const m of fs
    .readFileSync('/usr/include/nspr/prerr.h', 'utf8')
    .matchAll(/#define\s+(PR_\w+)\s+\((-\d+)L\)/g)) {
    const [, name, value] = m;
    if (name && value && name !== 'PR_MAX_ERROR') codes.push([name, Number(value)]);
  }
  return codes;
}

describe('error names and messages', () => {
  const codes = headerCodes();

  it('finds the codes of all three tables in the headers', () => {
    expect(codes.filter(([n]) => n.startsWith('SEC_')).length).toBeGreaterThan(150);
    expect(codes.filter(([n]) => n.startsWith('SSL_')).length).toBeGreaterThan(150);
    expect(codes.filter(([n]) => n.startsWith('PR_')).length).toBeGreaterThan(70);
  });

  it('maps every NSS and NSPR error code to its NSS name, before init()', () => {
    const unnamed = codes.filter(([, value]) => errorName(value).startsWith('UNKNOWN_ERROR'));
    expect(unnamed).toEqual([]);
    // libssl's own error table (what NSS tools print) spells five codes differently from sslerr.h.
    const renamed = codes
      .filter(([name, value]) => errorName(value) !== name)
      .map(([name, value]) => [name, errorName(value)]);
    expect(renamed).toEqual([
      ['SSL_ERROR_MALFORMED_PRE_SHARED_KEY', 'SSL_ERROR_RX_MALFORMED_PRE_SHARED_KEY'],
      ['SSL_ERROR_MALFORMED_EARLY_DATA', 'SSL_ERROR_RX_MALFORMED_EARLY_DATA'],
      ['SSL_ERROR_END_OF_EARLY_DATA_ALERT', 'SSL_ERROR_UNUSED_149'],
      ['SSL_ERROR_MISSING_SUPPORTED_GROUPS_EXTENSION', 'SSL_ERROR_MISSING_SUPPORTED_GROUPS'],
      ['SSL_ERROR_NO_TIMERS_FOUND', 'SSL_ERROR_NO_TIMERS_ERROR'],
    ]);
  });

  it('gives NSS’s own text for every code', () => {
    for (const [name, value] of codes) {
      const text = errorMessage(value);
      expect(text, name).toBeTypeOf('string');
      expect(text.length, name).toBeGreaterThan(0);
    }
    expect(errorMessage(-12276)).toMatch(/domain name does not match/);
  });

  it('names unknown codes instead of failing', () => {
    expect(errorName(-1)).toBe('UNKNOWN_ERROR_-1');
    expect(errorMessage(-1)).toBe('UNKNOWN_ERROR_-1');
  });

  it('rejects non-integers with a TypeError naming the argument', () => {
    expect(() => errorName('x' as unknown as number)).toThrow(TypeError);
    expect(() => errorName(1.5)).toThrow(/"errno"/);
    expect(() => errorMessage(Number.NaN)).toThrow(/"errno"/);
  });

  it('builds NSPRError and CertVerifyError from a code', () => {
    const err = new NSPRError(-8179);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('NSPRError');
    expect(err.code).toBe('SEC_ERROR_UNKNOWN_ISSUER');
    expect(err.errno).toBe(-8179);
    expect(err.message).toBe(errorMessage(-8179));
    const verr = new CertVerifyError(-8181, 2, []);
    expect(verr).toBeInstanceOf(NSPRError);
    expect(verr.name).toBe('CertVerifyError');
    expect(verr.code).toBe('SEC_ERROR_EXPIRED_CERTIFICATE');
    expect(verr.usages).toBe(2);
    expect(verr.log).toEqual([]);
  });
});
