import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { chmod, link, mkdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { createTestApp, type TestApp } from '../helpers/test-app.ts'
import { testDialects, type TestDialect } from '../helpers/test-dialects.ts'
import { zipFiles } from '../helpers/zip.ts'

const BINARY = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x10])
const refused = (error: string) => ({ status: 400, body: { success: false, message: 'Invalid file path', error } })

/** A ZIP task, then what the task itself could plant in its own directory: links out, a FIFO, a hard link. */
async function taskWithHostileFiles(t: TestContext, dialect: TestDialect): Promise<{ app: TestApp; id: number; dir: string }> {
  const app = await createTestApp(t, { dialect })
  const zip = await zipFiles({ 'main.py': 'print("hi")\n', 'lib/util.py': 'X = "ü"\n', 'data.bin': BINARY, 'empty/': '' })
  const created = await app.createTask(
    { conda_env: 'base', task_name: 'files', command: 'python main.py', delay_seconds: '3600' },
    { name: 'job.zip', content: zip },
  )
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const id = created.body.task.task_id as number
  const dir = path.join(app.dataDir, 'tasks', String(id))
  await symlink(path.join(app.dataDir, 'taskyard.db'), path.join(dir, 'db-link'))
  await symlink('/', path.join(dir, 'root-link'))
  execFileSync('mkfifo', [path.join(dir, 'pipe.py')])
  await writeFile(path.join(app.dataDir, 'secret.txt'), 'server secret\n')
  await link(path.join(app.dataDir, 'secret.txt'), path.join(dir, 'hard.txt'))
  await chmod(path.join(dir, 'main.py'), 0o755)
  await mkdir(path.join(dir, 'big'))
  await writeFile(path.join(dir, 'big', 'huge.txt'), Buffer.alloc(1024 * 1024 + 1, 0x61))
  return { app, id, dir }
}

for (const dialect of testDialects()) {
  describe(`${dialect.name}: the script editor's file routes (issue 11)`, () => {
    it('lists every entry sorted by path with its size and execute bit, links as symlink and never followed, for any logged-in user', async (t) => {
      const { app, id } = await taskWithHostileFiles(t, dialect)
      const viewer = await app.addUser('vera', 'viewer')
      const res = await app.jsonAs({ cookie: viewer.cookie }, `/api/tasks/${id}/files`)
      assert.deepEqual(res, {
        status: 200,
        body: {
          success: true,
          task_id: id,
          files: [
            { path: 'big', type: 'directory', size: 0, executable: false },
            { path: 'big/huge.txt', type: 'file', size: 1024 * 1024 + 1, executable: false },
            { path: 'data.bin', type: 'file', size: BINARY.length, executable: false },
            { path: 'db-link', type: 'symlink', size: 0, executable: false },
            { path: 'empty', type: 'directory', size: 0, executable: false },
            { path: 'hard.txt', type: 'file', size: 14, executable: false },
            { path: 'lib', type: 'directory', size: 0, executable: false },
            { path: 'lib/util.py', type: 'file', size: Buffer.byteLength('X = "ü"\n'), executable: false },
            { path: 'main.py', type: 'file', size: 12, executable: true },
            { path: 'pipe.py', type: 'other', size: 0, executable: false },
            { path: 'root-link', type: 'symlink', size: 0, executable: false },
          ],
          truncated: false,
        },
      })
    })

    it('reads UTF-8 text as it is and anything else as base64', async (t) => {
      const { app, id } = await taskWithHostileFiles(t, dialect)
      assert.deepEqual(await app.json(`/api/tasks/${id}/files/content?path=lib/util.py`), {
        status: 200,
        body: { success: true, task_id: id, path: 'lib/util.py', size: 9, encoding: 'utf-8', content: 'X = "ü"\n' },
      })
      assert.deepEqual(await app.json(`/api/tasks/${id}/files/content?path=data.bin`), {
        status: 200,
        body: { success: true, task_id: id, path: 'data.bin', size: BINARY.length, encoding: 'base64', content: BINARY.toString('base64') },
      })
    })

    it("refuses '..', absolute paths, NUL, symlinks on the way, FIFOs, hard links, folders, missing and oversized files, and answers in the house style", async (t) => {
      const { app, id } = await taskWithHostileFiles(t, dialect)
      const read = (p: string) => app.json(`/api/tasks/${id}/files/content?path=${encodeURIComponent(p)}`)
      const dots = (p: string) => refused(`path must name files inside the task directory without '.', '..' or empty segments: ${p}`)
      assert.deepEqual(await read('..'), dots('..'))
      assert.deepEqual(await read('../../taskyard.db'), dots('../../taskyard.db'))
      assert.deepEqual(await read('lib/../main.py'), dots('lib/../main.py'))
      assert.deepEqual(await read('./main.py'), dots('./main.py'))
      assert.deepEqual(await read('lib//util.py'), dots('lib//util.py'))
      assert.deepEqual(await read('/etc/passwd'), refused('path must be relative to the task directory'))
      assert.deepEqual(await read('main.py\0.txt'), refused('path contains a NUL byte'))
      assert.deepEqual(await read(''), refused('path is empty'))
      assert.deepEqual(await read('db-link'), refused('a symbolic link is never followed: db-link'))
      assert.deepEqual(await read('root-link/etc/passwd'), refused('a symbolic link is never followed: root-link/etc/passwd'))
      // Opened without blocking, then refused: a FIFO never hangs the request.
      assert.deepEqual(await read('pipe.py'), refused('not a regular file: pipe.py'))
      assert.deepEqual(await read('hard.txt'), refused('a file with more than one hard link is not read: hard.txt'))
      assert.deepEqual(await read('lib'), refused('not a regular file: lib'))
      assert.deepEqual(await read('nope.py'), refused('no such file in the task directory: nope.py'))
      assert.deepEqual(await read('main.py/x'), refused('no such file in the task directory: main.py/x'))
      assert.deepEqual(await read('big/huge.txt'), refused(`file is ${1024 * 1024 + 1} bytes; the editor opens files up to ${1024 * 1024} bytes: big/huge.txt`))
      const missingQuery = await app.json(`/api/tasks/${id}/files/content`)
      assert.equal(missingQuery.status, 400)
      assert.equal(missingQuery.body.message, 'Invalid request')
    })

    it("answers an unknown task with spec 000's 404, and nobody without credentials", async (t) => {
      const app = await createTestApp(t, { dialect })
      const notFound = { status: 404, body: { success: false, message: 'Task with ID 99 not found' } }
      assert.deepEqual(await app.json('/api/tasks/99/files'), notFound)
      assert.deepEqual(await app.json('/api/tasks/99/files/content?path=main.py'), notFound)
      assert.deepEqual(await app.json('/api/tasks/01/files'), { status: 404, body: { success: false, message: 'Task with ID 01 not found' } })
      const created = await app.createTask({ conda_env: 'base', task_name: 'one', delay_seconds: '3600' })
      const id = created.body.task.task_id as number
      assert.equal((await app.jsonAs(null, `/api/tasks/${id}/files`)).status, 401)
      assert.equal((await app.jsonAs(null, `/api/tasks/${id}/files/content?path=job.py`)).status, 401)
    })

    it('shows what update-script saved: the editor saves a file and reads it back', async (t) => {
      const app = await createTestApp(t, { dialect })
      const created = await app.createTask({ conda_env: 'base', task_name: 'edit me', delay_seconds: '3600' })
      const id = created.body.task.task_id as number
      const form = new FormData()
      form.set('script_file', new Blob(['print("edited")\n']), 'job.py')
      form.set('force', 'true')
      const saved = await app.json(`/api/tasks/${id}/update-script`, { method: 'POST', body: form })
      assert.equal(saved.status, 200, JSON.stringify(saved.body))
      assert.deepEqual((await app.json(`/api/tasks/${id}/files`)).body.files, [{ path: 'job.py', type: 'file', size: 16, executable: false }])
      assert.equal((await app.json(`/api/tasks/${id}/files/content?path=job.py`)).body.content, 'print("edited")\n')
    })
  })
}
