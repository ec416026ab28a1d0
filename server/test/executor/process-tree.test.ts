import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseProcStat, type ProcEntry } from '../../src/lib/proc-table.ts'
import { selectProcessTree } from '../../src/executor/local/process-tree.ts'
import { createSharedProcTable } from '../../src/executor/local/shared-proc-table.ts'

const entry = (pid: number, ppid: number, pgrp: number, state = 'S'): ProcEntry => ({ pid, ppid, pgrp, state, startTicks: pid * 10 })

describe('parseProcStat', () => {
  it('reads the fields after the last parenthesis, whatever the command name holds', () => {
    const stat = '4242 (my (odd) name) 2) T 4000 4100 4100 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 218452 3133440 361 18446744073709551615'
    assert.deepEqual(parseProcStat(stat), {
      pid: 4242,
      ppid: 4000,
      pgrp: 4100,
      state: 'T',
      startTicks: 218452,
      name: 'my (odd) name) 2',
      cpuTicks: 0,
      rssPages: 361,
    })
  })

  it('adds user and system time, and reads the resident pages (what the process monitor shows)', () => {
    const stat = '77 (python3) R 1 77 77 0 -1 4194304 99 0 0 0 150 25 0 0 20 0 1 0 5000 3133440 2048 18446744073709551615'
    assert.deepEqual(parseProcStat(stat), { pid: 77, ppid: 1, pgrp: 77, state: 'R', startTicks: 5000, name: 'python3', cpuTicks: 175, rssPages: 2048 })
  })

  it('refuses text that is not a stat line', () => {
    assert.equal(parseProcStat(''), null)
    assert.equal(parseProcStat('4242 (sh) S'), null)
  })
})

describe('selectProcessTree', () => {
  it('takes every member of the group and every descendant of a member, in any group', () => {
    const table = [
      entry(1, 0, 1), // init
      entry(100, 1, 100), // the server
      entry(200, 100, 200), // the run's leader
      entry(201, 200, 200), // its child
      entry(202, 1, 200), // an orphan of the run, re-parented to init: found by its group
      entry(300, 201, 300), // a grandchild that called setsid: found by its parent
      entry(301, 300, 300), // and its own child
      entry(400, 100, 400), // another run
    ]
    const pids = selectProcessTree(table, 200)
      .map((e) => e.pid)
      .sort((a, b) => a - b)
    assert.deepEqual(pids, [200, 201, 202, 300, 301])
  })

  it('is empty for a group with no member', () => {
    assert.deepEqual(selectProcessTree([entry(1, 0, 1)], 200), [])
  })
})

describe('createSharedProcTable', () => {
  it('serves one read to callers within maxAgeMs and reads again after', async () => {
    let now = 1_000
    const shared = createSharedProcTable(() => now)
    const first = shared.read(100)
    assert.equal(shared.read(100), first)
    now += 100
    assert.equal(shared.read(100), first)
    now += 1
    const second = shared.read(100)
    assert.notEqual(second, first)
    assert.ok((await second).some((e) => e.pid === process.pid))
  })
})
