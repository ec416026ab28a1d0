import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { NewServer } from '../../src/domain/server.ts'
import { testDialects } from '../helpers/test-dialects.ts'
import { newTask, openTestStore, T0 } from './store-fixtures.ts'

function newServer(overrides: Partial<NewServer> = {}): NewServer {
  return {
    name: 'db-1',
    host: '10.0.0.5',
    port: 22,
    username: 'deploy',
    authMethod: 'key',
    labels: ['prod', 'db'],
    description: 'primary database',
    hostKeyFingerprint: null,
    offeredHostKeyFingerprint: null,
    operatorIds: [7],
    createdBy: 1,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: servers`, { skip: dialect.skip }, () => {
    it('inserts a server and reads it back whole, without its sealed secret; the secret only by findSealedSecret', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const server = await store.servers.insert(newServer(), 'v1.sealed')
      assert.deepEqual(server, { id: 1, ...newServer() })
      assert.deepEqual(await store.servers.findById(1), server)
      assert.deepEqual(await store.servers.list(), [server])
      assert.equal(await store.servers.findSealedSecret(1), 'v1.sealed')
      assert.equal(await store.servers.findById(2), undefined)
      assert.equal(await store.servers.findSealedSecret(2), undefined)
    })

    it('refuses a second server of the same name with server_exists, on insert and on rename', async (t) => {
      const { store } = await openTestStore(t, dialect)
      await store.servers.insert(newServer(), 's')
      await assert.rejects(store.servers.insert(newServer(), 's'), { code: 'server_exists' })
      const other = await store.servers.insert(newServer({ name: 'web-1' }), 's')
      await assert.rejects(store.servers.update(other.id, { name: 'db-1' }), { code: 'server_exists' })
      assert.deepEqual(
        (await store.servers.list()).map((s) => s.name),
        ['db-1', 'web-1'],
      )
    })

    it('updates only the fields of the patch, and the secret when one is given', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const server = await store.servers.insert(newServer(), 'old')
      const updated = await store.servers.update(server.id, { labels: ['stage'], operatorIds: [], updatedAt: T0 + 5 })
      assert.deepEqual(updated, { ...server, labels: ['stage'], operatorIds: [], updatedAt: T0 + 5 })
      assert.equal(await store.servers.findSealedSecret(server.id), 'old')
      await store.servers.update(server.id, { authMethod: 'password' }, 'new')
      assert.equal(await store.servers.findSealedSecret(server.id), 'new')
      assert.equal(await store.servers.update(99, { name: 'x' }), undefined)
    })

    it('pins a host key only while none is pinned', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const server = await store.servers.insert(newServer({ offeredHostKeyFingerprint: 'SHA256:offered' }), 's')
      const pinned = await store.servers.pinHostKey(server.id, 'SHA256:first', T0 + 1)
      assert.deepEqual(pinned, { ...server, hostKeyFingerprint: 'SHA256:first', offeredHostKeyFingerprint: null, updatedAt: T0 + 1 })
      assert.deepEqual(await store.servers.pinHostKey(server.id, 'SHA256:second', T0 + 2), pinned)
    })

    it('links tasks to a server, lists them, and a deleted server or task takes its links along', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const server = await store.servers.insert(newServer(), 's')
      const a = await store.tasks.insert(newTask({ name: 'a' }))
      const b = await store.tasks.insert(newTask({ name: 'b' }))
      await store.servers.setTaskServer(b.id, server.id)
      await store.servers.setTaskServer(a.id, server.id)
      assert.deepEqual(await store.servers.listTaskIds(server.id), [a.id, b.id])
      assert.equal(await store.servers.findTaskServer(a.id), server.id)
      await store.servers.setTaskServer(a.id, null)
      assert.equal(await store.servers.findTaskServer(a.id), null)
      await store.tasks.delete(b.id)
      assert.deepEqual(await store.servers.listTaskIds(server.id), [])
      await store.servers.setTaskServer(a.id, server.id)
      await assert.rejects(store.servers.setTaskServer(a.id, 999))
      assert.equal(await store.servers.delete(server.id), true)
      assert.equal(await store.servers.findTaskServer(a.id), null)
      assert.equal(await store.servers.delete(server.id), false)
    })

    it('tasks.findForRun reads a task with its server in one go, the same task as findById', async (t) => {
      const { store } = await openTestStore(t, dialect)
      const server = await store.servers.insert(newServer(), 's')
      const local = await store.tasks.insert(newTask({ name: 'local' }))
      const remote = await store.tasks.insert(newTask({ name: 'remote' }))
      await store.servers.setTaskServer(remote.id, server.id)
      assert.deepEqual(await store.tasks.findForRun(local.id), { task: await store.tasks.findById(local.id), serverId: null })
      assert.deepEqual(await store.tasks.findForRun(remote.id), { task: await store.tasks.findById(remote.id), serverId: server.id })
      assert.equal(await store.tasks.findForRun(999), undefined)
      await store.servers.setTaskServer(remote.id, null)
      assert.deepEqual(await store.tasks.findForRun(remote.id), { task: remote, serverId: null })
    })
  })
}
