import type { FastifyInstance } from 'fastify'
import { systemStatus, taskProcesses } from '../../services/system-status.ts'
import type { HttpDeps } from '../app.ts'
import * as schemas from '../schemas/system.ts'

const percent = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0)

/** spec 004's system monitor. Every role reads it: the authentication hook is the only gate. */
export function systemRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/api/system', { schema: schemas.systemStatus }, async () => {
    const s = await systemStatus(deps.services, process.uptime())
    return {
      success: true,
      cpu_percent: s.cpuPercent,
      cpu_count: s.cpuCount,
      load_average: s.loadAverage,
      memory: { used_bytes: s.memory.usedBytes, total_bytes: s.memory.totalBytes, percent: percent(s.memory.usedBytes, s.memory.totalBytes) },
      disk: {
        path: s.disk.path,
        used_bytes: s.disk.usedBytes,
        free_bytes: s.disk.freeBytes,
        total_bytes: s.disk.totalBytes,
        percent: percent(s.disk.usedBytes, s.disk.usedBytes + s.disk.freeBytes),
      },
      uptime_seconds: s.uptimeSeconds,
      server_uptime_seconds: s.serverUptimeSeconds,
    }
  })

  app.get('/api/system/processes', { schema: schemas.taskProcesses }, async () => ({
    success: true,
    processes: (await taskProcesses(deps.services)).map((p) => ({
      pid: p.pid,
      ppid: p.ppid,
      pgid: p.pgrp,
      state: p.state,
      name: p.name,
      command: p.command,
      cpu_percent: p.cpuPercent,
      memory_bytes: p.rssBytes,
      task_id: p.taskId,
      task_name: p.taskName,
      execution_id: p.runId,
      execution_status: p.runStatus,
    })),
  }))
}
