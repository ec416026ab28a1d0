import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { can, isRole, ROLES, type Role, type TaskPermission } from '../../src/domain/user.ts'

const ME = 7
/** The columns of each row below, in order. */
const TASKS = [null, { ownerId: ME }, { ownerId: ME + 1 }, { ownerId: null }] as const
const ACTIONS: TaskPermission[] = ['read', 'create', 'trigger', 'stop', 'pause', 'resume', 'delete', 'update']

type Row = readonly [noTask: boolean, own: boolean, someoneElses: boolean, ownerless: boolean]

function tableFor(role: Role): Record<TaskPermission, Row> {
  const rowFor = (action: TaskPermission) => TASKS.map((task) => can({ id: ME, role }, action, task)) as unknown as Row
  return Object.fromEntries(ACTIONS.map((action) => [action, rowFor(action)])) as Record<TaskPermission, Row>
}

const ALL: Row = [true, true, true, true]
const NONE: Row = [false, false, false, false]
const OWN: Row = [false, true, false, false]

describe('can: the permission table (no task / own / someone else’s / ownerless)', () => {
  it('lets an admin do everything to every task', () => {
    assert.deepEqual(tableFor('admin'), {
      read: ALL,
      create: ALL,
      trigger: ALL,
      stop: ALL,
      pause: ALL,
      resume: ALL,
      delete: ALL,
      update: ALL,
    })
  })

  it('lets an operator read all, create, and control only the tasks it owns', () => {
    assert.deepEqual(tableFor('operator'), {
      read: ALL,
      create: ALL,
      trigger: OWN,
      stop: OWN,
      pause: OWN,
      resume: OWN,
      delete: OWN,
      update: OWN,
    })
  })

  it('lets a viewer read every task and nothing more', () => {
    assert.deepEqual(tableFor('viewer'), {
      read: ALL,
      create: NONE,
      trigger: NONE,
      stop: NONE,
      pause: NONE,
      resume: NONE,
      delete: NONE,
      update: NONE,
    })
  })

  it('never takes a null owner for a match, even for a user whose id could be confused with it', () => {
    assert.equal(can({ id: 0, role: 'operator' }, 'stop', { ownerId: null }), false)
    assert.equal(can({ id: 0, role: 'operator' }, 'stop', { ownerId: 0 }), true)
  })
})

describe('isRole', () => {
  it('accepts exactly the three role words', () => {
    assert.deepEqual(ROLES, ['admin', 'operator', 'viewer'])
    assert.deepEqual(['admin', 'operator', 'viewer'].map(isRole), [true, true, true])
    assert.deepEqual(['Admin', 'root', '', null, 1, undefined].map(isRole), [false, false, false, false, false, false])
  })
})
