/**
 * node-nss: Mozilla NSS/NSPR for Node.js.
 *
 * @packageDocumentation
 */
export {
  init,
  isInitialized,
  shutdown,
  setPasswordCallback,
  isFIPS,
  enableFIPS,
  generateRandom,
  version,
  liveHandles,
} from './nss.js';
export type { InitOptions, PasswordCallback } from './nss.js';
export { isSystemFIPS, FIPS_TLS_PROFILE } from './fips.js';
export type { FIPSTLSProfile } from './fips.js';
export { NSPRError, CertVerifyError, errorName, errorMessage } from './errors.js';
export type { CertVerifyLogEntry } from './errors.js';
export { CertDB, getDefaultCertDB } from './certdb.js';
export type { ImportCertificateOptions } from './certdb.js';
export { Certificate } from './certificate.js';
export { PrivateKey } from './private-key.js';
export { generateKeyPair, createCertificateRequest, createCertificate } from './issuance.js';
export type {
  GenerateKeyPairOptions,
  CertificateRequestOptions,
  CreateCertificateOptions,
  KeyUsageName,
  ExtKeyUsageName,
  SignatureHash,
  NamedCurve,
} from './issuance.js';
export { pemEncode } from './pem.js';
export { PK11Slot, getAllTokens, getInternalKeySlot, findSlotByName } from './slot.js';
export { PKCS11Module, loadPKCS11Module, listModules } from './pkcs11.js';
export type { LoadPKCS11ModuleOptions } from './pkcs11.js';
export * from './constants.js';
export { SSLSocket, nssGetClientAuthData, getCipherSuiteInfo } from './ssl-socket.js';
export type { SSLSocketOptions, SecurityStatus, SSLChannelInfo, CipherSuiteInfo } from './ssl-socket.js';
export { SSLServer, configServerSessionIDCache } from './ssl-server.js';
export { clearSessionCache, configClientSessionCache } from './session-cache.js';
export { Agent, connect, createConnection, createServer } from './connect.js';
export type { ConnectOptions, CreateServerOptions, TLSVersionName } from './connect.js';
export type {
  AuthCertificateCallback,
  BadCertCallback,
  ClientAuthData,
  ClientAuthDataCallback,
  HandshakeCallback,
  SNICallback,
  SNIResult,
} from './ssl-config.js';
export * from './ssl-constants.js';
