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
  verifyHostname(hostname: string): boolean;
  hasSignerInCaNames(caNames: Buffer[]): boolean;
  getChain(certUsage: number, atMillis: number | undefined): NativeCertificate[];
  /** [sslFlags, emailFlags, objectSigningFlags] (`CERTDB_*` bits), or null when the certificate has no trust. */
  getTrust(): [number, number, number] | null;
  setTrust(trust: string, pinArgs: PinArgs): void;
  /** Throws NSPRError NSS_SHUT_DOWN once shutdown() released the certificate. */
  assertLive(): void;
}

export declare class NativePrivateKey {
  private constructor();
  keyType(): string;
  slot(): NativeSlot | null;
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
  listCertificates(): NativeCertificate[];
}

export interface NativeInitOptions {
  dbDir: string | null;
  readOnly: boolean;
  loadBuiltinRoots: boolean;
  rootsModule: string | null;
  password: string | null;
}

export type NativeErrorClass = new (errno: number, code: string, message: string) => Error;
export type NativePasswordCallback = (
  slot: NativeSlot,
  retry: boolean,
  ...pinArgs: unknown[]
) => string | undefined;

export interface Binding {
  // lifecycle (context.cc)
  init(options: NativeInitOptions): void;
  shutdown(): void;
  isInitialized(): boolean;
  setPasswordCallback(callback: NativePasswordCallback | null): void;
  isFIPS(): boolean;
  generateRandom(length: number): Buffer;
  versions(): { nss: string; nspr: string };
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
  // tokens (slot.cc)
  getAllTokens(pinArgs: PinArgs): NativeSlot[];
  getInternalKeySlot(): NativeSlot;
  findSlotByName(name: string): NativeSlot | null;
  NativeCertificate: typeof NativeCertificate;
  NativePrivateKey: typeof NativePrivateKey;
  NativeSlot: typeof NativeSlot;
}
