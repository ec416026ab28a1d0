/**
 * The runner: a small Node process the server forks once (runner-executor.ts) to start run
 * processes in. fork() costs more the bigger the calling process is and blocks its event loop,
 * so the server (≈130 MB) hands every spawn to this process (≈50 MB), which imports nothing but
 * the local executor and runs each RunSpec exactly as the server itself would.
 *
 * Lifetime: it ends as soon as its IPC channel closes — the server closed it or died. It then
 * leaves the run processes alone: each run is a session of its own and outlives it, and the
 * server's start-up recovery ends what a dead server left behind (as after a server crash).
 * SIGINT, SIGTERM and SIGHUP are ignored: a terminal's Ctrl-C or a service manager's SIGTERM
 * reaches the whole process group, and the server's clean shutdown still needs the runner to
 * stop its runs; the runner leaves once the server is done (or gone).
 */
import type { RunHandle } from '../executor.ts'
import { createLocalExecutor } from '../local/local-executor.ts'
import type { FromRunner, RunnerSettings, ToRunner } from './protocol.ts'

if (!process.send) {
  console.error('runner-main.ts is started by the server (runner-executor.ts) with an IPC channel')
  process.exit(2)
}

const settings = JSON.parse(process.argv[2] ?? '{}') as RunnerSettings
const executor = createLocalExecutor({ containment: settings.containment, key: settings.key })
const runs = new Map<number, RunHandle>()

function send(message: FromRunner): void {
  if (!process.connected) return
  // A failed send means the server is gone; 'disconnect' ends this process.
  process.send?.(message, undefined, undefined, () => {})
}

function onMessage(message: ToRunner): void {
  if (message.type === 'start') {
    const { id } = message
    const handle = executor.start(message.spec, (event) => {
      if (event.type === 'exited') runs.delete(id)
      send({ type: 'event', id, event })
    })
    // The local executor never emits from inside start(), so 'exited' cannot come before this.
    runs.set(id, handle)
    return
  }
  const handle = runs.get(message.id)
  if (!handle) return // over already: the same no-op the local executor makes
  switch (message.type) {
    case 'pause':
      handle.pause()
      break
    case 'resume':
      handle.resume()
      break
    case 'stop':
      void handle.stop()
      break
    case 'input':
      handle.writeInput(message.text)
      break
    case 'close-input':
      handle.closeInput()
      break
  }
}

process.on('message', (message) => onMessage(message as ToRunner))
process.on('disconnect', () => process.exit(0))
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {})
send({ type: 'ready', pid: process.pid })
