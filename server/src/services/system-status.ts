import { setTimeout as sleep } from 'node:timers/promises'
import { cpuCount, diskUsage, hostUptimeSeconds, loadAverage, processGroupUsage, type DiskUsage, type ProcessUsage } from '../lib/host-usage.ts'
import { cpuSampler, systemMemory } from '../lib/system-memory.ts'
import type { ServiceDeps } from './deps.ts'

/** CPU is measured over this window: long enough for a stable figure, short enough for a page refresh. */
export const SAMPLE_WINDOW_MS = 250

export interface SystemStatus {
  cpuPercent: number
  cpuCount: number
  loadAverage: [number, number, number]
  memory: { usedBytes: number; totalBytes: number }
  disk: DiskUsage
  uptimeSeconds: number
  serverUptimeSeconds: number
}

/** The host as the system monitor page shows it (spec 004): CPU, load, memory, the data directory's disk. */
export async function systemStatus(deps: Pick<ServiceDeps, 'paths'>, processUptimeSeconds: number): Promise<SystemStatus> {
  const cpu = cpuSampler()
  await sleep(SAMPLE_WINDOW_MS)
  return {
    cpuPercent: cpu(),
    cpuCount: cpuCount(),
    loadAverage: loadAverage(),
    memory: systemMemory(),
    disk: await diskUsage(deps.paths.root),
    uptimeSeconds: hostUptimeSeconds(),
    serverUptimeSeconds: Math.round(processUptimeSeconds),
  }
}

export interface TaskProcess extends ProcessUsage {
  taskId: number
  taskName: string
  runId: number
  runStatus: string
}

/**
 * The processes of every running or paused run: each run's process group (the executor makes the
 * run's first process a group leader, so its pid is the group id).
 */
export async function taskProcesses(deps: Pick<ServiceDeps, 'store'>): Promise<TaskProcess[]> {
  const runs = (await deps.store.runs.listActive()).filter((r) => r.pid !== null && (r.status === 'running' || r.status === 'paused'))
  if (runs.length === 0) return []
  const byGroup = new Map(runs.map((r) => [r.pid!, r]))
  const names = new Map<number, string>()
  for (const r of runs) {
    if (!names.has(r.taskId)) names.set(r.taskId, (await deps.store.tasks.findById(r.taskId))?.name ?? '')
  }
  const usage = await processGroupUsage([...byGroup.keys()], SAMPLE_WINDOW_MS, (ms) => sleep(ms))
  return usage.flatMap((p) => {
    const run = byGroup.get(p.pgrp)
    return run ? [{ ...p, taskId: run.taskId, taskName: names.get(run.taskId) ?? '', runId: run.id, runStatus: run.status }] : []
  })
}
