#!/usr/bin/env node
// node-nss command line: certutil/vfychain-like views of an NSS database, and a self-contained demo.
import * as fs from 'node:fs';
import { Certificate, CertVerifyError } from '../pki/certificate.js';
import { getDefaultCertDB } from '../pki/certdb.js';
import * as constants from '../core/constants.js';
import { NSPRError, errorName } from '../core/errors.js';
import { init, shutdown } from '../nss.js';
import { runDemo } from './demo.js';
import { connect, createServer } from '../tls/connect.js';
import type { SSLSocket } from '../tls/socket.js';

const USAGE = `usage: node-nss <command> [options]

  demo                                   build a throwaway database and show what node-nss sees in it
  certs  [-d dbdir]                      list certificates and trust, like certutil -L
  verify [-d dbdir] <cert.pem|nickname> [-u usage]
                                         verify a certificate, like vfychain; usage is one of
                                         sslclient, sslserver (default), sslca, emailsigner,
                                         emailrecipient, objectsigner, or a certificateUsage number
  connect <host:port> [-d dbdir] [-n nickname] [-w password] [--alpn h2,http/1.1] [--insecure]
                                         a TLS client on stdin/stdout, like tstclnt or openssl s_client;
                                         the channel is described on stderr
  serve -d dbdir -n nickname [-w password] [-p port] [--require-cert]
                                         an echo server, like selfserv; prints "listening on <port>",
                                         logs each connection on stderr, stops on SIGINT or SIGTERM
`;

const USAGES: Record<string, number> = {
  sslclient: constants.certificateUsageSSLClient,
  sslserver: constants.certificateUsageSSLServer,
  sslca: constants.certificateUsageSSLCA,
  emailsigner: constants.certificateUsageEmailSigner,
  emailrecipient: constants.certificateUsageEmailRecipient,
  objectsigner: constants.certificateUsageObjectSigner,
};

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  options: Map<string, string>;
}

function parse(args: string[], withValue: string[], flags: string[] = []): Parsed {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (withValue.includes(arg)) {
      const value = args[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      options.set(arg, value);
    } else if (flags.includes(arg)) {
      options.set(arg, '');
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  return { positional, options };
}

function openDB(dbDir: string | undefined, loadBuiltinRoots = true, password?: string): void {
  init({
    ...(dbDir === undefined ? {} : { dbDir }),
    loadBuiltinRoots,
    ...(password === undefined ? {} : { password }),
  });
}

/** One line about a finished handshake, for stderr. */
function describeChannel(sock: SSLSocket): string {
  const info = sock.getSSLChannelInfo();
  const peer = sock.getPeerCertificate();
  return [
    `${info.protocolVersion} ${info.cipherSuiteName}`,
    ...(peer
      ? [
          `peer: ${peer.subject}`,
          `verified: ${sock.authorized ? 'yes' : `no (${sock.authorizationError ?? '?'})`}`,
        ]
      : ['peer: (no certificate)']),
    ...(sock.alpnProtocol ? [`ALPN: ${sock.alpnProtocol}`] : []),
    ...(info.resumed ? ['resumed'] : []),
  ].join('; ');
}

function hostPort(target: string | undefined): { host: string; port: number } {
  const m = target === undefined ? null : /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError('connect takes host:port');
  }
  return { host: m[1], port };
}

async function connectCommand(args: string[]): Promise<void> {
  const { positional, options } = parse(args, ['-d', '-n', '-w', '--alpn'], ['--insecure']);
  if (positional.length !== 1) throw new UsageError('connect takes one host:port');
  const { host, port } = hostPort(positional[0]);
  openDB(options.get('-d'), true, options.get('-w'));
  const alpn = options.get('--alpn');
  const nickname = options.get('-n');
  const sock = await connect({
    host,
    port,
    rejectUnauthorized: !options.has('--insecure'),
    ...(nickname === undefined ? {} : { clientCertNickname: nickname }),
    ...(alpn === undefined ? {} : { ALPNProtocols: alpn.split(',') }),
    timeout: 30_000,
  });
  process.stderr.write(`connected to ${host}:${port}: ${describeChannel(sock)}\n`);
  await new Promise<void>((resolve, reject) => {
    sock.on('error', reject);
    sock.on('close', () => resolve());
    sock.pipe(process.stdout, { end: false });
    process.stdin.pipe(sock); // stdin's end sends close_notify; the server's close ends the command
  });
}

async function serveCommand(args: string[]): Promise<void> {
  const { positional, options } = parse(args, ['-d', '-n', '-w', '-p'], ['--require-cert']);
  if (positional.length) throw new UsageError(`unexpected ${positional.join(' ')}`);
  const dbDir = options.get('-d');
  const nickname = options.get('-n');
  if (dbDir === undefined || nickname === undefined)
    throw new UsageError('serve needs -d dbdir and -n nickname');
  const port = Number(options.get('-p') ?? '8443');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('-p takes a port number');
  openDB(dbDir, false, options.get('-w'));
  const requireCert = options.has('--require-cert');
  const server = createServer({ certNickname: nickname, requestCert: requireCert, requireCert }, (sock) => {
    process.stderr.write(
      `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}: ${describeChannel(sock)}\n`,
    );
    sock.pipe(sock);
  });
  server.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
  server.on('tlsClientError', (err: NSPRError, sock: SSLSocket) => {
    process.stderr.write(
      `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}: ${err.code}: ${err.message}\n`,
    );
  });
  const bound = await server.listen({ port });
  process.stdout.write(`listening on ${bound.port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

function certs(args: string[]): void {
  const { options } = parse(args, ['-d']);
  // Like certutil -L: what the database holds, without adding Mozilla's root store to the list.
  openDB(options.get('-d'), false);
  const db = getDefaultCertDB();
  const rows = db
    .listCertificates()
    .filter((cert) => cert.nickname !== null)
    .map((cert) => [cert.nickname ?? '', db.getTrust(cert)] as const);
  const width = Math.max(20, ...rows.map(([nick]) => nick.length)) + 2;
  console.log(`${'Certificate Nickname'.padEnd(width)}Trust Attributes`);
  for (const [nick, trust] of rows) console.log(`${nick.padEnd(width)}${trust}`);
}

function usageNames(bits: number): string {
  const names = Object.entries(USAGES)
    .filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name);
  return names.length ? names.join(', ') : 'none';
}

function verify(args: string[]): void {
  const { positional, options } = parse(args, ['-d', '-u']);
  const target = positional[0];
  if (target === undefined || positional.length > 1) throw new UsageError('verify takes one certificate');
  const usageArg = options.get('-u') ?? 'sslserver';
  const usage = USAGES[usageArg.toLowerCase()] ?? Number(usageArg);
  if (!Number.isInteger(usage) || usage < 0) throw new UsageError(`unknown usage ${usageArg}`);
  openDB(options.get('-d'));
  const db = getDefaultCertDB();
  const cert = fs.existsSync(target)
    ? Certificate.fromPEM(fs.readFileSync(target, 'latin1'))
    : db.findCertFromNickname(target);
  console.log(`Certificate: ${cert.subject}`);
  console.log(`Issuer:      ${cert.issuer}`);
  try {
    const usages = cert.verifyNow(db, true, usage);
    console.log(`Chain is good! Valid for: ${usageNames(usages)}`);
  } catch (err) {
    if (!(err instanceof CertVerifyError)) throw err;
    console.log(`Chain is bad: ${err.code}: ${err.message}`);
    for (const entry of err.log) {
      console.log(`  depth ${entry.depth}: ${entry.cert.subject}: ${errorName(entry.error.errno)}`);
    }
    process.exitCode = 1;
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  switch (command) {
    case 'demo':
      await runDemo();
      return;
    case 'certs':
      certs(args);
      return;
    case 'verify':
      verify(args);
      return;
    case 'connect':
      await connectCommand(args);
      return;
    case 'serve':
      await serveCommand(args);
      return;
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      return;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

main(process.argv.slice(2))
  .catch((err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`node-nss: ${err.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (err instanceof NSPRError) {
      process.stderr.write(`node-nss: ${err.code}: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`node-nss: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  })
  .finally(() => {
    try {
      shutdown();
    } catch {
      // the process is ending; NSS state does not outlive it
    }
  });
