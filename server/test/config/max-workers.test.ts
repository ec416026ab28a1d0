import assert from 'node:assert/strict'
import os from 'node:os'
import { describe, it } from 'node:test'
import { loadConfig } from '../../src/config/config.ts'

const maxWorkers = (env: Record<string, string>): number | null => loadConfig({}, env, '/tmp').maxWorkers

describe('config: TASKYARD_MAX_WORKERS (issue 8)', () => {
  it('defaults to the number of CPU cores; 0 means no limit', () => {
    assert.equal(maxWorkers({}), os.availableParallelism())
    assert.equal(maxWorkers({ TASKYARD_MAX_WORKERS: '0' }), null)
    assert.equal(maxWorkers({ TASKYARD_MAX_WORKERS: '7' }), 7)
  })

  it('reads TASKYARD_MAX_CONCURRENT_RUNS when TASKYARD_MAX_WORKERS is unset; the new name wins when both are set', () => {
    assert.equal(maxWorkers({ TASKYARD_MAX_CONCURRENT_RUNS: '3' }), 3)
    assert.equal(maxWorkers({ TASKYARD_MAX_CONCURRENT_RUNS: '0' }), null)
    assert.equal(maxWorkers({ TASKYARD_MAX_CONCURRENT_RUNS: '3', TASKYARD_MAX_WORKERS: '5' }), 5)
  })

  it('refuses what is not a whole number ≥ 0, naming the variable', () => {
    assert.throws(() => maxWorkers({ TASKYARD_MAX_WORKERS: 'many' }), /TASKYARD_MAX_WORKERS must be an integer ≥ 0, got 'many'/)
    assert.throws(() => maxWorkers({ TASKYARD_MAX_CONCURRENT_RUNS: '-1' }), /TASKYARD_MAX_CONCURRENT_RUNS must be an integer ≥ 0/)
  })
})
