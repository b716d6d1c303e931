/**
 * Starting and stopping the ats.auth server: open the database, resolve the secret, build
 * the services, listen, and on close stop accepting, let requests in flight finish within
 * the shutdown timeout, commit what is queued and close the database.
 */

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

import { AtsAuthError } from '../errors.ts';
import { openDatabase } from '../store/db.ts';
import { describeSystemError } from '../system-errors.ts';
import type { ServerConfig } from './config.ts';
import { noteClientError } from './http.ts';
import type { ServerLog } from './log.ts';
import { handleRequest } from './routes.ts';
import { resolveJwtSecret } from './secret.ts';
import type { JwtSecret } from './secret.ts';
import { createServices, prepareDatabase } from './services.ts';
import type { Services } from './services.ts';
import type { ThrottleOptions } from './throttle.ts';
import { startMaintenance } from './maintenance.ts';

export interface StartOptions {
  /** Overrides of the login throttle, for tests that need it to trip early. */
  throttle?: Partial<ThrottleOptions>;
  /** How often changes by other processes are loaded, in ms; 500 by default. */
  reloadIntervalMs?: number;
}

export interface RunningServer {
  /** Base URL such as `http://127.0.0.1:8081`. */
  url: string;
  port: number;
  services: Services;
  /** Number of requests received whose response has not finished yet. */
  readonly inFlightRequests: number;
  /** Stops the server as described above; resolves when the database is closed. */
  close(): Promise<void>;
}

function formatUrl(address: string, port: number): string {
  return address.includes(':') ? `http://[${address}]:${port}` : `http://${address}:${port}`;
}

/** Returns what to do when listening failed with the errno `code`. */
function listenFixFor(code: string | undefined, port: number): string {
  switch (code) {
    case 'EADDRINUSE':
      return (
        `stop the process that uses port ${port}, or set ATSAUTH_SERVER_LISTEN_PORT ` +
        'to a free port'
      );
    case 'EADDRNOTAVAIL':
      return (
        'set ATSAUTH_SERVER_LISTEN_ADDRESS to an address of this host, such as 127.0.0.1, ' +
        'or 0.0.0.0 for all interfaces'
      );
    case 'EACCES':
    case 'EPERM':
      return 'ports below 1024 need privileges: set ATSAUTH_SERVER_LISTEN_PORT to 1024 or more';
    case 'EAFNOSUPPORT':
      return 'this host has no IPv6: set ATSAUTH_SERVER_LISTEN_ADDRESS to an IPv4 address';
    default:
      return 'check ATSAUTH_SERVER_LISTEN_ADDRESS and ATSAUTH_SERVER_LISTEN_PORT';
  }
}

function listen(server: Server, config: ServerConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${config.listenAddress}:${config.listenPort}`;
      const fix = listenFixFor(error.code, config.listenPort);
      reject(
        new AtsAuthError(
          'ERR_CONFIG',
          `Cannot listen on ${where}: ${describeSystemError(error)}: ${fix}`,
          { cause: error },
        ),
      );
    });
    server.listen(config.listenPort, config.listenAddress, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : config.listenPort);
    });
  });
}

// Status lines for requests Node's parser rejects, by error code; anything else is a 400.
const CLIENT_ERROR_STATUS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

/**
 * Responds to a malformed, oversized or slow request as Node would, and logs it, unless a
 * request handler reading the body on that socket reports it with the request's log line.
 */
function handleClientError(log: ServerLog, error: NodeJS.ErrnoException, socket: Socket) {
  const code = error.code ?? 'unknown';
  const isReportedByRequest = noteClientError(socket, code);
  // A client that reset the connection gets no response and is not worth a log line.
  if (!socket.writable || code === 'ECONNRESET') {
    socket.destroy();
    return;
  }

  const statusLine = CLIENT_ERROR_STATUS[code] ?? '400 Bad Request';
  if (!isReportedByRequest) {
    const from = socket.remoteAddress ?? 'unknown address';
    log.warning(`Rejected a request from ${from}: ${statusLine} (${code})`);
  }

  socket.end(`HTTP/1.1 ${statusLine}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Starts the server described by `config`, logging to `log`. Resolves once it listens;
 * throws ERR_STORE or ERR_CONFIG with the path or variable at fault.
 */
export async function startServer(
  config: ServerConfig,
  log: ServerLog,
  options: StartOptions = {},
): Promise<RunningServer> {
  try {
    return await startOnDatabase(config, log, options);
  } finally {
    // Buffered lines go out before the caller reports a failure, so they stay in order.
    log.flush();
  }
}

function logSecretSource(log: ServerLog, secret: JwtSecret): void {
  if (secret.path !== undefined) {
    const action = secret.created
      ? 'Generated the JWT secret and stored it in'
      : 'Using the JWT secret in';
    log.info(`${action} ${secret.path}`);
  }

  for (const warning of secret.warnings) log.warning(warning);
}

async function startOnDatabase(
  config: ServerConfig,
  log: ServerLog,
  options: StartOptions,
): Promise<RunningServer> {
  for (const warning of config.warnings) log.warning(warning);

  const store = openDatabase(config.dbPath, { busyTimeoutMs: config.busyTimeoutMs });
  let services: Services;
  try {
    // Checked and written first, so that a damaged or read-only database fails the start
    // before a secret file is generated beside it.
    prepareDatabase(store, config);
    const secret = resolveJwtSecret(config.jwtSecret, store.path);
    logSecretSource(log, secret);

    const throttle = options.throttle ?? {};
    services = await createServices({ config, log, store, jwtSecret: secret.value, throttle });
  } catch (error) {
    store.db.close();
    throw error;
  }
  log.info(`Database: ${store.path}`);

  let inFlightRequests = 0;
  const server = createServer(
    {
      maxHeaderSize: config.maxHeaderBytes,
      headersTimeout: config.headersTimeoutSeconds * 1000,
      requestTimeout: config.requestTimeoutSeconds * 1000,
      // Timeouts are only checked this often; Node's default of 30 s lets slow clients linger.
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      inFlightRequests++;
      res.once('close', () => inFlightRequests--);
      handleRequest(services, req, res);
    },
  );
  server.on('clientError', (error, socket) => handleClientError(log, error, socket as Socket));

  let port: number;
  try {
    port = await listen(server, config);
  } catch (error) {
    services.batcher.close();
    store.db.close();
    throw error;
  }

  // Errors after the listen, such as EMFILE on accept, must not crash the process.
  server.on('error', (error: NodeJS.ErrnoException) => {
    log.error(`Cannot accept connections: ${describeSystemError(error)}`);
  });

  const maintenance = startMaintenance(services, options.reloadIntervalMs ?? 500);
  const url = formatUrl(config.listenAddress, port);
  log.info(`Listening on ${url}`, { url });

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= shutdown(server, services, maintenance));

  return {
    url,
    port,
    services,
    get inFlightRequests() {
      return inFlightRequests;
    },
    close,
  };
}

async function shutdown(server: Server, services: Services, maintenance: { stop(): void }) {
  const { log, config, batcher, store } = services;
  maintenance.stop();

  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Node closes idle keep-alive connections once, at close(). A connection whose request
  // finishes later would stay open until its keep-alive timeout, so sweep again.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const timeout = setTimeout(() => {
    const seconds = config.shutdownTimeoutSeconds;
    log.warning(`Requests still running after ${seconds} s: closing their connections`);
    server.closeAllConnections();
  }, config.shutdownTimeoutSeconds * 1000);
  await closed;
  clearInterval(sweep);
  clearTimeout(timeout);

  batcher.close();
  store.db.close();
  log.info('Stopped');
  log.flush();
}
