import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { TaskStatus } from '../api/models'
import { actionAvailability, ALLOWED_FROM, UPDATE_SCRIPT_FROM } from './task-actions'

const STATUSES: TaskStatus[] = ['scheduled', 'running', 'paused', 'stopped', 'completed', 'failed']

/** The server's table, read from its source: the UI must disable exactly what the server refuses. */
function serverTable(): Record<string, string[]> {
  const file = path.resolve(import.meta.dirname, '../../../server/src/domain/task-actions.ts')
  const src = readFileSync(file, 'utf8')
  const body = /const ALLOWED_FROM[^=]*=\s*\{([\s\S]*?)\n\}/.exec(src)![1]!
  const table: Record<string, string[]> = {}
  for (const m of body.matchAll(/^\s*(\w+):\s*\[([^\]]*)\]/gm)) table[m[1]!] = [...m[2]!.matchAll(/'(\w+)'/g)].map((x) => x[1]!)
  return table
}

describe('which task actions are enabled', () => {
  it('follows the server transition table for every action and status', () => {
    const server = serverTable()
    const pairs: [keyof typeof ALLOWED_FROM, string][] = [
      ['trigger', 'trigger'],
      ['pause', 'pause'],
      ['resume', 'resume'],
      ['stop', 'stop'],
      ['delete', 'delete'],
      ['edit', 'update'],
    ]
    for (const [ui, srv] of pairs) {
      expect(server[srv], srv).toBeDefined()
      expect([...ALLOWED_FROM[ui]].sort(), ui).toEqual([...server[srv]!].sort())
    }
    expect([...UPDATE_SCRIPT_FROM].sort()).toEqual([...server.updateScript!].sort())
  })

  it('says why an action is unavailable: the status, or a read-only role', () => {
    expect(actionAvailability('pause', 'running', 'operator')).toBeNull()
    expect(actionAvailability('resume', 'running', 'admin')).toEqual({ key: 'actions.why.status', values: { status: 'running' } })
    expect(actionAvailability('delete', 'running', 'admin')).toEqual({ key: 'actions.why.status', values: { status: 'running' } })
    expect(actionAvailability('trigger', 'stopped', 'viewer')).toEqual({ key: 'actions.why.role', values: { role: 'viewer' } })
    for (const s of STATUSES) expect(actionAvailability('stop', s, 'admin') === null, s).toBe(['scheduled', 'running', 'paused'].includes(s))
  })
})
