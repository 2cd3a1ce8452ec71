// python-nss (Debian's python3-nss, the NSS binding node-nss's SSLSocket is modelled on) as a real peer, both
// ways, over the same fixture database: a python-nss client with a client certificate against a node-nss
// server that requires one, and a node-nss client verifying a python-nss server.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, createServer, init, shutdown, type SSLSocket } from 'node-nss';
import type { FixtureDB } from '../fixtures/nssdb.js';
import { within } from '../support/tls.js';
import { removeTemps, writableCopy } from '../support/tools.js';

const fx = inject('fixtures').rsa;
// python3-nss installs for Debian's own interpreter, whatever python3 comes first on PATH.
const PYTHON = '/usr/bin/python3';

/** python-nss opens its own copy of the fixture database: two processes never share one SQLite store. */
let pythonDB: FixtureDB;
const prelude = () => `
import sys
import nss.nss as nss
import nss.io as io
import nss.ssl as ssl
nss.nss_init(${JSON.stringify(pythonDB.db)})
nss.set_password_callback(lambda slot, retry, *args: None if retry else ${JSON.stringify(pythonDB.password)})
ssl.set_domestic_policy()
`;

/** Runs a python-nss script; `onLine` sees its output as it comes. Resolves with the exit status and output. */
function python(
  script: string,
  onLine: (line: string) => void = () => undefined,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return within(
    30_000,
    'python-nss',
    new Promise((resolve) => {
      const proc = spawn(PYTHON, ['-c', prelude() + script]);
      let stdout = '';
      let stderr = '';
      // Whole lines, not chunks: with PYTHONUNBUFFERED set (as on the CI machines) print() writes each of its
      // pieces separately, and under load they arrive as separate chunks ('listening', ' ', '39983', '\n').
      createInterface({ input: proc.stdout }).on('line', (line) => {
        stdout += `${line}\n`;
        onLine(line);
      });
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      proc.on('close', (status) => resolve({ status, stdout, stderr }));
    }),
  );
}

beforeAll(() => {
  pythonDB = writableCopy(fx);
  init({ dbDir: fx.db, password: fx.password, loadBuiltinRoots: false });
});
afterAll(() => {
  shutdown();
  removeTemps();
});

describe('python-nss as the peer', () => {
  it('a python-nss client with a client certificate, against a node-nss server that requires one', async () => {
    const server = createServer({ certNickname: 'test_server', requireCert: true });
    const peers: string[] = [];
    server.on('secureConnection', (sock: SSLSocket) => {
      peers.push(`${sock.authorized} ${sock.getPeerCertificate()?.subjectCommonName}`);
      sock.pipe(sock);
    });
    server.on('connection', (sock: SSLSocket) => sock.on('error', () => undefined));
    const { port } = await server.listen({ port: 0 });
    try {
      const r = await python(`
def client_auth(ca_names, nickname):
    cert = nss.find_cert_from_nickname(nickname)
    return (cert, nss.find_key_by_any_cert(cert))
sock = ssl.SSLSocket(io.PR_AF_INET)
sock.set_hostname('localhost')
sock.set_client_auth_data_callback(client_auth, 'test_user')
sock.connect(io.NetworkAddress(io.PR_IpAddrLoopback, ${port}))
message = b'hello from python-nss'
sock.send(message)
got = b''
while len(got) < len(message):
    chunk = sock.recv(1024)
    if not chunk:
        break
    got += chunk
print(got.decode())
print(sock.get_ssl_channel_info().protocol_version_str)
sock.shutdown()
sock.close()
`);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const [echoed, version] = r.stdout.trim().split('\n');
      expect(echoed).toBe('hello from python-nss');
      expect(version).toBe('tls1.3');
      expect(peers).toEqual(['true test_user']);
    } finally {
      await server.close();
    }
  });

  it('a node-nss client verifying a python-nss server', async () => {
    let announce: (port: number) => void = () => undefined;
    const listening = new Promise<number>((resolve) => (announce = resolve));
    const peer = python(
      `
ssl.config_server_session_id_cache()
cert = nss.find_cert_from_nickname('test_server')
key = nss.find_key_by_any_cert(cert)
listener = ssl.SSLSocket(io.PR_AF_INET)
listener.set_socket_option(io.PR_SockOpt_Reuseaddr, True)
listener.config_secure_server(cert, key, cert.find_kea_type())
listener.bind(io.NetworkAddress(io.PR_IpAddrLoopback, 0))
listener.listen(1)
print('listening', listener.get_sock_name().port, flush=True)
sock, addr = listener.accept()
line = sock.readline()
sock.send(line.upper())
sock.shutdown()
sock.close()
listener.close()
print('served', line.decode().strip(), flush=True)
`,
      (line) => {
        const m = /^listening (\d+)/.exec(line);
        if (m) announce(Number(m[1]));
      },
    );
    const exited = peer.then((r) => {
      throw new Error(`the python-nss server exited (${r.status}) before listening: ${r.stdout}${r.stderr}`);
    });
    const port = await within(20_000, 'the python-nss server', Promise.race([listening, exited]));
    const sock = await connect({ host: '127.0.0.1', port, servername: 'localhost' });
    expect(sock.authorized).toBe(true);
    let reply = '';
    sock.on('data', (d: Buffer) => (reply += d.toString()));
    const ended = new Promise((r) => sock.once('end', r));
    sock.write('node-nss says hello\n');
    await within(10_000, "the server's reply and end", ended);
    expect(reply).toBe('NODE-NSS SAYS HELLO\n');
    const r = await peer;
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('served node-nss says hello');
    sock.destroy();
  });
});
