// python-nss's ssl_example.py in TypeScript: a server that requires a client certificate and a client, with
// the NSS-style callbacks (auth certificate, client auth data, handshake) and a line protocol over the socket.
//
//   node build/examples/ssl-example.mjs --db /tmp/example-db --password secret [--port 0]
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import {
  SSL_REQUEST_CERTIFICATE,
  SSL_REQUIRE_ALWAYS,
  SSL_REQUIRE_CERTIFICATE,
  SSLServer,
  SSLSocket,
  certificateUsageSSLClient,
  certificateUsageSSLServer,
  getDefaultCertDB,
  init,
  nssGetClientAuthData,
  shutdown,
} from 'node-nss';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    password: { type: 'string', default: '' },
    port: { type: 'string', default: '0' },
    'server-nickname': { type: 'string', default: 'server' },
    'client-nickname': { type: 'string', default: 'client' },
  },
});
if (!values.db) throw new Error('usage: ssl-example --db <dir> [--password <password>] [--port <port>]');
init({ dbDir: `sql:${values.db}`, password: values.password });
const db = getDefaultCertDB();

// The server: python-nss's server socket with SSL_REQUEST_CERTIFICATE and SSL_REQUIRE_CERTIFICATE set.
const server = new SSLServer();
const serverCert = db.findCertFromNickname(values['server-nickname']);
server.configSecureServer(serverCert, db.findKeyByAnyCert(serverCert));
server.setSSLOption(SSL_REQUEST_CERTIFICATE, true);
server.setSSLOption(SSL_REQUIRE_CERTIFICATE, SSL_REQUIRE_ALWAYS);
// auth_certificate_callback on the server: verify the client's certificate for client use.
server.setAuthCertificateCallback((sock, checkSig) => {
  const cert = sock.getPeerCertificate();
  if (cert === null) return false;
  const usages = cert.verifyNow(db, checkSig, certificateUsageSSLClient);
  console.log(`server: client certificate ${cert.subject} is valid for usages 0x${usages.toString(16)}`);
  return true;
});
server.on('secureConnection', (sock: SSLSocket) => {
  sock.setEncoding('utf8');
  sock.on('data', (line: string) => sock.write(`Goodbye ${line.trim()}\n`));
  sock.on('end', () => sock.end());
});
const { port } = await server.listen({ port: Number(values.port), host: '127.0.0.1' });
console.log(`server: listening on ${port}`);

// The client: hostname for verification, the three callbacks, then the handshake and one exchange.
const client = new SSLSocket();
client.setHostname('localhost');
client.setAuthCertificateCallback((sock, checkSig) => {
  const cert = sock.getPeerCertificate();
  if (cert === null) return false;
  cert.verifyNow(db, checkSig, certificateUsageSSLServer); // throws CertVerifyError with the reason
  console.log(
    `client: server certificate ${cert.subject} verified; hostname ok: ${cert.verifyHostname('localhost')}`,
  );
  return cert.verifyHostname('localhost');
});
client.setClientAuthDataCallback(nssGetClientAuthData(values['client-nickname']));
client.setHandshakeCallback((sock) =>
  console.log(`client: handshake complete: ${sock.connectionInfoString()}`),
);
await client.connect({ host: '127.0.0.1', port });
await client.forceHandshake({ timeout: 10_000 });
client.setEncoding('utf8');
client.write('Hello\n');
const [reply] = (await once(client, 'data')) as [string];
console.log(`client: server said "${reply.trim()}"`);
client.end();
await once(client, 'close');
await server.close();
shutdown();
