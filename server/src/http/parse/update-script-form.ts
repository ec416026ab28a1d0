/** POST /api/tasks/<id>/update-script: spec 000's multipart fields into a typed UpdateScriptInput. */
import { TaskyardError } from '../../domain/errors.ts'
import { assertCommand } from '../../domain/task-command.ts'
import type { UpdateScriptInput } from '../../services/update-task-script.ts'
import type { ParsedForm } from '../multipart.ts'
import { parseBoolean, present } from './form-fields.ts'

export function parseUpdateScriptForm(form: ParsedForm): UpdateScriptInput {
  const upload = form.files.script_file
  if (!upload) throw new TaskyardError('no_script_file', 'No script file provided', { error: 'Script file is required for update' })
  const force = parseBoolean('force', present(form.fields.force))
  const command = present(form.fields.command)?.trim() ?? null
  if (command) assertCommand(command)
  return { upload, command, force }
}
