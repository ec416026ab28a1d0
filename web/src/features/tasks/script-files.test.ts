import { unzipSync, strFromU8 } from 'fflate'
import { describe, expect, it } from 'vitest'
import { buildFileTree, buildScriptUpload, decodeContent, saveBlocker, type TaskFileEntry } from './script-files'

const file = (path: string, size = 1, executable = false): TaskFileEntry => ({ path, type: 'file', size, executable })
const dir = (path: string): TaskFileEntry => ({ path, type: 'directory', size: 0, executable: false })

describe('buildFileTree', () => {
  it('nests by folder, folders first, then by name', () => {
    const tree = buildFileTree([file('b.py'), dir('lib'), file('lib/z.py'), dir('lib/sub'), file('lib/sub/x.txt'), file('a.py')])
    expect(tree).toEqual([
      {
        key: 'lib',
        title: 'lib',
        isLeaf: false,
        children: [
          { key: 'lib/sub', title: 'sub', isLeaf: false, children: [{ key: 'lib/sub/x.txt', title: 'x.txt', isLeaf: true }] },
          { key: 'lib/z.py', title: 'z.py', isLeaf: true },
        ],
      },
      { key: 'a.py', title: 'a.py', isLeaf: true },
      { key: 'b.py', title: 'b.py', isLeaf: true },
    ])
  })
})

describe('saveBlocker', () => {
  it('blocks a truncated listing, links and special files, and files above the read cap', () => {
    expect(saveBlocker([file('a.py')], false, 10)).toBeNull()
    expect(saveBlocker([file('a.py')], true, 10)).toEqual({ key: 'files.why.truncated' })
    expect(saveBlocker([file('a.py'), { path: 'l', type: 'symlink', size: 0, executable: false }], false, 10)).toEqual({
      key: 'files.why.unsupported',
      path: 'l',
    })
    expect(saveBlocker([file('big.bin', 11)], false, 10)).toEqual({ key: 'files.why.tooLarge', path: 'big.bin' })
  })
})

describe('buildScriptUpload', () => {
  it('sends a single-file task its one file back under its own name, edited', async () => {
    const upload = buildScriptUpload([file('job.py')], new Map([['job.py', new TextEncoder().encode('old')]]), new Map([['job.py', 'print("new")\n']]))
    expect(upload.name).toBe('job.py')
    expect(await upload.text()).toBe('print("new")\n')
  })

  it('sends anything else as a ZIP of every file and folder, execute bits kept, edits in place', async () => {
    const binary = decodeContent({ encoding: 'base64', content: btoa(String.fromCharCode(0, 255, 16)) })
    expect([...binary]).toEqual([0, 255, 16])
    const entries = [dir('empty'), dir('lib'), file('lib/u.py'), file('data.bin'), file('run.sh', 1, true)]
    const contents = new Map([
      ['lib/u.py', decodeContent({ encoding: 'utf-8', content: 'X = "ü"\n' })],
      ['data.bin', binary],
      ['run.sh', decodeContent({ encoding: 'utf-8', content: 'echo old\n' })],
    ])
    const upload = buildScriptUpload(entries, contents, new Map([['run.sh', 'echo new\n']]))
    expect(upload.name).toBe('files.zip')
    const unzipped = unzipSync(new Uint8Array(await upload.arrayBuffer()))
    expect(Object.keys(unzipped).sort()).toEqual(['data.bin', 'empty/', 'lib/', 'lib/u.py', 'run.sh'])
    expect(strFromU8(unzipped['lib/u.py']!)).toBe('X = "ü"\n')
    expect([...unzipped['data.bin']!]).toEqual([0, 255, 16])
    expect(strFromU8(unzipped['run.sh']!)).toBe('echo new\n')
  })

  it('refuses to send a file it never read rather than an empty one', () => {
    expect(() => buildScriptUpload([file('a.py'), file('b.py')], new Map([['a.py', new Uint8Array(1)]]), new Map())).toThrow('the content of b.py was not read')
  })
})
