/**
 * The environments contract: named Python environments in which runs execute and requirements
 * are installed. `base` always exists (the system Python). Other names are conda environments
 * where conda is installed, otherwise venvs under the data directory.
 */

/** Letters, digits and `._-`, 1–64 characters, not starting with a dot or dash. Never reaches a shell. */
export const ENV_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/

export interface InstallResult {
  success: boolean
  /** Requirement names that pip installed (including dependencies it pulled), when it succeeded. */
  installedPackages: string[]
  /** Exactly the requirements that failed, by name as written. */
  failedPackages: string[]
  /** One entry per failed package, in the same order: pip's reason. */
  errorDetails: string[]
  /** The whole error, for the `error` field. */
  error: string | null
}

export interface EnsureResult {
  /** True when this call created the environment. */
  created: boolean
  install: InstallResult | null
  /** A human sentence, spec 000's `environment_message`. */
  message: string
}

export interface RunEnvironment {
  /** Directories to put first on PATH (where `python` and `pip` of the environment live). */
  pathPrefix: string[]
  /** Extra variables, e.g. VIRTUAL_ENV or CONDA_PREFIX. */
  env: Record<string, string>
}

export interface Environments {
  readonly kind: 'venv' | 'conda'
  exists(name: string): Promise<boolean>
  /**
   * Makes sure `name` exists, creating it if needed, then installs `requirements` (text of a
   * requirements.txt) if given. A new environment whose install failed is removed; an existing
   * one is put back to what it had before. Never throws for pip failures: they are in `install`.
   * Throws TaskyardError('invalid_requirements') for refused lines, before changing anything.
   */
  ensure(name: string, requirements: string | null): Promise<EnsureResult>
  /** Installs into an existing environment with the same all-or-nothing rule. */
  install(name: string, requirements: string): Promise<InstallResult>
  /** How to run a process inside the environment. */
  runEnvironment(name: string): Promise<RunEnvironment>
  list(): Promise<string[]>
}
