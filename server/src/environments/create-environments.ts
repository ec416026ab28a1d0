import path from 'node:path'
import type { BuildSandbox } from './build-sandbox.ts'
import { createCondaEnvironments } from './conda.ts'
import { detectConda } from './detect-conda.ts'
import type { BuildRecorder, Environments } from './environments.ts'
import { createVenvEnvironments, STATE_DIR_NAME } from './venv.ts'

export interface CreateEnvironmentsOptions {
  /** Venvs live here; with conda, only the snapshots and markers do. */
  envsDir: string
  /** The interpreter behind venvs (unused with conda). */
  pythonPath: string | null
  childEnv: Readonly<Record<string, string>>
  allowUnsafeRequirements: boolean
  builds?: BuildRecorder
  pipTimeoutMs?: number | null
  /** Where pip and the environments' interpreters run (build-sandbox.ts); default as the server. */
  sandbox?: BuildSandbox
}

/**
 * conda environments where a conda is found (CONDA_EXE or PATH of childEnv), venvs otherwise.
 * Resolves once start-up work is done: `base` exists, interrupted installs are undone. Fails fast
 * with a fix when Python or conda cannot be used.
 */
export async function createEnvironments(options: CreateEnvironmentsOptions): Promise<Environments> {
  const condaPath = detectConda(options.childEnv)
  const environments = condaPath
    ? createCondaEnvironments({
        condaPath,
        stateDir: path.join(options.envsDir, STATE_DIR_NAME),
        childEnv: options.childEnv,
        allowUnsafeRequirements: options.allowUnsafeRequirements,
        ...(options.builds ? { builds: options.builds } : {}),
        pipTimeoutMs: options.pipTimeoutMs ?? null,
        ...(options.sandbox ? { sandbox: options.sandbox } : {}),
      })
    : createVenvEnvironments(options)
  await environments.list()
  return environments
}
