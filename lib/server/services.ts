/**
 * Everything a request handler needs, built once at start from the open database: the
 * stores, the token service, the login throttle and the limits from the configuration.
 */

import { randomBytes } from 'node:crypto';
import type { BlockList } from 'node:net';

import { createHs256Key } from '../jwt/jws.ts';
import { WriteBatcher } from '../store/batch.ts';
import { toStoreError } from '../store/db.ts';
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
 * Builds the services on an open database: records the token lifetime, loads the
 * revocations into memory and prepares the dummy hash. Throws ERR_STORE on database errors.
 */
export async function createServices(options: ServicesOptions): Promise<Services> {
  const { config, log, store } = options;
  const settings = new Settings(store.db);
  const batcher = new WriteBatcher(store);

  // A revoke-all must outlive the longest-lived token any server on this file issued.
  const ttlSeconds = config.tokenTtlSeconds;
  const ttlUs = ttlSeconds * 1e6;
  await batcher.submit(() => settings.raise('max_token_ttl_us', ttlUs));
  const maxTtlUs = Math.max(ttlUs, settings.read('max_token_ttl_us'));

  let revocations: RevocationSet;
  let issuedUntilUs: number;
  try {
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
