// Preloaded into the Portkey gateway with `node --import`: its CLI (build/start-server.js) calls
// @hono/node-server's serve({ port }) without a host, which would listen on every interface. The
// benchmark binds loopback only, so a listen() on a bare port gets 127.0.0.1 as its host.
import net from 'node:net';

const HOST = '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    // listen(port), listen(port, undefined, cb) or listen(port, cb)
    if (args[1] === undefined) args[1] = HOST;
    else args.splice(1, 0, HOST);
  } else if (args[0] && typeof args[0] === 'object' && 'port' in args[0] && !args[0].host) {
    args[0] = { ...args[0], host: HOST };
  }
  return listen.apply(this, args);
};
