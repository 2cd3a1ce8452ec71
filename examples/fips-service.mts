// A service that runs in FIPS mode: init({ fips: true }) switches the database's internal module to FIPS mode
// (as modutil -fips true does) or refuses to start, and every TLS socket then gets the FIPS TLS profile.
//
//   node build/examples/fips-service.mjs --db /tmp/fips-db --password 'Fips-Pass-1' [--port 8443]
import { parseArgs } from 'node:util';
import { FIPS_TLS_PROFILE, createServer, init, isFIPS } from 'node-nss';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    password: { type: 'string' },
    nickname: { type: 'string', default: 'server' },
    port: { type: 'string', default: '8443' },
  },
});
if (!values.db || !values.password)
  throw new Error('usage: fips-service --db <dir> --password <p> [--port <port>]');
// Read-write, so that init can record the switch in the database; a FIPS token needs a login for its keys.
init({ dbDir: `sql:${values.db}`, readOnly: false, fips: true, password: values.password });
console.log(
  `FIPS mode: ${isFIPS()}; TLS versions ${FIPS_TLS_PROFILE.minVersion}..${FIPS_TLS_PROFILE.maxVersion}`,
);

const server = createServer({ certNickname: values.nickname }, (sock) => {
  sock.end(`${sock.getProtocol() ?? '?'} ${sock.getCipher()?.standardName ?? '?'} fips=${isFIPS()}\n`);
});
server.on('tlsClientError', (err: Error) => console.error(`refused: ${err.message}`));
const { port } = await server.listen({ port: Number(values.port), host: '127.0.0.1' });
console.log(`listening on ${port}`);
process.once('SIGTERM', () => void server.close());
