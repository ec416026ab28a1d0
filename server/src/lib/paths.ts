import path from 'node:path'

/** Where Taskyard keeps things under its data directory. spec 000's /var/fidlter/scripts/{id} is tasks/{id}. */
export interface DataPaths {
  readonly root: string
  readonly tasksDir: string
  taskDir(taskId: number): string
  /** An environment build's log (issue 9): the file build-log store's file of that build. */
  envBuildLog(buildId: number): string
  /** The build logs' file log store directory (main.ts): `<build id>.log` files. */
  readonly envBuildLogsDir: string
  /** Every output folder of a task's runs; removed with the task. */
  taskOutputsDir(taskId: number): string
  /** The run's own output folder ($TASKYARD_OUTPUT_DIR), writable by the run's account. */
  runOutputDir(taskId: number, runId: number): string
  readonly outputsDir: string
  readonly stagingRoot: string
  readonly uploadsDir: string
  readonly envsDir: string
  /** The file log store's directory (logs/file-log-store.ts names the files in it). */
  readonly logsDir: string
}

export function dataPaths(root: string): DataPaths {
  const tasksDir = path.join(root, 'tasks')
  const logsDir = path.join(root, 'logs')
  const outputsDir = path.join(root, 'outputs')
  const envBuildLogsDir = path.join(logsDir, 'env-builds')
  return {
    root,
    tasksDir,
    taskDir: (id) => path.join(tasksDir, String(id)),
    envBuildLog: (id) => path.join(envBuildLogsDir, `${id}.log`),
    envBuildLogsDir,
    taskOutputsDir: (taskId) => path.join(outputsDir, String(taskId)),
    runOutputDir: (taskId, runId) => path.join(outputsDir, String(taskId), String(runId)),
    outputsDir,
    stagingRoot: path.join(root, 'staging'),
    uploadsDir: path.join(root, 'uploads'),
    envsDir: path.join(root, 'envs'),
    logsDir,
  }
}
