/** POST /api/tasks: spec 000's multipart fields into a typed CreateTaskInput, each checked in spec 000's words. */
import { TaskyardError } from '../../domain/errors.ts'
import { assertEnvironmentName, assertTaskName } from '../../domain/names.ts'
import { DEFAULT_PRIORITY, parsePriority } from '../../domain/priority.ts'
import { parseLabels, parseTaskType } from '../../domain/task-labels.ts'
import { assertValidCron, parseDelaySeconds } from '../../domain/schedule.ts'
import { assertCommand } from '../../domain/task-command.ts'
import type { CreateTaskInput } from '../../services/create-task.ts'
import type { ParsedForm } from '../multipart.ts'
import { parseBoolean, present } from './form-fields.ts'
import { parseRunPolicyFields } from './run-policy-fields.ts'
import { parseScheduleFields } from './schedule-fields.ts'

export function parseCreateTaskForm(form: ParsedForm, serverMaxLogBytes: number): CreateTaskInput {
  const f = form.fields
  const upload = form.files.script_file
  if (!upload) throw new TaskyardError('no_script_file', 'No script file provided', { error: 'script_file is required' })
  // Blank fields are absent here (a browser sends every field of its form); PUT clears with them.
  const runPolicy = parseRunPolicyFields(
    {
      run_as: present(f.run_as),
      memory_limit_mb: present(f.memory_limit_mb),
      max_log_mb: present(f.max_log_mb),
      timeout_seconds: present(f.timeout_seconds),
      interactive: present(f.interactive),
      node_version: present(f.node_version),
      max_retries: present(f.max_retries),
      retry_backoff_seconds: present(f.retry_backoff_seconds),
      retry_max_backoff_seconds: present(f.retry_max_backoff_seconds),
      concurrency: present(f.concurrency),
    },
    serverMaxLogBytes,
  )
  const condaEnv = present(f.conda_env)?.trim()
  if (!condaEnv) throw new TaskyardError('invalid_input', 'Missing required field', { error: 'conda_env is required' })
  assertEnvironmentName(condaEnv)
  const name = (present(f.task_name) ?? upload.filename).trim()
  assertTaskName(name)
  const reuseEnv = parseBoolean('reuse_env', present(f.reuse_env))
  const priority = present(f.priority) ? parsePriority(f.priority!.trim()) : DEFAULT_PRIORITY
  // A sent but blank cron_expression or delay_seconds is refused rather than read as "run now":
  // `-F cron_expression="$CRON"` with CRON unset must not start the task.
  const cronExpression = f.cron_expression?.trim() ?? null
  if (cronExpression !== null && f.delay_seconds !== undefined) {
    throw new TaskyardError('both_cron_and_delay', 'Please specify either cron expression or delay seconds, not both', {
      error: 'Cannot specify both cron_expression and delay_seconds',
    })
  }
  if (cronExpression !== null) assertValidCron(cronExpression)
  const schedulePolicy = parseScheduleFields({ time_zone: present(f.time_zone), misfire: present(f.misfire) })
  const delaySeconds = f.delay_seconds !== undefined ? parseDelaySeconds(f.delay_seconds) : null
  const command = present(f.command)?.trim() ?? null
  if (command) assertCommand(command)
  // Browsers send form text with CRLF line ends (HTML form encoding); requirements are stored with LF.
  const requirements = present(form.texts.requirements_file ?? f.requirements_file ?? f.requirements)?.replace(/\r\n?/g, '\n') ?? null
  const taskType = f.task_type === undefined ? null : parseTaskType(f.task_type)
  const labels = f.labels === undefined ? [] : parseLabels(f.labels)
  return { upload, name, condaEnv, requirements, reuseEnv, cronExpression, delaySeconds, command, priority, runPolicy, taskType, labels, schedulePolicy }
}
