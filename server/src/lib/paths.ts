import path from 'node:path'

/** Where Taskyard keeps things under its data directory. spec 000's /var/fidlter/scripts/{id} is tasks/{id}. */
export interface DataPaths {
  readonly root: string
  taskDir(taskId: number): string
  runLog(runId: number): string
  readonly stagingRoot: string
  readonly uploadsDir: string
  readonly envsDir: string
  readonly logsDir: string
}

export function dataPaths(root: string): DataPaths {
  const tasks = path.join(root, 'tasks')
  const logsDir = path.join(root, 'logs')
  return {
    root,
    taskDir: (id) => path.join(tasks, String(id)),
    runLog: (id) => path.join(logsDir, `${id}.log`),
    stagingRoot: path.join(root, 'staging'),
    uploadsDir: path.join(root, 'uploads'),
    envsDir: path.join(root, 'envs'),
    logsDir,
  }
}
