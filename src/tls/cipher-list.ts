// node:tls's `ciphers` option (an OpenSSL cipher list) over NSS. NSS enables suites one by one and keeps its
// own order, so a list means: the suites it names (OpenSSL or IANA names), in NSS's order. OpenSSL's keywords
// and exclusions (HIGH, DEFAULT, !aNULL, @SECLEVEL=2, …) name groups NSS has no equivalent for: a list with
// them keeps the secure defaults and adds the suites it names. As in node:tls, a list that names no TLS 1.3
// suite leaves TLS 1.3's enabled. As OpenSSL, a name that is neither a suite NSS implements nor a keyword is
// skipped when another entry selects something (node:tls's own DEFAULT_CIPHERS names DHE-RSA-AES256-SHA384, a
// suite no library implements), with one warning per name; a list that selects nothing is an error.
import { binding } from '../core/binding.js';
import { checkString, argValueError } from '../core/validate.js';
import { warnOnce } from '../core/warnings.js';
import { DEFAULT_TLS_PROFILE } from './defaults.js';

// OpenSSL's names of the TLS 1.2 suites NSS implements and a node:tls list is likely to name.
const OPENSSL_NAMES: Record<string, string> = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE-RSA-CHACHA20-POLY1305': 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'DHE-RSA-AES128-GCM-SHA256': 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
  'DHE-RSA-AES256-GCM-SHA384': 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
  'DHE-RSA-CHACHA20-POLY1305': 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  'ECDHE-RSA-AES128-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  'ECDHE-ECDSA-AES256-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  'ECDHE-RSA-AES256-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
  'ECDHE-ECDSA-AES128-SHA': 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'ECDHE-RSA-AES128-SHA': 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'ECDHE-ECDSA-AES256-SHA': 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'ECDHE-RSA-AES256-SHA': 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  'DHE-RSA-AES128-SHA256': 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
  'DHE-RSA-AES256-SHA256': 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
  'DHE-RSA-AES128-SHA': 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA',
  'DHE-RSA-AES256-SHA': 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA',
  'AES128-GCM-SHA256': 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'AES256-GCM-SHA384': 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  'AES128-SHA256': 'TLS_RSA_WITH_AES_128_CBC_SHA256',
  'AES256-SHA256': 'TLS_RSA_WITH_AES_256_CBC_SHA256',
  'AES128-SHA': 'TLS_RSA_WITH_AES_128_CBC_SHA',
  'AES256-SHA': 'TLS_RSA_WITH_AES_256_CBC_SHA',
};

// OpenSSL's group keywords (openssl ciphers -v documents them); an entry made of these selects a group.
const KEYWORDS = new Set([
  'DEFAULT',
  'COMPLEMENTOFDEFAULT',
  'ALL',
  'COMPLEMENTOFALL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'eNULL',
  'NULL',
  'aNULL',
  'kRSA',
  'aRSA',
  'RSA',
  'kDHE',
  'kEDH',
  'DH',
  'DHE',
  'EDH',
  'ADH',
  'kEECDH',
  'kECDHE',
  'ECDH',
  'ECDHE',
  'EECDH',
  'AECDH',
  'aECDSA',
  'ECDSA',
  'TLSv1.2',
  'TLSv1.0',
  'TLSv1',
  'SSLv3',
  'AES128',
  'AES256',
  'AES',
  'AESGCM',
  'AESCCM',
  'CHACHA20',
  'ARIA',
  'CAMELLIA',
  'DES',
  '3DES',
  'RC4',
  'RC2',
  'IDEA',
  'SEED',
  'MD5',
  'SHA1',
  'SHA',
  'SHA256',
  'SHA384',
  'PSK',
  'SRP',
  'EXPORT',
  'EXP',
  'aDSS',
  'DSS',
  'kPSK',
  'SUITEB128',
  'SUITEB192',
  'SUITEB128ONLY',
]);

function isKeyword(entry: string): boolean {
  if (/^[!+-]/.test(entry) || entry.startsWith('@')) return true;
  return entry.split('+').every((part) => KEYWORDS.has(part));
}

let openSSLByIANA: Map<string, string> | undefined;

/**
 * @internal OpenSSL's name of a suite given by its IANA name (what node:tls's `getCipher().name` says), or the
 * IANA name itself where OpenSSL uses it too (TLS 1.3) or has none here.
 */
export function openSSLName(iana: string): string {
  openSSLByIANA ??= new Map(Object.entries(OPENSSL_NAMES).map(([openssl, name]) => [name, openssl]));
  return openSSLByIANA.get(iana) ?? iana;
}

/** @internal The secure default suites as a node:tls `ciphers` list (node:tls's `DEFAULT_CIPHERS`). */
export function defaultCipherList(): string {
  return DEFAULT_TLS_PROFILE.cipherSuites
    .map((suite) => openSSLName(binding.cipherSuiteInfo(suite).cipherSuiteName))
    .join(':');
}

let suitesByName: Map<string, number> | undefined;

/** NSS's implemented suites by IANA name. */
function suiteNamed(name: string): number | undefined {
  suitesByName ??= new Map(
    binding.implementedCiphers().map((suite) => [binding.cipherSuiteInfo(suite).cipherSuiteName, suite]),
  );
  return suitesByName.get(OPENSSL_NAMES[name] ?? name);
}

/** @internal The suites a node:tls `ciphers` list enables, in NSS's numbering. */
export function cipherListSuites(list: unknown, name: string): number[] {
  checkString(list, name);
  // A security level may follow an entry without a colon (`'ALL@SECLEVEL=0'`, as node's tests write it).
  const entries = list
    .split(/[:, ]+/)
    .flatMap((entry) => entry.split(/(?=@)/))
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw argValueError(`The "${name}" option names no cipher suite`);
  const named = new Set<number>();
  const unknown: string[] = [];
  let keywords = false;
  for (const entry of entries) {
    const suite = suiteNamed(entry);
    if (suite !== undefined) named.add(suite);
    else if (isKeyword(entry)) keywords = true;
    else unknown.push(entry);
  }
  if (named.size === 0 && !keywords)
    throw argValueError(
      `The "${name}" option names no cipher suite NSS implements: ${unknown.join(':')} (OpenSSL or IANA names, e.g. ECDHE-RSA-AES128-GCM-SHA256 or TLS_AES_128_GCM_SHA256)`,
    );
  for (const entry of unknown)
    warnOnce(entry, `NSS does not implement cipher suite ${entry}; it is skipped`, {
      code: 'NODE_NSS_UNSUPPORTED_CIPHER',
    });
  const tls13 = DEFAULT_TLS_PROFILE.cipherSuites.filter((suite) => suite >> 8 === 0x13);
  const namesTLS13 = [...named].some((suite) => suite >> 8 === 0x13);
  const out = new Set<number>(keywords ? DEFAULT_TLS_PROFILE.cipherSuites : namesTLS13 ? [] : tls13);
  for (const suite of named) out.add(suite);
  return [...out];
}
