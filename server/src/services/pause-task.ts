import type { Actor } from './auth/record-audit.ts'
import type { ServiceDeps } from './deps.ts'
import { inTaskAction } from './task-action.ts'
import type { TaskTransition } from './trigger-task.ts'

/**
 * spec 000 pause: a running task's process group is suspended (SIGSTOP), not ended; a scheduled
 * task leaves the schedule but keeps its schedule settings and next time for resume. The audit
 * entry is written first in the transaction: a refused entry leaves the process running.
 */
export async function pauseTask(deps: ServiceDeps, actor: Actor, taskId: number, reason: string | null = null): Promise<TaskTransition> {
  const result = await inTaskAction(
    deps,
    actor,
    'pause',
    taskId,
    'find',
    async (tx, task) => {
      let requested = false
      // Every live run: a queue / allow task may have several (issue 8).
      for (const active of await tx.runs.listActiveForTask(taskId)) {
        // Suspend before committing: if the signal cannot be sent the task is left as it was.
        // Issue 8: a run another server supervises is asked to pause (that server applies it).
        if (active.status === 'running' && !deps.runControl.pause(active.id) && active.workerId != null) {
          if ((await tx.runs.requestAction(active.id, 'pause', ['running'])) != null) requested = true
        }
        // spec 003: the reason and who gave it stay on the run (a pause without one clears the last).
        await tx.runs.update(active.id, { status: 'paused', pauseReason: reason, pausedBy: actor.user?.username ?? null })
      }
      const updated = await tx.tasks.update(taskId, { status: 'paused', updatedAt: deps.clock.now() })
      return { task: updated!, previousStatus: task.status, ...(requested ? { requested: true as const } : {}) }
    },
    reason === null ? null : { reason },
  )
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return result
}
