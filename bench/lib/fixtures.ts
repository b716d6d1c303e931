/**
 * Benchmark data: databases filled with users and revocations, and tokens signed with
 * the benchmark secret, as another server sharing the secret would sign them.
 *
 * Filling writes straight to SQLite in one transaction with prepared statements, through
 * the project's own schema, so that a server started on the file loads the rows exactly
 * as it loads rows it wrote itself. Keys are inserted in sorted order, which appends to
 * the primary key's B-tree instead of splitting pages all over it: 1,000,000 rows take
 * about 2 s instead of 8 to 12.
 */

import { randomBytes } from 'node:crypto';

import { createHs256Key, signHs256 } from '../../lib/jwt/jws.ts';
import { openDatabase, runTransaction } from '../../lib/store/db.ts';
import { BENCH_SECRET } from './servers.ts';

const benchKey = createHs256Key(BENCH_SECRET);
const JTI_BYTES = 16;

/** Returns the name of benchmark user number `index`, such as user-00042. */
export function userName(index: number): string {
  return `user-${String(index).padStart(5, '0')}`;
}

export interface FillOptions {
  /** Single revoked tokens (random 16-byte jti) to insert. */
  revokedTokens: number;
  /** Users to insert, named by userName(0 ...). */
  users: number;
  /** Argon2id PHC string stored for every user. */
  passwordHash: string;
  /** Not-before time given to each user, in microseconds; none when undefined. */
  notBeforeUs: number | undefined;
  /** Expiry of every revocation row, in microseconds. */
  expiresAtUs: number;
}

/** Returns `count` random 16-byte jti values in the order SQLite's BINARY collation sorts. */
function createSortedJtis(count: number): string[] {
  const bytes = randomBytes(count * JTI_BYTES);
  const jtis = Array.from({ length: count }, (_, index) =>
    bytes.toString('base64url', index * JTI_BYTES, (index + 1) * JTI_BYTES),
  );

  // Code unit order equals byte order for ASCII, which is how BINARY compares text.
  return jtis.sort();
}

/**
 * Creates or opens the database at `dbPath` and inserts the rows that `options`
 * describes, in one transaction. Returns the time it took in ms.
 */
export function fillDatabase(dbPath: string, options: FillOptions): number {
  const started = performance.now();
  const store = openDatabase(dbPath, { busyTimeoutMs: 5000 });
  try {
    const insertToken = store.db.prepare(
      'INSERT INTO revoked_tokens (token_key, expires_at_us) VALUES (?, ?)',
    );
    const insertUser = store.db.prepare(
      'INSERT INTO users (name, password_hash, is_admin, created_at_us) VALUES (?, ?, 0, ?)',
    );
    const insertNotBefore = store.db.prepare(
      'INSERT INTO user_not_before (name, not_before_us, expires_at_us) VALUES (?, ?, ?)',
    );
    const nowUs = Date.now() * 1000;

    runTransaction(store, () => {
      for (const jti of createSortedJtis(options.revokedTokens)) {
        insertToken.run(jti, options.expiresAtUs);
      }
      for (let index = 0; index < options.users; index++) {
        const name = userName(index);
        insertUser.run(name, options.passwordHash, nowUs);
        if (options.notBeforeUs !== undefined) {
          insertNotBefore.run(name, options.notBeforeUs, options.expiresAtUs);
        }
      }
    });
  } finally {
    store.db.close();
  }

  return performance.now() - started;
}

/** Signs a token for `sub` issued now and valid for an hour, with a random jti. */
export function signBenchToken(sub: string): string {
  const iat = Math.round(Date.now() * 1000) / 1e6;
  const claims = {
    exp: iat + 3600,
    iat,
    iss: 'ats.auth',
    jti: randomBytes(JTI_BYTES).toString('base64url'),
    sub,
  };

  return signHs256(claims, benchKey);
}
