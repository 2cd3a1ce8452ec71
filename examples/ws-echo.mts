// A WebSocket echo over NSS with the ws package: the server's TLS is a node-nss server whose sockets go to an
// http.Server that ws upgrades; the client connects through node-nss's Agent.
//
//   node build/examples/ws-echo.mjs --db /tmp/example-db --password secret
import * as http from 'node:http';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import { Agent, createServer, init, shutdown } from 'node-nss';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    password: { type: 'string', default: '' },
    nickname: { type: 'string', default: 'server' },
  },
});
if (!values.db) throw new Error('usage: ws-echo --db <dir> [--password <p>]');
init({ dbDir: `sql:${values.db}`, password: values.password });

const app = http.createServer();
const wss = new WebSocketServer({ server: app });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
const server = createServer({ certNickname: values.nickname, ALPNProtocols: ['http/1.1'] }, (sock) =>
  app.emit('connection', sock),
);
const { port } = await server.listen({ port: 0, host: '127.0.0.1' });

// The client trusts what the database trusts (the example CA).
const agent = new Agent();
const ws = new WebSocket(`wss://localhost:${port}/`, { agent });
await once(ws, 'open');
ws.send('hello over NSS');
const [reply] = (await once(ws, 'message')) as [Buffer];
console.log(`echo: ${reply.toString()}`);
ws.close();
await once(ws, 'close');
agent.destroy();
await server.close();
app.close();
shutdown();
