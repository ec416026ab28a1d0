import type { Kysely } from 'kysely'
import { environmentBusy, type EnvironmentBuild, type EnvironmentBuildAction } from '../../domain/environment-build.ts'
import type { Database, EnvironmentBuildRow } from '../database.ts'
import type { EnvironmentBuildTable } from '../store.ts'
import { isUniqueViolation, type UniqueIndex } from '../unique-violation.ts'

const IN_PROGRESS_INDEX: UniqueIndex = { name: 'environment_builds_one_in_progress', table: 'environment_builds', columns: ['env_name'] }

function toBuild(row: EnvironmentBuildRow): EnvironmentBuild {
  return {
    id: row.id,
    envName: row.env_name,
    action: row.action as EnvironmentBuildAction,
    requirements: row.requirements,
    pythonVersion: row.python_version,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    ok: row.ok === null ? null : Boolean(row.ok),
    error: row.error,
  }
}

/** The environment_builds table on `db`, which may be a transaction. */
export function environmentBuildTable(db: Kysely<Database>): EnvironmentBuildTable {
  return {
    async begin(build) {
      try {
        const row = await db
          .insertInto('environment_builds')
          .values({
            env_name: build.envName,
            action: build.action,
            requirements: build.requirements,
            python_version: build.pythonVersion,
            started_at: build.startedAt,
            ended_at: null,
            ok: null,
            error: null,
          })
          .returningAll()
          .executeTakeFirstOrThrow()
        return toBuild(row)
      } catch (error) {
        if (isUniqueViolation(error, IN_PROGRESS_INDEX)) throw environmentBusy(build.envName)
        throw error
      }
    },

    async finish(id, outcome) {
      await db
        .updateTable('environment_builds')
        .set({ ended_at: outcome.endedAt, ok: outcome.ok, error: outcome.error })
        .where('id', '=', id)
        .where('ended_at', 'is', null)
        .execute()
    },

    async findById(id) {
      const row = await db.selectFrom('environment_builds').selectAll().where('id', '=', id).executeTakeFirst()
      return row && toBuild(row)
    },

    async latestByName(names) {
      if (names !== undefined && names.length === 0) return new Map()
      let newest = db
        .selectFrom('environment_builds')
        .select((eb) => eb.fn.max('id').as('id'))
        .groupBy('env_name')
      if (names !== undefined) newest = newest.where('env_name', 'in', [...names])
      const rows = await db.selectFrom('environment_builds').selectAll().where('id', 'in', newest).execute()
      return new Map(rows.map((r) => [r.env_name, toBuild(r)]))
    },

    async listInProgress() {
      const rows = await db.selectFrom('environment_builds').selectAll().where('ended_at', 'is', null).orderBy('id').execute()
      return rows.map(toBuild)
    },

    async listForName(envName, limit) {
      const rows = await db.selectFrom('environment_builds').selectAll().where('env_name', '=', envName).orderBy('id', 'desc').limit(limit).execute()
      return rows.map(toBuild)
    },

    async rename(oldName, newName) {
      const result = await db.updateTable('environment_builds').set({ env_name: newName }).where('env_name', '=', oldName).executeTakeFirst()
      return Number(result.numUpdatedRows)
    },
  }
}
