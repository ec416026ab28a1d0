import path from 'node:path'
import { findExecutable, isExecutableFile } from './find-executable.ts'

/**
 * The conda executable to use, or null when there is none: CONDA_EXE (set by `conda activate`
 * and conda's shell hooks) if it is an executable file, else the first `conda` on PATH.
 */
export function detectConda(childEnv: Readonly<Record<string, string | undefined>>): string | null {
  const exe = childEnv.CONDA_EXE
  if (exe && path.isAbsolute(exe) && isExecutableFile(exe)) return exe
  return findExecutable('conda', childEnv.PATH)
}
