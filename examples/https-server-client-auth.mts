// An http.Server over node-nss that requires client certificates: node-nss accepts and authenticates the TLS
// connections, node's http module speaks HTTP on them, and each handler sees who the client is.
//
//   node build/examples/https-server-client-auth.mjs --db /tmp/example-db --password secret [--port 8443]
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import { type SSLSocket, createServer, init } from 'node-nss';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    password: { type: 'string', default: '' },
    nickname: { type: 'string', default: 'server' },
    port: { type: 'string', default: '8443' },
  },
});
if (!values.db)
  throw new Error('usage: https-server-client-auth --db <dir> [--password <p>] [--port <port>]');
init({ dbDir: `sql:${values.db}`, password: values.password });

const app = http.createServer((req, res) => {
  // The TLS socket under the request: its peer certificate was verified against the database (CA trust).
  const tls = req.socket as unknown as SSLSocket;
  const client = tls.getPeerCertificate();
  res.setHeader('content-type', 'text/plain');
  res.end(`hello ${client?.subjectCommonName ?? 'nobody'}, over ${tls.getProtocol() ?? '?'}\n`);
});
// requireCert: a client without a certificate that verifies is refused during the handshake.
const server = createServer({ certNickname: values.nickname, requestCert: true, requireCert: true }, (sock) =>
  app.emit('connection', sock),
);
server.on('tlsClientError', (err: Error) => console.error(`refused: ${err.message}`));
const { port } = await server.listen({ port: Number(values.port), host: '127.0.0.1' });
console.log(`listening on ${port}`);
process.once('SIGTERM', () => void server.close().then(() => app.close()));
