/**
 * The artifact store's contract: the result files a run leaves in its $TASKYARD_OUTPUT_DIR (spec
 * 003 "任务结果存储"), listed and read back. Services see only this file; main.ts picks the
 * implementation (today file-artifact-store.ts, the run's own output folder on this machine).
 *
 * A name is the file's path inside the run's folder, `/`-separated (`reports/day.html`). Only
 * regular files are artifacts: links, devices and pipes the run made are never listed or read,
 * and no name reaches outside the run's own folder.
 */

export interface Artifact {
  name: string
  sizeBytes: number
  /** Epoch ms. */
  modifiedAt: number
}

/** Which run: artifacts live per task, so a task's removal takes all of its runs' along. */
export interface RunRef {
  taskId: number
  runId: number
}

export interface ArtifactDownload {
  name: string
  /** Size when opened: exactly this many bytes are sent. */
  size: number
  /** Hands the bytes to `write` in order, in bounded memory, and closes the file however it ends. */
  copyTo(write: (chunk: Uint8Array) => Promise<void>): Promise<void>
  /** Closes the file unsent. */
  close(): Promise<void>
}

/** The most artifacts one run lists; a run that wrote more shows the first this many by name. */
export const MAX_ARTIFACTS = 10_000

export interface ArtifactStore {
  /** The run's artifacts, by name; none when the run never had a folder. At most MAX_ARTIFACTS. */
  list(run: RunRef): Promise<Artifact[]>
  /** How many list() answers (the same bound). */
  count(run: RunRef): Promise<number>
  /** The artifact to stream out; null when no regular file of that name is in the run's folder. */
  open(run: RunRef, name: string): Promise<ArtifactDownload | null>
  /** Removes every artifact of the task's runs for good; nothing there is not an error. */
  removeTask(taskId: number): Promise<void>
}
