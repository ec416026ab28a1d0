import { describe, expect, it } from 'vitest'
import { environmentAvailability, parsePackageSpecs } from './environment-actions'

describe('environmentAvailability', () => {
  it('lets admins and operators change an environment that is ready', () => {
    for (const role of ['admin', 'operator'] as const) {
      for (const action of ['rename', 'install', 'delete', 'export'] as const)
        expect(environmentAvailability(action, { name: 'sci', status: 'ready' }, role)).toBeNull()
      expect(environmentAvailability('remove', { name: 'sci' }, role, 2)).toBeNull()
    }
  })
  it('gives viewers only the export', () => {
    expect(environmentAvailability('install', { name: 'sci' }, 'viewer')).toBe('env.why.role')
    expect(environmentAvailability('delete', { name: 'sci' }, 'viewer')).toBe('env.why.role')
    expect(environmentAvailability('export', { name: 'sci' }, 'viewer')).toBeNull()
  })
  it('never renames or deletes base, but installs into it', () => {
    expect(environmentAvailability('rename', { name: 'base' }, 'admin')).toBe('env.why.base')
    expect(environmentAvailability('delete', { name: 'base' }, 'admin')).toBe('env.why.base')
    expect(environmentAvailability('install', { name: 'base' }, 'admin')).toBeNull()
  })
  it('takes no change while building, removes only a selection and installs only what is typed', () => {
    expect(environmentAvailability('install', { name: 'sci', status: 'building' }, 'admin')).toBe('env.why.building')
    expect(environmentAvailability('export', { name: 'sci', status: 'building' }, 'admin')).toBe('env.why.building')
    expect(environmentAvailability('remove', { name: 'sci' }, 'admin', 0)).toBe('env.why.noSelection')
    expect(environmentAvailability('install', { name: 'sci' }, 'admin', 0)).toBe('env.why.noPackages')
    expect(environmentAvailability('install', { name: 'sci' }, 'admin', 1)).toBeNull()
  })
})

describe('parsePackageSpecs', () => {
  it('splits on lines, spaces and commas and keeps version specifiers whole', () => {
    expect(parsePackageSpecs(' numpy\nmatplotlib>=3.4.0, requests==2.32.3  \n\n')).toEqual(['numpy', 'matplotlib>=3.4.0', 'requests==2.32.3'])
    expect(parsePackageSpecs('  ')).toEqual([])
  })
})
