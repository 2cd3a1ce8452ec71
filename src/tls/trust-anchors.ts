// The CAs one socket or server trusts instead of the database's (node:tls's `ca`). They are temporary
// certificates with no trust of their own: NSS trusts them only in that socket's verifications
// (CERT_PKIXVerifyCert's cert_pi_trustAnchors), so another socket, or a CertDB.verify, is not affected.
import { createHash } from 'node:crypto';
import type { NativeCertificate } from '../../types/binding.js';
import { Certificate } from '../pki/certificate.js';
import { checkInstance, argTypeError, argValueError } from '../core/validate.js';

/** How the certificates of `setTrustAnchors` combine with the database's trust. */
export interface TrustAnchorOptions {
  /** Trust the anchors beside the database's roots instead of alone (default `false`). */
  keepDatabaseTrust?: boolean;
}

/** @internal A socket's trust anchors and the digest of their DER, which keys sessions and verifications. */
export class TrustAnchors {
  readonly certificates: readonly Certificate[];
  readonly id: string;

  /** `keepDatabaseTrust`: the anchors are trusted beside the database's roots, not instead of them. */
  constructor(
    certificates: readonly Certificate[],
    readonly keepDatabaseTrust = false,
  ) {
    if (!Array.isArray(certificates))
      throw argTypeError('The "certs" argument must be an array of Certificate');
    certificates.forEach((cert, i) => checkInstance(cert, Certificate, `certs[${i}]`));
    if (certificates.length === 0) throw argValueError('The "certs" argument names no certificate');
    this.certificates = [...certificates];
    // Sorted: the same CAs given in another order trust the same peers.
    const ders = this.certificates.map((cert) => createHash('sha256').update(cert.derData).digest('hex'));
    this.id = (keepDatabaseTrust ? 'database+' : '') + [...new Set(ders)].sort().join(',');
  }

  /** The native certificates (live: a shutdown since makes this throw NSS_SHUT_DOWN). */
  natives(): NativeCertificate[] {
    return this.certificates.map((cert) => cert.native);
  }
}
