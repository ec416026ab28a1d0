/** The real CLI started as a child process, for tests that need `taskyard serve` itself. */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'

export const CLI = path.resolve(import.meta.dirname, '../../bin/taskyard.js')

export interface CliServer {
  child: ChildProcess
  url: string
  /** What it printed on stdout up to and with the line naming its URL. */
  out: string
  /** Sends SIGTERM unless it has exited, and waits for the exit. */
  stop(): Promise<void>
}

export interface CliServerOptions {
  dataDir: string
  /** The whole environment of the child: nothing of the test's is passed unless given here. */
  env: NodeJS.ProcessEnv
  /** More arguments after `serve --port 0 --data-dir <dir>`. */
  args?: readonly string[]
  /** A command that runs the CLI for it, such as `setpriv` with its own arguments before node's. */
  wrapper?: readonly [string, ...string[]]
}

/** Starts `taskyard serve` on a free port and waits for the line that prints its URL. */
export async function startCliServer(options: CliServerOptions): Promise<CliServer> {
  const argv = [process.execPath, CLI, 'serve', '--port', '0', '--data-dir', options.dataDir, ...(options.args ?? [])]
  const [command, ...rest] = options.wrapper ? [...options.wrapper, ...argv] : argv
  const child = spawn(command!, rest, { env: options.env, stdio: ['ignore', 'pipe', 'inherit'] })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  }
  let out = ''
  for await (const chunk of child.stdout!) {
    out += String(chunk)
    const m = /Taskyard is running at (http:\/\/\S+)/.exec(out)
    if (m) return { child, url: m[1]!, out, stop }
  }
  throw new Error(`taskyard exited before printing its URL: ${out}`)
}
