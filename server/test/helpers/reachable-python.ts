import { existsSync } from 'node:fs'

/**
 * An interpreter every account can execute: the reach tests are about the data directory, and a
 * host whose default python3 lives under /root (pyenv) would fail them for another reason.
 */
export const REACHABLE_PYTHON: Record<string, string> = existsSync('/usr/bin/python3') ? { TASKYARD_PYTHON: '/usr/bin/python3' } : {}
