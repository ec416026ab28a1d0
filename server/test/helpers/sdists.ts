/**
 * Source distributions built on the spot, with an in-tree build backend (no setuptools, so pip
 * builds them offline): one that waits at a gate while it builds (a build in progress for as long
 * as the test wants, no timing involved) and one whose build fails.
 */
import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface Gate {
  /** Exists while builds must wait; remove it (or call open()) to let them finish. */
  blockFile: string
  /** Each waiting build writes a file here when it starts. */
  startedDir: string
  open(): Promise<void>
}

/** A gate in a fresh directory, closed. */
export async function closedGate(parent: string): Promise<Gate> {
  const dir = await mkdtemp(path.join(parent, 'gate-'))
  const blockFile = path.join(dir, 'block')
  const startedDir = path.join(dir, 'started')
  await mkdir(startedDir)
  // Builds of a root server run as the run account (issue 9): it reads the gate and writes here.
  await chmod(dir, 0o755)
  await chmod(startedDir, 0o1777)
  await writeFile(blockFile, '')
  return { blockFile, startedDir, open: () => rm(blockFile, { force: true }) }
}

const BACKEND = String.raw`
import base64, hashlib, os, time, zipfile

NAME = %NAME%
VERSION = '1.0'
GATE = %GATE%
FAIL = %FAIL%
PROBE = %PROBE%

def probe():
    # What the build itself could reach: its uid, then each file it tried to read.
    seen = {'uid': os.getuid()}
    for p in PROBE:
        try:
            with open(p, 'rb') as f:
                f.read(1)
            seen[p] = 'read'
        except OSError as e:
            seen[p] = type(e).__name__
    return seen

def get_requires_for_build_wheel(config_settings=None):
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = NAME.replace('-', '_') + '-' + VERSION + '.dist-info'
    os.makedirs(os.path.join(metadata_directory, info))
    with open(os.path.join(metadata_directory, info, 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: ' + NAME + '\nVersion: ' + VERSION + '\n')
    return info

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if FAIL:
        raise SystemExit('error: tyb test build failed on purpose: no compiler for ' + NAME)
    if GATE:
        open(os.path.join(GATE, 'started', str(os.getpid())), 'w').close()
        while os.path.exists(os.path.join(GATE, 'block')):
            time.sleep(0.05)
    dist = NAME.replace('-', '_')
    info = dist + '-' + VERSION + '.dist-info'
    files = {
        dist + '/__init__.py': "VERSION = '" + VERSION + "'\n" + ('PROBE = ' + repr(probe()) + '\n' if PROBE else ''),
        info + '/METADATA': 'Metadata-Version: 2.1\nName: ' + NAME + '\nVersion: ' + VERSION + '\n',
        info + '/WHEEL': 'Wheel-Version: 1.0\nGenerator: taskyard-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b'=').decode()
        record.append(name + ',sha256=' + digest + ',' + str(len(text.encode())))
    record.append(info + '/RECORD,,')
    files[info + '/RECORD'] = '\n'.join(record) + '\n'
    wheel = dist + '-' + VERSION + '-py3-none-any.whl'
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), 'w') as z:
        for name, text in files.items():
            z.writestr(name, text)
    return wheel
`

/**
 * Writes `<name>-1.0.tar.gz` into `dir`: waiting at `gate` while it builds (null: no wait), or
 * failing; with `probe`, its build tries to read each file and the package's PROBE says how that
 * went (`{'uid': …, '<file>': 'read' | 'PermissionError' | 'FileNotFoundError' …}`).
 */
export async function writeSdist(dir: string, name: string, options: { gate?: Gate | null; fail?: boolean; probe?: readonly string[] } = {}): Promise<void> {
  const dist = name.replace(/-/g, '_')
  const work = await mkdtemp(path.join(tmpdir(), 'taskyard-sdist-'))
  try {
    const root = path.join(work, `${dist}-1.0`)
    await mkdir(root)
    const gateDir = options.gate ? path.dirname(options.gate.blockFile) : null
    const backend = BACKEND.replace('%NAME%', JSON.stringify(name))
      .replace('%GATE%', gateDir === null ? 'None' : JSON.stringify(gateDir))
      .replace('%FAIL%', options.fail ? 'True' : 'False')
      .replace('%PROBE%', JSON.stringify(options.probe ?? []))
    await writeFile(path.join(root, 'tyb_backend.py'), backend)
    await writeFile(
      path.join(root, 'pyproject.toml'),
      `[build-system]\nrequires = []\nbuild-backend = "tyb_backend"\nbackend-path = ["."]\n\n[project]\nname = "${name}"\nversion = "1.0"\n`,
    )
    await writeFile(path.join(root, 'PKG-INFO'), `Metadata-Version: 2.1\nName: ${name}\nVersion: 1.0\n`)
    execFileSync('tar', ['-czf', path.join(dir, `${dist}-1.0.tar.gz`), '-C', work, `${dist}-1.0`])
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
