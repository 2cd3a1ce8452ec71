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
export { isSystemFIPS } from './pkcs11/fips.js';
export { FIPS_TLS_PROFILE } from './tls/fips-profile.js';
export type { FIPSTLSProfile } from './tls/fips-profile.js';
export { NSPRError, errorName, errorMessage } from './core/errors.js';
export { CertVerifyError } from './pki/certificate.js';
export type { CertVerifyLogEntry } from './pki/certificate.js';
export { CertDB, getDefaultCertDB } from './pki/certdb.js';
export type { ImportCertificateOptions } from './pki/certdb.js';
export { Certificate } from './pki/certificate.js';
export { PrivateKey } from './pki/private-key.js';
export { generateKeyPair, createCertificateRequest, createCertificate } from './pki/issuance.js';
export type {
  GenerateKeyPairOptions,
  CertificateRequestOptions,
  CreateCertificateOptions,
  KeyUsageName,
  ExtKeyUsageName,
  SignatureHash,
  NamedCurve,
} from './pki/issuance.js';
export { pemEncode } from './pki/pem.js';
export {
  setDefaultRevocationMode,
  getDefaultRevocationMode,
  setOCSPDefaultResponder,
  clearOCSPDefaultResponder,
  setOCSPTimeout,
  configOCSPCache,
  clearOCSPCache,
} from './pki/revocation.js';
export type { RevocationMode } from './pki/revocation.js';
export { PK11Slot, getAllTokens, getInternalKeySlot, findSlotByName } from './pki/slot.js';
export { PKCS11Module, loadPKCS11Module, listModules } from './pkcs11/module.js';
export type { LoadPKCS11ModuleOptions } from './pkcs11/module.js';
export * from './core/constants.js';
export { SSLSocket, nssGetClientAuthData, getCipherSuiteInfo } from './tls/socket.js';
export type {
  SSLSocketOptions,
  SSLSocketEvents,
  SecurityStatus,
  SSLChannelInfo,
  CipherSuiteInfo,
} from './tls/socket.js';
export type { SSLModel } from './tls/callbacks.js';
export { SSLServer, type SSLServerOptions } from './tls/server.js';
export {
  configServerSessionIDCache,
  configMPServerSIDCache,
  inheritMPServerSIDCache,
  type ServerSessionCacheOptions,
  type MPServerSIDCacheOptions,
} from './tls/server-session-cache.js';
export type { SSLServerEvents, OCSPRequestCallback } from './tls/server.js';
export type { Listener, AnyListener } from './core/events.js';
export { DEFAULT_TLS_PROFILE } from './tls/defaults.js';
export type { DefaultTLSProfile } from './tls/defaults.js';
export { clearSessionCache, configClientSessionCache } from './tls/session-cache.js';
export { clearVerificationCache, configVerificationCache } from './tls/verification-cache.js';
export { configThreadPool, threadPool } from './tls/cycle-pool.js';
export { Agent, connect, createConnection, createServer, undiciConnector } from './tls/connect.js';
export { createSecureContext, SecureContext } from './tls/secure-context.js';
export type { TrustAnchorOptions } from './tls/trust-anchors.js';
export type {
  CertificateInput,
  Identity,
  KeyInput,
  PfxInput,
  SecureContextOptions,
} from './tls/secure-context.js';
export type { PrivateKeyInput } from './pki/key-import.js';
export type {
  ConnectOptions,
  CreateServerOptions,
  TLSVersionName,
  UndiciConnectorOptions,
} from './tls/connect.js';
export type { AuthCertificateCallback, BadCertCallback, HandshakeCallback } from './tls/socket.js';
export type {
  ALPNCallback,
  ALPNRequest,
  ClientAuthData,
  ClientAuthDataCallback,
  SNICallback,
  SNIResult,
} from './tls/callbacks.js';
export * from './tls/constants.js';
