/**
 * The environments contract: named Python environments in which runs execute and requirements
 * are installed. `base` always exists (the system Python). Other names are conda environments
 * where conda is installed, otherwise venvs under the data directory.
 */

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

/** `system`: the venv `base` over the system Python (its packages are the system's). */
export type EnvironmentKind = 'conda' | 'venv' | 'system'

export interface InstalledPackage {
  name: string
  version: string
  /** False for a package the environment only sees (the system Python's, under a venv `base`): it cannot be removed here. */
  own: boolean
}

export interface EnvironmentDetails {
  name: string
  kind: EnvironmentKind
  /** The environment's directory (its prefix). */
  location: string
  /** Epoch ms the environment's directory was made. */
  createdAt: number
  /** `3.11.4`, as the environment's interpreter reports it; null when it cannot be asked. */
  pythonVersion: string | null
  /** Every distribution the interpreter imports, sorted by name. */
  packages: InstalledPackage[]
}

export interface UninstallResult {
  success: boolean
  /** Exactly the names that cannot be removed (not installed, or not the environment's own). */
  failedPackages: string[]
  errorDetails: string[]
  error: string | null
}

/** What a build is, as its record says: the change, and what was asked for. */
export interface BuildStart {
  envName: string
  action: 'create' | 'install' | 'uninstall' | 'rebuild'
  requirements: string | null
  pythonVersion: string | null
}

/**
 * Where builds are recorded (the store, in the server): one in progress per name at most, each
 * with a log file the build's tools write into as they go.
 */
export interface BuildRecorder {
  /** Throws TaskyardError('environment_busy') while another build of the name is in progress. */
  begin(build: BuildStart): Promise<{ id: number; logPath: string | null }>
  finish(id: number, outcome: { ok: boolean; error: string | null }): Promise<void>
}

/** Records nothing: for tools and tests that keep no history. */
export const NO_BUILD_RECORDS: BuildRecorder = {
  begin: async () => ({ id: 0, logPath: null }),
  finish: async () => undefined,
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
  /** Every complete environment with what it holds, `base` first. */
  listDetails(): Promise<EnvironmentDetails[]>
  /** null when there is no complete environment of that name. */
  details(name: string): Promise<EnvironmentDetails | null>
  /** Bytes of the environment's files (hard links counted once); conda base without envs/ and pkgs/. */
  diskUsage(name: string): Promise<number>
  /**
   * Makes a new environment, with `requirements` installed (all or nothing). Throws
   * TaskyardError('environment_exists') when the name is taken — also while another create of it runs —
   * and python_unavailable for a version not installed (the error lists those that are).
   */
  create(name: string, requirements: string | null, options?: { pythonVersion?: string | null; action?: 'create' | 'rebuild' }): Promise<EnsureResult>
  /** The Python versions (`3.X`) a new environment can have; null: any the backend can fetch (conda). */
  pythonVersions(): Promise<string[] | null>
  /** `pip uninstall` under the same all-or-nothing rule; names not installed are refused before anything changes. */
  uninstall(name: string, packages: readonly string[]): Promise<UninstallResult>
  /**
   * Renames the environment, then runs `commit` (the store's change); when commit throws the
   * environment gets its old name back. Throws environment_exists, environment_not_found,
   * environment_protected (`base`). The rename is journalled first: `commit` gets its id and must
   * record it in the same transaction, so that after a crash between the two `pendingRenames`
   * lists it and the store says which way `settleRename` goes.
   */
  rename(oldName: string, newName: string, commit: (renameId: string) => Promise<void>): Promise<void>
  /**
   * The Node.js versions a task's `node_version` may name (issue 9): major version → installation,
   * by real path (environments/find-nodes.ts).
   */
  nodes(): Promise<Map<string, { version: string; path: string }>>
  /** Renames a crash interrupted (start-up, before any run starts). */
  pendingRenames(): Promise<Array<{ id: string; oldName: string; newName: string; at: number }>>
  /** Gives the directory the new name (`committed`: the tasks' transaction did) or the old one back, and forgets the record. */
  settleRename(id: string, committed: boolean): Promise<void>
  /** `pip freeze` of the environment: a pinned requirements file that rebuilds it. */
  freeze(name: string): Promise<string>
  /** Removes the environment and everything in it. Throws environment_not_found, environment_protected. */
  remove(name: string): Promise<void>
}
