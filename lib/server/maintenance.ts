/**
 * Background work of a running server: loading revocations that other processes (the
 * `user` commands) committed, and dropping revocations of tokens that have expired.
 * Neither timer keeps the process alive on its own, and a failure that lasts is logged
 * once, not on every run.
 */

import { toStoreError } from '../store/db.ts';
import type { Services } from './services.ts';

const PURGE_INTERVAL_MS = 60_000;

export interface Maintenance {
  stop(): void;
}

/** The last reload failure logged, so that a lasting one is logged once, not each time. */
interface ReloadState {
  failure: string | undefined;
}

function reload(services: Services, state: ReloadState): void {
  try {
    if (services.revocations.reloadIfChanged()) {
      services.log.info('Loaded revocations changed by another process');
    }
    if (state.failure !== undefined) services.log.info('Loading revocations works again');
    state.failure = undefined;
  } catch (error) {
    const { message } = toStoreError(error, services.store.path);
    if (message !== state.failure) {
      services.log.error(`Cannot load revocations from the database: ${message}`);
    }
    state.failure = message;
  }
}

async function purge(services: Services): Promise<void> {
  try {
    const dropped = await services.revocations.purge(Date.now() * 1000);
    if (dropped > 0) services.log.info(`Dropped ${dropped} revocations of expired tokens`);
  } catch (error) {
    const { message } = toStoreError(error, services.store.path);
    services.log.error(`Cannot drop expired revocations: ${message}`);
  }
}

/**
 * Purges once now, then reloads every `reloadIntervalMs` and purges every minute until
 * stop() is called.
 */
export function startMaintenance(services: Services, reloadIntervalMs: number): Maintenance {
  void purge(services);

  const state: ReloadState = { failure: undefined };
  const reloadTimer = setInterval(() => reload(services, state), reloadIntervalMs).unref();
  const purgeTimer = setInterval(() => void purge(services), PURGE_INTERVAL_MS).unref();

  return {
    stop() {
      clearInterval(reloadTimer);
      clearInterval(purgeTimer);
    },
  };
}
