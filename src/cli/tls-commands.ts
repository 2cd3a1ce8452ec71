// connect (like tstclnt / openssl s_client) and serve (like selfserv): TLS over NSS from the command line.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { once } from 'node:events';
import type { NSPRError } from '../core/errors.js';
import { groupByName } from '../tls/config.js';
import { createConnection, createServer, secureConnected } from '../tls/connect.js';
import type { SSLSocket } from '../tls/socket.js';
import {
  type ParsedCommand,
  UsageError,
  flag,
  hostPort,
  portOption,
  stringOption,
  stringOptions,
} from './args.js';
import { openDB } from './db-commands.js';
import { type ChannelSummary, channelLines, makePaint, summarizeChannel } from './describe.js';

function readFile(name: string, option: string): Buffer {
  try {
    return fs.readFileSync(name);
  } catch (err) {
    // Not a usage error: the command line was right, the file is not there (exit status 1).
    throw new Error(`--${option}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The credentials options as connect()/createServer() take them. */
function credentials(parsed: ParsedCommand): { cert?: Buffer; key?: Buffer; ca?: Buffer } {
  const cert = stringOption(parsed, 'cert');
  const key = stringOption(parsed, 'key');
  const ca = stringOption(parsed, 'ca');
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together');
  return {
    ...(cert === undefined ? {} : { cert: readFile(cert, 'cert') }),
    ...(key === undefined ? {} : { key: readFile(key, 'key') }),
    ...(ca === undefined ? {} : { ca: readFile(ca, 'ca') }),
  };
}

function alpn(parsed: ParsedCommand): { ALPNProtocols?: string[] } {
  const list = stringOption(parsed, 'alpn');
  return list === undefined ? {} : { ALPNProtocols: list.split(',').filter(Boolean) };
}

/**
 * Reads a plain connection until `done` says what came is complete, and leaves it paused there (TLS reads the
 * rest). An async iterator would not do: leaving its loop destroys the socket.
 */
function readUntil(sock: net.Socket, done: (received: Buffer) => boolean, what: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (err?: Error) => {
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', finish);
      sock.pause();
      if (err) reject(err);
      else resolve(received);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (done(received)) finish();
      else if (received.length > 65536)
        finish(new Error(`STARTTLS: the server said too much before ${what}`));
    };
    const onEnd = () =>
      finish(
        new Error(
          `STARTTLS: the server closed before ${what}: ${JSON.stringify(received.toString('latin1'))}`,
        ),
      );
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('error', finish);
    sock.resume();
  });
}

/** Reads lines until one matches `last` (SMTP, IMAP), as text. */
async function readLines(sock: net.Socket, last: RegExp, what: string): Promise<string> {
  const complete = (received: Buffer) =>
    received
      .toString('latin1')
      .split('\n')
      .some((line, i, all) => i < all.length - 1 && last.test(line));
  return (await readUntil(sock, complete, what)).toString('latin1');
}

function write(sock: net.Socket, text: string | Buffer): void {
  sock.write(text);
}

// An LDAPv3 ExtendedRequest for StartTLS (RFC 4511 4.14.1), message ID 1.
const LDAP_STARTTLS = Buffer.concat([
  Buffer.from([0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16]),
  Buffer.from('1.3.6.1.4.1.1466.20037', 'latin1'),
]);

/** An SMTP reply: every line up to the one with a space after the code (RFC 5321 4.2), and that code. */
async function smtpReply(sock: net.Socket, what: string): Promise<{ code: string; text: string }> {
  const text = await readLines(sock, /^\d{3} /, what);
  const last = text.trimEnd().split('\n').pop() ?? '';
  return { code: last.slice(0, 3), text };
}

/**
 * The BER element at the start of `data` (tag, then a short or long-form length): its total size, or undefined
 * while it has not all arrived. Active Directory sends long-form lengths (`84 00 00 00 xx`).
 */
function berSize(data: Buffer): number | undefined {
  if (data.length < 2) return undefined;
  const first = data[1] ?? 0;
  if (first < 0x80) return data.length >= 2 + first ? 2 + first : undefined;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4)
    throw new Error('STARTTLS: the LDAP server sent a length NSS-style clients do not take');
  if (data.length < 2 + octets) return undefined;
  const length = data.subarray(2, 2 + octets).reduce((n, byte) => n * 256 + byte, 0);
  return data.length >= 2 + octets + length ? 2 + octets + length : undefined;
}

/** The resultCode of an LDAP ExtendedResponse to message 1 (RFC 4511 4.12), or undefined if it is not one. */
function ldapResultCode(message: Buffer): number | undefined {
  // LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp [APPLICATION 24] SEQUENCE { resultCode ENUMERATED, … } }
  let at = 1;
  const skipLength = () => {
    const first = message[at] ?? 0;
    at += first < 0x80 ? 1 : 1 + (first & 0x7f);
  };
  skipLength(); // the outer SEQUENCE
  if (message[at] !== 0x02 || message[at + 1] !== 0x01 || message[at + 2] !== 0x01) return undefined; // ID 1
  at += 3;
  if (message[at] !== 0x78) return undefined; // ExtendedResponse
  at += 1;
  skipLength();
  if (message[at] !== 0x0a || message[at + 1] !== 0x01) return undefined;
  return message[at + 2];
}

/** Talks a plain connection up to the point where TLS starts (`--starttls`), then hands it over paused. */
async function startTLS(sock: net.Socket, protocol: string): Promise<void> {
  switch (protocol) {
    case 'smtp': {
      const greeting = await smtpReply(sock, 'its greeting');
      if (greeting.code !== '220')
        throw new Error(`STARTTLS: the SMTP server greeted with ${greeting.text.trim()}`);
      write(sock, 'EHLO node-nss\r\n');
      const ehlo = await smtpReply(sock, 'its EHLO answer');
      if (ehlo.code !== '250')
        throw new Error(`STARTTLS: the SMTP server answered EHLO with ${ehlo.text.trim()}`);
      if (!/^250[- ]STARTTLS\b/im.test(ehlo.text)) {
        throw new Error('STARTTLS: the SMTP server does not offer STARTTLS');
      }
      write(sock, 'STARTTLS\r\n');
      const answer = await smtpReply(sock, 'its STARTTLS answer');
      if (answer.code !== '220') throw new Error(`STARTTLS: the SMTP server said ${answer.text.trim()}`);
      return;
    }
    case 'imap': {
      const greeting = await readLines(sock, /^\* /, 'its greeting');
      if (!/^\* (OK|PREAUTH)/im.test(greeting))
        throw new Error(`STARTTLS: the IMAP server said ${greeting.trim()}`);
      write(sock, 'a1 STARTTLS\r\n');
      const answer = await readLines(sock, /^a1 /, 'its STARTTLS answer');
      if (!/^a1 OK/im.test(answer)) throw new Error(`STARTTLS: the IMAP server said ${answer.trim()}`);
      return;
    }
    case 'ldap': {
      write(sock, LDAP_STARTTLS);
      const reply = await readUntil(sock, (r) => berSize(r) !== undefined, 'its answer');
      const code = ldapResultCode(reply.subarray(0, berSize(reply)));
      if (code !== 0) {
        throw new Error(`STARTTLS: the LDAP server refused StartTLS (result code ${code ?? 'unreadable'})`);
      }
      return;
    }
    default:
      throw new UsageError(`--starttls takes smtp, imap or ldap (got ${protocol})`);
  }
}

/** Connects in plain text and runs the STARTTLS exchange within `ms`; a failure closes the connection. */
async function plainThenTLS(host: string, port: number, protocol: string, ms: number): Promise<net.Socket> {
  const plain = net.connect({ host, port, allowHalfOpen: true });
  const timer = setTimeout(
    () => plain.destroy(new Error(`STARTTLS: no answer from ${host}:${port} within ${ms / 1000} s`)),
    ms,
  );
  // Stops listening for an early close once TLS takes the connection over.
  const closeWatch = new AbortController();
  try {
    await Promise.race([
      (async () => {
        await once(plain, 'connect');
        await startTLS(plain, protocol);
      })(),
      once(plain, 'close', { signal: closeWatch.signal }).then(() => {
        throw new Error(`STARTTLS: ${host}:${port} closed the connection`);
      }),
    ]);
    return plain;
  } catch (err) {
    plain.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    closeWatch.abort();
  }
}

/** @internal */
export async function connectCommand(parsed: ParsedCommand): Promise<void> {
  const { host, port } = hostPort(parsed.operands[0] ?? '', 'connect');
  const starttls = stringOption(parsed, 'starttls');
  if (starttls !== undefined && !['smtp', 'imap', 'ldap'].includes(starttls)) {
    throw new UsageError(`--starttls takes smtp, imap or ldap (got ${starttls})`);
  }
  const creds = credentials(parsed);
  const nickname = stringOption(parsed, 'nickname');
  const servername = stringOption(parsed, 'servername');
  const json = flag(parsed, 'json');
  openDB(parsed);
  const plain = starttls === undefined ? undefined : await plainThenTLS(host, port, starttls, 30_000);
  const stapled: Buffer[] = [];
  const sock = createConnection({
    host,
    port,
    ...(servername === undefined ? {} : { servername }),
    ...(plain === undefined ? {} : { socket: plain }),
    rejectUnauthorized: !flag(parsed, 'insecure'),
    ...(nickname === undefined ? {} : { clientCertNickname: nickname }),
    ...creds,
    ...alpn(parsed),
    ...(flag(parsed, 'ocsp') ? { requestOCSP: true } : {}),
  });
  sock.on('OCSPResponse', (response: Buffer) => stapled.push(response));
  await secureConnected(sock, 30_000);
  const channel: ChannelSummary & {
    host: string;
    port: number;
    address: string | null;
    ocspStaple: string | null;
  } = {
    host,
    port,
    address: sock.remoteAddress ?? null,
    ...summarizeChannel(sock),
    ocspStaple: stapled[0]?.toString('base64') ?? null,
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(channel, null, 2)}\n`);
    sock.end();
    await once(sock, 'close');
    return;
  }
  const paint = makePaint(process.stderr);
  const lines = [
    paint('bold', `connected to ${host}:${port}${channel.address ? ` (${channel.address})` : ''}`),
    ...channelLines(channel, paint, 'server'),
    ...(flag(parsed, 'ocsp')
      ? [`OCSP staple   ${stapled[0] ? `${stapled[0].length} bytes` : '(none)'}`]
      : []),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve, reject) => {
    sock.on('error', reject);
    sock.on('close', () => resolve());
    sock.pipe(process.stdout, { end: false });
    process.stdin.pipe(sock); // stdin's end sends close_notify; the server's close ends the command
  });
}

/** @internal */
export async function serveCommand(parsed: ParsedCommand): Promise<void> {
  const nickname = stringOption(parsed, 'nickname');
  const creds = credentials(parsed);
  if (nickname === undefined && creds.cert === undefined) {
    throw new UsageError('serve needs a certificate: -n nickname (with -d dbdir), or --cert and --key');
  }
  const port = portOption(stringOption(parsed, 'port'), 8443);
  const groups = stringOptions(parsed, 'groups').flatMap((list) => list.split(',').filter(Boolean));
  const groupCodes = groups.map((name) => {
    const code = groupByName(name);
    if (code === undefined) throw new UsageError(`unknown key-exchange group ${name}`);
    return code;
  });
  // Read-only, and without Mozilla's roots: client certificates verify against what the database trusts.
  openDB(parsed, false);
  const requireCert = flag(parsed, 'require-cert');
  const json = flag(parsed, 'json');
  const http = flag(parsed, 'http');
  const log = (sock: SSLSocket, entry: Record<string, unknown>, text: string): void => {
    const peer = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
    process.stderr.write(json ? `${JSON.stringify({ peer, ...entry })}\n` : `${peer}: ${text}\n`);
  };
  const server = createServer(
    {
      ...(nickname === undefined ? {} : { certNickname: nickname }),
      ...creds,
      requestCert: requireCert || flag(parsed, 'request-cert'),
      requireCert,
      ...alpn(parsed),
    },
    (sock) => {
      const channel = summarizeChannel(sock);
      const client = channel.peerChain[0];
      log(
        sock,
        { ...channel },
        [
          `${channel.protocol} ${channel.cipherSuite}`,
          channel.keyExchange,
          client
            ? `client: ${client.subject}; verified: ${channel.verified ? 'yes' : `no (${channel.verifyError ?? '?'})`}`
            : 'client: (no certificate)',
          ...(channel.alpn ? [`ALPN: ${channel.alpn}`] : []),
          ...(channel.resumed ? ['resumed'] : []),
        ].join('; '),
      );
      if (http) answerHTTP(sock, channel);
      else sock.pipe(sock);
    },
  );
  if (groupCodes.length) server.setNamedGroups(groupCodes);
  const open = new Set<SSLSocket>();
  server.on('connection', (sock: SSLSocket) => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
    sock.on('error', () => undefined);
  });
  server.on('tlsClientError', (err: NSPRError, sock: SSLSocket) => {
    log(sock, { error: err.code, message: err.message }, `${err.code}: ${err.message}`);
  });
  const host = stringOption(parsed, 'host');
  const bound = await listenAll(server, port, host);
  process.stdout.write(`listening on ${bound.port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // Stop accepting, then end the connections still open (an echo or keep-alive client would hold close()).
  const closed = server.close();
  for (const sock of open) sock.destroy();
  await closed;
}

/** Listens on `host`, or on every address: `::` takes IPv4 too, and `0.0.0.0` where IPv6 is off. */
async function listenAll(
  server: ReturnType<typeof createServer>,
  port: number,
  host: string | undefined,
): Promise<{ port: number }> {
  if (host !== undefined) return server.listen({ port, host });
  try {
    return await server.listen({ port, host: '::' });
  } catch (err) {
    if (
      (err as { code?: string }).code !== 'EAFNOSUPPORT' &&
      (err as { code?: string }).code !== 'EADDRNOTAVAIL'
    ) {
      throw err;
    }
    return server.listen({ port, host: '0.0.0.0' });
  }
}

/** Answers every HTTP request on `sock` with a page describing the connection, then keeps it alive. */
function answerHTTP(sock: SSLSocket, channel: ChannelSummary): void {
  let pending = '';
  sock.setEncoding('latin1');
  sock.on('data', (chunk: string) => {
    pending += chunk;
    let end;
    while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
      const request = pending.slice(0, end);
      pending = pending.slice(end + 4);
      const body = `${JSON.stringify({ request: request.split('\r\n')[0] ?? '', ...channel }, null, 2)}\n`;
      sock.write(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n' +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
  });
}
