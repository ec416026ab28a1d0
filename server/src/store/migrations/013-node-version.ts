/**
 * Issue 9: a task's Node.js version (`node_version`, a major version such as '20'; null = whatever
 * PATH gives its runs). A released migration never changes: a new one follows it.
 */
import type { Kysely, Migration } from 'kysely'

export function nodeVersion(): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('tasks').addColumn('node_version', 'text').execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('tasks').dropColumn('node_version').execute()
    },
  }
}
