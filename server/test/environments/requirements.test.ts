import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TaskyardError } from '../../src/domain/errors.ts'
import { normalizeName, parseRequirements, requirementsSubset } from '../../src/environments/requirements.ts'

const SAFE = { allowUnsafe: false }
const ADMIN_NOTE = '(an administrator can allow it with TASKYARD_ALLOW_UNSAFE_REQUIREMENTS=1)'

function refusal(text: string): string {
  try {
    parseRequirements(text, SAFE)
  } catch (error) {
    assert.ok(error instanceof TaskyardError)
    assert.equal(error.code, 'invalid_requirements')
    assert.equal(error.message, 'Invalid requirements')
    assert.deepEqual(Object.keys(error.details), ['error'])
    return String(error.details.error)
  }
  assert.fail(`expected ${JSON.stringify(text)} to be refused`)
}

describe('parseRequirements: what is accepted', () => {
  it('returns each requirement’s name as written, with its line, skipping comments and blanks', () => {
    const text = [
      '# a comment',
      '',
      'requests>=2.0,<3  # inline comment',
      'Flask[async] == 3.0.0',
      "numpy ; python_version >= '3.8'",
      'typing_extensions~=4.0',
      'zope.interface (>=5)',
      'pkg===1.0.dev1',
      'six',
      '   indented-name   ',
      'foo.bar-baz_qux[a,b]>=1.0.* ; sys_platform == "linux" and extra == "x"',
      'hashed==1.0 --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000',
    ].join('\n')
    const parsed = parseRequirements(text, SAFE)
    assert.deepEqual(
      parsed.requirements.map((r) => [r.line, r.name]),
      [
        [3, 'requests'],
        [4, 'Flask'],
        [5, 'numpy'],
        [6, 'typing_extensions'],
        [7, 'zope.interface'],
        [8, 'pkg'],
        [9, 'six'],
        [10, 'indented-name'],
        [11, 'foo.bar-baz_qux'],
        [12, 'hashed'],
      ],
    )
  })

  it('accepts the harmless pip options on their own lines', () => {
    const text = '--pre\n--prefer-binary\n--only-binary :all:\n--no-binary=lxml\n--require-hashes\n--no-index\n--use-feature=truststore\nsix\n'
    assert.deepEqual(
      parseRequirements(text, SAFE).requirements.map((r) => r.name),
      ['six'],
    )
  })

  it('joins backslash continuations as pip does, counting from the first line', () => {
    const parsed = parseRequirements('alpha \\\n  >=1.0 \\\n  ,<2\nbeta\n', SAFE)
    assert.deepEqual(
      parsed.requirements.map((r) => ({ name: r.name, line: r.line, lastLine: r.lastLine })),
      [
        { name: 'alpha', line: 1, lastLine: 3 },
        { name: 'beta', line: 4, lastLine: 4 },
      ],
    )
  })

  it('treats a file with only comments, blanks and options as nothing to install', () => {
    assert.deepEqual(parseRequirements('# nothing\n\n--pre\n', SAFE).requirements, [])
  })

  it('writes subsets that keep pip’s line numbers', () => {
    const parsed = parseRequirements('a\nb \\\n  ==1\n# c\nd\n', SAFE)
    const d = parsed.requirements.find((r) => r.name === 'd')!
    assert.equal(requirementsSubset(parsed, [d]), '\n\n\n# c\nd\n')
  })

  it('compares names as PEP 503 does', () => {
    assert.equal(normalizeName('Foo.Bar__baz-Qux'), 'foo-bar-baz-qux')
  })
})

describe('parseRequirements: lines that change where pip looks or what it runs are refused, by line', () => {
  const where = `is not allowed: it changes where pip looks for packages ${ADMIN_NOTE}`
  const cases: Array<[string, string]> = [
    ['ok\n-i https://evil.example/simple', `Line 2: '-i https://evil.example/simple' ${where}`],
    ['ok\nok2\n--index-url https://evil.example/simple', `Line 3: '--index-url https://evil.example/simple' ${where}`],
    ['--index-url=https://evil.example/simple', `Line 1: '--index-url=https://evil.example/simple' ${where}`],
    ['-ihttps://evil.example/simple', `Line 1: '-ihttps://evil.example/simple' ${where}`],
    ['--index https://evil.example/simple', `Line 1: '--index https://evil.example/simple' ${where}`],
    ['--extra-index-url https://evil.example/simple', `Line 1: '--extra-index-url https://evil.example/simple' ${where}`],
    ['-f /tmp/wheels', `Line 1: '-f /tmp/wheels' ${where}`],
    ['--find-links https://evil.example/', `Line 1: '--find-links https://evil.example/' ${where}`],
    ['--trusted-host evil.example', `Line 1: '--trusted-host evil.example' is not allowed: it lets pip trust a host without a valid certificate ${ADMIN_NOTE}`],
    ['-e .', `Line 1: '-e .' is not allowed: it installs from a local folder or a version-control URL ${ADMIN_NOTE}`],
    [
      '--editable git+https://x/y.git',
      `Line 1: '--editable git+https://x/y.git' is not allowed: it installs from a local folder or a version-control URL ${ADMIN_NOTE}`,
    ],
    ['-r other.txt', `Line 1: '-r other.txt' is not allowed: it makes pip read another file ${ADMIN_NOTE}`],
    ['--requirement=/etc/other.txt', `Line 1: '--requirement=/etc/other.txt' is not allowed: it makes pip read another file ${ADMIN_NOTE}`],
    ['-c constraints.txt', `Line 1: '-c constraints.txt' is not allowed: it makes pip read another file ${ADMIN_NOTE}`],
    ['--constraint c.txt', `Line 1: '--constraint c.txt' is not allowed: it makes pip read another file ${ADMIN_NOTE}`],
    ['./local-pkg', `Line 1: './local-pkg' is not allowed: it installs from a local path ${ADMIN_NOTE}`],
    ['../up', `Line 1: '../up' is not allowed: it installs from a local path ${ADMIN_NOTE}`],
    ['/abs/pkg', `Line 1: '/abs/pkg' is not allowed: it installs from a local path ${ADMIN_NOTE}`],
    ['file:///tmp/pkg', `Line 1: 'file:///tmp/pkg' is not allowed: it installs from a local path ${ADMIN_NOTE}`],
    ['pkg-1.0-py3-none-any.whl', `Line 1: 'pkg-1.0-py3-none-any.whl' is not allowed: it installs from a local path ${ADMIN_NOTE}`],
    ['https://evil.example/pkg.tar.gz', `Line 1: 'https://evil.example/pkg.tar.gz' is not allowed: it installs from a URL ${ADMIN_NOTE}`],
    ['git+https://evil.example/pkg.git', `Line 1: 'git+https://evil.example/pkg.git' is not allowed: it installs from a URL ${ADMIN_NOTE}`],
    [
      'pkg @ https://evil.example/pkg.whl',
      `Line 1: 'pkg @ https://evil.example/pkg.whl' is not allowed: it installs from a direct reference (name @ URL) ${ADMIN_NOTE}`,
    ],
    ['pkg@file:///tmp/x', `Line 1: 'pkg@file:///tmp/x' is not allowed: it installs from a direct reference (name @ URL) ${ADMIN_NOTE}`],
    ['pkg==${SECRET_TOKEN}', `Line 1: 'pkg==\${SECRET_TOKEN}' is not allowed: it reads the server’s environment variables ${ADMIN_NOTE}`],
    ['pkg --global-option=--x', `Line 1: 'pkg --global-option=--x' is not allowed: it passes arguments to the package’s build ${ADMIN_NOTE}`],
    ['pkg --config-settings=a=b', `Line 1: 'pkg --config-settings=a=b' is not allowed: it passes arguments to the package’s build ${ADMIN_NOTE}`],
    [
      '--no-deps',
      `Line 1: '--no-deps' is not allowed: it is not an option Taskyard accepts in requirements (allowed: --no-index, --pre, --prefer-binary, --only-binary, --no-binary, --require-hashes, --use-feature) ${ADMIN_NOTE}`,
    ],
    [
      'a\n# c\nb \\\n  -i https://x',
      `Line 3: 'b   -i https://x' is not allowed: '-i' is not an option Taskyard accepts after a requirement (only --hash) ${ADMIN_NOTE}`,
    ],
    ['ok\nnot a requirement!', "Line 2: 'not a requirement!' is not a valid requirement (expected e.g. name, name==1.0 or name[extra]>=1,<2)"],
  ]
  for (const [text, expected] of cases) {
    it(`refuses ${JSON.stringify(text.split('\n').at(-1))}`, () => {
      assert.equal(refusal(text), expected)
    })
  }

  it('lets an administrator allow them, naming what pip may blame', () => {
    const text = '-i https://mirror.example/simple\n-e ./lib\npkg @ https://x/pkg.whl\n./local\nplain\n'
    const parsed = parseRequirements(text, { allowUnsafe: true })
    assert.deepEqual(
      parsed.requirements.map((r) => r.name),
      ['./lib', 'pkg', './local', 'plain'],
    )
  })

  it('refuses malformed requirements even for an administrator', () => {
    assert.throws(() => parseRequirements('not a requirement!', { allowUnsafe: true }), { code: 'invalid_requirements' })
  })
})
