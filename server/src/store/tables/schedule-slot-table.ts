import { sql, type Kysely } from 'kysely'
import type { ScheduleSlot } from '../../domain/schedule-slot.ts'
import type { Database } from '../database.ts'
import { fromRow, toRow } from '../row-mapping.ts'
import type { ScheduleSlotTable } from '../store.ts'

const FIELDS: Record<keyof ScheduleSlot, true> = { taskId: true, slotAt: true, outcome: true, reason: true, runId: true, recordedAt: true }

/** Rows per INSERT: 6 columns each, well inside SQLite's limit of bound parameters. */
const CHUNK = 500

/** The schedule_slots table on `db`, which may be a transaction. */
export function scheduleSlotTable(db: Kysely<Database>): ScheduleSlotTable {
  return {
    async record(slots) {
      const recorded: ScheduleSlot[] = []
      for (let i = 0; i < slots.length; i += CHUNK) {
        const rows = await db
          .insertInto('schedule_slots')
          .values(slots.slice(i, i + CHUNK).map((s) => toRow(s, FIELDS)))
          // The key (task_id, slot_at) holds: a time recorded before, by this process before a
          // crash or by another scheduler, stays as it was and is not returned.
          .onConflict((oc) => oc.columns(['task_id', 'slot_at']).doNothing())
          .returningAll()
          .execute()
        recorded.push(...rows.map((r) => fromRow<ScheduleSlot>(r)))
      }
      return recorded
    },

    async setRun(taskId, slotAt, runId) {
      await db.updateTable('schedule_slots').set({ run_id: runId }).where('task_id', '=', taskId).where('slot_at', '=', slotAt).execute()
    },

    async setRuns(links) {
      // One UPDATE … FROM a VALUES list on both dialects, as tasks.recordSchedules.
      for (let i = 0; i < links.length; i += CHUNK) {
        const values = links.slice(i, i + CHUNK).map((l) => sql`(CAST(${l.taskId} AS bigint), CAST(${l.slotAt} AS bigint), CAST(${l.runId} AS bigint))`)
        await sql`WITH v(task_id, slot_at, run_id) AS (VALUES ${sql.join(values)})
          UPDATE schedule_slots SET run_id = v.run_id
          FROM v WHERE schedule_slots.task_id = v.task_id AND schedule_slots.slot_at = v.slot_at`.execute(db)
      }
    },

    async listForTask(taskId, limit) {
      const rows = await db.selectFrom('schedule_slots').selectAll().where('task_id', '=', taskId).orderBy('slot_at', 'desc').limit(limit).execute()
      return rows.map((r) => fromRow<ScheduleSlot>(r))
    },

    async trim(afterTaskId, taskCount, keepPerTask) {
      const tasks = await db.selectFrom('tasks').select('id').where('id', '>', afterTaskId).orderBy('id').limit(taskCount).execute()
      let deleted = 0
      for (const { id } of tasks) {
        // The newest slot beyond the kept ones; none (NULL) when the task has no more than that.
        const oldestKept = db
          .selectFrom('schedule_slots')
          .select('slot_at')
          .where('task_id', '=', id)
          .orderBy('slot_at', 'desc')
          .limit(1)
          .offset(keepPerTask - 1)
        const result = await db.deleteFrom('schedule_slots').where('task_id', '=', id).where('slot_at', '<', oldestKept).executeTakeFirst()
        deleted += Number(result.numDeletedRows)
      }
      return { lastTaskId: tasks.at(-1)?.id ?? null, deleted }
    },
  }
}
