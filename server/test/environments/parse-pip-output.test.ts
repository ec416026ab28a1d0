import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blameRequirements, installedPackages, pipFailureSummary } from '../../src/environments/parse-pip-output.ts'
import { parseRequirements, type Requirement } from '../../src/environments/requirements.ts'

function reqs(text: string): Requirement[] {
  return parseRequirements(text, { allowUnsafe: false }).requirements
}

function blamed(output: string, candidates: Requirement[]): Record<string, string[]> {
  return Object.fromEntries([...blameRequirements(output, candidates)].map(([r, reasons]) => [r.name, reasons]))
}

// Each output below is what pip 23 printed for the case, captured from real runs.
describe('blameRequirements', () => {
  it('names a requirement that has no matching distribution, as written', () => {
    const output = [
      'Looking in links: /tmp/wh',
      'Requirement already satisfied: tyb-alpha in ./v/lib/python3.11/site-packages (from -r r.txt (line 1)) (1.0)',
      'ERROR: Could not find a version that satisfies the requirement tyb_nosuch (from versions: none)',
      'ERROR: No matching distribution found for tyb_nosuch',
    ].join('\n')
    assert.deepEqual(blamed(output, reqs('tyb-alpha\nTyb.NoSuch\ntyb-beta')), {
      'Tyb.NoSuch': [
        'Could not find a version that satisfies the requirement tyb_nosuch (from versions: none)',
        'No matching distribution found for tyb_nosuch',
      ],
    })
  })

  it('blames the requirement whose dependency is missing, with the whole story', () => {
    const output = [
      'ERROR: Could not find a version that satisfies the requirement tyb-nowhere>=1 (from tyb-needs-missing) (from versions: none)',
      'ERROR: No matching distribution found for tyb-nowhere>=1',
    ].join('\n')
    assert.deepEqual(blamed(output, reqs('tyb-needs-missing\ntyb-alpha')), {
      'tyb-needs-missing': [
        'Could not find a version that satisfies the requirement tyb-nowhere>=1 (from tyb-needs-missing) (from versions: none)',
        'No matching distribution found for tyb-nowhere>=1',
      ],
    })
  })

  it('blames both sides of a conflict by their line numbers, with the cause', () => {
    const output = [
      'Processing ./wh/tyb_c-1.0-py3-none-any.whl (from tyb-x->-r r.txt (line 2))',
      'ERROR: Cannot install -r r.txt (line 2) and -r r.txt (line 4) because these package versions have conflicting dependencies.',
      '',
      'The conflict is caused by:',
      '    tyb-x 1.0 depends on tyb-c==1.0',
      '    tyb-y 1.0 depends on tyb-c==2.0',
      '',
      'To fix this you could try to:',
      'ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts',
    ].join('\n')
    const reason = [
      'Cannot install -r r.txt (line 2) and -r r.txt (line 4) because these package versions have conflicting dependencies.',
      'The conflict is caused by: tyb-x 1.0 depends on tyb-c==1.0; tyb-y 1.0 depends on tyb-c==2.0',
    ]
    assert.deepEqual(blamed(output, reqs('tyb-alpha\ntyb-x\n# y next\ntyb-y')), { 'tyb-x': reason, 'tyb-y': reason })
  })

  it('reads conflicts between named requirements, and build and wheel failures', () => {
    const candidates = reqs('a==1\nb_b==1\nc\nd\ne\nf')
    assert.deepEqual(
      Object.keys(blamed('ERROR: Cannot install a==1, b-b==1 and c because these package versions have conflicting dependencies.', candidates)),
      ['a', 'b_b', 'c'],
    )
    assert.deepEqual(
      Object.keys(
        blamed(
          'ERROR: Failed building wheel for d\nERROR: Could not build wheels for d, e, which is required to install pyproject.toml-based projects',
          candidates,
        ),
      ),
      ['d', 'e'],
    )
    assert.deepEqual(Object.keys(blamed('ERROR: Failed to build installable wheels for some pyproject.toml based projects (f)', candidates)), ['f'])
    assert.deepEqual(
      Object.keys(blamed("ERROR: For req: c. The wheel '/w/c.whl' has a file '../x' trying to install outside the target directory", candidates)),
      ['c'],
    )
    assert.deepEqual(Object.keys(blamed("ERROR: e has an invalid wheel, e's Wheel-Version (9.0) is not compatible with this version of pip", candidates)), [
      'e',
    ])
    assert.deepEqual(Object.keys(blamed("ERROR: Package 'd' requires a different Python: 3.11.7 not in '<3'", candidates)), ['d'])
  })

  it('blames nobody when pip does not say who, so each is tried alone', () => {
    const output = 'Installing collected packages: a, b\nERROR: Could not install packages due to an OSError: [Errno 28] No space left on device'
    assert.deepEqual(blamed(output, reqs('a\nb')), {})
  })
})

describe('installedPackages and pipFailureSummary', () => {
  it('lists names without versions, as pip spells them, in its order', () => {
    const output = 'Installing collected packages: tyb-beta, tyb-alpha\nSuccessfully installed charset-normalizer-3.4.0 tyb-alpha-1.0 tyb_beta-2.0rc1\n'
    assert.deepEqual(installedPackages(output), ['charset-normalizer', 'tyb-alpha', 'tyb_beta'])
    assert.deepEqual(installedPackages('Requirement already satisfied: six in /x (1.16.0)\n'), [])
  })

  it('summarises a failure by its ERROR lines, or its last lines', () => {
    assert.equal(pipFailureSummary('noise\nERROR: one\nmore noise\nERROR: two\n'), 'one\ntwo')
    assert.equal(pipFailureSummary('/env/bin/python: No module named pip\n'), '/env/bin/python: No module named pip')
  })
})
