/**
 * The messages between the server and its runner process (runner-executor.ts ⇄ runner-main.ts),
 * sent over the Node IPC channel (JSON serialization). Every message names its run by `id`: a
 * number the server's executor gives each start() call, not spec.runId, which a caller may reuse
 * (tests start every run as runId 1; a retried run may be started again with the same runId).
 */
import type { RunEvent, RunSpec } from '../executor.ts'

/** Server → runner. Each one is the RunHandle method of the same name, applied in the runner. */
export type ToRunner =
  | { type: 'start'; id: number; spec: RunSpec }
  | { type: 'pause'; id: number }
  | { type: 'resume'; id: number }
  | { type: 'stop'; id: number }
  | { type: 'input'; id: number; text: string }
  | { type: 'close-input'; id: number }

/**
 * Runner → server. 'ready' once the runner listens (messages sent earlier could be lost while its
 * ES module graph loads, so the server holds them until then); 'event' carries a RunEvent as the
 * local executor emitted it. No separate 'stopped' reply exists: a stop is complete when the run's
 * 'exited' event arrives, which the local executor emits before its stop() resolves.
 */
export type FromRunner = { type: 'ready'; pid: number } | { type: 'event'; id: number; event: RunEvent }

/** What the server tells the runner at fork (its argv[2], JSON): the containment it detected and the installation key. */
export interface RunnerSettings {
  containment: 'cgroup2' | 'cgroup1' | 'none'
  key: string
}

/** What the runner reports as the spawn error of runs it had when it died. */
export const RUNNER_DIED = 'the runner process died'
/** The lostReason of runs that had started when the runner died (their processes are killed). */
export const RUNNER_LOST_RUN = 'The runner process that started this run died; the run was ended and its processes were killed'
