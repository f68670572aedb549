/**
 * The one way the core writes metadata outside a migration (baseline, repair, unlock, accepting a
 * schema): in one transaction that commits only after checking the run still holds the lock, and
 * rolls back whole on any error.
 */
import type { Driver } from '../ports.js';

/** Runs `work` in a transaction of `driver`; commits after `assertLock`, rolls back on any error. */
export async function inLockedTransaction<T>(driver: Driver, work: () => Promise<T>): Promise<T> {
  await driver.begin();
  try {
    const result = await work();
    await driver.assertLock();
    await driver.commit();
    return result;
  } catch (error) {
    await driver.rollback().catch(() => undefined);
    throw error;
  }
}
