import { Migrator, type Kysely, type Migration } from 'kysely'
import type { DialectName } from '../store.ts'
import { initial } from './001-initial.ts'
import { auth } from './002-auth.ts'
import { isolation } from './003-isolation.ts'
import { stoppedCronTasks } from './004-stopped-cron-tasks.ts'
import { environmentBuilds } from './005-environment-builds.ts'
import { runSummaries } from './006-run-summaries.ts'
import { servers } from './007-servers.ts'
import { queue } from './008-queue.ts'
import { runDetails } from './009-run-details.ts'
import { schedules } from './010-schedules.ts'
import { concurrency } from './011-concurrency.ts'
import { retries } from './012-retries.ts'
import { nodeVersion } from './013-node-version.ts'

/** Every migration, in order. Names sort as they apply; a new one gets the next number. */
export function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    '001-initial': initial(dialect),
    '002-auth': auth(dialect),
    '003-isolation': isolation(),
    '004-stopped-cron-tasks': stoppedCronTasks(dialect),
    '005-environment-builds': environmentBuilds(dialect),
    '006-run-summaries': runSummaries(dialect),
    '007-servers': servers(dialect),
    '008-queue': queue(),
    '009-run-details': runDetails(dialect),
    '010-schedules': schedules(dialect),
    '011-concurrency': concurrency(dialect),
    '012-retries': retries(dialect),
    '013-node-version': nodeVersion(),
  }
}

/**
 * Applies the migrations not yet applied; a no-op on an up-to-date database. Safe when several
 * processes start at once: PostgreSQL takes an advisory lock, SQLite one IMMEDIATE transaction.
 */
export async function migrateToLatest(db: Kysely<any>, dialect: DialectName): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(dialect) },
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    const what = failed === undefined ? 'Database migration' : `Database migration '${failed}'`
    throw new Error(`${what} failed: ${String(error)}`, { cause: error })
  }
}
