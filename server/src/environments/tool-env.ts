/**
 * Variables that would send pip's files somewhere other than the environment being changed, or
 * make `python -m pip` import another pip: with them, a snapshot could not undo a failed install.
 */
const REDIRECTING = ['PYTHONHOME', 'PYTHONPATH', 'PIP_USER', 'PIP_TARGET', 'PIP_PREFIX', 'PIP_ROOT', 'PIP_DRY_RUN']

/** The child environment for pip, venv and conda: the configured one, minus what redirects installs. */
export function toolEnv(childEnv: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = { ...childEnv, PYTHONIOENCODING: 'utf-8' }
  for (const name of REDIRECTING) delete env[name]
  return env
}
