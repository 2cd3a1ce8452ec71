// What each command takes, for parsing and --help; nothing here loads the native addon.
import type { CommandSpec } from './args.js';

const DB: CommandSpec['options'] = {
  dbdir: { type: 'string', short: 'd', value: 'dir', help: 'NSS database directory (default: none)' },
  password: { type: 'string', short: 'w', value: 'password', help: 'the database or token password' },
};

const JSON_OPTION: CommandSpec['options'] = {
  json: { type: 'boolean', help: 'print JSON instead of text' },
};

const CREDENTIALS: CommandSpec['options'] = {
  ...DB,
  nickname: { type: 'string', short: 'n', value: 'nickname', help: 'certificate and key from the database' },
  cert: { type: 'string', value: 'file', help: 'certificate (chain) PEM file, with --key' },
  key: { type: 'string', value: 'file', help: 'private key PEM file (PKCS #8, PKCS #1 or SEC 1)' },
  ca: { type: 'string', value: 'file', help: 'trust these CA certificates (PEM) for this connection only' },
  alpn: { type: 'string', value: 'list', help: 'ALPN protocols, comma-separated (h2,http/1.1)' },
};

/** @internal */
export const demoSpec: CommandSpec = {
  name: 'demo',
  summary:
    'Make a throwaway NSS database (a CA, a server and a client certificate) with node-nss itself, run a TLS\n' +
    'server that requires a client certificate, connect to it, and show what each side saw.',
  operands: '',
  operandCount: [0, 0],
  options: {},
  details: 'Needs only the NSS runtime libraries; the database is removed at the end.',
};

/** @internal */
export const connectSpec: CommandSpec = {
  name: 'connect',
  summary:
    'A TLS client, like tstclnt or openssl s_client: prints the chain, the verdict and the channel on stderr,\n' +
    'then copies stdin to the server and the server to stdout.',
  operands: '<host:port>',
  operandCount: [1, 1],
  options: {
    ...CREDENTIALS,
    servername: { type: 'string', value: 'name', help: 'SNI name and the name to verify (default: host)' },
    insecure: { type: 'boolean', short: 'k', help: 'connect even when the certificate does not verify' },
    ocsp: { type: 'boolean', help: "ask for the server's stapled OCSP response and show it" },
    starttls: {
      type: 'string',
      value: 'protocol',
      help: 'smtp, imap or ldap: upgrade a plain connection first',
    },
    json: { type: 'boolean', help: 'print the description as JSON on stdout and close (no data)' },
  },
  details:
    'Exit status: 0 when the connection ends cleanly, 1 when it fails (the NSS error code is printed), 2 for a\n' +
    'wrong command line. Trust: the database of -d, the builtin roots, and --ca.',
};

/** @internal */
export const serveSpec: CommandSpec = {
  name: 'serve',
  summary:
    'A TLS server, like selfserv: echoes what each client sends (or answers HTTP with --http), logs each\n' +
    'connection on stderr, prints "listening on <port>" and stops on SIGINT or SIGTERM.',
  operands: '',
  operandCount: [0, 0],
  options: {
    ...CREDENTIALS,
    port: {
      type: 'string',
      short: 'p',
      value: 'port',
      help: 'port to listen on (default 8443; 0: any free one)',
    },
    host: { type: 'string', value: 'address', help: 'address to listen on (default: all, IPv6 and IPv4)' },
    'request-cert': { type: 'boolean', help: 'ask clients for a certificate' },
    'require-cert': { type: 'boolean', help: 'refuse clients without a certificate that verifies' },
    http: { type: 'boolean', help: 'answer each request with an HTTP page describing the connection' },
    groups: { type: 'string', value: 'list', help: 'key-exchange groups, comma-separated (X25519,P-256)' },
    json: { type: 'boolean', help: 'log each connection as one JSON line' },
  },
  details:
    'The server certificate is -n from the database of -d, or --cert and --key; clients verify with --ca.',
};

/** @internal */
export const certsSpec: CommandSpec = {
  name: 'certs',
  summary:
    'List the certificates of an NSS database and their trust, like certutil -L (or its keys, like -K).',
  operands: '',
  operandCount: [0, 0],
  options: {
    ...DB,
    keys: { type: 'boolean', short: 'K', help: 'list the private keys instead, like certutil -K' },
    ...JSON_OPTION,
  },
};

/** @internal */
export const verifySpec: CommandSpec = {
  name: 'verify',
  summary: 'Verify a certificate for a usage against the database and the builtin roots, like vfychain.',
  operands: '<cert.pem | cert.der | nickname>',
  operandCount: [1, 1],
  options: {
    ...DB,
    usage: {
      type: 'string',
      short: 'u',
      value: 'usage',
      help: 'sslserver (default), sslclient, sslca, emailsigner, emailrecipient, objectsigner, or a number',
    },
    ...JSON_OPTION,
  },
  details:
    'Exit status: 0 when the chain is good, 1 when it is bad (the reason log says why, per certificate).',
};

/** @internal */
export const modulesSpec: CommandSpec = {
  name: 'modules',
  summary: 'List the PKCS #11 modules NSS has loaded and their tokens, like modutil -list.',
  operands: '',
  operandCount: [0, 0],
  options: { ...DB, ...JSON_OPTION },
};
