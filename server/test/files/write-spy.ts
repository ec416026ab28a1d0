/**
 * Counts the bytes really handed to write(2) for each file opened under a directory, by wrapping
 * the `node:fs` callbacks that write streams call (`open`, `write`, `writev`, `close`). The real
 * calls still happen; only their sizes are recorded. A test that claims "never wrote past the
 * cap" asserts on these counts, which a file deleted afterwards cannot hide.
 */
import fs from 'node:fs'
import path from 'node:path'

export interface WriteSpy {
  /** Bytes written to each file under the directory, by path, whether or not it still exists. */
  readonly bytesByPath: ReadonlyMap<string, number>
  /** The largest count of any one file (0 when nothing was written). */
  maxBytes(): number
  restore(): void
}

type Callback = (...args: unknown[]) => void

/**
 * Starts counting writes to files opened under `dir` from now; call restore() when done.
 * `onWrite` runs after each counted write has completed, so a test can feed a stream in step
 * with the disk (the next chunk only once the previous one is really written).
 */
export function spyOnWrites(dir: string, options: { onWrite?(file: string, total: number): void } = {}): WriteSpy {
  const root = path.resolve(dir) + path.sep
  const original = { open: fs.open, write: fs.write, writev: fs.writev, close: fs.close }
  const pathOfFd = new Map<number, string>()
  const bytesByPath = new Map<string, number>()
  /** Counts the write and returns the callback to pass on, which reports it once done. */
  const add = (fd: number, n: number, args: unknown[]) => {
    const p = pathOfFd.get(fd)
    if (p === undefined) return
    bytesByPath.set(p, (bytesByPath.get(p) ?? 0) + n)
    const cb = args.at(-1)
    if (options.onWrite && typeof cb === 'function') {
      args[args.length - 1] = (...result: unknown[]) => {
        ;(cb as Callback)(...result)
        options.onWrite!(p, bytesByPath.get(p)!)
      }
    }
  }
  const patched = fs as unknown as Record<keyof typeof original, (...args: unknown[]) => unknown>

  patched.open = function (this: unknown, ...args: unknown[]) {
    const file = args[0]
    const cb = args.at(-1) as Callback
    if (typeof file === 'string' && path.resolve(file).startsWith(root) && typeof cb === 'function') {
      args[args.length - 1] = (err: unknown, fd: number) => {
        if (!err) {
          pathOfFd.set(fd, path.resolve(file))
          bytesByPath.set(path.resolve(file), bytesByPath.get(path.resolve(file)) ?? 0)
        }
        cb(err, fd)
      }
    }
    return (original.open as (...a: unknown[]) => unknown).apply(this, args)
  }
  patched.write = function (this: unknown, ...args: unknown[]) {
    const [fd, data, offsetOrOptions, length] = args as [number, unknown, unknown, unknown]
    if (typeof length === 'number' && typeof offsetOrOptions === 'number') add(fd, length, args)
    else if (typeof data === 'string') add(fd, Buffer.byteLength(data), args)
    else if (ArrayBuffer.isView(data)) add(fd, data.byteLength, args)
    return (original.write as (...a: unknown[]) => unknown).apply(this, args)
  }
  patched.writev = function (this: unknown, ...args: unknown[]) {
    const [fd, buffers] = args as [number, ArrayBufferView[]]
    add(
      fd,
      buffers.reduce((sum, b) => sum + b.byteLength, 0),
      args,
    )
    return (original.writev as (...a: unknown[]) => unknown).apply(this, args)
  }
  patched.close = function (this: unknown, ...args: unknown[]) {
    pathOfFd.delete(args[0] as number)
    return (original.close as (...a: unknown[]) => unknown).apply(this, args)
  }

  return {
    bytesByPath,
    maxBytes: () => Math.max(0, ...bytesByPath.values()),
    restore() {
      Object.assign(fs, original)
    },
  }
}
