// What the command line shows of certificates and TLS channels: one description for text and for --json.
import { styleText } from 'node:util';
import type { Certificate } from '../pki/certificate.js';
import { groupName } from '../tls/config.js';
import type { SSLSocket } from '../tls/socket.js';

type Style = Parameters<typeof styleText>[0];

/** @internal Colours for a terminal; none for pipes, files, `NO_COLOR` or `TERM=dumb` (`FORCE_COLOR` forces them). */
export function makePaint(stream: NodeJS.WriteStream): (style: Style, text: string) => string {
  const env = process.env;
  const on =
    env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0'
      ? true
      : env.NO_COLOR === undefined && env.TERM !== 'dumb' && stream.isTTY === true;
  return on ? (style, text) => styleText(style, text) : (_style, text) => text;
}

/** @internal A certificate as the command line shows it. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  key: string;
  subjectAltNames: string[];
  fingerprint256: string;
}

/** @internal */
export function summarizeCertificate(cert: Certificate): CertificateSummary {
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.validNotBefore.toISOString(),
    notAfter: cert.validNotAfter.toISOString(),
    key: `${cert.publicKeyType.toUpperCase()} ${cert.publicKeyBits} bits`,
    subjectAltNames: cert.subjectAltNames,
    fingerprint256: cert.fingerprint256,
  };
}

/** @internal The lines of a chain, leaf first (`0 s:` subject, `i:` issuer, as openssl s_client prints them). */
export function chainLines(chain: CertificateSummary[], indent = '  '): string[] {
  return chain.flatMap((cert, depth) => [
    `${indent}${depth} s: ${cert.subject}`,
    `${indent}  i: ${cert.issuer}`,
    `${indent}  ${cert.key}, valid ${cert.notBefore.slice(0, 10)} to ${cert.notAfter.slice(0, 10)}` +
      (cert.subjectAltNames.length ? `, ${cert.subjectAltNames.join(' ')}` : ''),
  ]);
}

/** @internal What a finished handshake negotiated, and how the peer's certificate fared. */
export interface ChannelSummary {
  protocol: string;
  cipherSuite: string;
  keyExchange: string;
  alpn: string | null;
  resumed: boolean;
  /** Whether the peer's certificate verified (false with `verifyError` when a check was skipped or failed). */
  verified: boolean;
  verifyError: string | null;
  peerChain: CertificateSummary[];
}

/** @internal */
export function summarizeChannel(sock: SSLSocket): ChannelSummary {
  const info = sock.getSSLChannelInfo();
  return {
    protocol: info.protocolVersion,
    cipherSuite: info.cipherSuiteName,
    keyExchange: info.resumed && info.keaGroup === 0 ? 'none (resumed)' : groupName(info.keaGroup),
    alpn: sock.alpnProtocol === false ? null : sock.alpnProtocol,
    resumed: info.resumed,
    verified: sock.authorized,
    verifyError: sock.authorized ? null : (sock.authorizationError ?? 'not verified'),
    peerChain: sock.getPeerCertificateChain().map(summarizeCertificate),
  };
}

/** @internal The channel as `label  value` lines. */
export function channelLines(
  channel: ChannelSummary,
  paint: (style: Style, text: string) => string,
  peer: 'server' | 'client',
): string[] {
  const verdict = channel.verified
    ? paint('green', '✔ verified')
    : paint('red', `✘ not verified: ${channel.verifyError ?? '?'}`);
  return [
    `protocol      ${channel.protocol}`,
    `cipher suite  ${channel.cipherSuite}`,
    `key exchange  ${channel.keyExchange}`,
    `ALPN          ${channel.alpn ?? '(none)'}`,
    `session       ${channel.resumed ? 'resumed' : 'new'}`,
    channel.peerChain.length
      ? `${peer}'s chain  ${verdict}`
      : `${peer}'s chain  (no certificate)${channel.verified ? '' : ` ${verdict}`}`,
    ...chainLines(channel.peerChain),
  ];
}
