// Objects made by this package's classes, recognised without importing the class: a certificate checks
// that it was given a CertDB, and the CertDB module imports the certificate module, not the reverse.

/** @internal Every CertDB this package made. */
export const CERT_DB = new WeakSet<object>();
