/**
 * The schemas app.ts registers once (`app.addSchema`) and routes reference by `$ref`: the OpenAPI
 * document lists each under components.schemas by its $id, and the web UI's generated types name
 * them. Tests compile the same list into their Ajv (test/helpers/response-checker.ts).
 */
import { userSchema } from './auth.ts'
import { serverSchema } from './servers.ts'
import { errorBodySchema, messageBodySchema } from './shared.ts'
import { executionSchema, historyItemSchema, taskSchema } from './tasks.ts'

export const SHARED_SCHEMAS = [errorBodySchema, messageBodySchema, userSchema, serverSchema, taskSchema, executionSchema, historyItemSchema] as const
