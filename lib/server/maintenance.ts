/**
 * Background work of a running server: loading revocations that other processes (the
 * `user` commands) committed, and dropping revocations of tokens that have expired.
 * Neither timer keeps the process alive on its own.
 */

import type { Services } from './services.ts';

const PURGE_INTERVAL_MS = 60_000;

export interface Maintenance {
  stop(): void;
}

function reload(services: Services): void {
  try {
    if (services.revocations.reloadIfChanged()) {
      services.log.info('Loaded revocations changed by another process');
    }
  } catch (error) {
    services.log.error('Cannot load revocations from the database', error);
  }
}

async function purge(services: Services): Promise<void> {
  try {
    const dropped = await services.revocations.purge(Date.now() * 1000);
    if (dropped > 0) services.log.info(`Dropped ${dropped} revocations of expired tokens`);
  } catch (error) {
    services.log.error('Cannot drop expired revocations', error);
  }
}

/**
 * Purges once now, then reloads every `reloadIntervalMs` and purges every minute until
 * stop() is called.
 */
export function startMaintenance(services: Services, reloadIntervalMs: number): Maintenance {
  void purge(services);

  const reloadTimer = setInterval(() => reload(services), reloadIntervalMs).unref();
  const purgeTimer = setInterval(() => void purge(services), PURGE_INTERVAL_MS).unref();

  return {
    stop() {
      clearInterval(reloadTimer);
      clearInterval(purgeTimer);
    },
  };
}
