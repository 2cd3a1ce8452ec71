// The public surface of the package as a table, written from the typings (dist/*.d.ts, src/): for every
// callable its parameters, each with its expected type and a valid value. The hardening tests generate
// wrong-value cases from it and check it against what the package really exports.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import type { FixtureDB } from '../fixtures/nssdb.js';
import { nodeScript, tempDir } from '../support/tools.js';

/** What a parameter must be. Union types list every member. */
export type ParamType =
  | 'string'
  | 'boolean'
  | 'integer'
  | 'Buffer'
  | 'function'
  | 'null'
  | 'Date'
  | 'bigint'
  | 'Certificate'
  | 'CertDB'
  | 'PK11Slot'
  | 'PrivateKey'
  | 'SSLSocket'
  | 'Duplex'
  | 'string[]'
  | 'integer[]'
  | 'Buffer[]'
  | 'Certificate[]'
  | 'SecureContext'
  | 'object';

export interface Param {
  name: string;
  types: readonly ParamType[];
  /** A valid value, as a harness descriptor ('$cert', '$db', … stand for real objects). */
  valid: unknown;
  optional?: boolean;
  /** For integers: the accepted range. */
  range?: readonly [number, number];
  /** For options objects: their fields. */
  fields?: readonly Param[];
  /** What the error must mention instead of the name (constructors users are not meant to call). */
  mentions?: string;
  /** Wrong-value labels this parameter accepts on purpose (see the note beside it). */
  accepts?: readonly string[];
}

/** A callable: its parameters, and the instance it is called on ('fresh': a new one per call). */
export interface Entry {
  params: readonly Param[];
  self?: 'fresh';
  /** Not run with the others: needs NSS uninitialised first. */
  batch?: string;
}

const str = (name: string, valid: unknown = 'x', extra: Partial<Param> = {}): Param => ({
  name,
  types: ['string'],
  valid,
  ...extra,
});
const bool = (name: string, valid = true, extra: Partial<Param> = {}): Param => ({
  name,
  types: ['boolean'],
  valid,
  ...extra,
});
const int = (
  name: string,
  valid: number,
  range?: readonly [number, number],
  extra: Partial<Param> = {},
): Param => ({
  name,
  types: ['integer'],
  valid,
  ...(range ? { range } : {}),
  ...extra,
});
const of = (name: string, type: ParamType, valid: unknown, extra: Partial<Param> = {}): Param => ({
  name,
  types: [type],
  valid,
  ...extra,
});
const opt = (p: Param): Param => ({ ...p, optional: true });
const options = (name: string, fields: Param[], extra: Partial<Param> = {}): Param => ({
  name,
  types: ['object'],
  valid: Object.fromEntries(fields.filter((f) => !f.optional).map((f) => [f.name, f.valid])),
  fields,
  ...extra,
});
const cb = (name: string): Param => ({ name, types: ['function', 'null'], valid: '$fn' });

// The longest delay a Node timer keeps: timeouts and windows are refused beyond it.
const MAX_TIMER = 2 ** 31 - 1;
const U16: readonly [number, number] = [0, 0xffff];
const U32: readonly [number, number] = [0, 0xffffffff];

// SSLSocket and SSLServer share these (the Configurable base).
const configurable: Record<string, Entry> = {
  '#renegotiationLimit': { params: [] },
  // Infinity is documented: any number of renegotiations.
  '#=renegotiationLimit': { params: [int('renegotiationLimit', 3, [0, 2 ** 53], { accepts: ['Infinity'] })] },
  '#renegotiationWindow': { params: [] },
  '#=renegotiationWindow': { params: [int('renegotiationWindow', 1000, [1, MAX_TIMER])] },
  '#setSSLOption': {
    params: [
      int('option', 1, U16),
      // boolean | number (SSL_REQUIRE_CERTIFICATE takes SSL_REQUIRE_*).
      { name: 'value', types: ['boolean', 'integer'], valid: true, range: U32 },
    ],
  },
  '#getSSLOption': { params: [int('option', 1, U16)] },
  '#setSSLVersionRange': {
    params: [
      { name: 'min', types: ['string', 'integer'], valid: 'tls1.2', range: U16 },
      { name: 'max', types: ['string', 'integer'], valid: 'tls1.3', range: U16 },
    ],
  },
  '#getSSLVersionRange': { params: [] },
  '#setCipherPref': { params: [int('suite', 0x1301, U16), bool('enabled')] },
  '#getCipherPref': { params: [int('suite', 0x1301, U16)] },
  '#setNamedGroups': { params: [of('groups', 'integer[]', [23, 29])] },
  '#getNamedGroups': { params: [] },
  '#setSignatureSchemes': { params: [of('schemes', 'integer[]', [0x0403])] },
  '#getSignatureSchemes': { params: [] },
  '#enforceFIPSProfile': { params: [] },
  '#setCertificateDB': { params: [of('db', 'CertDB', '$db')] },
  '#setPKCS11PinArg': { params: [] },
  '#getPKCS11PinArg': { params: [] },
  '#setAuthCertificateCallback': { params: [cb('cb')] },
  '#setBadCertCallback': { params: [cb('cb')] },
  '#setClientAuthDataCallback': { params: [cb('cb')] },
  '#setHandshakeCallback': { params: [cb('cb')] },
  '#setALPNProtocols': { params: [of('list', 'string[]', ['h2'])] },
  '#setTrustAnchors': {
    params: [
      { name: 'certs', types: ['Certificate[]', 'null'], valid: ['$caCert'] },
      opt(options('options', [opt(bool('keepDatabaseTrust'))])),
    ],
  },
  '#getTrustAnchors': { params: [] },
  '#setRevocationMode': { params: [{ name: 'mode', types: ['string', 'null'], valid: 'soft' }] },
  '#getRevocationMode': { params: [] },
  '#applyHandlers': { params: [] },
  '#engine': { params: [] },
  '#serverSessions': { params: [] },
};
const withClass = (cls: string, entries: Record<string, Entry>) =>
  Object.fromEntries(Object.entries(entries).map(([k, v]) => [`${cls}${k}`, v]));

const socketOptions = (): Param[] => [
  opt({ name: 'family', types: ['string'], valid: 'ipv4' }),
  opt(of('certDB', 'CertDB', '$db')),
  opt(of('model', 'SSLSocket', '$socket')),
  opt(bool('allowHalfOpen')),
  opt(bool('suppressRaggedEOFs')),
  opt(int('highWaterMark', 4096, [0, 2 ** 53])),
];

// key/cert/ca/passphrase/secureContext, as connect, createServer and createSecureContext take them.
const credentialOptions = (withContext = true): Param[] => [
  // null is no value, as in node:tls (so are false and '', which the wrong values do not try).
  opt({ name: 'key', types: ['string', 'Buffer', 'null'], valid: '$keyPem' }),
  opt({ name: 'cert', types: ['string', 'Buffer', 'null'], valid: '$pem' }),
  opt({ name: 'ca', types: ['string', 'Buffer', 'null'], valid: '$caPem' }),
  opt(str('passphrase', 'pw')),
  // (never used as a valid value: optional fields are left out of the valid options)
  opt({ name: 'crl', types: ['string', 'Buffer', 'null'], valid: 'x' }),
  opt({ name: 'pfx', types: ['Buffer', 'null'], valid: 'x' }),
  ...(withContext ? [opt(of('secureContext', 'SecureContext', '$context'))] : []),
];

const connectOptions = (): Param[] => [
  opt(str('host', '127.0.0.1')),
  int('port', 1, [1, 65535]),
  opt(str('servername', 'localhost')),
  opt(of('certDB', 'CertDB', '$db')),
  opt(str('clientCertNickname', 'test_user')),
  opt(bool('rejectUnauthorized')),
  opt(str('minVersion', 'TLSv1.2')),
  opt(str('maxVersion', 'TLSv1.3')),
  opt(str('ciphers', 'TLS_AES_128_GCM_SHA256')),
  opt(str('ecdhCurve', 'auto')),
  opt(str('sigalgs', 'ecdsa_secp256r1_sha256')),
  opt(bool('requestOCSP')),
  opt(str('revocation', 'off')),
  opt(of('ALPNProtocols', 'string[]', ['h2'])),
  opt(of('socket', 'Duplex', '$duplex')),
  opt(int('timeout', 1000, [1, MAX_TIMER])),
  opt(of('session', 'Buffer', '$der')),
  opt(bool('allowHalfOpen')),
  opt(bool('suppressRaggedEOFs')),
  opt(int('highWaterMark', 4096, [0, 2 ** 53])),
  ...credentialOptions(),
];

/** Every public callable, keyed as the harness calls it. */
export const surface: Record<string, Entry> = {
  // nss.ts
  'fn:init': {
    batch: 'init',
    params: [
      opt(
        options('opts', [
          opt(str('dbDir', '$dbDir')),
          opt(bool('readOnly', false)),
          opt(bool('loadBuiltinRoots', false)),
          opt(str('rootsModule', '/nonexistent/libnssckbi.so')),
          opt(bool('fips', false)),
          opt({ name: 'password', types: ['string', 'function'], valid: 'DB_passwd' }),
        ]),
      ),
    ],
  },
  'fn:isInitialized': { params: [] },
  'fn:shutdown': { params: [], batch: 'none' },
  'fn:setPasswordCallback': { params: [cb('cb')] },
  'fn:isFIPS': { params: [] },
  'fn:enableFIPS': { params: [bool('on', false)], batch: 'none' },
  'fn:generateRandom': { params: [int('length', 16, [0, 2 ** 20])] },
  'fn:liveHandles': { params: [] },
  'fn:isSystemFIPS': { params: [] },
  // errors
  'new:NSPRError': {
    params: [int('errno', -8179), opt(str('code', 'X')), opt(str('message', 'm'))],
  },
  'NSPRError#name': { params: [] },
  'new:CertVerifyError': {
    params: [int('errno', -8179), int('usages', 0), of('log', 'object', [], { accepts: [] })],
  },
  'CertVerifyError#name': { params: [] },
  'fn:errorName': { params: [int('errno', -8179)] },
  'fn:errorMessage': { params: [int('errno', -8179)] },
  // certdb
  'new:CertDB': { params: [] },
  'CertDB#findCertFromNickname': { params: [str('nick', 'test_server')] },
  'CertDB#findCertsFromNickname': { params: [str('nick', 'test_server')] },
  'CertDB#findCertByDER': { params: [of('der', 'Buffer', '$der')] },
  'CertDB#getCertNicknames': { params: [int('what', 1, U32)] },
  'CertDB#listCertificates': { params: [opt(int('type', 5, U32))] },
  'CertDB#importCertificate': {
    params: [
      { name: 'data', types: ['Certificate', 'Buffer', 'string'], valid: '$der' },
      options('opts', [
        str('nickname', 'test_server'),
        opt(str('trust', 'P,,')),
        opt(of('slot', 'PK11Slot', '$slot')),
      ]),
    ],
  },
  'CertDB#getTrust': { params: [of('cert', 'Certificate', '$cert')] },
  'CertDB#setTrust': { params: [of('cert', 'Certificate', '$caCert'), str('trust', 'CT,,CT')] },
  'CertDB#deleteCertificate': {
    // A certificate no other case needs (the database is a private copy).
    params: [of('cert', 'Certificate', '$spareCert'), opt(options('opts', [opt(bool('withKey', false))]))],
  },
  'CertDB#importPKCS12': {
    params: [
      of('data', 'Buffer', '$p12'),
      str('password', 'p12-password'),
      opt(options('opts', [opt(of('slot', 'PK11Slot', '$slot'))])),
    ],
  },
  'CertDB#importPKCS12Async': {
    params: [
      of('data', 'Buffer', '$p12'),
      str('password', 'p12-password'),
      opt(options('opts', [opt(of('slot', 'PK11Slot', '$slot'))])),
    ],
  },
  'CertDB#exportPKCS12': { params: [str('nickname', 'test_user'), str('password', 'pw')] },
  'CertDB#exportPKCS12Async': { params: [str('nickname', 'test_user'), str('password', 'pw')] },
  'CertDB#importPrivateKey': {
    params: [
      { name: 'key', types: ['string', 'Buffer'], valid: '$keyPem' },
      opt(
        options('opts', [
          opt({ name: 'passphrase', types: ['string', 'Buffer'], valid: 'pw' }),
          opt(of('slot', 'PK11Slot', '$slot')),
          opt(str('nickname', 'imported_key')),
        ]),
      ),
    ],
  },
  'CertDB#findKeyByAnyCert': { params: [of('cert', 'Certificate', '$cert')] },
  'CertDB#listPrivateKeys': { params: [opt(of('slot', 'PK11Slot', '$slot'))] },
  'CertDB#importCRL': {
    params: [
      // Any DER: after shutdown() the call must fail for that, not for the bytes.
      { name: 'crl', types: ['string', 'Buffer'], valid: '$der' },
      opt(options('opts', [opt(str('url', 'http://crl.test/'))])),
    ],
  },
  'CertDB#listCRLs': { params: [] },
  'CertDB#deleteCRL': { params: [{ name: 'crl', types: ['string', 'Buffer'], valid: '$der' }] },
  'fn:getDefaultCertDB': { params: [] },
  // certificate
  // Not for users to call: the refusal says where these objects come from.
  'new:Certificate': { params: [of('native', 'object', null, { mentions: 'Certificates come from' })] },
  'static:Certificate.fromDER': { params: [of('der', 'Buffer', '$der')] },
  'static:Certificate.fromPEM': { params: [str('pem', '$pem')] },
  ...Object.fromEntries(
    [
      'native',
      'subject',
      'issuer',
      'subjectCommonName',
      'serialNumber',
      'version',
      'validNotBefore',
      'validNotAfter',
      'nickname',
      'derData',
      'subjectAltNames',
      'keyUsage',
      'extKeyUsage',
      'isCA',
      'fingerprint256',
      'fingerprint',
      'publicKeyType',
      'publicKeyBits',
      'toPEM',
      'toX509Certificate',
      'toString',
    ].map((m) => [`Certificate#${m}`, { params: [] }]),
  ),
  'Certificate#checkValidTimes': { params: [opt(of('at', 'Date', '$date'))] },
  'Certificate#verifyNow': {
    params: [of('certdb', 'CertDB', '$db'), bool('checkSig'), int('requiredUsages', 2, U32)],
  },
  'Certificate#verify': {
    params: [
      of('certdb', 'CertDB', '$db'),
      bool('checkSig'),
      int('requiredUsages', 2, U32),
      of('at', 'Date', '$date'),
    ],
  },
  'Certificate#verifyAsync': {
    params: [
      of('certdb', 'CertDB', '$db'),
      int('usage', 2, [1, 0xffff]),
      opt(
        options('opts', [
          opt(of('at', 'Date', '$date')),
          opt(str('revocation', 'off')),
          opt(of('trustAnchors', 'Certificate[]', ['$caCert'])),
          opt(bool('keepDatabaseTrust')),
        ]),
      ),
    ],
  },
  'Certificate#verifyHostname': { params: [str('hostname', 'localhost')] },
  'Certificate#hasSignerInCaNames': { params: [of('caNames', 'Buffer[]', [])] },
  'Certificate#getChain': { params: [of('certdb', 'CertDB', '$db')] },
  'Certificate#equals': { params: [of('other', 'Certificate', '$cert')] },
  // private key
  // Not for users to call: the refusal says where these objects come from.
  'new:PrivateKey': { params: [of('native', 'object', null, { mentions: 'PrivateKey objects come from' })] },
  'PrivateKey#native': { params: [] },
  'PrivateKey#keyType': { params: [] },
  'PrivateKey#slot': { params: [] },
  'PrivateKey#nickname': { params: [] },
  'PrivateKey#id': { params: [] },
  'PrivateKey#getCertificate': { params: [] },
  'PrivateKey#toString': { params: [] },
  // issuance
  'fn:generateKeyPair': {
    params: [
      options('opts', [
        { name: 'type', types: ['string'], valid: 'ec' },
        opt(int('bits', 2048, [1024, 16384])),
        opt(str('curve', 'P-256')),
        opt(of('slot', 'PK11Slot', '$slot')),
        opt(bool('permanent', false)),
        opt(bool('extractable', false)),
        opt(str('nickname', 'gen')),
        opt(of('pinArgs', 'object', [])),
      ]),
    ],
  },
  'fn:createCertificateRequest': {
    params: [
      of('key', 'PrivateKey', '$key'),
      options('opts', [
        str('subject', 'CN=x'),
        opt(of('subjectAltNames', 'string[]', ['DNS:x'])),
        opt(of('keyUsage', 'string[]', ['digitalSignature'])),
        opt(of('extKeyUsage', 'string[]', ['serverAuth'])),
        opt(str('hash', 'sha256')),
      ]),
    ],
  },
  'fn:createCertificate': {
    params: [
      options(
        'opts',
        [
          opt(str('subject', 'CN=x')),
          { name: 'publicKeyFrom', types: ['PrivateKey', 'Buffer', 'string'], valid: '$key' },
          opt(of('issuer', 'object', { certificate: '$caCert', key: '$caKey' })),
          {
            name: 'serialNumber',
            types: ['bigint', 'integer', 'string'],
            valid: 5,
            optional: true,
            range: [1, 2 ** 53],
          },
          opt(of('notBefore', 'Date', '$date')),
          opt(of('notAfter', 'Date', '$date')),
          opt(bool('isCA', false)),
          opt(int('pathLength', 0, [0, MAX_TIMER])),
          opt(of('subjectAltNames', 'string[]', ['DNS:x'])),
          opt(of('keyUsage', 'string[]', ['digitalSignature'])),
          opt(of('extKeyUsage', 'string[]', ['serverAuth'])),
          opt(str('hash', 'sha256')),
          // A certificate without an issuer signs itself and needs a subject.
        ],
        { valid: { subject: 'CN=x', publicKeyFrom: '$key' } },
      ),
    ],
  },
  'fn:pemEncode': { params: [of('der', 'Buffer', '$der'), str('label', 'CERTIFICATE')] },
  // slots and modules
  // Not for users to call: the refusal says where these objects come from.
  'new:PK11Slot': { params: [of('native', 'object', null, { mentions: 'PK11Slot objects come from' })] },
  ...Object.fromEntries(
    [
      'native',
      'slotName',
      'tokenName',
      'isHW',
      'isRemovable',
      'isPresent',
      'isInternal',
      'isReadOnly',
      'needLogin',
      'needUserInit',
      'isLoggedIn',
      'logout',
      'listCertificates',
      'toString',
    ].map((m) => [`PK11Slot#${m}`, { params: [] }]),
  ),
  'PK11Slot#login': { params: [str('pin', 'DB_passwd')] },
  'PK11Slot#changePassword': {
    // Never with two valid values: the other parameter is wrong in every case.
    params: [str('oldPassword', 'DB_passwd'), str('newPassword', '$wrong:number')],
  },
  'fn:getAllTokens': { params: [] },
  'fn:getInternalKeySlot': { params: [] },
  'fn:findSlotByName': { params: [str('name', 'NSS User Private Key and Certificate Services')] },
  // Not for users to call: the refusal says where these objects come from.
  'new:PKCS11Module': {
    params: [of('native', 'object', null, { mentions: 'PKCS11Module objects come from' })],
  },
  ...Object.fromEntries(
    ['name', 'library', 'loaded', 'tokenPollInterval', 'isInternal', 'isFIPS', 'listSlots', 'toString'].map(
      (m) => [`PKCS11Module#${m}`, { params: [] }],
    ),
  ),
  'PKCS11Module#=tokenPollInterval': { params: [int('tokenPollInterval', 1000, [10, 3_600_000])] },
  'PKCS11Module#unload': { params: [], batch: 'none' },
  'fn:loadPKCS11Module': {
    params: [
      options('opts', [str('name', 'x'), str('library', '/nonexistent/lib.so'), opt(str('parameters', ''))]),
    ],
  },
  'fn:listModules': { params: [] },
  // TLS
  'new:SSLSocket': { params: [opt(options('opts', socketOptions()))] },
  'static:SSLSocket.importTCPSocket': {
    params: [
      of('socket', 'Duplex', '$duplex'),
      opt(options('opts', [opt(bool('asServer', false)), ...socketOptions()])),
    ],
  },
  ...withClass('SSLSocket', configurable),
  ...Object.fromEntries(
    [
      'closeNotifyReceived',
      'connectionState',
      'connecting',
      'getHostname',
      'invalidateSession',
      'dataPending',
      'getPeerCertificate',
      'getPeerCertificateChain',
      'getCertificate',
      'getSecurityStatus',
      'getSSLChannelInfo',
      'getNegotiatedHost',
      'getSessionID',
      'connectionInfoString',
      'alpnProtocol',
      'isServer',
      'getProtocol',
      'getCipher',
      'remoteAddress',
      'remotePort',
      'localAddress',
      'localPort',
      'remoteFamily',
      'address',
      'bytesWritten',
      'bytesRead',
      'bufferSize',
      'readyState',
      'pending',
      'timeout',
      'ref',
      'unref',
    ].map((m) => [`SSLSocket#${m}`, { params: [] }]),
  ),
  // Internal steps of the stream and of the server's accept: not for users, not called here.
  'SSLSocket#startHandshake': { params: [], batch: 'none' },
  'SSLSocket#destroySoon': { params: [], batch: 'none' },
  'SSLSocket#inherit': { params: [], batch: 'none' },
  'SSLSocket#markConnecting': { params: [], batch: 'none' },
  'SSLSocket#_read': { params: [], batch: 'none' },
  'SSLSocket#_write': { params: [], batch: 'none' },
  'SSLSocket#_writev': { params: [], batch: 'none' },
  'SSLSocket#_final': { params: [], batch: 'none' },
  'SSLSocket#_destroy': { params: [], batch: 'none' },
  'SSLSocket#connect': {
    self: 'fresh',
    params: [
      options('opts', [
        str('host', '127.0.0.1'),
        int('port', 1, [1, 65535]),
        opt(int('timeout', 100, [1, MAX_TIMER])),
      ]),
    ],
  },
  'SSLSocket#attach': {
    self: 'fresh',
    params: [of('transport', 'Duplex', '$duplex'), bool('asServer', false)],
  },
  'SSLSocket#resetHandshake': { self: 'fresh', params: [bool('asServer', false)] },
  'SSLSocket#setHostname': { self: 'fresh', params: [str('name', 'localhost')] },
  'SSLSocket#setSockPeerID': { self: 'fresh', params: [str('id', 'peer')] },
  'SSLSocket#setSession': { self: 'fresh', params: [of('session', 'Buffer', '$der')] },
  'SSLSocket#forceHandshake': {
    params: [opt(options('opts', [opt(int('timeout', 1000, [1, MAX_TIMER]))]))],
  },
  'SSLSocket#rehandshake': { params: [bool('flushCache', false)], batch: 'none' },
  'SSLSocket#keyUpdate': { params: [bool('requestPeerUpdate', false)] },
  'SSLSocket#getCipherSuiteInfo': { params: [int('suite', 0x1301, U16)] },
  'SSLSocket#exportKeyingMaterial': {
    params: [
      int('length', 16, [1, 2 ** 16]),
      str('label', 'EXPORTER-test'),
      opt(of('context', 'Buffer', '$der')),
    ],
  },
  // (a size outside 512-16384 is no error: false, as node:tls answers)
  'SSLSocket#setMaxSendFragment': { params: [int('size', 1024)] },
  'SSLSocket#setNoDelay': { params: [opt(bool('noDelay'))] },
  'SSLSocket#setKeepAlive': { params: [opt(bool('enable')), opt(int('delay', 1000, [0, MAX_TIMER]))] },
  'SSLSocket#setTimeout': {
    self: 'fresh',
    params: [int('ms', 1000, [0, MAX_TIMER]), opt(of('callback', 'function', '$noop'))],
  },
  'fn:nssGetClientAuthData': { params: [opt(str('nickname', 'test_user'))] },
  'fn:getCipherSuiteInfo': { params: [int('suite', 0x1301, U16)] },
  'new:SSLServer': {
    params: [
      opt(
        options('opts', [
          opt({ name: 'family', types: ['string'], valid: 'ipv4' }),
          opt(of('certDB', 'CertDB', '$db')),
          opt(bool('allowHalfOpen')),
          opt(str('sessionIdContext', 'web')),
        ]),
      ),
    ],
  },
  ...withClass('SSLServer', configurable),
  'SSLServer#handshakeTimeout': { params: [] },
  'SSLServer#=handshakeTimeout': { params: [int('handshakeTimeout', 1000, [0, MAX_TIMER])] },
  'SSLServer#configSecureServer': {
    self: 'fresh',
    params: [
      of('cert', 'Certificate', '$cert'),
      of('key', 'PrivateKey', '$key'),
      opt(int('kea', 0, U32)),
      opt(options('opts', [opt(of('ocspResponse', 'Buffer', '$der'))])),
    ],
  },
  'SSLServer#setSNICallback': { params: [cb('cb')] },
  'SSLServer#setALPNCallback': { params: [cb('cb')] },
  'SSLServer#servedIdentities': { params: [] },
  'SSLServer#servingStapler': { params: [] },
  'SSLServer#listen': {
    self: 'fresh',
    params: [
      options('opts', [
        int('port', 0, [0, 65535]),
        opt(str('host', '127.0.0.1')),
        opt(int('backlog', 16, [0, 2 ** 53])),
      ]),
    ],
  },
  'SSLServer#handleConnection': { params: [], batch: 'none' },
  // internal: the accepted sockets' class (node-nss/tls), called by the server itself
  'SSLServer#newSocket': { params: [], batch: 'none' },
  'SSLServer#accept': {
    self: 'fresh',
    params: [opt(options('opts', [opt(int('timeout', 10, [1, MAX_TIMER]))]))],
  },
  'SSLServer#address': { params: [] },
  'SSLServer#close': { params: [], batch: 'none' },
  'fn:configServerSessionIDCache': {
    params: [
      opt(
        options('opts', [
          opt(int('maxEntries', 100, [0, MAX_TIMER])),
          opt(int('timeout', 100, [1, MAX_TIMER])),
        ]),
      ),
    ],
  },
  'fn:clearSessionCache': { params: [] },
  // Not run here: a call that succeeds makes this test process a cluster primary (its children would join);
  // test/tls/cluster-sessions.test.ts refuses its wrong values.
  'fn:configMPServerSIDCache': {
    batch: 'none',
    params: [
      opt(
        options('opts', [
          opt(int('maxEntries', 100, [0, 0x7fffffff])),
          opt(int('timeout', 100, [0, 0x7fffffff])),
          opt(str('directory', '/tmp')),
        ]),
      ),
    ],
  },
  'fn:inheritMPServerSIDCache': { params: [] },
  'fn:configClientSessionCache': {
    params: [options('opts', [opt(int('maxUsedTickets', 2, [0, 2 ** 53]))])],
  },
  'fn:clearVerificationCache': { params: [] },
  'fn:setDefaultRevocationMode': { params: [str('mode', 'off')] },
  'fn:getDefaultRevocationMode': { params: [] },
  'fn:setOCSPDefaultResponder': {
    params: [
      str('url', 'http://127.0.0.1:1/'),
      { name: 'signer', types: ['string', 'Certificate'], valid: 'test_ca' },
    ],
  },
  'fn:clearOCSPDefaultResponder': { params: [] },
  'fn:setOCSPTimeout': { params: [int('seconds', 10, [1, 60])] },
  'fn:configOCSPCache': {
    params: [
      options('opts', [
        int('maxEntries', 1000, [-1, 0x7fffffff]),
        int('minSeconds', 3600, U32),
        int('maxSeconds', 86400, U32),
      ]),
    ],
  },
  'fn:clearOCSPCache': { params: [] },
  'fn:configVerificationCache': {
    params: [
      options('opts', [
        opt(int('maxEntries', 1000, [0, 2 ** 53])),
        opt(int('maxAge', 600_000, [0, 2 ** 53])),
      ]),
    ],
  },
  'fn:configThreadPool': { params: [options('opts', [int('threads', 0, [0, 256])])] },
  'fn:threadPool': { params: [] },
  'new:Agent': {
    params: [
      opt(
        options('opts', [
          opt(
            options(
              'nss',
              connectOptions().map((p) => ({ ...p, optional: true })),
            ),
          ),
        ]),
      ),
    ],
  },
  'Agent#createConnection': { params: [], batch: 'none' },
  'fn:connect': { params: [options('opts', connectOptions())] },
  'fn:undiciConnector': {
    params: [
      opt(
        options('opts', [
          opt(bool('allowH2', false)),
          opt(int('timeout', 1000, [1, MAX_TIMER])),
          opt(str('servername', 'localhost')),
          opt(bool('rejectUnauthorized')),
          ...credentialOptions(),
        ]),
      ),
    ],
  },
  'fn:createSecureContext': { params: [opt(options('opts', credentialOptions(false)))] },
  'new:SecureContext': {
    params: [
      { name: 'identities', types: ['object'], valid: [], mentions: 'createSecureContext' },
      opt({ name: 'anchors', types: ['object'], valid: undefined, mentions: 'createSecureContext' }),
      opt({ name: 'crls', types: ['object'], valid: undefined, mentions: 'createSecureContext' }),
    ],
  },
  'SecureContext#crlCount': { params: [] },
  'SecureContext#trustAnchors': { params: [] },
  'SecureContext#context': { params: [] },
  'SecureContext#clientAuth': { params: [] },
  'fn:createConnection': {
    params: [options('opts', connectOptions()), opt(of('onSecureConnect', 'function', '$noop'))],
  },
  'fn:createServer': {
    params: [
      options(
        'opts',
        [
          opt({ name: 'certNickname', types: ['string', 'string[]'], valid: 'test_server' }),
          opt(of('certDB', 'CertDB', '$db')),
          ...credentialOptions(),
          opt(bool('requestCert', false)),
          opt(bool('requireCert', false)),
          opt(bool('allowHalfOpen', false)),
          opt(str('sessionIdContext', 'web')),
          opt(of('ALPNProtocols', 'string[]', ['h2'])),
          opt(of('ALPNCallback', 'function', '$fn')),
          opt(str('ciphers', 'TLS_AES_128_GCM_SHA256')),
          opt(str('ecdhCurve', 'auto')),
          opt(str('sigalgs', 'ecdsa_secp256r1_sha256')),
          opt(str('revocation', 'off')),
        ],
        // a server needs a certificate: the nickname, unless a case gives another source
        { valid: { certNickname: 'test_server' } },
      ),
      opt(of('onSecureConnection', 'function', '$noop')),
    ],
  },
};

/** Wrong-value labels (harness.cjs builds them), and the parameter types each one would satisfy. */
const wrongLabels: Record<string, (t: ParamType, p: Param) => boolean> = {
  undefined: () => false,
  null: (t) => t === 'null',
  number: (t, p) => t === 'integer' && inRange(p, 42),
  fraction: () => false,
  NaN: () => false,
  Infinity: () => false,
  negative: (t, p) => t === 'integer' && inRange(p, -1),
  huge: (t, p) => t === 'integer' && inRange(p, 2 ** 32 + 1),
  string: (t) => t === 'string',
  boolean: (t) => t === 'boolean',
  symbol: () => false,
  bigint: (t) => t === 'bigint',
  object: (t) => t === 'object',
  array: (t) => t === 'string[]' || t === 'object',
  function: (t) => t === 'function',
  buffer: (t) => t === 'Buffer',
  invalidDate: () => false,
  throwingGetter: (t) => t === 'object',
};

function inRange(p: Param, n: number): boolean {
  const [min, max] = p.range ?? [-(2 ** 53), 2 ** 53];
  return n >= min && n <= max;
}

export interface Case {
  id: number;
  key: string;
  self?: 'fresh';
  args: unknown[];
  /** The parameter or option name the error must carry. */
  names: string;
  wrong: string;
  /** What must happen: a TypeError/RangeError naming it, or the caller's own getter error. */
  expect: 'argument' | 'getter';
}

/** Every wrong-value case the table implies. */
export function generateCases(filter: (key: string, e: Entry) => boolean): Case[] {
  const cases: Case[] = [];
  for (const [key, entry] of Object.entries(surface)) {
    if (entry.batch === 'none' || !filter(key, entry)) continue;
    const validArgs = entry.params.map((p) => p.valid);
    entry.params.forEach((p, i) => {
      for (const label of labelsFor(p)) {
        const args = [...validArgs];
        args[i] = `$wrong:${label}`;
        cases.push({
          id: cases.length,
          key,
          self: entry.self,
          args,
          names: p.mentions ?? p.name,
          wrong: label,
          expect: 'argument',
        });
      }
      for (const f of p.fields ?? []) {
        for (const label of [...labelsFor(f), ...(f.fields ? [] : ['throwingField'])]) {
          const args = [...validArgs];
          args[i] = { ...(p.valid as object), [f.name]: `$wrong:${label}` };
          cases.push({
            id: cases.length,
            key,
            self: entry.self,
            args,
            names: f.name,
            wrong: label,
            expect: label === 'throwingField' ? 'getter' : 'argument',
          });
        }
      }
    });
  }
  return cases;
}

function labelsFor(p: Param): string[] {
  return Object.entries(wrongLabels)
    .filter(([label]) => !(label === 'undefined' && p.optional))
    .filter(([label]) => !(p.accepts ?? []).includes(label))
    .filter(([, fits]) => !p.types.some((t) => fits(t, p)))
    .map(([label]) => label);
}

export interface Outcome {
  id: number;
  kind: 'ok' | 'TypeError' | 'RangeError' | 'NSPRError' | 'Error' | 'thrown' | 'hang';
  code?: string;
  message?: string;
}

/** Runs cases in a child process; a case without an outcome line crashed or hung the child. */
export async function runCases(
  fixture: FixtureDB,
  cases: Case[],
  opts: { init?: boolean; ms?: number; after?: 'close' | 'shutdown' } = {},
): Promise<{ outcomes: Map<number, Outcome>; status: number | null; stderr: string; done: boolean }> {
  const harness = path.join(__dirname, 'harness.cjs');
  const input = path.join(tempDir('cases'), 'cases.json');
  fs.writeFileSync(input, JSON.stringify({ fixture, cases, init: opts.init ?? true, after: opts.after }));
  const r = await nodeScript(`require(${JSON.stringify(harness)})`, {
    env: { HARDENING_INPUT: input },
    ms: opts.ms ?? 120_000,
  });
  const outcomes = new Map<number, Outcome>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line) as Outcome;
    outcomes.set(o.id, o);
  }
  return {
    outcomes,
    status: r.status,
    stderr: r.stderr,
    done: r.stdout.includes('\ndone\n') || r.stdout.startsWith('done\n'),
  };
}

/** Why an outcome is not what the case requires, or undefined when it is. */
export function judge(c: Case, o: Outcome | undefined): string | undefined {
  if (!o) return 'no outcome: the process crashed or hung';
  if (c.expect === 'getter') {
    return o.kind === 'Error' && o.message === 'getter thrown by the caller'
      ? undefined
      : `expected the getter's own error, got ${o.kind} ${o.code ?? ''} ${o.message ?? ''}`;
  }
  if (o.kind !== 'TypeError' && o.kind !== 'RangeError') {
    return `expected a TypeError or RangeError naming "${c.names}", got ${o.kind} ${o.code ?? ''} ${o.message ?? ''}`;
  }
  if (!o.message?.includes(c.names)) return `${o.kind} does not name "${c.names}": ${o.message}`;
  // With node's codes, as node's own argument checks give them (code that tests err.code works unchanged).
  // (a value of the right type that is no PEM is node's TypeError ERR_INVALID_ARG_VALUE; a constructor the
  // package's factories call, given something else, ERR_ILLEGAL_CONSTRUCTOR)
  const codes =
    o.kind === 'TypeError'
      ? ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_ILLEGAL_CONSTRUCTOR']
      : ['ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_VALUE'];
  if (!codes.includes(o.code ?? ''))
    return `${o.kind} without node's code (${codes.join(' or ')}): ${o.message}`;
  return undefined;
}

export function expectAllJudged(cases: Case[], outcomes: Map<number, Outcome>): void {
  const failures = cases
    .map((c) => ({ c, why: judge(c, outcomes.get(c.id)) }))
    .filter((f) => f.why)
    .map((f) => `${f.c.key} ${f.c.names}=${f.c.wrong}: ${f.why}`);
  // For working through a long list: HARDENING_FAILURES names a file that gets every failure.
  if (process.env.HARDENING_FAILURES && failures.length) {
    fs.appendFileSync(process.env.HARDENING_FAILURES, failures.join('\n') + '\n');
  }
  expect(failures).toEqual([]);
}

/** Calls left out of the wrong-type runs (they end things) that a use after the end must survive too. */
const endingCalls = new Set([
  'fn:shutdown',
  'fn:enableFIPS',
  'PKCS11Module#unload',
  'SSLSocket#rehandshake',
  'SSLSocket#destroySoon',
  'SSLServer#close',
]);

/** One call per callable with valid arguments (for use after close() or shutdown()). */
export function validCases(filter: (key: string, e: Entry) => boolean): Case[] {
  return Object.entries(surface)
    .filter(([key, e]) => (e.batch === undefined || endingCalls.has(key)) && filter(key, e))
    .map(([key, e], id) => ({
      id,
      key,
      self: e.self,
      args: e.params.filter((p) => !p.optional).map((p) => p.valid),
      names: '',
      wrong: 'none',
      expect: 'argument' as const,
    }));
}
