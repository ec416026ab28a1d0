/** The OS accounts runs execute as (issue 6). Types only: looking accounts up is I/O, done in lib/. */

/** An OS account a task's runs may get (issue 6). */
export interface RunAccount {
  /** The user name, or uid:gid when the ids have no name. */
  name: string
  uid: number
  gid: number
}

/** The accounts runs can be given: another one only when the server is root. */
export interface RunAccounts {
  /** False when the server is not root: runs then always get the server's own account. */
  readonly canSwitch: boolean
  /** The account a `run_as` value (user name or uid:gid) names; null when there is no such user. */
  resolve(spec: string): Promise<RunAccount | null>
}

/** TASKYARD_RUN_AS as configured: which account runs get when the server is root (worker/resolve-run-account.ts decides). */
export type RunAsSetting = { kind: 'default' } | { kind: 'server' } | { kind: 'user'; name: string } | { kind: 'ids'; uid: number; gid: number }
