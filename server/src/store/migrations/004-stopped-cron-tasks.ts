/**
 * Issue 6: a cron task triggered after a stop came back 'scheduled' with no next time and never
 * ran again (fixed in domain/run-outcome.ts). Rows left that way are put back to what they were:
 * stopped. A released migration never changes.
 */
import type { Kysely, Migration } from 'kysely'
import type { DialectName } from '../store.ts'

export function stoppedCronTasks(_dialect: DialectName): Migration {
  return {
    async up(db: Kysely<any>) {
      await db
        .updateTable('tasks')
        .set({ status: 'stopped' })
        .where('status', '=', 'scheduled')
        .where('next_run_at', 'is', null)
        .where('cron_expression', 'is not', null)
        .execute()
    },
    // A data repair only: going back leaves the repaired rows as they are (they were wrong before).
    async down() {},
  }
}
