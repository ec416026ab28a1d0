import { initialNextRunAt } from '../domain/schedule.ts'
import type { TaskPatch } from '../domain/task.ts'
import type { Actor } from './auth/record-audit.ts'
import type { ServiceDeps } from './deps.ts'
import { inTaskAction } from './task-action.ts'
import type { TaskTransition } from './trigger-task.ts'

/**
 * spec 000 resume: "恢复后任务状态将变为running，任务线程将继续执行；如果任务是定时任务，将同时恢复其调度".
 * The task is 'running' afterwards, always: a suspended process continues (SIGCONT); a task
 * paused while it waited (a delay not yet due, a cron slot, nothing pending) runs now. A cron
 * task also goes back on its schedule, from now; a delayed task's pending run is this one.
 * The task row is locked first, so parallel resumes take turns: one run, the rest refused. The
 * audit entry is written first in the transaction: a refused entry leaves the process suspended.
 */
export async function resumeTask(deps: ServiceDeps, actor: Actor, taskId: number, reason: string | null = null): Promise<TaskTransition> {
  const result = await inTaskAction(
    deps,
    actor,
    'resume',
    taskId,
    'lock',
    async (tx, task) => {
      const now = deps.clock.now()
      const given = { resumeReason: reason, resumedBy: actor.user?.username ?? null }
      // Every live run: a queue / allow task may have several (issue 8); queued ones wait on.
      const actives = await tx.runs.listActiveForTask(taskId)
      let patch: TaskPatch
      let requested = false
      if (actives.length > 0) {
        for (const active of actives) {
          if (active.status !== 'paused') continue
          const live = deps.runControl.resume(active.id)
          // Issue 8: a run paused on another server (it was claimed: it has a worker) is resumed by
          // that server; one paused while it waited is queued again.
          const asked = !live && active.workerId != null && (await tx.runs.requestAction(active.id, 'resume', ['paused'])) != null
          if (asked) requested = true
          await tx.runs.update(active.id, { status: live || asked ? 'running' : 'queued', ...given })
        }
        patch = { status: 'running' }
      } else {
        // The run this resume queues carries its reason.
        const run = await tx.runs.insert({ taskId, priority: task.priority, trigger: 'resume', queuedAt: now })
        await tx.runs.update(run.id, given)
        patch = { status: 'running', nextRunAt: task.cronExpression ? initialNextRunAt(task, now, task.timeZone ?? deps.settings.timeZone) : null }
      }
      const updated = await tx.tasks.update(taskId, { ...patch, updatedAt: now })
      return { task: updated!, previousStatus: task.status, ...(requested ? { requested: true as const } : {}) }
    },
    reason === null ? null : { reason },
  )
  deps.runControl.wake()
  deps.wakeScheduler()
  deps.bus.emit('task:changed', { taskId })
  return result
}
