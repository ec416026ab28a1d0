import fs from 'node:fs'

export interface LogResources {
  /** inotify watches this process holds on the file (fs.watch). */
  watches: number
  /** Descriptors this process has open on the file. */
  descriptors: number
  /** Timers keeping the event loop alive (all of them, not only the follower's). */
  timers: number
}

/**
 * What this process holds on a log file, read from /proc/self: fs.watch handles are not
 * persistent and so do not show in getActiveResourcesInfo(), but their inotify watch does show in
 * the fdinfo of libuv's inotify descriptor, by inode.
 */
export function logResources(file: string): LogResources {
  const inode = fs.statSync(file).ino.toString(16)
  const real = fs.realpathSync(file)
  let watches = 0
  let descriptors = 0
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      continue // the descriptor readdir itself used
    }
    if (target === real) descriptors++
    if (target === 'anon_inode:inotify') {
      const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1')
      watches += info.split('\n').filter((line) => line.startsWith('inotify ') && line.includes(` ino:${inode} `)).length
    }
  }
  const timers = process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length
  return { watches, descriptors, timers }
}
