/**
 * A single keep-alive client sending `GET /token/verify` with one valid token, to measure
 * verification latency while another load runs on the same server.
 */

import { Buffer } from 'node:buffer';

import { signBenchToken, userName } from './fixtures.ts';
import { formatRequest, runSocketLoad } from './load.ts';
import type { LoadResult } from './load.ts';
import type { ServerChild } from './servers.ts';

/** Runs the probe for `seconds` and returns its request counts and latencies. */
export function runVerifyProbe(server: ServerChild, seconds: number): Promise<LoadResult> {
  const token = signBenchToken(userName(0));
  const request = Buffer.from(
    formatRequest(
      { method: 'GET', path: '/token/verify', headers: { Authorization: `Bearer ${token}` } },
      server.port,
    ),
  );

  return runSocketLoad({
    port: server.port,
    connections: 1,
    durationMs: seconds * 1000,
    maxRequests: 1_000_000,
    request: () => request,
    expectedStatus: 204,
  });
}
