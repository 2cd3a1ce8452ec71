// The exact shape of the native module (build/Release/node_nss.node). Only src/ uses it.

export type PinArgs = readonly unknown[];

export interface NativeCertificateInfo {
  subject: string;
  issuer: string;
  subjectCommonName: string | null;
  serial: Buffer;
  version: number;
  notBefore: number;
  notAfter: number;
  nickname: string | null;
  der: Buffer;
  subjectAltNames: string[];
  keyUsage: number | null;
  extKeyUsage: string[] | null;
  isCA: boolean;
  isPerm: boolean;
  publicKeyType: string;
  publicKeyBits: number;
}

export interface NativeVerifyLogEntry {
  cert: NativeCertificate;
  depth: number;
  error: number;
}

export interface NativeVerifyResult {
  ok: boolean;
  usages: number;
  error: number;
  log: NativeVerifyLogEntry[];
}

export declare class NativeCertificate {
  private constructor();
  info(): NativeCertificateInfo;
  nickname(): string | null;
  checkValidTimes(atMillis: number | undefined): number;
  verify(
    checkSig: boolean,
    requiredUsages: number,
    atMillis: number | undefined,
    pinArgs: PinArgs,
  ): NativeVerifyResult;
  /**
   * `CERT_PKIXVerifyCert` for one usage (a `certificateUsage*` bit) on a libuv worker (no pin argument): against
   * `anchors` only (`anchors` and the database's trust when `anchorsOnly` is false), or the database's trust
   * when null; `revocation` 0 off, 1 soft, 2 hard (NSS's classic
   * policies); `staples` are OCSP responses handed to NSS's OCSP cache first; `keep` are held until it ends (a
   * peer's chain). Resolves with 0 or the NSS error.
   */
  verifyPKIXAsync(
    usage: number,
    atMillis: number | undefined,
    anchors: NativeCertificate[] | null,
    revocation: number,
    staples: Buffer[],
    keep: NativeCertificate[],
    anchorsOnly: boolean,
  ): Promise<number>;
  verifyHostname(hostname: string): boolean;
  hasSignerInCaNames(caNames: Buffer[]): boolean;
  getChain(certUsage: number, atMillis: number | undefined): NativeCertificate[];
  /** [sslFlags, emailFlags, objectSigningFlags] (`CERTDB_*` bits), or null when the certificate has no trust. */
  getTrust(): [number, number, number] | null;
  setTrust(trust: string, pinArgs: PinArgs): void;
  /** Throws NSPRError NSS_SHUT_DOWN once shutdown() released the certificate. */
  assertLive(): void;
}

/** A CRL in NSS's CRL cache, taken out again when the handle is released or collected. */
export declare class NativeCachedCRL {
  private constructor();
}

export interface NativeCRLInfo {
  /** The issuer's name (RFC 4514 text). */
  issuer: string;
  der: Buffer | null;
  url: string | null;
}

export declare class NativePrivateKey {
  private constructor();
  keyType(): string;
  slot(): NativeSlot | null;
  /** DER SubjectPublicKeyInfo of the key's public half. */
  publicKeyInfo(): Buffer;
  /** CKA_LABEL, or null. */
  nickname(): string | null;
  /** CKA_ID, or null. */
  id(): Buffer | null;
  /** `PK11_GetCertFromPrivateKey`, or null. */
  certificate(): NativeCertificate | null;
  /** `PK11_Sign` of `digest` as given (PKCS #1 v1.5 padding for RSA, r || s for ECDSA), after a login when needed. */
  signDigest(digest: Buffer, pinArgs: PinArgs): Buffer;
}

export interface NativeKeyGenParams {
  type: 'rsa' | 'ec';
  /** RSA modulus size. */
  bits: number;
  /** 'P-256' | 'P-384' | 'P-521' for EC keys. */
  curve: string;
  slot: NativeSlot | null;
  /** A token object (true) or a session object. */
  permanent: boolean;
  /** CKA_EXTRACTABLE: whether the token may wrap the key (PKCS #12 export). */
  extractable: boolean;
  nickname: string | null;
}

/** An encoded certificate extension. */
export interface NativeExtension {
  /** Dotted object identifier, e.g. '2.5.29.17'. */
  oid: string;
  critical: boolean;
  /** DER of the extension value (what the OCTET STRING holds). */
  value: Buffer;
}

export interface NativeAltName {
  type: 'dns' | 'ip' | 'email' | 'uri';
  value: string;
}

export interface NativeCertificateRequestInfo {
  /** Subject in RFC 4514 text. */
  subject: string;
  /** Subject as a DER Name. */
  subjectName: Buffer;
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
  /** The extensions of the extensionRequest attribute. */
  extensions: NativeExtension[];
}

export interface NativeCreateCertificateParams {
  /** RFC 4514 text or a DER Name. */
  subject: string | Buffer;
  spki: Buffer;
  /** null: self-signed (issuer name = subject). */
  issuer: NativeCertificate | null;
  key: NativePrivateKey;
  /** Content octets of the serial number INTEGER (positive, minimal). */
  serial: Buffer;
  notBefore: number;
  notAfter: number;
  extensions: NativeExtension[];
  hash: string;
}

export interface NativeSlotInfo {
  slotName: string;
  tokenName: string;
  isHW: boolean;
  isRemovable: boolean;
  isPresent: boolean;
  isInternal: boolean;
  isInternalKeySlot: boolean;
  isReadOnly: boolean;
}

export declare class NativeSlot {
  private constructor();
  info(): NativeSlotInfo;
  needLogin(): boolean;
  isLoggedIn(pinArgs: PinArgs): boolean;
  login(pin: string): Promise<void>;
  logout(): void;
  /** `PK11_NeedUserInit`: the token has never had a password set. */
  needUserInit(): boolean;
  /** `PK11_ChangePW` (or `PK11_InitPin` when the token needs its first password). */
  changePassword(oldPassword: string, newPassword: string): void;
  listCertificates(): NativeCertificate[];
  /** `PK11_ListPrivKeysInSlot`, logging in first when the token needs it. */
  listPrivateKeys(pinArgs: PinArgs): NativePrivateKey[];
}

export interface NativePKCS11ModuleInfo {
  name: string;
  library: string | null;
  loaded: boolean;
  internal: boolean;
  fips: boolean;
}

export declare class NativePKCS11Module {
  private constructor();
  info(): NativePKCS11ModuleInfo;
  slots(): NativeSlot[];
  unload(): void;
  watchTokens(onEvent: (slot: NativeSlot, present: boolean) => void, intervalMs: number): void;
  stopWatching(): void;
}

export interface NativeInitOptions {
  dbDir: string | null;
  readOnly: boolean;
  loadBuiltinRoots: boolean;
  rootsModule: string | null;
  password: string | null;
  /**
   * The first password of a key database this init creates (`PK11_InitPin` when the internal key slot needs
   * it), or null to leave it.
   */
  firstPassword: string | null;
}

export type NativeErrorClass = new (errno: number, code: string, message: string) => Error;
export type NativePasswordCallback = (
  slot: NativeSlot,
  retry: boolean,
  ...pinArgs: unknown[]
) => string | undefined;

export interface Binding extends SSLBinding {
  // lifecycle (context.cc)
  init(options: NativeInitOptions): void;
  /** Drops this environment's reference; true when NSS itself was shut down (the last one). */
  shutdown(): boolean;
  isInitialized(): boolean;
  setPasswordCallback(callback: NativePasswordCallback | null): void;
  isFIPS(): boolean;
  /** Switches the internal module to/from FIPS mode; false when it already was in that mode. */
  setFIPS(on: boolean): boolean;
  /** `SECMOD_CanDeleteInternalModule`. */
  /** `NSS_OptionGet` / `NSS_OptionSet` (process-wide: minimum key sizes, TLS version policy). */
  nssOptionGet(which: number): number;
  nssOptionSet(which: number, value: number): void;
  generateRandom(length: number): Buffer;
  versions(): { nss: string; nspr: string };
  /** How many certificates, keys, slots and sockets this environment holds in NSS. */
  liveHandles(): number;
  /** Counts a change that can alter a verification's outcome, process-wide (all threads see it). */
  trustChanged(): void;
  /** The count of such changes so far. */
  trustEpoch(): number;
  // errors (errors.cc)
  setErrorClass(errorClass: NativeErrorClass): void;
  errorName(errno: number): string | null;
  errorMessage(errno: number): string | null;
  // constants (constants.cc)
  constants: Readonly<Record<string, number>>;
  // certificate database (cert_db.cc)
  findCertFromNickname(nickname: string, pinArgs: PinArgs): NativeCertificate;
  findCertsFromNickname(nickname: string, pinArgs: PinArgs): NativeCertificate[];
  findCertByDER(der: Buffer): NativeCertificate | null;
  certFromDER(der: Buffer): NativeCertificate;
  /** `PK11_ListCerts(type)`; `type` is a `PK11CertList*` constant. */
  listCertificates(type: number, pinArgs: PinArgs): NativeCertificate[];
  importCertificate(
    der: Buffer,
    nickname: string,
    slot: NativeSlot | null,
    pinArgs: PinArgs,
  ): NativeCertificate;
  deleteCertificate(cert: NativeCertificate, withKey: boolean, pinArgs: PinArgs): void;
  findKeyByAnyCert(cert: NativeCertificate, pinArgs: PinArgs): NativePrivateKey;
  importPKCS12(
    data: Buffer,
    ucs2Password: Buffer,
    slot: NativeSlot | null,
    pinArgs: PinArgs,
  ): NativeCertificate[];
  exportPKCS12(nickname: string, utf8Password: Buffer, pinArgs: PinArgs): Buffer;
  /**
   * A PKCS#12 file's certificates (`hasKey`: a key bag pairs with it) and how many key bags it holds in any
   * safe, its integrity checked and nothing imported.
   */
  readPKCS12Certificates(
    data: Buffer,
    ucs2Password: Buffer,
    pinArgs: PinArgs,
  ): { certificates: { der: Buffer; hasKey: boolean }[]; keyBags: number };
  /** The same on a libuv worker; the token login (with `pinArgs`) happens first, on the calling thread. */
  importPKCS12Async(
    data: Buffer,
    ucs2Password: Buffer,
    slot: NativeSlot | null,
    pinArgs: PinArgs,
  ): Promise<NativeCertificate[]>;
  exportPKCS12Async(nickname: string, utf8Password: Buffer, pinArgs: PinArgs): Promise<Buffer>;
  // CRLs (crl.cc)
  /**
   * `CERT_CacheCRL`: the CRL is used by every verification in the process while the handle lives. Its signer
   * must be one of `anchors` or a CA the database trusts.
   */
  cacheCRL(der: Buffer, anchors: NativeCertificate[] | null): NativeCachedCRL;
  /** `PK11_ImportCRL` into the database (signature checked against its issuer there). */
  importCRL(der: Buffer, url: string | null, pinArgs: PinArgs): void;
  listCRLs(): NativeCRLInfo[];
  /** Deletes the database's CRL of this CRL's issuer (`SEC_DeletePermCRL`). */
  deleteCRL(der: Buffer): void;
  // OCSP settings (ocsp.cc)
  ocspSetDefaultResponder(url: string, signerNickname: string): void;
  ocspClearDefaultResponder(): void;
  ocspSetTimeout(seconds: number): void;
  ocspCacheSettings(maxEntries: number, minSeconds: number, maxSeconds: number): void;
  ocspClearCache(): void;
  // issuance (private_key.cc, cert_extensions.cc, cert_request.cc, cert_builder.cc)
  generateKeyPair(params: NativeKeyGenParams, pinArgs: PinArgs): Promise<NativePrivateKey>;
  /**
   * Unwraps a PKCS #8 EncryptedPrivateKeyInfo into the token (the internal key slot when `slot` is null);
   * `publicValue` is the RSA modulus or the EC point (the key's CKA_ID is derived from it).
   */
  importEncryptedPrivateKey(
    epki: Buffer,
    password: Buffer,
    publicValue: Buffer,
    keyType: 'rsa' | 'ec',
    slot: NativeSlot | null,
    permanent: boolean,
    nickname: string | null,
    pinArgs: PinArgs,
  ): NativePrivateKey;
  encodeAltNames(names: NativeAltName[]): Buffer;
  /** `KU_*` bits of the first octet. */
  encodeKeyUsage(bits: number): Buffer;
  encodeExtKeyUsage(oids: string[]): Buffer;
  /** `pathLength` -1: no constraint. */
  encodeBasicConstraints(isCA: boolean, pathLength: number): Buffer;
  encodeSubjectKeyID(keyID: Buffer): Buffer;
  encodeAuthorityKeyID(keyID: Buffer): Buffer;
  /** SHA-1 of the subjectPublicKey bits of a DER SubjectPublicKeyInfo (RFC 5280 key identifier). */
  keyIdentifier(spki: Buffer): Buffer;
  certificateKeyInfo(cert: NativeCertificate): { spki: Buffer; subjectKeyID: Buffer | null };
  createCertificateRequest(
    key: NativePrivateKey,
    spki: Buffer,
    subject: string,
    extensions: NativeExtension[],
    hash: string,
    pinArgs: PinArgs,
  ): Buffer;
  /** Checks the request's signature first; throws NSPRError when it does not verify. */
  decodeCertificateRequest(der: Buffer): NativeCertificateRequestInfo;
  createCertificate(params: NativeCreateCertificateParams, pinArgs: PinArgs): NativeCertificate;
  // tokens (slot.cc)
  getAllTokens(pinArgs: PinArgs): NativeSlot[];
  getInternalKeySlot(): NativeSlot;
  findSlotByName(name: string): NativeSlot | null;
  loadPKCS11Module(name: string, library: string, parameters: string | null): NativePKCS11Module;
  listModules(): NativePKCS11Module[];
  NativePKCS11Module: typeof NativePKCS11Module;
  NativeCertificate: typeof NativeCertificate;
  NativePrivateKey: typeof NativePrivateKey;
  NativeCachedCRL: typeof NativeCachedCRL;
  NativeSlot: typeof NativeSlot;
}

/**
 * What `cycle()` returns: `null` when NSS released no cleartext and wrote no ciphertext, else
 * `[cleartext, ciphertext]` (either may be null). Its scalars are in the engine's cycle state.
 */
export type NativeCycleOutput = null | [cleartext: Buffer | null, ciphertext: Buffer | null];

/** The slots of the Float64Array given to `setCycleState`, written by every `cycle()`. */
export declare const enum CycleState {
  /** Bytes of the `writes` NSS accepted, in order. */
  written = 0,
  handshakes = 1,
  serverAuthCalls = 2,
  /** CycleFlag bits. */
  flags = 3,
  /** The first error other than PR_WOULD_BLOCK_ERROR, or 0. */
  error = 4,
  length = 5,
}

export declare const enum CycleFlag {
  authPending = 1,
  clientAuthPending = 2,
  closeNotify = 4,
  eof = 8,
  /** `cycleExtras()` has what this cycle also brought. */
  extras = 16,
}

/** What a cycle rarely brings, from `cycleExtras()`. */
export interface NativeCycleExtras {
  caNames?: Buffer[];
  sessions?: Buffer[];
  /** TLS 1.3 traffic secrets NSS installed (when watched): epoch (2 handshake, 3+N application), whether
   * this end writes with it, the secret. */
  secrets?: Array<[epoch: number, write: boolean, secret: Buffer]>;
  /** An exception thrown by a JavaScript handler NSS called synchronously during this cycle. */
  callbackError?: unknown;
}

export interface NativeSecurityStatus {
  on: number;
  cipher: string;
  keySize: number;
  secretKeySize: number;
  issuer: string;
  subject: string;
}

export interface NativeChannelInfo {
  protocolVersion: number;
  cipherSuite: number;
  authKeyBits: number;
  keaKeyBits: number;
  creationTime: number;
  lastAccessTime: number;
  expirationTime: number;
  sessionID: Buffer;
  compressionMethodName: string;
  extendedMasterSecretUsed: boolean;
  earlyDataAccepted: boolean;
  keaType: number;
  keaGroup: number;
  symCipher: number;
  macAlgorithm: number;
  authType: number;
  signatureScheme: number;
  resumed: boolean;
}

export interface NativeCipherSuiteInfo {
  cipherSuite: number;
  cipherSuiteName: string;
  authAlgorithmName: string;
  keaTypeName: string;
  symCipherName: string;
  symKeyBits: number;
  symKeySpace: number;
  effectiveKeyBits: number;
  macAlgorithmName: string;
  macBits: number;
  isFIPS: boolean;
  nonStandard: boolean;
  authType: number;
  keaType: number;
}

export interface NativeSSLHandlers {
  /** Server role: called inside NSS; returns 0 to accept the peer's certificate or an NSS error number. */
  serverAuth?: (checkSig: boolean) => number;
  /** Server role: the client's SNI name → a certificate and key to serve, or undefined. */
  sni?: (
    serverName: string,
  ) => { cert: NativeCertificate; key: NativePrivateKey; ocspResponse?: Buffer } | undefined;
  /** Client role: ask TypeScript for a client certificate (clientAuthPending in cycle results). */
  clientAuth: boolean;
}

export declare class NativeSSLEngine {
  constructor(model: NativeSSLEngine | null);
  optionSet(option: number, value: number): void;
  optionGet(option: number): number;
  versionRangeSet(min: number, max: number): void;
  versionRangeGet(): [number, number];
  cipherPrefSet(suite: number, enabled: boolean): void;
  cipherPrefGet(suite: number): boolean;
  /** `SSL_NamedGroupConfig`: exactly these groups, in this order. */
  namedGroupConfig(groups: readonly number[]): void;
  signatureSchemePrefSet(schemes: readonly number[]): void;
  signatureSchemePrefGet(): number[];
  setURL(url: string): void;
  getURL(): string | null;
  setSockPeerID(id: string): void;
  setALPN(wire: Buffer): void;
  /** With `ocspResponse` (DER), staples it for clients that ask. */
  configServerCert(cert: NativeCertificate, key: NativePrivateKey, ocspResponse?: Buffer | null): void;
  /**
   * Server: the SNI callback's answer for `name` in a ClientHello read ahead, applied by NSS's SNI hook without
   * calling JavaScript (`undefined`: keep the configuration); `null` forgets it. Also forgotten by
   * `resetHandshake`.
   */
  setSNIDecision(
    name: string | null,
    answer?: { cert: NativeCertificate; key: NativePrivateKey; ocspResponse?: Buffer },
  ): void;
  /** The DER OCSP responses the server stapled (`SSL_PeerStapledOCSPResponses`). */
  peerStapledOCSPResponses(): Buffer[];
  setPeerAddress(ip: string, port: number): void;
  resetHandshake(asServer: boolean): void;
  /** Kept on this object (not as a GC root: the handlers close over the socket), read when a hook fires. */
  setHandlers(handlers: NativeSSLHandlers): void;
  /** Kept on this object, as the handlers are. */
  setPinArgs(pinArgs: readonly unknown[]): void;
  /**
   * Server: TLS 1.3 tickets carry `context` (sent after each handshake when `sendTickets`), and a ticket with
   * another context fails the handshake. Engines made from this one inherit both.
   */
  setServerSessionContext(context: Buffer, sendTickets: boolean): void;
  cycle(input: Buffer | null, eof: boolean, writes: Buffer[]): NativeCycleOutput;
  /**
   * `cycle()` on the cycle pool: `done` gets its output (the cycle state written just before) or the error it
   * would throw. `false`: not started (the pool has no threads, a JavaScript hook or pin arguments are set).
   * One at a time per engine; every other method waits for it.
   */
  cycleAsync(
    input: Buffer | null,
    eof: boolean,
    writes: Buffer[],
    done: (error: Error | null, output: NativeCycleOutput) => void,
  ): boolean;
  /** Hand TLS 1.3 traffic secrets to `cycleExtras()` (`SSL_SecretCallback`). */
  watchSecrets(on: boolean): void;
  /** Where every `cycle()` writes its scalars (CycleState slots); kept by the engine. */
  setCycleState(state: Float64Array): void;
  /** The extras of the last cycle that flagged them (CycleFlag.extras), once; else undefined. */
  cycleExtras(): NativeCycleExtras | undefined;
  /**
   * NSS's own check of the peer's certificate (`SSL_AuthCertificate`); `isServer`: this end is the server.
   * With `anchors`, the chain is verified against those certificates only (beside the database's trust when
   * `anchorsOnly` is false), and with `revocation` (1 soft, 2 hard) OCSP is asked too (`CERT_PKIXVerifyCert`,
   * on this thread: a server's check of a client).
   */
  defaultAuth(
    checkSig: boolean,
    isServer: boolean,
    anchors: NativeCertificate[] | null,
    revocation: number,
    anchorsOnly: boolean,
  ): number;
  authComplete(error: number): void;
  defaultClientAuth(nickname: string | null): [NativeCertificate, NativePrivateKey] | null;
  clientAuthComplete(cert: NativeCertificate | null, key: NativePrivateKey | null): void;
  shutdownSend(): Buffer | null;
  close(): Buffer | null;
  reHandshake(flushCache: boolean): void;
  keyUpdate(requestPeerUpdate: boolean): void;
  sendCertificateRequest(): void;
  invalidateSession(): void;
  dataPending(): number;
  securityStatus(): NativeSecurityStatus;
  channelInfo(): NativeChannelInfo;
  peerCertificate(): NativeCertificate | null;
  peerCertificateChain(): NativeCertificate[];
  /** The certificates as the peer sent them (DER) and the earliest end of validity among them (ms). */
  peerChainDER(): [ders: Buffer[], earliestNotAfter: number];
  /** The host-name step of `SSL_AuthCertificate` alone: 0 or SSL_ERROR_BAD_CERT_DOMAIN (also with no URL). */
  checkPeerName(): number;
  localCertificate(): NativeCertificate | null;
  negotiatedHost(): string | null;
  sessionID(): Buffer;
  alpn(): string | null;
  exportKeyingMaterial(length: number, label: string, context: Buffer | null): Buffer;
  watchSessions(on: boolean): void;
  setSession(token: Buffer): void;
  /** Server: whether this handshake's first ClientHello offered a ticket with this server's context. */
  ownTicketOffered(): boolean;
}

export interface SSLBinding {
  NativeSSLEngine: typeof NativeSSLEngine;
  sslConstants: Readonly<Record<string, number>>;
  cipherSuiteInfo(suite: number): NativeCipherSuiteInfo;
  configServerSessionIDCache(maxEntries: number, timeoutSeconds: number): void;
  /** SSL_ConfigMPServerSIDCache; returns NSS's SSL_INHERITANCE value. */
  configMPServerSIDCache(maxEntries: number, timeoutSeconds: number, directory: string | null): string;
  /** SSL_InheritMPServerSIDCache with a primary's SSL_INHERITANCE value. */
  inheritMPServerSIDCache(inheritance: string): void;
  /** SSL_SetSessionTicketKeyPair with an RSA key and the public key NSS derives from it. */
  setSessionTicketKeyPair(key: NativePrivateKey): void;
  /** An anonymous file holding `bytes`, by a descriptor child processes inherit across exec. */
  inheritableSecret(bytes: Buffer): number;
  /** Reads up to `maxLength` bytes of an inherited anonymous file from its start, and closes it. */
  readInheritedSecret(fd: number, maxLength: number): Buffer;
  clearSessionCache(): void;
  /** The cycle pool's size, process-wide; 0 stops it. */
  configureCyclePool(threads: number): void;
  cyclePool(): { threads: number; cycles: number };
  implementedCiphers(): number[];
  versionRangeGetSupported(): [number, number];
}
