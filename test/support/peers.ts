// Other people's TLS implementations as peers: node:tls, openssl, gnutls and NSS's own tools, each driven
// through its real command line or API, on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import type { FixtureDB } from '../fixtures/nssdb.js';
import { freePort, type Version, waitForPort, within } from './tls.js';

export interface PeerProcess {
  proc: ChildProcess;
  stdout: Buffer[];
  stderr: () => string;
  stop: () => void;
}

/** Spawns a tool; collects its stdout; `stop` kills it. */
export function spawnPeer(cmd: string, args: string[]): PeerProcess {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  let stderr = '';
  proc.stdout?.on('data', (d: Buffer) => stdout.push(d));
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin?.on('error', () => undefined);
  return { proc, stdout, stderr: () => stderr, stop: () => proc.kill('SIGKILL') };
}

/** Resolves once `peer` printed `length` bytes on stdout. */
export function stdoutBytes(peer: PeerProcess, length: number, ms: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const all = Buffer.concat(peer.stdout);
      if (all.length >= length) {
        clearTimeout(timer);
        peer.proc.stdout?.removeListener('data', check);
        resolve(all.subarray(0, length));
      }
    };
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `peer printed ${Buffer.concat(peer.stdout).length} of ${length} bytes; stderr: ${peer.stderr()}`,
          ),
        ),
      ms,
    );
    peer.proc.stdout?.on('data', check);
    check();
  });
}

/** A tool whose output (data, `-msg` traces, logs) is read as text; `command` types a line. */
export interface Interactive {
  command: (line: string) => void;
  /** Resolves once `pattern` has appeared `times` times in the output. */
  seen: (pattern: RegExp, times?: number) => Promise<void>;
  count: (pattern: RegExp) => number;
  output: () => string;
  stop: () => void;
}

export function interactive(peer: PeerProcess): Interactive {
  const output = (): string => Buffer.concat(peer.stdout).toString('latin1') + peer.stderr();
  const count = (pattern: RegExp): number => output().match(new RegExp(pattern.source, 'g'))?.length ?? 0;
  const seen = (pattern: RegExp, times = 1): Promise<void> =>
    within(
      5000,
      `openssl output ${pattern} x${times}`,
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (count(pattern) < times) return;
          peer.proc.stdout?.removeListener('data', check);
          peer.proc.stderr?.removeListener('data', check);
          resolve();
        };
        peer.proc.stdout?.on('data', check);
        peer.proc.stderr?.on('data', check);
        check();
      }),
    ).catch((err: Error) => {
      throw new Error(`${err.message}; output:\n${output().slice(-2000)}`);
    });
  return {
    command: (line) => peer.proc.stdin?.write(`${line}\n`),
    seen,
    count,
    output,
    stop: peer.stop,
  };
}

const opensslVersion = { 'tls1.2': '-tls1_2', 'tls1.3': '-tls1_3' } as const;
const gnutlsPriority = {
  'tls1.2': 'NORMAL:-VERS-ALL:+VERS-TLS1.2',
  'tls1.3': 'NORMAL:-VERS-ALL:+VERS-TLS1.3',
} as const;
const nodeVersion = { 'tls1.2': 'TLSv1.2', 'tls1.3': 'TLSv1.3' } as const;

export interface ServerPeer {
  port: number;
  /** Whether it echoes (else it relays: what we send shows in `received`, what it `send`s reaches us). */
  echoes: boolean;
  /** An echo server that holds a limited amount: send the next piece only after the last came back. */
  echoWindow?: number;
  /** For relay peers: send bytes to the client from the server side. */
  send?: (data: Buffer) => void;
  received?: (length: number, ms: number) => Promise<Buffer>;
  stop: () => void;
}

/** openssl s_server: what the client sends appears on stdout; stdin goes to the client. */
export async function opensslServer(
  fx: FixtureDB,
  version: Version,
  clientCert: boolean,
): Promise<ServerPeer> {
  const port = await freePort();
  const args = [
    's_server',
    '-accept',
    String(port),
    '-cert',
    fx.certs.test_server.pemPath,
    '-key',
    fx.keyPemPaths.test_server,
  ];
  args.push('-quiet', opensslVersion[version]);
  if (clientCert) args.push('-Verify', '1', '-verify_return_error', '-CAfile', fx.certs.test_ca.pemPath);
  const peer = spawnPeer('openssl', args);
  await waitForPort(port);
  return {
    port,
    echoes: false,
    send: (data) => peer.proc.stdin?.write(data),
    received: (length, ms) => stdoutBytes(peer, length, ms),
    stop: peer.stop,
  };
}

/** gnutls-serv --echo. */
export async function gnutlsServer(
  fx: FixtureDB,
  version: Version,
  clientCert: boolean,
): Promise<ServerPeer> {
  const port = await freePort();
  const args = [
    '--echo',
    '-p',
    String(port),
    '--x509certfile',
    fx.certs.test_server.pemPath,
    '--x509keyfile',
    fx.keyPemPaths.test_server,
  ];
  args.push('--priority', gnutlsPriority[version]);
  if (clientCert) args.push('--require-client-cert', '--x509cafile', fx.certs.test_ca.pemPath);
  const peer = spawnPeer('gnutls-serv', args);
  await waitForPort(port);
  // gnutls-serv --echo drops connections that send more than it buffers before it answers.
  return { port, echoes: true, echoWindow: 4096, stop: peer.stop };
}

/**
 * NSS's selfserv. It answers an HTTP request with a header, the request itself and "EOF"; it holds one
 * request of at most 10 KiB, so the payloads sent through it are small.
 */
export async function selfserv(fx: FixtureDB, version: Version, clientCert: boolean): Promise<ServerPeer> {
  const port = await freePort();
  const args = [
    '-d',
    fx.db,
    '-n',
    'test_server',
    '-p',
    String(port),
    '-V',
    `${version}:${version}`,
    '-w',
    fx.password,
  ];
  if (clientCert) args.push('-r', '-r');
  const peer = spawnPeer('selfserv', args);
  await waitForPort(port);
  return { port, echoes: false, stop: peer.stop };
}

/** A node:tls echo server. */
export async function nodeTLSServer(
  fx: FixtureDB,
  version: Version,
  clientCert: boolean,
): Promise<ServerPeer & { authorizedPeers: string[] }> {
  const authorizedPeers: string[] = [];
  const server = tls.createServer(
    {
      key: fs.readFileSync(fx.keyPemPaths.test_server),
      cert: fs.readFileSync(fx.certs.test_server.pemPath),
      ca: fs.readFileSync(fx.certs.test_ca.pemPath),
      requestCert: clientCert,
      rejectUnauthorized: clientCert,
      minVersion: nodeVersion[version],
      maxVersion: nodeVersion[version],
    },
    (sock) => {
      if (sock.authorized) authorizedPeers.push(String(sock.getPeerCertificate().subject?.CN));
      sock.pipe(sock);
      sock.on('error', () => undefined);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, echoes: true, authorizedPeers, stop: () => server.close() };
}

export interface ClientPeer {
  /** Sends bytes through the peer to our server. */
  send: (data: Buffer) => void;
  /** What the peer received back from our server. */
  received: (length: number, ms: number) => Promise<Buffer>;
  stop: () => void;
}

/** openssl s_client: stdin goes to the server, what comes back appears on stdout. */
export function opensslClient(
  fx: FixtureDB,
  port: number,
  version: Version,
  clientCert: boolean,
): ClientPeer {
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'localhost',
    '-quiet',
    opensslVersion[version],
  ];
  args.push('-CAfile', fx.certs.test_ca.pemPath, '-verify_return_error', '-verify_hostname', 'localhost');
  if (clientCert) args.push('-cert', fx.certs.test_user.pemPath, '-key', fx.keyPemPaths.test_user);
  return stdioClient(spawnPeer('openssl', args));
}

export function gnutlsClient(fx: FixtureDB, port: number, version: Version, clientCert: boolean): ClientPeer {
  const args = [
    '-p',
    String(port),
    '--x509cafile',
    fx.certs.test_ca.pemPath,
    '--priority',
    gnutlsPriority[version],
    '--logfile',
    '/dev/null',
  ];
  if (clientCert)
    args.push('--x509certfile', fx.certs.test_user.pemPath, '--x509keyfile', fx.keyPemPaths.test_user);
  args.push('localhost');
  return stdioClient(spawnPeer('gnutls-cli', args));
}

/** NSS's tstclnt, with the fixture database (it trusts test_ca). */
export function tstclnt(fx: FixtureDB, port: number, version: Version, clientCert: boolean): ClientPeer {
  const args = [
    '-4',
    '-h',
    'localhost',
    '-p',
    String(port),
    '-d',
    fx.db,
    '-V',
    `${version}:${version}`,
    '-w',
    fx.password,
  ];
  if (clientCert) args.push('-n', 'test_user');
  return stdioClient(spawnPeer('tstclnt', args));
}

function stdioClient(peer: PeerProcess): ClientPeer {
  return {
    send: (data) => peer.proc.stdin?.write(data),
    received: (length, ms) => stdoutBytes(peer, length, ms),
    stop: peer.stop,
  };
}

/** A node:tls client. */
export function nodeTLSClient(
  fx: FixtureDB,
  port: number,
  version: Version,
  clientCert: boolean,
): ClientPeer {
  const chunks: Buffer[] = [];
  const sock = tls.connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: fs.readFileSync(fx.certs.test_ca.pemPath),
    minVersion: nodeVersion[version],
    maxVersion: nodeVersion[version],
    ...(clientCert
      ? { cert: fs.readFileSync(fx.certs.test_user.pemPath), key: fs.readFileSync(fx.keyPemPaths.test_user) }
      : {}),
  });
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.on('error', () => undefined);
  return {
    send: (data) => sock.write(data),
    received: (length, ms) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const all = Buffer.concat(chunks);
          if (all.length >= length) {
            clearTimeout(timer);
            resolve(all.subarray(0, length));
          }
        };
        const timer = setTimeout(
          () => reject(new Error(`node:tls client got ${Buffer.concat(chunks).length} of ${length}`)),
          ms,
        );
        sock.on('data', check);
        check();
      }),
    stop: () => sock.destroy(),
  };
}
