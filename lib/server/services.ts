/**
 * Everything a request handler needs, built once at start from the open database: the
 * stores, the token service, the login throttle and the limits from the configuration.
 */

import { randomBytes } from 'node:crypto';
import type { BlockList } from 'node:net';

import { createHs256Key } from '../jwt/jws.ts';
import { WriteBatcher } from '../store/batch.ts';
import { checkIntegrity, runTransaction, toStoreError } from '../store/db.ts';
import type { Store } from '../store/db.ts';
import { RevocationSet } from '../store/revocation-set.ts';
import { RevocationTable } from '../store/revocations.ts';
import { Settings } from '../store/settings.ts';
import { UserStore } from '../store/users.ts';
import { hashPassword } from '../users/password.ts';
import { IssuanceClock } from './clock.ts';
import type { ServerConfig } from './config.ts';
import type { ServerLog } from './log.ts';
import { createProxyList } from './proxies.ts';
import { LoginThrottle } from './throttle.ts';
import type { ThrottleOptions } from './throttle.ts';
import { TokenService } from './tokens.ts';

export interface Services {
  config: ServerConfig;
  log: ServerLog;
  store: Store;
  batcher: WriteBatcher;
  users: UserStore;
  revocationTable: RevocationTable;
  revocations: RevocationSet;
  tokens: TokenService;
  throttle: LoginThrottle;
  trustedProxies: BlockList;
  /** A hash of a random password, checked for unknown users so they cost the same time. */
  dummyPasswordHash: string;
}

export interface ServicesOptions {
  config: ServerConfig;
  log: ServerLog;
  store: Store;
  jwtSecret: string;
  throttle?: Partial<ThrottleOptions>;
}

/**
 * Checks the database before the server uses it and records the token lifetime, which is
 * also the first write. Throws ERR_STORE for a damaged, locked or read-only database.
 *
 * PRAGMA quick_check reads every page. With 1,000,000 revoked tokens (82 MB) it took
 * 140 to 320 ms on a 2-core AMD EPYC virtual machine, less than loading those
 * revocations into memory (about 670 ms), so it costs a start little.
 */
export function prepareDatabase(store: Store, config: ServerConfig): void {
  checkIntegrity(store);

  // A revoke-all must outlive the longest-lived token any server on this file issued.
  const settings = new Settings(store.db);
  runTransaction(store, () => settings.raise('max_token_ttl_us', config.tokenTtlSeconds * 1e6));
}

/**
 * Builds the services on a database that prepareDatabase() checked: loads the
 * revocations into memory and prepares the dummy hash. Throws ERR_STORE on database errors.
 */
export async function createServices(options: ServicesOptions): Promise<Services> {
  const { config, log, store } = options;
  const settings = new Settings(store.db);
  const batcher = new WriteBatcher(store);

  const ttlSeconds = config.tokenTtlSeconds;
  const ttlUs = ttlSeconds * 1e6;
  let maxTtlUs: number;

  let revocations: RevocationSet;
  let issuedUntilUs: number;
  try {
    maxTtlUs = Math.max(ttlUs, settings.read('max_token_ttl_us'));
    revocations = new RevocationSet(store, batcher);
    issuedUntilUs = settings.read('issued_until_us');
  } catch (error) {
    throw toStoreError(error, store.path);
  }

  const clock = new IssuanceClock(issuedUntilUs, (untilUs) =>
    batcher.submit(() => settings.raise('issued_until_us', untilUs)),
  );
  const key = createHs256Key(options.jwtSecret);

  return {
    config,
    log,
    store,
    batcher,
    users: new UserStore(store.db),
    revocationTable: new RevocationTable(store.db),
    revocations,
    tokens: new TokenService({ key, ttlSeconds, maxTtlUs, clock, revocations }),
    throttle: new LoginThrottle(options.throttle),
    trustedProxies: createProxyList(config.trustedProxies),
    dummyPasswordHash: await hashPassword(randomBytes(24).toString('base64url')),
  };
}
