import type { EnvironmentBuild } from '../../domain/environment-build.ts'
import { formatDateTime } from '../../lib/format-time.ts'
import type { EnvironmentStats } from '../../services/environments/environment-stats.ts'
import type { EnvironmentUsage } from '../../services/environments/get-environment.ts'
import type { EnvironmentSummary } from '../../services/environments/list-environments.ts'

/** 000a's disk figures are GB (numbers); three decimals keep a small venv from reading 0. */
export function gigabytes(bytes: number): number {
  return Math.round((bytes / 1024 ** 3) * 1000) / 1000
}

/** Taskyard's optional fields on list and detail. */
function additions(env: EnvironmentSummary): Record<string, unknown> {
  return { kind: env.kind, location: env.location, size_bytes: env.sizeBytes, status: env.status, last_build: presentBuild(env.lastBuild) }
}

/** A build as list, detail and the build log show it; its log is at `log_url`. */
export function presentBuild(build: EnvironmentBuild | null): Record<string, unknown> | null {
  if (build === null) return null
  return {
    id: build.id,
    action: build.action,
    started_at: formatDateTime(build.startedAt),
    ended_at: build.endedAt === null ? null : formatDateTime(build.endedAt),
    ok: build.ok,
    error: build.error,
    log_url: `/api/conda/environment/${encodeURIComponent(build.envName)}/build-log?build_id=${build.id}`,
  }
}

/** 000a list item: `{name, python_version, packages: [names], created_at}` plus the additions. */
export function presentEnvironmentListItem(env: EnvironmentSummary): Record<string, unknown> {
  return {
    name: env.name,
    python_version: env.pythonVersion,
    packages: env.packages.map((p) => p.name),
    created_at: formatDateTime(env.createdAt),
    ...additions(env),
  }
}

export function presentEnvironmentDetail(env: EnvironmentSummary, usage: EnvironmentUsage): Record<string, unknown> {
  return {
    name: env.name,
    python_version: env.pythonVersion,
    created_at: formatDateTime(env.createdAt),
    usage_stats: {
      total_tasks: usage.totalTasks,
      success_rate: usage.successRate,
      avg_execution_time: Math.round(usage.avgDurationMs / 10) / 100,
      disk_usage: gigabytes(env.sizeBytes),
    },
    packages: env.packages.map((p) => ({ name: p.name, version: p.version })),
    ...additions(env),
  }
}

export function presentEnvironmentStats(stats: EnvironmentStats): Record<string, unknown> {
  const envs = stats.environments
  const latest = envs.reduce<EnvironmentSummary | null>((best, e) => (best === null || e.createdAt > best.createdAt ? e : best), null)
  const count = (name: string) => stats.taskCounts.get(name) ?? 0
  return {
    total_environments: envs.length,
    active_environments: envs.filter((e) => count(e.name) > 0).length,
    total_disk_usage: gigabytes(envs.reduce((sum, e) => sum + e.sizeBytes, 0)),
    latest_created: latest ? { name: latest.name, created_at: formatDateTime(latest.createdAt) } : null,
    environment_usage: envs.map((e) => ({
      name: e.name,
      usage_percent: stats.totalTasks === 0 ? 0 : Math.round((count(e.name) / stats.totalTasks) * 10000) / 100,
    })),
    package_stats: envs.map((e) => ({ name: e.name, package_count: e.packages.length })),
  }
}
