/**
 * The throughput figure's HTTP client, in a process of its own (issue 10, target 2): the server's
 * CPU per run is read from /proc for the scenario process and its descendants, and a client in the
 * same process would be counted as the server's. Forked by runLoad(); it reports its own CPU over
 * the requests so the scenario can take it off its children's.
 *
 * IPC: parent → { url, authorization, mode, count, concurrency, prefix, taskIds } → child →
 * { ok: true, ms, latencies, cpuMs, taskIds } or { ok: false, error }.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { HttpClient, createTask } from './http.ts'

export interface LoadRequest {
  url: string
  authorization: string
  /** 'create': POST /api/tasks `count` times; 'trigger': POST /api/tasks/:id/trigger once per taskIds entry. */
  mode: 'create' | 'trigger'
  count: number
  concurrency: number
  /** Task name prefix ('create'). */
  prefix: string
  command: string
  taskIds: number[]
}

export interface LoadResult {
  /** From the first request sent to the last response. */
  ms: number
  latencies: number[]
  /** This process's user + system CPU during the requests, ms. */
  cpuMs: number
  /** The tasks created ('create') or triggered ('trigger'), in order. */
  taskIds: number[]
}

/** A started client, waiting; go() sends the requests and resolves with what it measured. */
export interface LoadClient {
  go(request: LoadRequest): Promise<LoadResult>
  close(): void
}

const SELF = fileURLToPath(import.meta.url)

export async function startLoadClient(): Promise<LoadClient> {
  const child = fork(SELF, ['--child'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`the load client exited before it was ready (${code})`)))
  })
  return {
    go(request) {
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null): void => reject(new Error(`the load client exited (${code})`))
        child.once('exit', onExit)
        child.once('message', (message: { ok: true; result: LoadResult } | { ok: false; error: string }) => {
          child.off('exit', onExit)
          if (message.ok) resolve(message.result)
          else reject(new Error(`load client: ${message.error}`))
        })
        child.send(request)
      })
    },
    close() {
      if (child.connected) child.disconnect()
    },
  }
}

async function serve(request: LoadRequest): Promise<LoadResult> {
  const client = new HttpClient(request.url)
  client.setAuthorization(request.authorization)
  const latencies: number[] = []
  const ids: number[] = []
  let next = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: request.concurrency }, async () => {
      while (next < request.count) {
        const i = next++
        const s = performance.now()
        if (request.mode === 'create') {
          ids[i] = await createTask(client, { task_name: `${request.prefix}-${i}`, command: request.command })
        } else {
          const id = request.taskIds[i] as number
          await client.json('POST', `/api/tasks/${id}/trigger`, 200)
          ids[i] = id
        }
        latencies.push(performance.now() - s)
      }
    }),
  )
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  client.close()
  return { ms, latencies, cpuMs: (cpu.user + cpu.system) / 1000, taskIds: ids }
}

if (process.argv[2] === '--child' && process.send) {
  process.on('message', (request: LoadRequest) => {
    serve(request).then(
      (result) => process.send?.({ ok: true, result }),
      (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    )
  })
  process.on('disconnect', () => process.exit(0))
  process.send({ ready: true })
}
