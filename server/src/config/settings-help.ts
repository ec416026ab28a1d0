/**
 * Every setting Taskyard reads, for `taskyard --help` and the README's Settings table. A test
 * holds this list against the TASKYARD_* names config.ts reads, both ways: a new setting does
 * not pass the tests until it has a line here.
 */
export interface SettingHelp {
  variable: string
  /** The `serve` flag that sets it too, if any. */
  flag?: string
  default: string
  description: string
}

export const SETTINGS: readonly SettingHelp[] = [
  { variable: 'TASKYARD_HOST', flag: '--host', default: '127.0.0.1', description: 'address to listen on' },
  { variable: 'TASKYARD_PORT', flag: '--port', default: '8700', description: 'port to listen on (0: any free port)' },
  { variable: 'TASKYARD_DATA_DIR', flag: '--data-dir', default: './data', description: 'database (SQLite), task files, environments, logs' },
  { variable: 'TASKYARD_DATABASE_URL', flag: '--database-url', default: 'sqlite:<data-dir>/taskyard.db', description: 'postgres://… selects PostgreSQL' },
  { variable: 'TASKYARD_MAX_UPLOAD_BYTES', default: '104857600 (100 MiB)', description: 'largest script or ZIP upload' },
  { variable: 'TASKYARD_MAX_ZIP_ENTRIES', default: '10000', description: 'entries a ZIP may hold' },
  { variable: 'TASKYARD_MAX_EXTRACTED_BYTES', default: '1073741824 (1 GiB)', description: 'bytes a ZIP may unpack to' },
  { variable: 'TASKYARD_KILL_GRACE_MS', default: '5000', description: 'stop: SIGTERM, then SIGKILL after this long' },
  {
    variable: 'TASKYARD_SHUTDOWN_GRACE_SECONDS',
    default: '30',
    description: 'shutdown: no new runs start; running ones may finish this long, then are stopped (recorded abnormal, with why)',
  },
  { variable: 'TASKYARD_SAMPLE_INTERVAL_MS', default: '1000', description: "how often a run's memory is sampled" },
  { variable: 'TASKYARD_RUN_TIMEOUT_SECONDS', default: '0 = none', description: 'a run longer than this is ended and failed' },
  {
    variable: 'TASKYARD_MAX_WORKERS',
    default: 'the number of CPU cores',
    description:
      'runs executing at once across the servers of one database (0: no limit); the rest wait queued by priority; an admin may change it at run time (PUT /api/settings)',
  },
  { variable: 'TASKYARD_MAX_CONCURRENT_RUNS', default: '(alias)', description: 'older name of TASKYARD_MAX_WORKERS, read when that is unset' },
  {
    variable: 'TASKYARD_EXECUTOR',
    default: 'runner',
    description:
      'runner: a small helper process spawns runs (3–5× the runs per second of local in the bench, about a fifth less CPU per run); local: the server spawns them itself',
  },
  { variable: 'TASKYARD_PYTHON', default: 'python3 on PATH', description: 'the interpreter behind the base environment' },
  { variable: 'TASKYARD_TIME_ZONE', default: "the server's", description: 'IANA time zone for cron expressions' },
  { variable: 'TASKYARD_ALLOW_UNSAFE_REQUIREMENTS', default: 'off', description: '1/true lets requirements use -i, -e, -r, URLs and paths' },
  { variable: 'TASKYARD_PIP_TIMEOUT_SECONDS', default: '1800', description: 'an environment build whose pip runs longer is stopped and fails (0: no limit)' },
  { variable: 'TASKYARD_PIP_INDEX_URL', default: '(pip.conf / PIP_INDEX_URL)', description: 'the private package index (mirror) every environment build uses' },
  { variable: 'TASKYARD_PIP_EXTRA_INDEX_URL', default: '(none)', description: 'further indexes, space-separated' },
  { variable: 'TASKYARD_PIP_TRUSTED_HOST', default: '(none)', description: 'hosts pip trusts without valid HTTPS, for the mirror' },
  { variable: 'TASKYARD_NPM_REGISTRY', default: "(~/.npmrc / npm's)", description: "the npm registry (mirror) Node.js tasks' dependencies come from" },
  {
    variable: 'TASKYARD_NPM_CACHE',
    default: "(npm's, ~/.npm)",
    description: "npm's cache directory for Node.js tasks' installs (a server that is not root; as root each install has its own)",
  },
  { variable: 'TASKYARD_NPM_OFFLINE', default: 'off', description: '1/true: npm installs only from its cache and local files, never a registry' },
  { variable: 'TASKYARD_LOG_LEVEL', default: 'info', description: 'server log level (trace, debug, info, warn, error)' },
  { variable: 'TASKYARD_ADMIN_PASSWORD', default: 'generated, printed once', description: "first start only: the admin user's password" },
  { variable: 'TASKYARD_SECRET', default: '<data-dir>/secret.key', description: 'token signing secret, ≥ 32 bytes; the same on every node sharing a database' },
  {
    variable: 'TASKYARD_SECRET_KEY',
    default: '<data-dir>/secret-seal.key',
    description: 'key sealing server passwords and private keys (AES-256-GCM), ≥ 32 bytes; the same on every node',
  },
  { variable: 'TASKYARD_SESSION_TTL_SECONDS', default: '604800 (7 days)', description: 'lifetime of a login session cookie' },
  {
    variable: 'TASKYARD_RUN_AS',
    default: 'taskyard-run (server is root)',
    description: 'the OS account runs get when the server is root: a user name, uid:gid, or server (runs as root, warned)',
  },
  {
    variable: 'TASKYARD_ISOLATION',
    default: 'auto',
    description: 'auto/on/off: runs get a mount namespace hiding the data directory (on: refuse to start without one)',
  },
  {
    variable: 'TASKYARD_GUARD_DATABASE',
    default: 'on',
    description:
      "root server on a PostgreSQL of this machine: nftables refuses the run accounts' TCP to the database port and its socket directory is hidden from runs (0/off: not)",
  },
  {
    variable: 'TASKYARD_DENY_LIST_LOCAL',
    default: 'on',
    description:
      'the command deny-list (sudo, su, rm -rf /, mkfs, dd to devices, shutdown, fork bombs) checks local shell commands too; off: only commands on servers',
  },
  {
    variable: 'TASKYARD_DENY_LIST_DISABLED_RULES',
    default: '(none)',
    description: 'deny-list rules switched off, comma-separated: ' + 'sudo, su, rm-root, dd-device, device-write, mkfs, shutdown, fork-bomb',
  },
  {
    variable: 'TASKYARD_DENY_LIST_EXTRA_PROGRAMS',
    default: '(none)',
    description: 'more program names the deny-list refuses, comma-separated (e.g. iptables)',
  },
  {
    variable: 'TASKYARD_SHELL_TIMEOUT_SECONDS',
    default: '300',
    description: 'a run on a registered server longer than this is ended and failed (0: no limit)',
  },
  {
    variable: 'TASKYARD_SHELL_MAX_OUTPUT_BYTES',
    default: '10485760 (10 MiB)',
    description: 'output a run on a registered server keeps; past it output is dropped behind a marker and the run is flagged',
  },
  {
    variable: 'TASKYARD_MAX_LOG_BYTES',
    default: '1073741824 (1 GiB)',
    description: "a run's log cap; past it output is dropped behind a marker and the run is flagged",
  },
  { variable: 'TASKYARD_ACCESS_TOKEN_TTL_SECONDS', default: '900 (15 minutes)', description: 'lifetime of the JWT that login returns' },
]
