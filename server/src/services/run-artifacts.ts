import type { Artifact, ArtifactDownload } from '../artifacts/artifact-store.ts'
import { TaskyardError } from '../domain/errors.ts'
import type { Run } from '../domain/run.ts'
import type { Actor } from './auth/record-audit.ts'
import type { ServiceDeps } from './deps.ts'
import { findRunForReading } from './get-run.ts'

export function artifactNotFound(runId: number, name: string): TaskyardError {
  return new TaskyardError('artifact_not_found', 'Artifact not found', { error: `Execution ${runId} has no result file named ${JSON.stringify(name)}` })
}

/** spec 003 result files: what the run left in its $TASKYARD_OUTPUT_DIR, by name. */
export async function listRunArtifacts(deps: ServiceDeps, actor: Actor, runId: number): Promise<{ run: Run; artifacts: Artifact[] }> {
  const { run } = await findRunForReading(deps, actor, runId)
  return { run, artifacts: await deps.artifacts.list({ taskId: run.taskId, runId: run.id }) }
}

/** One result file to download; artifact_not_found for a name that is not a regular file of the run's folder. */
export async function openRunArtifact(deps: ServiceDeps, actor: Actor, runId: number, name: string): Promise<ArtifactDownload> {
  const { run } = await findRunForReading(deps, actor, runId)
  const file = await deps.artifacts.open({ taskId: run.taskId, runId: run.id }, name)
  if (!file) throw artifactNotFound(run.id, name)
  return file
}
