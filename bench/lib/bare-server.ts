/**
 * The baseline server: node:http on 127.0.0.1, any free port, sending 204 with no body to
 * every request and doing nothing else. Run as a child process by servers.ts.
 */

import { createServer } from 'node:http';

const server = createServer((_req, res) => {
  res.writeHead(204).end();
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stderr.write(`Listening on http://127.0.0.1:${port}\n`);
});

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
