// The command line against NSS's own tools and openssl: certs ↔ certutil -L / -K, modules ↔ modutil -list,
// connect ↔ openssl s_server (and STARTTLS servers), serve ↔ openssl s_client and node:tls; --help everywhere.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { certutilList, removeTemps, run, runAsync, runOk, tempDir } from './support/tools.js';
import { interactive, spawnPeer, type Interactive } from './support/peers.js';
import { makePemPKI, type PemPKI } from './support/pem-pki.js';
import { freePort, waitForPort } from './support/tls.js';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli', 'index.js');
const fx = inject('fixtures').rsa;
const COMMANDS = ['demo', 'connect', 'serve', 'certs', 'verify', 'modules'];
// The children inherit this environment: a FORCE_COLOR from outside would colour what the tests read as text.
delete process.env.FORCE_COLOR;

function nssCli(...args: string[]) {
  return run(process.execPath, [cli, ...args]);
}

function nssCliAsync(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  return runAsync(process.execPath, [cli, ...args], opts);
}

let pki: PemPKI;
beforeAll(() => {
  pki = makePemPKI();
});
afterAll(() => removeTemps());

describe('node-nss command line', () => {
  it('--help works on every command, without running it; --version names node-nss, NSS and NSPR', () => {
    for (const command of COMMANDS) {
      for (const args of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ]) {
        const r = nssCli(...args);
        expect(r.status, args.join(' ')).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^usage: node-nss ${command} `));
        expect(r.stdout).toContain('--help');
        expect(r.stderr).toBe('');
      }
    }
    expect(nssCli('demo', '--help').stdout).not.toContain('listening'); // the demo did not run
    const top = nssCli('--help');
    expect(top.status).toBe(0);
    for (const command of COMMANDS) expect(top.stdout).toContain(`  ${command} `);
    const version = nssCli('--version');
    expect(version.status).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(version.stdout).toMatch(
      new RegExp(`^node-nss ${manifest.version.replaceAll('.', '\\.')}\nNSS 3\\.\\d+`),
    );
    expect(version.stdout).toMatch(/\nNSPR 4\.\d+/);
  });

  it('wrong command lines exit 2 with the command usage; unknown options are named', () => {
    const unknown = nssCli('certs', '--frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^node-nss: Unknown option '--frobnicate'/);
    expect(unknown.stderr).toContain('usage: node-nss certs');
    expect(nssCli('frobnicate').status).toBe(2);
    expect(nssCli('frobnicate').stderr).toContain('usage: node-nss <command>');
    expect(nssCli('connect').status).toBe(2);
    expect(nssCli('connect', 'no-port').stderr).toContain('connect takes host:port');
    expect(nssCli('serve', '-d', fx.db).stderr).toContain('serve needs a certificate');
    expect(nssCli('connect', 'localhost:1', '--starttls', 'pop3').status).toBe(2);
    expect(nssCli('verify', '-d', fx.db, 'x', '-u', 'nonsense').status).toBe(2);
    for (const r of [unknown, nssCli('connect')]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an addon that cannot load is one line, and --help and --version still work', () => {
    // A copy of the package without its native build: what a user sees when the addon cannot load.
    const copy = tempDir('no-addon');
    fs.cpSync(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
    const copied = path.join(copy, 'dist', 'cli', 'index.js');
    const certs = run(process.execPath, [copied, 'certs']);
    expect(certs.status).toBe(1);
    expect(certs.stderr).toMatch(
      /^node-nss: cannot load the native module: No native build was found[^\n]*\n$/,
    );
    expect(run(process.execPath, [copied, 'certs', '--help']).status).toBe(0);
    const version = run(process.execPath, [copied, '--version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^node-nss \S+\nNSS: not loaded \(/);
  });

  it('certs lists what certutil -L lists, with the same trust; -K lists the keys certutil -K lists', () => {
    const r = nssCli('certs', '-d', fx.db);
    expect(r.status).toBe(0);
    const rows = new Map(
      r.stdout
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((line) => {
          const m = /^(.*?)\s{2,}(\S+)$/.exec(line);
          return [m?.[1] ?? '', m?.[2] ?? ''] as const;
        }),
    );
    expect(rows).toEqual(certutilList(fx.db));
    const json = JSON.parse(nssCli('certs', '-d', fx.db, '--json').stdout) as {
      nickname: string;
      trust: string;
    }[];
    expect(new Map(json.map((row) => [row.nickname, row.trust]))).toEqual(certutilList(fx.db));

    const keyRow = /^<\s*\d+>\s+(\w+)\s+([0-9a-f]+)\s+(.+)$/;
    const parseKeys = (out: string) =>
      out
        .split('\n')
        .map((line) => keyRow.exec(line))
        .filter((m) => m !== null)
        .map((m) => `${m[1]} ${m[2]} ${m[3]?.trim()}`)
        .sort();
    const ours = nssCli('certs', '-d', fx.db, '-K', '-w', fx.password);
    expect(ours.status).toBe(0);
    const theirs = runOk('certutil', ['-K', '-d', fx.db, '-f', fx.passwordFile]);
    expect(parseKeys(ours.stdout)).toEqual(parseKeys(theirs));
    expect(parseKeys(ours.stdout).length).toBeGreaterThan(2);
  });

  it('modules lists the modules and tokens modutil -list lists', () => {
    const ours = nssCli('modules', '-d', fx.db, '--json');
    expect(ours.status).toBe(0);
    const modules = JSON.parse(ours.stdout) as { name: string; slots: { token: string | null }[] }[];
    const theirs = runOk('modutil', ['-list', '-dbdir', fx.db]);
    const theirModules = [...theirs.matchAll(/^\s+\d+\. (.+)$/gm)].map((m) => m[1]?.trim());
    const theirTokens = [...theirs.matchAll(/^\s+token: (.+)$/gm)].map((m) => m[1]?.trim());
    // node-nss adds Mozilla's root store when the database does not list it (loadBuiltinRoots).
    expect(modules.map((m) => m.name).filter((name) => name !== 'Builtin Roots')).toEqual(theirModules);
    const tokens = modules
      .filter((m) => m.name !== 'Builtin Roots')
      .flatMap((m) => m.slots.map((slot) => slot.token));
    expect(tokens).toEqual(theirTokens);
    expect(nssCli('modules', '-d', fx.db).stdout).toContain('NSS Internal PKCS #11 Module');
  });

  it('verify says good or bad like vfychain, with the reason log and the exit status to match', async () => {
    const good = nssCli('verify', '-d', fx.db, fx.certs.test_server.pemPath);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('Chain is good!');
    expect(run('vfychain', ['-d', fx.db, '-u', '1', '-a', fx.certs.test_server.pemPath]).status).toBe(0);
    const client = nssCli('verify', '-d', fx.db, 'test_user', '-u', 'sslclient');
    expect(client.status).toBe(0);
    const der = nssCli('verify', '-d', fx.db, fx.certs.test_server.derPath);
    expect(der.status).toBe(0);
    const bad = nssCli('verify', '-d', fx.db, fx.certs.test_expired.pemPath);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('SEC_ERROR_EXPIRED_CERTIFICATE');
    expect(run('vfychain', ['-d', fx.db, '-u', '1', '-a', fx.certs.test_expired.pemPath]).status).not.toBe(0);
    const json = JSON.parse(
      nssCli('verify', '-d', fx.db, fx.certs.test_expired.pemPath, '--json').stdout,
    ) as {
      good: boolean;
      error: string;
      log: { depth: number; error: string }[];
    };
    expect(json.good).toBe(false);
    expect(json.error).toMatch(/^SEC_ERROR_EXPIRED_CERTIFICATE: /);
    const coloured = await nssCliAsync(['verify', '-d', fx.db, fx.certs.test_server.pemPath], {
      env: { FORCE_COLOR: '1' },
    });
    expect(coloured.stdout).toContain('\u001b[32mChain is good!');
    expect(json.log).toContainEqual(
      expect.objectContaining({ depth: 0, error: 'SEC_ERROR_EXPIRED_CERTIFICATE' }),
    );
  });

  it('errors print the NSS name and message, never a stack trace', () => {
    const missing = nssCli('verify', '-d', fx.db, 'no_such_nickname');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      "node-nss: SEC_ERROR_UNKNOWN_CERT: no certificate named 'no_such_nickname': The requested certificate could not be found.\n",
    );
    const noDB = nssCli('certs', '-d', '/nonexistent/db');
    expect(noDB.status).toBe(1);
    expect(noDB.stderr).toMatch(/^node-nss: SEC_ERROR_BAD_DATABASE: /);
    expect(noDB.stderr).not.toMatch(/\n\s+at /);
  });

  it('demo makes its database without NSS tools and shows a real handshake, both chains, resumption, a refusal', async () => {
    // Only node on PATH: certutil and the other NSS tools cannot be what the demo uses.
    const bin = tempDir('node-only');
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = await nssCliAsync(['demo'], { env: { PATH: bin, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/made by node-nss \(no certutil\)/);
    expect(r.stdout).toMatch(/cipher suite {2}TLS_\w+/);
    expect(r.stdout).toMatch(/key exchange {2}(X25519|P-256)/);
    expect(r.stdout).toContain("server's chain  ✔ verified");
    expect(r.stdout).toContain("client's chain  ✔ verified");
    expect(r.stdout).toContain('0 s: CN=localhost,O=node-nss demo');
    expect(r.stdout).toContain('0 s: CN=Demo User,O=node-nss demo');
    expect(r.stdout).toContain('the server sent back "hello over NSS"');
    expect(r.stdout).toContain('✔ resumed');
    expect(r.stdout).toMatch(/✔ refused: SSL_ERROR_\w+/);
    expect(r.stdout).not.toContain('\u001b['); // NO_COLOR, and not a terminal
    const dir = /A new NSS database in (\S+),/.exec(r.stdout)?.[1];
    expect(dir && fs.existsSync(dir)).toBe(false); // removed at the end
  });

  describe('connect', () => {
    /** connect to localhost:port, trusting the PEM PKI's root. */
    const trusting = (port: number) => ['connect', `localhost:${port}`, '--ca', pki.file('ca.crt')];
    async function opensslServer(args: string[]): Promise<{ port: number; stop: () => void }> {
      const port = await freePort();
      const peer = spawnPeer('openssl', ['s_server', '-accept', String(port), '-quiet', ...args]);
      await waitForPort(port);
      return { port, stop: peer.stop };
    }

    it('--json describes what openssl s_server negotiated: chain, verdict, protocol, ALPN', async () => {
      const server = await opensslServer([
        ...['-cert', pki.file('server-int.crt'), '-cert_chain', pki.file('int.crt')],
        ...['-key', pki.file('server-int.key'), '-alpn', 'h2,http/1.1', '-tls1_3'],
      ]);
      try {
        const r = await nssCliAsync([...trusting(server.port), '--alpn', 'h2', '--json']);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        const channel = JSON.parse(r.stdout) as {
          protocol: string;
          alpn: string;
          verified: boolean;
          peerChain: { subject: string; issuer: string }[];
        };
        expect(channel).toMatchObject({ protocol: 'tls1.3', alpn: 'h2', verified: true });
        expect(channel.peerChain.map((c) => c.subject)).toEqual(['CN=localhost', 'CN=PEM Intermediate CA']);
        // Without --ca the chain does not verify, and connect fails with the NSS code.
        const untrusted = await nssCliAsync(['connect', `localhost:${server.port}`, '--json']);
        expect(untrusted.status).toBe(1);
        expect(untrusted.stderr).toMatch(/^node-nss: SEC_ERROR_UNKNOWN_ISSUER: [^\n]+\n$/);
        const insecure = await nssCliAsync(['connect', `localhost:${server.port}`, '-k', '--json']);
        expect(insecure.status).toBe(0);
        expect(JSON.parse(insecure.stdout)).toMatchObject({
          verified: false,
          verifyError: 'SEC_ERROR_UNKNOWN_ISSUER',
        });
      } finally {
        server.stop();
      }
    });

    it('--cert/--key authenticate to an openssl s_server that requires a client certificate', async () => {
      const server = await opensslServer([
        ...['-cert', pki.file('server-ec.crt'), '-key', pki.file('server-ec.key')],
        ...['-Verify', '1', '-verify_return_error', '-CAfile', pki.file('ca.crt')],
      ]);
      try {
        const args = [...trusting(server.port), '--json'];
        const withCert = await nssCliAsync([
          ...args,
          '--cert',
          pki.file('client.crt'),
          '--key',
          pki.file('client.key'),
        ]);
        expect(withCert.stderr).toBe('');
        expect(withCert.status).toBe(0);
        // openssl refuses after the client's TLS 1.3 handshake: the alert fails the command with the NSS code.
        const without = await nssCliAsync(args.slice(0, -1), { input: 'x\n' });
        expect(without.status).toBe(1);
        expect(without.stderr).toMatch(/^node-nss: SSL_ERROR_\w+: /m);
      } finally {
        server.stop();
      }
    });

    it('copies stdin to the server and the server to stdout, describing the channel on stderr', async () => {
      const server = await opensslServer([
        '-cert',
        pki.file('server-ec.crt'),
        '-key',
        pki.file('server-ec.key'),
        '-rev',
      ]);
      try {
        const r = await nssCliAsync(trusting(server.port), {
          input: 'olleh\n',
          env: { NO_COLOR: '1' },
        });
        expect(r.stdout).toContain('hello');
        expect(r.stderr).toMatch(/^connected to localhost:\d+ \(127\.0\.0\.1\)\n/);
        expect(r.stderr).toMatch(/\nprotocol {6}tls1\.3\n/);
        expect(r.stderr).toContain("server's chain  ✔ verified");
        expect(r.stderr).toContain('0 s: CN=localhost');
      } finally {
        server.stop();
      }
    });

    it('--ocsp shows the response openssl s_server staples', async () => {
      // A DER OCSP response is only relayed by the server; any bytes show that the staple arrived.
      const staple = path.join(pki.dir, 'staple.der');
      fs.writeFileSync(staple, Buffer.from('3003 0a01 06'.replace(/ /g, ''), 'hex')); // OCSPResponse: unauthorized
      const server = await opensslServer([
        ...['-cert', pki.file('server-ec.crt'), '-key', pki.file('server-ec.key'), '-status_file', staple],
      ]);
      try {
        const r = await nssCliAsync([...trusting(server.port), '--ocsp', '--json']);
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({
          ocspStaple: fs.readFileSync(staple).toString('base64'),
        });
      } finally {
        server.stop();
      }
    });

    it('--starttls smtp, imap and ldap upgrade a plain connection, then verify the server', async () => {
      const context = tls.createSecureContext({ cert: pki.pem['server-ec'], key: pki.pem['server-ec.key'] });
      // Minimal servers: the plain-text exchange a real server has, then node:tls on the same connection.
      const dialogues: Record<string, (sock: net.Socket, upgrade: () => void) => void> = {
        smtp: (sock, upgrade) => {
          sock.write('220 mail.example ESMTP\r\n');
          lines(sock, (line) => {
            if (/^EHLO/i.test(line)) sock.write('250-mail.example\r\n250-8BITMIME\r\n250 STARTTLS\r\n');
            else if (/^STARTTLS/i.test(line)) {
              sock.write('220 go ahead\r\n');
              return upgrade();
            }
          });
        },
        imap: (sock, upgrade) => {
          sock.write('* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n');
          lines(sock, (line) => {
            if (/^a1 STARTTLS/i.test(line)) {
              sock.write('a1 OK Begin TLS negotiation now\r\n');
              return upgrade();
            }
          });
        },
        ldap: (sock, upgrade) => {
          sock.once('data', (request: Buffer) => {
            expect(request.includes(Buffer.from('1.3.6.1.4.1.1466.20037'))).toBe(true);
            // ExtendedResponse, message 1: resultCode success, empty matchedDN and diagnosticMessage.
            sock.write(Buffer.from('300c02010178070a010004000400', 'hex'));
            upgrade();
          });
        },
        // As Active Directory answers: long-form BER lengths, in two pieces.
        'ldap-long-form': (sock, upgrade) => {
          sock.once('data', () => {
            sock.write(Buffer.from('30840000000c020101', 'hex'));
            setTimeout(() => {
              sock.write(Buffer.from('7884000000070a010004000400', 'hex'));
              upgrade();
            }, 50);
          });
        },
      };
      for (const [protocol, dialogue] of Object.entries(dialogues)) {
        const received: string[] = [];
        const server = net.createServer((sock) =>
          dialogue(sock, () => {
            sock.removeAllListeners('data');
            const secure = new tls.TLSSocket(sock, { isServer: true, secureContext: context });
            secure.on('data', (d: Buffer) => received.push(d.toString()));
            secure.on('end', () => secure.end('bye\n'));
            secure.on('error', () => undefined);
          }),
        );
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const { port } = server.address() as net.AddressInfo;
        try {
          const r = await nssCliAsync(
            [
              'connect',
              `localhost:${port}`,
              '--starttls',
              protocol.replace('-long-form', ''),
              '--ca',
              pki.file('ca.crt'),
            ],
            { input: `hello over ${protocol}\n`, env: { NO_COLOR: '1' } },
          );
          expect(r.stderr, protocol).toContain("server's chain  ✔ verified");
          expect(r.status, protocol).toBe(0);
          expect(r.stdout).toBe('bye\n');
          expect(received.join('')).toBe(`hello over ${protocol}\n`);
        } finally {
          server.close();
        }
      }
    });

    it("--starttls fails at once with the server's answer when it refuses, and closes the connection", async () => {
      const refusals: Record<string, [string, (sock: net.Socket) => void]> = {
        smtp: [
          'does not offer STARTTLS',
          (sock) => {
            sock.write('220 mail.example ESMTP\r\n');
            lines(
              sock,
              (line) => void (/^EHLO/i.test(line) && sock.write('250-mail.example\r\n250 8BITMIME\r\n')),
            );
          },
        ],
        imap: [
          'a1 NO',
          (sock) => {
            sock.write('* OK ready\r\n');
            lines(sock, (line) => void (/^a1 STARTTLS/i.test(line) && sock.write('a1 NO not now\r\n')));
          },
        ],
        ldap: [
          'result code 52',
          (sock) => sock.once('data', () => sock.write(Buffer.from('300c02010178070a013404000400', 'hex'))),
        ],
      };
      for (const [protocol, [message, dialogue]] of Object.entries(refusals)) {
        let closedByClient = false;
        const server = net.createServer((sock) => {
          sock.on('end', () => (closedByClient = true));
          sock.on('error', () => undefined);
          dialogue(sock);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const { port } = server.address() as net.AddressInfo;
        try {
          const r = await nssCliAsync(['connect', `localhost:${port}`, '--starttls', protocol]);
          expect(r.status, protocol).toBe(1);
          expect(r.stderr, protocol).toMatch(new RegExp(`^node-nss: STARTTLS: .*${message}`));
          expect(r.stderr).not.toMatch(/\n\s+at /);
          await new Promise((resolve) => setTimeout(resolve, 100));
          expect(closedByClient, protocol).toBe(true);
        } finally {
          server.close();
        }
      }
    });
  });

  describe('serve', () => {
    async function serve(
      ...args: string[]
    ): Promise<{ port: number; peer: Interactive; proc: ChildProcess }> {
      const spawned = spawnPeer(process.execPath, [cli, 'serve', '-p', '0', ...args]);
      const peer = interactive(spawned);
      await peer.seen(/listening on \d+/);
      const port = Number(/listening on (\d+)/.exec(peer.output())?.[1]);
      return { port, peer, proc: spawned.proc };
    }

    it('echoes for openssl s_client and for connect, and logs the client certificate it required', async () => {
      const { port, peer } = await serve(
        '-d',
        fx.db,
        '-w',
        fx.password,
        '-n',
        'test_server',
        '--require-cert',
      );
      try {
        const viaConnect = await nssCliAsync(
          ['connect', `localhost:${port}`, '-d', fx.db, '-w', fx.password, '-n', 'test_user'],
          { input: 'ping over node-nss\n', env: { NO_COLOR: '1' } },
        );
        expect(viaConnect.stdout).toBe('ping over node-nss\n');
        expect(viaConnect.stderr).toContain('0 s: CN=localhost,O=node-nss tests');
        expect(viaConnect.status).toBe(0);
        await peer.seen(/client: CN=test_user,O=node-nss tests; verified: yes/);
        const viaOpenSSL = interactive(
          spawnPeer('openssl', [
            ...['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-servername', 'localhost'],
            ...['-CAfile', fx.certs.test_ca.pemPath, '-verify_return_error'],
            ...['-cert', fx.certs.test_user.pemPath, '-key', fx.keyPemPaths.test_user],
          ]),
        );
        try {
          viaOpenSSL.command('ping over openssl');
          await viaOpenSSL.seen(/ping over openssl/);
        } finally {
          viaOpenSSL.stop();
        }
        const refused = await nssCliAsync(['connect', `localhost:${port}`, '-d', fx.db], {
          input: 'no certificate\n',
        });
        expect(refused.status).toBe(1);
        expect(refused.stderr).toMatch(/^node-nss: SSL_ERROR_\w+: /m);
      } finally {
        peer.stop();
      }
    });

    it('listens on IPv6 and IPv4 by default, serves PEM files, and answers HTTP with --http', async () => {
      const { port, peer } = await serve(
        '--cert',
        pki.file('server-ec.crt'),
        '--key',
        pki.file('server-ec.key'),
        '--http',
      );
      try {
        const hosts = [
          '127.0.0.1',
          ...(os.networkInterfaces().lo?.some((a) => a.family === 'IPv6') ? ['::1'] : []),
        ];
        for (const host of hosts) {
          const body = await new Promise<string>((resolve, reject) => {
            const sock = tls.connect({ host, port, servername: 'localhost', ca: pki.pem.ca }, () => {
              sock.write('GET /hello HTTP/1.1\r\nhost: localhost\r\n\r\n');
            });
            let text = '';
            sock.setEncoding('utf8');
            sock.on('data', (d: string) => {
              text += d;
              const length = Number(/content-length: (\d+)/i.exec(text)?.[1]);
              const start = text.indexOf('\r\n\r\n') + 4;
              if (start > 3 && Buffer.byteLength(text.slice(start)) >= length) {
                sock.end();
                resolve(text.slice(start));
              }
            });
            sock.on('error', reject);
          });
          expect(JSON.parse(body)).toMatchObject({ request: 'GET /hello HTTP/1.1', protocol: 'tls1.3' });
        }
        // NSS's own client, by name: localhost resolves to what the host has (::1 or 127.0.0.1); both answer.
        const tst = await runAsync('tstclnt', [
          '-h',
          'localhost',
          '-p',
          String(port),
          '-d',
          fx.db,
          '-o',
          '-Q',
        ]);
        expect(tst.status).toBe(0);
      } finally {
        peer.stop();
      }
    });

    it('--json logs one line per connection; connect checks the host name unless --insecure; SIGTERM stops it', async () => {
      const { port, peer, proc } = await serve(
        '-d',
        fx.db,
        '-w',
        fx.password,
        '-n',
        'test_wrong_host',
        '--json',
      );
      try {
        const strict = await nssCliAsync(['connect', `localhost:${port}`, '-d', fx.db], { input: 'x\n' });
        expect(strict.status).toBe(1);
        expect(strict.stderr).toMatch(/^node-nss: SSL_ERROR_BAD_CERT_DOMAIN: /);
        const insecure = await nssCliAsync(
          ['connect', `localhost:${port}`, '-d', fx.db, '--insecure', '--alpn', 'h2,http/1.1'],
          { input: 'x\n', env: { NO_COLOR: '1' } },
        );
        expect(insecure.status).toBe(0);
        expect(insecure.stdout).toBe('x\n');
        expect(insecure.stderr).toContain('✘ not verified: SSL_ERROR_BAD_CERT_DOMAIN');
        await peer.seen(/"protocol":"tls1\.3"/);
        const logged = peer
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { peer: string; protocol?: string; error?: string });
        expect(logged.some((entry) => entry.protocol === 'tls1.3' && /:\d+$/.test(entry.peer))).toBe(true);
        const exited = new Promise<number | null>((resolve) =>
          proc.once('exit', (code: number | null) => resolve(code)),
        );
        proc.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        peer.stop();
      }
    });
  });
});

/** Calls `onLine` for each CRLF line `sock` receives until it returns true (then stops listening). */
function lines(sock: net.Socket, onLine: (line: string) => boolean | void): void {
  let pending = '';
  const onData = (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    let end;
    while ((end = pending.indexOf('\r\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 2);
      if (onLine(line) === true) {
        sock.off('data', onData);
        return;
      }
    }
  };
  sock.on('data', onData);
}
