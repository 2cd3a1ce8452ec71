// NODE_DEBUG=nss: what node-nss does, on stderr through util.debuglog (as NODE_DEBUG=tls,net do for node's).
import { debuglog } from 'node:util';

/** @internal Logs with NODE_DEBUG=nss; `debug.enabled` says whether to build a message at all. */
export const debug = debuglog('nss');
