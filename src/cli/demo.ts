// `node-nss demo`: a throwaway database made with the package's own issuance API (no NSS tools needed), a TLS
// server that requires a client certificate, a client, a resumed second connection and a refused third one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { getDefaultCertDB } from '../pki/certdb.js';
import { createCertificate, generateKeyPair } from '../pki/issuance.js';
import type { Certificate } from '../pki/certificate.js';
import type { PrivateKey } from '../pki/private-key.js';
import { NSPRError } from '../core/errors.js';
import { init, shutdown, version } from '../nss.js';
import { connect, createServer } from '../tls/connect.js';
import type { SSLSocket } from '../tls/socket.js';
import { channelLines, makePaint, summarizeCertificate, summarizeChannel } from './describe.js';

/** @internal */
export async function runDemo(write: (line: string) => void = (line) => console.log(line)): Promise<void> {
  const paint = makePaint(process.stdout);
  const heading = (text: string) => write(`\n${paint('bold', text)}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-nss-demo-'));
  try {
    write(
      paint('bold', `node-nss ${version.package}`) +
        paint('dim', ` · NSS ${version.nss} · NSPR ${version.nspr}`),
    );

    heading(`1. A new NSS database in ${dir}, made by node-nss (no certutil)`);
    // Read-write on an empty directory makes a new database (with an empty password, as certutil -N would).
    init({ dbDir: `sql:${dir}`, readOnly: false, loadBuiltinRoots: false });
    const db = getDefaultCertDB();
    const caKey = await generateKeyPair({ type: 'ec', curve: 'P-256', nickname: 'demo-ca' });
    const ca = createCertificate({
      subject: 'CN=node-nss Demo CA,O=node-nss demo',
      publicKeyFrom: caKey,
      isCA: true,
      pathLength: 0,
    });
    db.importCertificate(ca, { nickname: 'demo-ca', trust: 'CT,,' });
    const issue = async (
      nickname: string,
      subject: string,
      extra: { subjectAltNames?: string[]; extKeyUsage: string[] },
    ) => {
      const key: PrivateKey = await generateKeyPair({ type: 'ec', curve: 'P-256', nickname });
      const cert: Certificate = createCertificate({
        subject,
        publicKeyFrom: key,
        issuer: { certificate: ca, key: caKey },
        ...extra,
      });
      return db.importCertificate(cert, { nickname });
    };
    await issue('demo-server', 'CN=localhost,O=node-nss demo', {
      subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'],
      extKeyUsage: ['serverAuth'],
    });
    await issue('demo-client', 'CN=Demo User,O=node-nss demo', { extKeyUsage: ['clientAuth'] });
    for (const cert of db.listCertificates()) {
      const s = summarizeCertificate(cert);
      write(`  ${(cert.nickname ?? '').padEnd(12)} ${s.subject}`);
      write(
        paint(
          'dim',
          `  ${''.padEnd(12)} issued by ${s.issuer}; ${s.key}; trust ${db.getTrust(cert)}` +
            (s.subjectAltNames.length ? `; ${s.subjectAltNames.join(' ')}` : ''),
        ),
      );
    }

    heading('2. A TLS server that requires a client certificate, and a client');
    const seenByServer: string[][] = [];
    const server = createServer(
      {
        certNickname: 'demo-server',
        requestCert: true,
        requireCert: true,
        ALPNProtocols: ['h2', 'http/1.1'],
      },
      (sock: SSLSocket) => {
        seenByServer.push(channelLines(summarizeChannel(sock), paint, 'client'));
        sock.pipe(sock);
      },
    );
    server.on('tlsClientError', () => undefined); // the refused client of step 4 is reported by the client
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    write(paint('dim', `  listening on 127.0.0.1:${port}`));
    try {
      const client = { host: '127.0.0.1', port, servername: 'localhost', timeout: 10_000 };
      const first = await connect({
        ...client,
        clientCertNickname: 'demo-client',
        ALPNProtocols: ['http/1.1'],
      });
      const seenByClient = channelLines(summarizeChannel(first), paint, 'server');
      const reply = await echo(first, 'hello over NSS');
      write('  what the client saw:');
      for (const line of seenByClient) write(`    ${line}`);
      write('  what the server saw:');
      for (const line of seenByServer[0] ?? []) write(`    ${line}`);
      write(`  echo: sent "hello over NSS", the server sent back "${reply}"`);

      heading('3. A second connection resumes the session (NSS keeps it in its client session cache)');
      const second = await connect({
        ...client,
        clientCertNickname: 'demo-client',
      });
      const { resumed, protocolVersion } = second.getSSLChannelInfo();
      await echo(second, 'again');
      write(
        resumed
          ? `  ${paint('green', '✔ resumed')} (${protocolVersion}): no certificates sent, no signatures made`
          : `  ${paint('red', '✘ not resumed')}`,
      );

      heading('4. A client without a certificate is refused');
      try {
        const refused = await connect(client);
        await echo(refused, 'let me in'); // TLS 1.3: the server's refusal arrives after the client's handshake
        write(`  ${paint('red', '✘ the server let it in')}`);
      } catch (err) {
        if (!(err instanceof NSPRError)) throw err;
        write(`  ${paint('green', '✔ refused')}: ${err.code} (${err.message})`);
      }
    } finally {
      await server.close();
    }

    heading('Try next');
    write(
      '  node-nss connect example.com:443            a TLS client (chain, verdict, channel), like tstclnt',
    );
    write('  node-nss serve --cert c.pem --key k.pem     a TLS server, like selfserv');
    write('  node-nss certs -d ~/.pki/nssdb              your NSS database, like certutil -L (-K for keys)');
    write('  node-nss verify -d ~/.pki/nssdb c.pem       verify a certificate, like vfychain');
    write('  node-nss modules                            PKCS #11 modules and tokens, like modutil -list');
  } finally {
    shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Sends `text`, reads what comes back, and closes. */
async function echo(sock: SSLSocket, text: string): Promise<string> {
  const chunks: Buffer[] = [];
  sock.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = once(sock, 'close');
  const failed = new Promise<never>((_resolve, reject) => sock.once('error', reject));
  sock.end(text);
  await Promise.race([closed, failed]);
  return Buffer.concat(chunks).toString();
}
