/**
 * Counts what the SSH executor asks of its pooled connections while on (bench only, opt-in with
 * TASKYARD_BENCH_TRACE=1): sessions opened (exec channels, SFTP) and commands sent on the control
 * shells, by kind, by wrapping SshPool's methods and the connections' exec.
 */
import { SshPool } from '../../server/src/executor/ssh/ssh-pool.ts'

function kindOf(command: string): string {
  if (command.includes('getconf PAGESIZE')) return 'control: memory sample'
  const signal = /kill -s ([A-Z]+)/.exec(command)?.[1]
  if (signal) return `control: signal/check ${signal}`
  if (command.startsWith('marked()')) return 'control: count alive'
  return `control: ${command.slice(0, 30)}`
}

export function startSshTrace(): { stop(): Map<string, number> } {
  const counts = new Map<string, number>()
  const add = (key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1)
  const proto = SshPool.prototype as unknown as Record<string, (...args: unknown[]) => unknown>
  const saved = { exec: proto.exec!, run: proto.run!, control: proto.control!, sftp: proto.sftp! }
  proto.exec = function (this: unknown, command: unknown) {
    add(typeof command === 'string' ? (command === 'exec /bin/sh' ? 'session: control shell' : 'session: exec (command)') : 'session: exec (run)')
    return saved.exec.call(this, command)
  }
  proto.run = function (this: unknown, command: unknown) {
    add(`own session: ${kindOf(String(command)).replace('control: ', '')}`)
    counts.set('session: exec (command)', (counts.get('session: exec (command)') ?? 0) - 1)
    return saved.run.call(this, command)
  }
  proto.control = function (this: unknown, command: unknown) {
    add(kindOf(String(command)))
    return saved.control.call(this, command)
  }
  proto.sftp = function (this: unknown) {
    add('session: sftp')
    return saved.sftp.call(this)
  }
  return {
    stop() {
      Object.assign(proto, saved)
      return counts
    },
  }
}
