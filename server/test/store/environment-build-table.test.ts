import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { NewEnvironmentBuild } from '../../src/domain/environment-build.ts'
import { TaskyardError } from '../../src/domain/errors.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { openTestStore, T0 } from './store-fixtures.ts'

const build = (envName: string, startedAt = T0): NewEnvironmentBuild => ({
  envName,
  action: 'create',
  requirements: 'tyb-alpha\n',
  pythonVersion: '3.11',
  startedAt,
})

for (const dialect of testDialects()) {
  describe(`${dialect.name}: environment builds`, { skip: dialect.skip }, () => {
    it('records a build in progress, then its end; ending it twice keeps the first outcome', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const begun = await store.environmentBuilds.begin(build('proj'))
      assert.deepEqual(begun, { id: begun.id, ...build('proj'), endedAt: null, ok: null, error: null })
      assert.deepEqual(await store.environmentBuilds.listInProgress(), [begun])
      await store.environmentBuilds.finish(begun.id, { endedAt: T0 + 5, ok: false, error: 'No matching distribution found for tyb-nowhere' })
      await store.environmentBuilds.finish(begun.id, { endedAt: T0 + 9, ok: true, error: null })
      assert.deepEqual(await store.environmentBuilds.findById(begun.id), {
        ...begun,
        endedAt: T0 + 5,
        ok: false,
        error: 'No matching distribution found for tyb-nowhere',
      })
      assert.deepEqual(await store.environmentBuilds.listInProgress(), [])
    })

    it('refuses a second build of a name while one is in progress (environment_busy), not of another name', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const first = await store.environmentBuilds.begin(build('proj'))
      await assert.rejects(store.environmentBuilds.begin(build('proj')), (e: unknown) => e instanceof TaskyardError && e.code === 'environment_busy')
      // Two at once: exactly one wins.
      const races = await Promise.allSettled([store.environmentBuilds.begin(build('race')), store.environmentBuilds.begin(build('race'))])
      assert.deepEqual(races.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
      await store.environmentBuilds.begin(build('other'))
      await store.environmentBuilds.finish(first.id, { endedAt: T0 + 1, ok: true, error: null })
      const next = await store.environmentBuilds.begin(build('proj', T0 + 2))
      assert.ok(next.id > first.id)
    })

    it('answers each name’s newest build, and moves the history with a rename', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const a1 = await store.environmentBuilds.begin(build('a'))
      await store.environmentBuilds.finish(a1.id, { endedAt: T0 + 1, ok: true, error: null })
      const a2 = await store.environmentBuilds.begin({ ...build('a', T0 + 2), action: 'install' })
      const b1 = await store.environmentBuilds.begin(build('b'))
      await store.environmentBuilds.finish(b1.id, { endedAt: T0 + 3, ok: false, error: 'x' })
      const all = await store.environmentBuilds.latestByName()
      assert.deepEqual([...all.keys()].sort(), ['a', 'b'])
      assert.equal(all.get('a')?.id, a2.id)
      assert.equal(all.get('b')?.ok, false)
      assert.deepEqual([...(await store.environmentBuilds.latestByName(['b', 'c'])).keys()], ['b'])
      assert.deepEqual(await store.environmentBuilds.latestByName([]), new Map())
      assert.equal(await store.environmentBuilds.rename('a', 'z'), 2)
      assert.deepEqual(
        (await store.environmentBuilds.listForName('z', 10)).map((b) => b.id),
        [a2.id, a1.id],
      )
      assert.deepEqual(await store.environmentBuilds.listForName('a', 10), [])
      assert.deepEqual(
        (await store.environmentBuilds.listForName('z', 1)).map((b) => b.id),
        [a2.id],
      )
    })
  })
}
