/**
 * Reads requirements.txt text the way pip does (continuations, comments, options) and refuses,
 * before anything is installed, every line that would change where pip looks for packages or
 * what it reads and runs, unless an administrator allowed it.
 */
import { TaskyardError } from '../domain/errors.ts'

export interface Requirement {
  /** The project name as written (`Requests` in `Requests[socks]>=2`): what failed_packages shows. */
  name: string
  /** 1-based number of the requirement's first physical line, as pip counts it in its messages. */
  line: number
  /** Its last physical line (greater than `line` with `\` continuations). */
  lastLine: number
  /** The logical line without its comment. */
  text: string
}

export interface ParsedRequirements {
  requirements: Requirement[]
  /** The text split into physical lines, kept to write subsets with unchanged line numbers. */
  lines: string[]
}

const UNSAFE_NOTE = 'an administrator can allow it with TASKYARD_ALLOW_UNSAFE_REQUIREMENTS=1'
const CHANGES_WHERE = 'it changes where pip looks for packages'

/** Every option pip accepts on a line of its own, and why the unsafe ones are refused. */
const LINE_OPTIONS: Record<string, string | null> = {
  '--index-url': CHANGES_WHERE,
  '--extra-index-url': CHANGES_WHERE,
  '--find-links': CHANGES_WHERE,
  '--trusted-host': 'it lets pip trust a host without a valid certificate',
  '--editable': 'it installs from a local folder or a version-control URL',
  '--requirement': 'it makes pip read another file',
  '--constraint': 'it makes pip read another file',
  '--no-index': null,
  '--pre': null,
  '--prefer-binary': null,
  '--only-binary': null,
  '--no-binary': null,
  '--require-hashes': null,
  '--use-feature': null,
}
const SHORT_OPTIONS: Record<string, string> = {
  '-i': '--index-url',
  '-f': '--find-links',
  '-e': '--editable',
  '-r': '--requirement',
  '-c': '--constraint',
}
/** Options pip accepts after a requirement on the same line. Only --hash is harmless. */
const REQUIREMENT_OPTIONS: Record<string, string | null> = {
  '--hash': null,
  '--global-option': 'it passes arguments to the package’s build',
  '--config-settings': 'it passes arguments to the package’s build',
  '--install-option': 'it passes arguments to the package’s build',
}

const NAME = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?'
const VERSION_CLAUSE = '(?:~=|===|==|!=|<=|>=|<|>)\\s*[^\\s,;()]+'
const VERSIONS = `${VERSION_CLAUSE}(?:\\s*,\\s*${VERSION_CLAUSE})*`
/** PEP 508 name, extras and version specifiers (optionally in parentheses); the marker is split off first. */
const REQUIREMENT_RE = new RegExp(`^(${NAME})\\s*(?:\\[\\s*(?:${NAME}(?:\\s*,\\s*${NAME})*)?\\s*\\])?\\s*(?:${VERSIONS}|\\(\\s*${VERSIONS}\\s*\\))?$`)
const ARCHIVE_RE = /\.(whl|zip|tar|tar\.gz|tgz|tar\.bz2|tbz|tar\.xz|txz|tar\.lz|tlz)$/i
/** pip expands these from its own environment: they could read the server's secrets into messages. */
const ENV_VARIABLE_RE = /\$\{[A-Z0-9_]+\}/
const COMMENT_RE = /(^|\s+)#.*$/

/** Throws TaskyardError('invalid_requirements') naming the first refused line. */
export function parseRequirements(text: string, options: { allowUnsafe: boolean }): ParsedRequirements {
  const lines = text.split(/\r?\n/)
  const requirements: Requirement[] = []
  for (const logical of logicalLines(lines)) {
    const content = logical.text.replace(COMMENT_RE, '').trim()
    if (content === '') continue
    const refuse = (reason: string, unsafe = true): never => {
      const why = unsafe ? `is not allowed: ${reason} (${UNSAFE_NOTE})` : reason
      throw new TaskyardError('invalid_requirements', 'Invalid requirements', { error: `Line ${logical.line}: ${shown(content)} ${why}` })
    }
    if (ENV_VARIABLE_RE.test(content) && !options.allowUnsafe) refuse('it reads the server’s environment variables')
    const req = { line: logical.line, lastLine: logical.lastLine, text: content }
    if (content.startsWith('-')) {
      const named = judgeLineOption(content)
      if (named.reason !== null && !options.allowUnsafe) refuse(named.reason)
      // With unsafe lines allowed, an editable install is a requirement pip may blame.
      if (named.option === '--editable') requirements.push({ ...req, name: optionValue(content) })
      continue
    }
    const split = splitRequirementOptions(content)
    for (const option of split.options) {
      const reason = judgeRequirementOption(option)
      if (reason !== null && !options.allowUnsafe) refuse(reason)
    }
    const name = requirementName(split.requirement)
    if (typeof name === 'string') {
      requirements.push({ ...req, name })
      continue
    }
    if (!options.allowUnsafe || name.unsafe === false) refuse(name.reason, name.unsafe)
    requirements.push({ ...req, name: split.requirement.split(/[\s;]/)[0]! })
  }
  return { requirements, lines }
}

/** The same file with every requirement but `keep` blanked out: pip's line numbers still match. */
export function requirementsSubset(parsed: ParsedRequirements, keep: readonly Requirement[]): string {
  const out = [...parsed.lines]
  for (const r of parsed.requirements) {
    if (keep.includes(r)) continue
    for (let n = r.line; n <= r.lastLine; n++) out[n - 1] = ''
  }
  return out.join('\n')
}

/** PEP 503: names compare case-insensitively, with runs of '-', '_' and '.' alike. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** pip's line joining: a trailing backslash continues the line unless the line is a comment. */
function* logicalLines(lines: readonly string[]): Generator<{ line: number; lastLine: number; text: string }> {
  let pending: string[] = []
  let first = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const isComment = /^\s*#/.test(line)
    if (line.endsWith('\\') && !isComment) {
      if (pending.length === 0) first = i + 1
      pending.push(line.slice(0, -1))
      continue
    }
    if (pending.length > 0) {
      yield { line: first, lastLine: i + 1, text: pending.join('') + (isComment ? ` ${line}` : line) }
      pending = []
    } else {
      yield { line: i + 1, lastLine: i + 1, text: line }
    }
  }
  if (pending.length > 0) yield { line: first, lastLine: lines.length, text: pending.join('') }
}

/** Resolves an option the way optparse does, unambiguous abbreviations included. */
function resolveOption(token: string, known: Record<string, string | null>): string | null {
  if (token in known) return token
  const matches = Object.keys(known).filter((k) => k.startsWith(token))
  return matches.length === 1 ? matches[0]! : null
}

function judgeLineOption(content: string): { option: string | null; reason: string | null } {
  let option: string | null
  if (content.startsWith('--')) {
    option = resolveOption(content.split(/[\s=]/)[0]!, LINE_OPTIONS)
  } else {
    option = SHORT_OPTIONS[content.slice(0, 2)] ?? null
  }
  if (option === null) return { option, reason: `it is not an option Taskyard accepts in requirements (allowed: ${allowedOptions()})` }
  return { option, reason: LINE_OPTIONS[option] ?? null }
}

function judgeRequirementOption(token: string): string | null {
  const option = resolveOption(token.split('=')[0]!, REQUIREMENT_OPTIONS)
  if (option === null) return `'${token.split('=')[0]}' is not an option Taskyard accepts after a requirement (only --hash)`
  return REQUIREMENT_OPTIONS[option] ?? null
}

function allowedOptions(): string {
  return Object.entries(LINE_OPTIONS)
    .filter(([, reason]) => reason === null)
    .map(([option]) => option)
    .join(', ')
}

function optionValue(content: string): string {
  const long = /^--\S+?(?:=|\s+)(.*)$/.exec(content)
  return (long ? long[1]! : content.slice(2)).trim()
}

/** pip's rule: options start at the first whitespace-separated token beginning with '-'. */
function splitRequirementOptions(content: string): { requirement: string; options: string[] } {
  const tokens = content.split(/\s+/)
  const at = tokens.findIndex((t) => t.startsWith('-'))
  if (at === -1) return { requirement: content, options: [] }
  return { requirement: tokens.slice(0, at).join(' '), options: tokens.slice(at).filter((t) => t.startsWith('-')) }
}

/** The project name, or why the requirement is refused (`unsafe`: allowed with the admin switch). */
function requirementName(requirement: string): string | { reason: string; unsafe: boolean } {
  const spec = requirement.split(';')[0]!.trim()
  if (/^file:/i.test(spec)) return { reason: 'it installs from a local path', unsafe: true }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(spec)) return { reason: 'it installs from a URL', unsafe: true }
  if (spec.includes('@')) return { reason: 'it installs from a direct reference (name @ URL)', unsafe: true }
  if (spec.includes('://')) return { reason: 'it installs from a URL', unsafe: true }
  if (/^[.~]/.test(spec) || /[/\\]/.test(spec) || ARCHIVE_RE.test(spec)) return { reason: 'it installs from a local path', unsafe: true }
  const match = REQUIREMENT_RE.exec(spec)
  if (!match) return { reason: 'is not a valid requirement (expected e.g. name, name==1.0 or name[extra]>=1,<2)', unsafe: false }
  return match[1]!
}

function shown(text: string): string {
  return `'${text.length > 200 ? `${text.slice(0, 200)}…` : text}'`
}
