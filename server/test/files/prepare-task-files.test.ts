import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import zlib from 'node:zlib'
import { TaskyardError } from '../../src/domain/errors.ts'
import { defaultCommand, detectMainScript, prepareTaskFiles } from '../../src/files/prepare-task-files.ts'
import { spyOnWrites, type WriteSpy } from './write-spy.ts'
import { rawZip, S_IFCHR, S_IFIFO, S_IFLNK, zipFiles, type RawZipEntry } from '../helpers/zip.ts'

const LIMITS = { maxEntries: 100, maxExtractedBytes: 1024 * 1024 }

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'taskyard-files-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** An upload on disk and an empty staging root, as the create-task service has them. */
async function setup(t: TestContext, content: string | Buffer) {
  const dir = await tempDir(t)
  const uploadPath = path.join(dir, 'upload.bin')
  await writeFile(uploadPath, content)
  return { uploadPath, stagingRoot: path.join(dir, 'staging') }
}

async function prepare(t: TestContext, content: string | Buffer, originalName: string, limits = LIMITS) {
  const s = await setup(t, content)
  // Counts what extraction really writes into staging, whatever is deleted afterwards.
  const spy = spyOnWrites(s.stagingRoot)
  t.after(() => spy.restore())
  const result = prepareTaskFiles({ uploadPath: s.uploadPath, originalName, stagingRoot: s.stagingRoot, ...limits })
  return { ...s, result, spy }
}

/** spec 000's 400 body for a bad upload, with `error` naming what is wrong. */
function isUploadFailure(expected: RegExp | string) {
  return (error: unknown): true => {
    assert.ok(error instanceof TaskyardError, `expected a TaskyardError, got ${String(error)}`)
    assert.equal(error.code, 'upload_failed')
    assert.equal(error.message, 'Failed to process uploaded file')
    const reason = String(error.details.error)
    if (typeof expected === 'string') assert.ok(reason.includes(expected), `'${reason}' should include '${expected}'`)
    else assert.match(reason, expected)
    return true
  }
}

/** Refused with `expected`, nothing left in staging, and never more than the cap written to it. */
async function assertRefusedLeavingNothing(t: TestContext, zip: Buffer, expected: RegExp | string, limits = LIMITS): Promise<WriteSpy> {
  const { result, stagingRoot, uploadPath, spy } = await prepare(t, zip, 'bundle.zip', limits)
  await assert.rejects(result, isUploadFailure(expected))
  spy.restore()
  assert.deepEqual(await readdir(stagingRoot), [], 'the staging root must be left empty')
  assert.deepEqual(await readFile(uploadPath), zip, 'the upload itself stays the caller’s')
  const written = [...spy.bytesByPath.values()].reduce((a, b) => a + b, 0)
  assert.ok(written <= limits.maxExtractedBytes, `${written} bytes were written to staging against a cap of ${limits.maxExtractedBytes}`)
  return spy
}

describe('prepareTaskFiles: a single script', () => {
  it('keeps the script under its own name in a new staging directory', async (t) => {
    const { result, stagingRoot } = await prepare(t, 'print("hi")\n', 'hello.py')
    const prepared = await result
    assert.deepEqual(
      { ...prepared, dir: path.dirname(prepared.dir) },
      {
        dir: stagingRoot,
        source: 'file',
        scriptFile: 'hello.py',
        files: ['hello.py'],
        unwrappedFolder: null,
      },
    )
    assert.equal(await readFile(path.join(prepared.dir, 'hello.py'), 'utf8'), 'print("hi")\n')
  })

  it('keeps unusual but harmless names, such as spaces, quotes and a leading dash', async (t) => {
    for (const name of ['my script.py', "it's.py", '-x.py', 'ünï.py', '..hidden.py']) {
      const prepared = await (await prepare(t, 'pass\n', name)).result
      assert.equal(prepared.scriptFile, name)
      assert.deepEqual(await readdir(prepared.dir), [name])
    }
  })

  for (const [name, expected] of [
    ['../evil.py', "'../evil.py' must not contain '/'"],
    ['dir/x.py', "'dir/x.py' must not contain '/'"],
    ['C:\\Users\\x.py', "'C:\\Users\\x.py' must not contain"],
    ['..', "'..' is not a file name"],
    ['', 'has no name'],
    ['a\u0000b.py', "'a\\u0000b.py' has a NUL character"],
    ['a\nb.py', "'a\\u000ab.py' has control characters"],
  ] as const) {
    it(`refuses the file name ${JSON.stringify(name)} and leaves nothing behind`, async (t) => {
      const { result, stagingRoot } = await prepare(t, 'pass\n', name)
      await assert.rejects(result, isUploadFailure(expected))
      assert.deepEqual(await readdir(stagingRoot), [])
    })
  }
})

describe('prepareTaskFiles: a ZIP archive (real zips)', () => {
  it('extracts a nested archive with the right contents, folders and executable bits', async (t) => {
    const zip = await zipFiles({
      'main.py': 'import pkg.util\n',
      'pkg/__init__.py': '',
      'pkg/util.py': 'X = 1\n',
      'pkg/data/table.csv': 'a,b\n1,2\n',
      'empty/': '',
    })
    const { result } = await prepare(t, zip, 'bundle.zip')
    const prepared = await result
    assert.equal(prepared.source, 'zip')
    assert.equal(prepared.scriptFile, '')
    assert.deepEqual(prepared.files, ['main.py', 'pkg/__init__.py', 'pkg/data/table.csv', 'pkg/util.py'])
    assert.equal(await readFile(path.join(prepared.dir, 'pkg/data/table.csv'), 'utf8'), 'a,b\n1,2\n')
    assert.equal(await readFile(path.join(prepared.dir, 'pkg/__init__.py'), 'utf8'), '')
    assert.ok((await stat(path.join(prepared.dir, 'empty'))).isDirectory())
    assert.deepEqual((await readdir(prepared.dir)).sort(), ['empty', 'main.py', 'pkg'])
  })

  it('keeps the executable bit of a script and no other special bits', async (t) => {
    const zip = await zipFiles({ 'run.sh': '#!/bin/sh\necho hi\n' }, { mode: 0o104777 })
    const prepared = await (await prepare(t, zip, 'tools.zip')).result
    assert.equal((await stat(path.join(prepared.dir, 'run.sh'))).mode & 0o7777 & ~process.umask(), 0o755 & ~process.umask())
  })

  it('knows a ZIP by its content whatever its name', async (t) => {
    const zip = await zipFiles({ 'main.py': 'print(1)\n' })
    const prepared = await (await prepare(t, zip, 'upload.bin')).result
    assert.deepEqual([prepared.source, prepared.files], ['zip', ['main.py']])
  })

  it('refuses an empty ZIP, or one of folders only, and leaves nothing', async (t) => {
    await assertRefusedLeavingNothing(t, rawZip([]), 'The ZIP archive holds no files')
    await assertRefusedLeavingNothing(t, rawZip([{ name: 'a/' }, { name: 'a/b/' }]), 'The ZIP archive holds no files')
  })

  it('unpacks a ZIP whose files all sit under one folder from inside that folder', async (t) => {
    const zip = rawZip([{ name: 'proj/' }, { name: 'proj/main.py', content: 'm' }, { name: 'proj/lib/x.py', content: 'x' }])
    const { result, stagingRoot } = await prepare(t, zip, 'proj.zip')
    const prepared = await result
    assert.deepEqual(
      { ...prepared, dir: path.dirname(prepared.dir) },
      {
        dir: stagingRoot,
        source: 'zip',
        scriptFile: '',
        files: ['lib/x.py', 'main.py'],
        unwrappedFolder: 'proj',
      },
    )
    assert.deepEqual((await readdir(prepared.dir)).sort(), ['lib', 'main.py'])
    assert.equal(await readFile(path.join(prepared.dir, 'main.py'), 'utf8'), 'm')
    assert.deepEqual(await readdir(stagingRoot), [path.basename(prepared.dir)], 'one staging directory, nothing else')
  })

  it('keeps the folder when the command goes through it, or when anything sits beside it', async (t) => {
    const zip = rawZip([{ name: 'proj/main.py', content: 'm' }])
    const s = await setup(t, zip)
    const through = await prepareTaskFiles({
      uploadPath: s.uploadPath,
      originalName: 'p.zip',
      stagingRoot: s.stagingRoot,
      command: 'python proj/main.py',
      ...LIMITS,
    })
    assert.deepEqual([through.files, through.unwrappedFolder], [['proj/main.py'], null])
    const beside = await (
      await prepare(
        t,
        rawZip([
          { name: 'proj/main.py', content: 'm' },
          { name: 'README', content: 'r' },
        ]),
        'p.zip',
      )
    ).result
    assert.deepEqual([beside.files, beside.unwrappedFolder], [['README', 'proj/main.py'], null])
  })

  it('normalises ./ and doubled slashes, and treats a ./ folder entry as the root', async (t) => {
    const zip = rawZip([{ name: './' }, { name: './a//b.py', content: 'b' }, { name: 'c/./d.py', content: 'd' }])
    const prepared = await (await prepare(t, zip, 'bundle.zip')).result
    assert.deepEqual(prepared.files, ['a/b.py', 'c/d.py'])
  })
})

describe('prepareTaskFiles: hostile or broken archives are refused, naming the entry, leaving nothing', () => {
  const ok: RawZipEntry = { name: 'main.py', content: 'print(1)\n' }
  const cases: Array<[string, RawZipEntry[], RegExp | string]> = [
    ['a parent-directory escape', [ok, { name: '../x', content: 'x' }], "Entry '../x' points outside the extraction folder"],
    ['a deeper escape', [ok, { name: 'a/../../x', content: 'x' }], "Entry 'a/../../x' points outside"],
    ['an absolute path', [ok, { name: '/abs', content: 'x' }], "Entry '/abs' is an absolute path"],
    ['a newline in a name', [ok, { name: 'a\nb.py', content: 'x' }], "Entry 'a\\u000ab.py' has control characters in its name"],
    ['an escape in a folder name', [ok, { name: 'd\u001b[31m/x.py', content: 'x' }], "Entry 'd\\u001b[31m/x.py' has control characters in its name"],
    ['a DEL character', [ok, { name: 'x\u007f', content: 'x' }], "Entry 'x\\u007f' has control characters in its name"],
    ['a drive letter', [ok, { name: 'C:x.py', content: 'x' }], "Entry 'C:x.py' starts with a drive letter"],
    ['a Windows path', [ok, { name: 'C:\\x', content: 'x' }], "Entry 'C:\\x' contains a backslash"],
    ['a backslash', [ok, { name: 'a\\b', content: 'x' }], "Entry 'a\\b' contains a backslash"],
    ['a NUL in the name', [ok, { name: 'a\u0000b', content: 'x' }], "Entry 'a\\u0000b' has a NUL character"],
    ['an empty name', [ok, { name: '', content: 'x' }], 'Entry #2 of the archive has an empty name'],
    ['a symbolic link', [ok, { name: 'link', content: '/etc/passwd', unixMode: S_IFLNK | 0o777 }], "Entry 'link' is a symbolic link"],
    ['a FIFO', [ok, { name: 'pipe', unixMode: S_IFIFO | 0o644 }], "Entry 'pipe' is a special file"],
    ['a character device', [ok, { name: 'dev/null', unixMode: S_IFCHR | 0o666 }], "Entry 'dev/null' is a special file"],
    ['a duplicate file', [ok, { name: 'main.py', content: 'again' }], "Entry 'main.py' appears more than once"],
    ['a duplicate after normalisation', [ok, { name: './main.py', content: 'again' }], "Entry './main.py' appears more than once"],
    ['a duplicate folder', [{ name: 'd/' }, { name: 'd//' }], "Entry 'd//' appears more than once"],
    ['a file and a folder of one name', [{ name: 'x', content: '1' }, { name: 'x/' }], "Entry 'x/' is both a file and a folder"],
    [
      'a folder and then a file of its name',
      [
        { name: 'x/y.py', content: '1' },
        { name: 'x', content: '2' },
      ],
      "Entry 'x' is both a file and a folder",
    ],
    [
      'a file inside a file',
      [
        { name: 'x', content: '1' },
        { name: 'x/y.py', content: '2' },
      ],
      "Entry 'x/y.py' would put a file inside 'x'",
    ],
    ['an encrypted entry', [ok, { name: 'secret.py', content: 'zzzzzzzzzzzzzzzz', flags: 0x1 }], "Entry 'secret.py' is encrypted"],
    ['a wrong checksum', [ok, { name: 'bad.py', content: 'print(2)\n', crc: 1234 }], "Entry 'bad.py' is corrupt: its checksum does not match"],
    [
      'a stored entry whose sizes disagree',
      [ok, { name: 'liar.bin', content: 'x'.repeat(100), method: 'store', declaredSize: 5 }],
      /corrupt at entry #2 \(after 'main\.py'\): .*size mismatch/,
    ],
    [
      'a deflated entry that inflates past its declared size',
      [ok, { name: 'liar.py', content: 'x'.repeat(100_000), declaredSize: 10 }],
      "Entry 'liar.py' holds more data than its header declares",
    ],
  ]
  for (const [what, entries, expected] of cases) {
    it(`refuses ${what}`, async (t) => {
      await assertRefusedLeavingNothing(t, rawZip(entries), expected)
    })
  }

  it('refuses a zip bomb with lying headers without writing past the cap', async (t) => {
    // 64 MiB of zeros deflates to ~64 KiB; the header claims 1 KiB. The cap is 1 MiB.
    const bomb = rawZip([ok, { name: 'bomb.bin', content: Buffer.alloc(64 * 1024 * 1024), declaredSize: 1024 }])
    assert.ok(bomb.length < 200_000)
    const spy = await assertRefusedLeavingNothing(t, bomb, "Entry 'bomb.bin'")
    // main.py (its 9 bytes) and at most the cap of bomb.bin reached the disk, never the 64 MiB.
    assert.ok(spy.bytesByPath.size >= 1)
  })

  it('stops an entry at the extracted-size cap even when its header is honest about being huge', async (t) => {
    // The header says 4 MiB, the cap is 1 MiB: refused before a byte of it is written.
    const big = rawZip([ok, { name: 'big.bin', content: Buffer.alloc(4 * 1024 * 1024, 7) }])
    const spy = await assertRefusedLeavingNothing(t, big, "Entry 'big.bin' would take the extracted files past the limit of 1 MiB")
    assert.equal(
      [...spy.bytesByPath].filter(([p]) => p.endsWith('big.bin')).reduce((a, [, n]) => a + n, 0),
      0,
    )
  })

  it('refuses honest entries once their total passes the extracted-size cap', async (t) => {
    const entries = ['a', 'b', 'c'].map((n) => ({ name: `${n}.bin`, content: Buffer.alloc(400, 1) }))
    await assertRefusedLeavingNothing(t, rawZip(entries), "Entry 'c.bin' would take the extracted files past the limit of 1000 bytes", {
      maxEntries: 10,
      maxExtractedBytes: 1000,
    })
  })

  it('refuses more entries than allowed before extracting any', async (t) => {
    const entries = ['a', 'b', 'c'].map((n) => ({ name: `${n}.py`, content: n }))
    await assertRefusedLeavingNothing(t, rawZip(entries), 'The archive has 3 entries; the limit is 2', { maxEntries: 2, maxExtractedBytes: 1000 })
  })

  it('refuses a .zip that is not a ZIP, and a truncated one', async (t) => {
    await assertRefusedLeavingNothing(t, Buffer.from('print("not a zip")\n'), /^The file is not a valid ZIP archive \(.+\)$/)
    const whole = rawZip([ok, { name: 'b.py', content: 'b'.repeat(1000) }])
    await assertRefusedLeavingNothing(t, whole.subarray(0, whole.length - 30), 'The file is not a valid ZIP archive')
    const deflated = zlib.deflateRawSync('print(1)\n')
    const garbled = Buffer.from(rawZip([{ name: 'g.py', content: 'print(1)\n' }]))
    garbled.fill(0xff, 30 + 'g.py'.length, 30 + 'g.py'.length + deflated.length)
    await assertRefusedLeavingNothing(t, garbled, "Entry 'g.py' is corrupt")
  })
})

describe('defaultCommand and detectMainScript', () => {
  it('spec 000: a ZIP runs python main.py, a single script runs itself', () => {
    assert.equal(defaultCommand('zip', ''), 'python main.py')
    assert.equal(defaultCommand('file', 'job.py'), 'python job.py')
    assert.equal(defaultCommand('file', 'my job.py'), "python 'my job.py'")
    assert.equal(defaultCommand('file', '-x.py'), 'python ./-x.py')
  })

  it('runs a single file with the interpreter its extension names, and has no default for others', () => {
    assert.deepEqual(
      ['job.py', 'JOB.PY', 'run.sh', 'app.js', 'app.mjs', 'app.cjs', 'notes.txt', 'Makefile', 'run.bash', 'x.py.txt'].map((f) => defaultCommand('file', f)),
      ['python job.py', 'python JOB.PY', 'sh run.sh', 'node app.js', 'node app.mjs', 'node app.cjs', null, null, null, null],
    )
  })

  it('quotes every name so /bin/sh passes it to python as one argument, unchanged', () => {
    for (const name of ["it's.py", 'a b.py', '$(touch x).py', '`x`.py', 'a;b.py', '*.py', '"q".py', 'ünï.py', '-rf.py', '~x.py']) {
      const command = defaultCommand('file', name)!
      const argv = execFileSync('/bin/sh', ['-c', command.replace(/^python /, 'printf "%s\\n" ')], { cwd: tmpdir(), encoding: 'utf8' })
      assert.equal(argv, `${name.startsWith('-') ? './' : ''}${name}\n`, command)
    }
  })

  it('finds main.py, else the only top-level .py, else nothing', () => {
    assert.equal(detectMainScript(['lib/x.py', 'main.py', 'run.py']), 'main.py')
    assert.equal(detectMainScript(['data.csv', 'lib/main.py', 'run.py']), 'run.py')
    assert.equal(detectMainScript(['a.py', 'b.py']), null)
    assert.equal(detectMainScript(['lib/a.py', 'README.md']), null)
    assert.equal(detectMainScript([]), null)
  })
})
