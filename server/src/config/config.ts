/**
 * Configuration is read once, here, into a frozen object with units in the names.
 * Nothing else reads process.env.
 */
import os from 'node:os'
import { DENY_RULES, type DenyRule } from '../domain/command-deny-list.ts'
import path from 'node:path'
import type { RunAsSetting } from '../domain/run-account.ts'
import { canonicalTimeZone } from '../lib/time-zone.ts'

export interface Config {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  /** 'sqlite:<path>' or 'postgres://…'. */
  readonly databaseUrl: string
  /** IANA time zone for cron; undefined = the process's. */
  readonly timeZone: string | undefined
  readonly maxUploadBytes: number
  readonly maxZipEntries: number
  readonly maxExtractedBytes: number
  readonly killGraceMs: number
  /** Shutdown (SIGTERM/SIGINT): how long running runs may go on to finish before they are stopped. */
  readonly shutdownGraceMs: number
  readonly sampleIntervalMs: number
  /** Per-run limit; null = none. */
  readonly runTimeoutMs: number | null
  /**
   * TASKYARD_MAX_WORKERS (alias TASKYARD_MAX_CONCURRENT_RUNS): runs executing at once across the
   * servers of one database, while no admin has set max_workers (PUT /api/settings); null = no limit (0).
   */
  readonly maxWorkers: number | null
  /** The interpreter behind the `base` environment; null = find python3 on PATH. */
  readonly pythonPath: string | null
  /** Lets requirements use -i, -e, -r, URLs and local paths (administrators only). */
  readonly allowUnsafeRequirements: boolean
  /** A pip (or conda) run of an environment build past this is killed and the build fails; null = none. */
  readonly pipTimeoutMs: number | null
  /** What npm runs with for Node.js tasks' dependencies: childEnv plus the TASKYARD_NPM_* settings as npm_config_*. */
  readonly npmEnv: Readonly<Record<string, string>>
  readonly logLevel: string
  /**
   * 'local': the server spawns runs itself (lowest trigger latency); 'runner': a small helper
   * process spawns them (about 1.5× the throughput of many short runs, +1.5 ms per start).
   */
  readonly executor: 'local' | 'runner'
  /** First start only: the admin's password; null = generate one and print it once. */
  readonly adminPassword: string | null
  /** Signing secret (≥ 32 bytes); null = generated at first start and kept in the data directory. */
  readonly secret: string | null
  /** Key (≥ 32 bytes) that seals server passwords and private keys; null = generated into the data directory (0600). */
  readonly secretKey: string | null
  readonly sessionTtlMs: number
  /** Lifetime of the JWT that login returns. */
  readonly accessTokenTtlMs: number
  /**
   * Passed to pip, venv and conda (the server's own tools): the server's environment without
   * TASKYARD_* settings, npm's npm_* variables and node_modules/.bin on PATH.
   */
  readonly childEnv: Readonly<Record<string, string>>
  /**
   * What a run inherits from the server's environment: an allowlist (RUN_ENV_NAMES, RUN_ENV_PREFIXES)
   * with PATH sanitised. The dispatcher adds HOME, the run's ids and the environment's variables.
   */
  readonly runEnv: Readonly<Record<string, string>>
  /**
   * The account runs execute as when the server is root: the dedicated 'taskyard-run' account
   * (created at start, else 'nobody'), a named user, explicit ids, or the server's own user.
   */
  readonly runAs: RunAsSetting
  /** Whether runs get a mount namespace that hides the data directory; 'auto' = where it works. */
  readonly isolation: 'auto' | 'on' | 'off'
  /**
   * TASKYARD_GUARD_DATABASE: a PostgreSQL on this machine is kept from runs (nftables refuses the run
   * accounts' TCP to its port, its socket directory is hidden); off = runs reach it as any local process.
   */
  readonly guardDatabase: boolean
  /** Output a run may write to its log before the rest is dropped; a task's max_log_mb may lower it. */
  readonly maxLogBytes: number
  /** Issue 12: what the command deny-list refuses (spec 001), on servers always; on this machine unless `local` is off. */
  readonly commandDenyList: {
    /** TASKYARD_DENY_LIST_LOCAL: local shell commands are checked too (the admin may switch it off). */
    readonly local: boolean
    readonly disabledRules: readonly DenyRule[]
    readonly extraPrograms: readonly string[]
  }
  /** spec 001: a run on a registered server longer than this is ended (default 300 s); null = none. */
  readonly shellTimeoutMs: number | null
  /** spec 001: output of a run on a registered server kept at most (default 10 MiB), behind a marker past it. */
  readonly shellMaxOutputBytes: number
}

export interface ConfigFlags {
  host?: string
  port?: string
  dataDir?: string
  databaseUrl?: string
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8700,
  maxUploadBytes: 100 * 1024 * 1024,
  maxZipEntries: 10_000,
  maxExtractedBytes: 1024 * 1024 * 1024,
  killGraceMs: 5_000,
  shutdownGraceSeconds: 30,
  sampleIntervalMs: 1_000,
  maxLogBytes: 1024 * 1024 * 1024,
}

function intFrom(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got '${raw}'`)
  return n
}

/** TASKYARD_MAX_WORKERS, else its older name TASKYARD_MAX_CONCURRENT_RUNS, else the CPU count; 0 = no limit. */
function maxWorkersFrom(env: NodeJS.ProcessEnv): number {
  if (env.TASKYARD_MAX_WORKERS !== undefined && env.TASKYARD_MAX_WORKERS !== '') return intFrom('TASKYARD_MAX_WORKERS', env.TASKYARD_MAX_WORKERS, 0)
  return intFrom('TASKYARD_MAX_CONCURRENT_RUNS', env.TASKYARD_MAX_CONCURRENT_RUNS, os.availableParallelism())
}

/** Variables a run inherits by name (issue 6 item 8: nothing else of the server's environment reaches it). */
export const RUN_ENV_NAMES = [
  'PATH',
  'HOME',
  'LANG',
  'LANGUAGE',
  'TZ',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
] as const
/** …and by prefix: locale categories and pip's own settings (PIP_INDEX_URL…). */
export const RUN_ENV_PREFIXES = ['LC_', 'PIP_'] as const
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin'

/**
 * PATH without what `npm start` puts in front of it (every node_modules/.bin up the tree and npm's
 * node-gyp-bin) and without relative entries, which would resolve against the task directory.
 */
export function sanitizePath(raw: string | undefined): string {
  const kept = (raw ?? '').split(':').filter((dir) => dir.startsWith('/') && !/(^|\/)node_modules(\/|$)/.test(dir) && !/\/node-gyp-bin\/?$/.test(dir))
  return kept.length > 0 ? [...new Set(kept)].join(':') : DEFAULT_PATH
}

/** An environment build's pip gets this long by default (0: no limit). */
const DEFAULT_PIP_TIMEOUT_SECONDS = 1800

/**
 * The server's private mirror (000a's "private mirrors configurable"): TASKYARD_PIP_* become pip's
 * own PIP_* for every build, over the server's environment and pip.conf, which pip reads as usual.
 */
const PIP_MIRROR_SETTINGS = {
  TASKYARD_PIP_INDEX_URL: 'PIP_INDEX_URL',
  TASKYARD_PIP_EXTRA_INDEX_URL: 'PIP_EXTRA_INDEX_URL',
  TASKYARD_PIP_TRUSTED_HOST: 'PIP_TRUSTED_HOST',
} as const

function toolEnvFrom(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !k.startsWith('TASKYARD_') && !/^npm_/i.test(k)) out[k] = v
  }
  out.PATH = sanitizePath(env.PATH)
  for (const [setting, pipName] of Object.entries(PIP_MIRROR_SETTINGS)) {
    const value = env[setting]?.trim()
    if (!value) continue
    if (setting !== 'TASKYARD_PIP_TRUSTED_HOST' && !value.split(/\s+/).every((u) => /^https?:\/\/[^\s]+$/.test(u))) {
      throw new Error(`${setting} must be an http(s) URL (or several, space-separated), got '${value}'`)
    }
    out[pipName] = value
  }
  return out
}

/**
 * npm for Node.js tasks: the tool environment, and the administrator's registry (a mirror),
 * cache directory and offline switch. npm's own npm_* variables of the server are never passed on.
 */
function npmEnvFrom(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = { ...toolEnvFrom(env), npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' }
  const registry = env.TASKYARD_NPM_REGISTRY?.trim()
  if (registry) {
    if (!/^https?:\/\/\S+$/.test(registry)) throw new Error(`TASKYARD_NPM_REGISTRY must be an http(s) URL, got '${registry}'`)
    out.npm_config_registry = registry
  }
  const cache = env.TASKYARD_NPM_CACHE?.trim()
  if (cache) out.npm_config_cache = cache
  if (env.TASKYARD_NPM_OFFLINE === '1' || env.TASKYARD_NPM_OFFLINE === 'true') out.npm_config_offline = 'true'
  return out
}

function runEnvFrom(env: NodeJS.ProcessEnv, timeZone: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue
    if ((RUN_ENV_NAMES as readonly string[]).includes(k) || RUN_ENV_PREFIXES.some((p) => k.startsWith(p))) out[k] = v
  }
  out.PATH = sanitizePath(env.PATH)
  // Runs see the time zone their cron schedule is written in.
  if (timeZone !== undefined && out.TZ === undefined) out.TZ = timeZone
  return out
}

function runAsFrom(raw: string | undefined): RunAsSetting {
  const v = raw?.trim() ?? ''
  if (v === '') return { kind: 'default' }
  if (v === 'server') return { kind: 'server' }
  const ids = /^(\d{1,10}):(\d{1,10})$/.exec(v)
  if (ids) return { kind: 'ids', uid: Number(ids[1]), gid: Number(ids[2]) }
  if (/^[a-z_][a-z0-9_.-]{0,31}\$?$/i.test(v)) return { kind: 'user', name: v }
  throw new Error(`TASKYARD_RUN_AS must be a user name, uid:gid or 'server', got '${raw}'`)
}

function isolationFrom(raw: string | undefined): 'auto' | 'on' | 'off' {
  const v = raw?.trim() || 'auto'
  if (v === 'auto' || v === 'on' || v === 'off') return v
  throw new Error(`TASKYARD_ISOLATION must be 'auto', 'on' or 'off', got '${raw}'`)
}

function onOff(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true
  if (['0', 'false', 'off', 'no'].includes(raw)) return false
  throw new Error(`${name} must be on or off (1/0, true/false), got '${raw}'`)
}

function words(raw: string | undefined): string[] {
  return (raw ?? '').split(/[\s,]+/).filter(Boolean)
}

function denyRulesFrom(raw: string | undefined): DenyRule[] {
  const rules = words(raw)
  const unknown = rules.filter((rule) => !(DENY_RULES as readonly string[]).includes(rule))
  if (unknown.length > 0) throw new Error(`TASKYARD_DENY_LIST_DISABLED_RULES names unknown rules: ${unknown.join(', ')} (known: ${DENY_RULES.join(', ')})`)
  return rules as DenyRule[]
}

/** Default 'runner' (issue 10): 3–5× the runs per second and about a fifth less CPU per run than spawning from the server (docs/benchmarks.md). */
function executorKind(raw: string | undefined): 'local' | 'runner' {
  if (raw === undefined || raw === '' || raw === 'runner') return 'runner'
  if (raw === 'local') return 'local'
  throw new Error(`TASKYARD_EXECUTOR must be 'local' or 'runner', got '${raw}'`)
}

/** Builds the frozen Config from flags (win) and environment variables. Throws with a fix on bad values. */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const dataDir = path.resolve(cwd, flags.dataDir ?? env.TASKYARD_DATA_DIR ?? 'data')
  const databaseUrl = flags.databaseUrl ?? env.TASKYARD_DATABASE_URL ?? `sqlite:${path.join(dataDir, 'taskyard.db')}`
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new Error(`TASKYARD_DATABASE_URL must start with 'sqlite:' or 'postgres://', got '${databaseUrl}'`)
  }
  const port = intFrom('port (--port / TASKYARD_PORT)', flags.port ?? env.TASKYARD_PORT, DEFAULTS.port)
  if (port > 65535) throw new Error(`port must be at most 65535, got ${port}`)
  const timeout = intFrom('TASKYARD_RUN_TIMEOUT_SECONDS', env.TASKYARD_RUN_TIMEOUT_SECONDS, 0)
  const maxWorkers = maxWorkersFrom(env)
  const timeZone = env.TASKYARD_TIME_ZONE ? serverTimeZone(env.TASKYARD_TIME_ZONE) : undefined
  const pipTimeout = intFrom('TASKYARD_PIP_TIMEOUT_SECONDS', env.TASKYARD_PIP_TIMEOUT_SECONDS, DEFAULT_PIP_TIMEOUT_SECONDS)
  const shellTimeout = intFrom('TASKYARD_SHELL_TIMEOUT_SECONDS', env.TASKYARD_SHELL_TIMEOUT_SECONDS, 300)
  return Object.freeze({
    host: flags.host ?? env.TASKYARD_HOST ?? DEFAULTS.host,
    port,
    dataDir,
    databaseUrl,
    timeZone,
    maxUploadBytes: intFrom('TASKYARD_MAX_UPLOAD_BYTES', env.TASKYARD_MAX_UPLOAD_BYTES, DEFAULTS.maxUploadBytes, 1),
    maxZipEntries: intFrom('TASKYARD_MAX_ZIP_ENTRIES', env.TASKYARD_MAX_ZIP_ENTRIES, DEFAULTS.maxZipEntries, 1),
    maxExtractedBytes: intFrom('TASKYARD_MAX_EXTRACTED_BYTES', env.TASKYARD_MAX_EXTRACTED_BYTES, DEFAULTS.maxExtractedBytes, 1),
    killGraceMs: intFrom('TASKYARD_KILL_GRACE_MS', env.TASKYARD_KILL_GRACE_MS, DEFAULTS.killGraceMs),
    shutdownGraceMs: intFrom('TASKYARD_SHUTDOWN_GRACE_SECONDS', env.TASKYARD_SHUTDOWN_GRACE_SECONDS, DEFAULTS.shutdownGraceSeconds) * 1000,
    sampleIntervalMs: intFrom('TASKYARD_SAMPLE_INTERVAL_MS', env.TASKYARD_SAMPLE_INTERVAL_MS, DEFAULTS.sampleIntervalMs, 10),
    runTimeoutMs: timeout === 0 ? null : timeout * 1000,
    maxWorkers: maxWorkers === 0 ? null : maxWorkers,
    pythonPath: env.TASKYARD_PYTHON || null,
    allowUnsafeRequirements: env.TASKYARD_ALLOW_UNSAFE_REQUIREMENTS === '1' || env.TASKYARD_ALLOW_UNSAFE_REQUIREMENTS === 'true',
    pipTimeoutMs: pipTimeout === 0 ? null : pipTimeout * 1000,
    logLevel: env.TASKYARD_LOG_LEVEL ?? 'info',
    executor: executorKind(env.TASKYARD_EXECUTOR),
    adminPassword: env.TASKYARD_ADMIN_PASSWORD || null,
    secret: env.TASKYARD_SECRET || null,
    secretKey: env.TASKYARD_SECRET_KEY || null,
    sessionTtlMs: intFrom('TASKYARD_SESSION_TTL_SECONDS', env.TASKYARD_SESSION_TTL_SECONDS, 7 * 24 * 3600, 60) * 1000,
    accessTokenTtlMs: intFrom('TASKYARD_ACCESS_TOKEN_TTL_SECONDS', env.TASKYARD_ACCESS_TOKEN_TTL_SECONDS, 15 * 60, 10) * 1000,
    childEnv: Object.freeze(toolEnvFrom(env)),
    npmEnv: Object.freeze(npmEnvFrom(env)),
    runEnv: Object.freeze(runEnvFrom(env, timeZone)),
    runAs: runAsFrom(env.TASKYARD_RUN_AS),
    isolation: isolationFrom(env.TASKYARD_ISOLATION),
    guardDatabase: onOff('TASKYARD_GUARD_DATABASE', env.TASKYARD_GUARD_DATABASE, true),
    maxLogBytes: intFrom('TASKYARD_MAX_LOG_BYTES', env.TASKYARD_MAX_LOG_BYTES, DEFAULTS.maxLogBytes, 1),
    commandDenyList: Object.freeze({
      local: onOff('TASKYARD_DENY_LIST_LOCAL', env.TASKYARD_DENY_LIST_LOCAL, true),
      disabledRules: Object.freeze(denyRulesFrom(env.TASKYARD_DENY_LIST_DISABLED_RULES)),
      extraPrograms: Object.freeze(words(env.TASKYARD_DENY_LIST_EXTRA_PROGRAMS)),
    }),
    shellTimeoutMs: shellTimeout === 0 ? null : shellTimeout * 1000,
    shellMaxOutputBytes: intFrom('TASKYARD_SHELL_MAX_OUTPUT_BYTES', env.TASKYARD_SHELL_MAX_OUTPUT_BYTES, 10 * 1024 * 1024, 1),
  })
}

/** TASKYARD_TIME_ZONE, checked at start: a zone croner cannot read would stop every cron task at its first fire. */
function serverTimeZone(value: string): string {
  const zone = canonicalTimeZone(value)
  if (zone instanceof Error) throw new Error(`TASKYARD_TIME_ZONE: ${zone.message}`)
  return zone
}
