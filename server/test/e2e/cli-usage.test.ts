import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { SETTINGS } from '../../src/config/settings-help.ts'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const CLI = path.join(ROOT, 'server/bin/taskyard.js')
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
/** Every TASKYARD_* variable config.ts reads, from its source: the settings that exist. */
const READ_BY_CONFIG = [...new Set(readFileSync(path.join(ROOT, 'server/src/config/config.ts'), 'utf8').match(/\bTASKYARD_[A-Z][A-Z_]*[A-Z]\b/g))].sort()

/** Runs the real `taskyard` command in an empty directory, bounded, with no TASKYARD_* settings. */
function taskyard(...args: string[]) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'taskyard-cli-'))
  try {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TASKYARD_')))
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 30_000 })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, createdData: existsSync(path.join(cwd, 'data')) }
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
}

describe('the taskyard command line (issue 6 item 8)', () => {
  it('with no arguments prints the help to stderr and exits 2, starting nothing', () => {
    const r = taskyard()
    assert.deepEqual([r.code, r.stdout, r.createdData], [2, '', false])
    assert.match(r.stderr, /^Usage: taskyard <command> \[options\]\n/)
    assert.equal(r.stderr, `${taskyard('--help').stdout}`)
  })

  it('--version, -v and version print the package version', () => {
    for (const arg of ['--version', '-v', 'version']) {
      assert.deepEqual(taskyard(arg), { code: 0, stdout: `taskyard ${VERSION}\n`, stderr: '', createdData: false }, arg)
    }
  })

  it('--help lists the commands and every setting config.ts reads, with its flag and default', () => {
    const r = taskyard('--help')
    assert.deepEqual([r.code, r.stderr, r.createdData], [0, '', false])
    for (const command of ['serve', 'help', 'version']) assert.match(r.stdout, new RegExp(`^  ${command} `, 'm'))
    for (const s of SETTINGS) {
      const line = r.stdout.split('\n').find((l) => l.includes(` ${s.variable} `) || l.includes(`, ${s.variable} `))
      assert.ok(line, `${s.variable} is missing from --help`)
      assert.ok(line.includes(`(default: ${s.default})`), line)
      if (s.flag) assert.ok(line.includes(`${s.flag}, ${s.variable}`), line)
    }
    assert.equal(taskyard('-h').stdout, r.stdout)
    assert.equal(taskyard('help').stdout, r.stdout)
  })

  it('the settings table and config.ts name the same settings, both ways', () => {
    assert.deepEqual(SETTINGS.map((s) => s.variable).sort(), READ_BY_CONFIG)
  })

  it("the README's Settings section lists every setting", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Settings'), readme.indexOf('\n## ', readme.indexOf('## Settings') + 1))
    for (const variable of READ_BY_CONFIG) assert.ok(section.includes(`\`${variable}\``), `${variable} is missing from the README's Settings`)
  })

  it('refuses an unknown command or option with exit 2 and a pointer to --help, starting nothing', () => {
    const unknown = taskyard('start')
    assert.deepEqual([unknown.code, unknown.stdout, unknown.createdData], [2, '', false])
    assert.match(unknown.stderr, /^taskyard: unknown command 'start'\n\nUsage: taskyard/)
    const option = taskyard('serve', '--bogus')
    assert.deepEqual([option.code, option.stdout, option.createdData], [2, '', false])
    assert.match(option.stderr, /^taskyard: Unknown option '--bogus'.*\nRun 'taskyard --help' for the commands and settings\.\n$/s)
  })

  it("npm start runs 'taskyard serve' (its flags reach the command)", () => {
    const r = spawnSync('npm', ['start', '--silent', '--', '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    assert.deepEqual([r.status, r.stdout], [0, `taskyard ${VERSION}\n`], r.stderr)
  })
})
