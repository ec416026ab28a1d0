/**
 * Sends a signal to every process of a group. Returns false when the group has no member left
 * (ESRCH); true when it exists, even if EPERM kept the signal from some member.
 *
 * kill(-1) would signal every process this user may signal and kill(0) the caller's own group, so
 * anything that is not a plausible pgid is refused here, once, for every caller.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  return isPlausiblePgid(pgid) && send(-pgid, signal)
}

/** Signals one process. Same return convention as signalGroup. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  return isPlausiblePgid(pid) && send(pid, signal)
}

function send(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ESRCH') return false
    if (code === 'EPERM') return true
    throw error
  }
}

/** pid 1 is init; 0 and negatives address groups relative to the caller. */
export function isPlausiblePgid(pgid: number): boolean {
  return Number.isSafeInteger(pgid) && pgid > 1
}
