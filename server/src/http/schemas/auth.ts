/**
 * Route schemas of issue 3's accounts (login, tokens, users, audit), the signed-in user's own
 * password, and 000a's account aliases (/login, /logout, /create_user).
 */
import { closed, errorRef, errorResponses, messageRef } from './shared.ts'

const str = { type: 'string' } as const
const bool = { type: 'boolean' } as const
const nullableStr = { type: ['string', 'null'] } as const
const role = { type: 'string', enum: ['admin', 'operator', 'viewer'] } as const

const idParams = <N extends string>(name: N) =>
  ({
    type: 'object',
    properties: { [name]: { type: 'string', pattern: '^[0-9]{1,15}$' } } as Record<N, { type: 'string'; pattern: string }>,
    required: [name],
  }) as const

/** A user as http/present/user.ts presents it (a shared schema: components.schemas.User). */
export const userSchema = {
  $id: 'User',
  ...closed({ user_id: { type: 'integer' }, username: str, role, disabled: bool, created_at: str, updated_at: str }),
} as const
const user = { $ref: 'User#' } as const

const tokenFields = {
  token_id: { type: 'integer' },
  name: str,
  prefix: { type: 'string', description: 'The first characters of the secret, to tell tokens apart' },
  created_at: str,
  last_used_at: nullableStr,
  expires_at: nullableStr,
  revoked_at: nullableStr,
} as const
const token = closed(tokenFields)

const auditEntry = closed({
  id: { type: 'integer' },
  at: str,
  user_id: { type: ['integer', 'null'] },
  username: nullableStr,
  action: str,
  target_type: nullableStr,
  target_id: nullableStr,
  // Open on purpose: each action records its own fields (docs/architecture.md, audit log).
  details: { type: ['object', 'null'], additionalProperties: true, description: 'What the action changed; its fields depend on the action' },
  ip: nullableStr,
})

const okMessage = closed({ success: bool, message: str })

export const login = {
  tags: ['auth'],
  summary: 'Log in: sets the session cookie and returns a short-lived JWT for Authorization: Bearer',
  body: { type: 'object', properties: { username: str, password: str }, required: ['username', 'password'] },
  response: {
    200: closed({ success: bool, user, token: { type: 'string', description: 'A JWT for Authorization: Bearer' } }),
    401: { ...errorRef, description: 'invalid_credentials' },
    429: { ...errorRef, description: 'too_many_attempts: retry_after says when to try again' },
    ...errorResponses,
  },
} as const

export const logout = {
  tags: ['auth'],
  summary: 'End this login: its session cookie, its JWT and the log streams they opened (an API token is not a login and keeps working)',
  response: { 200: okMessage, ...errorResponses },
} as const

export const me = {
  tags: ['auth'],
  summary: 'The user behind these credentials',
  response: { 200: closed({ success: bool, user }), ...errorResponses },
} as const

export const listTokens = {
  tags: ['auth'],
  summary: 'Your API tokens (never their secrets)',
  response: { 200: closed({ success: bool, tokens: { type: 'array', items: token } }), ...errorResponses },
} as const

export const createToken = {
  tags: ['auth'],
  summary: 'Create an API token; its secret is shown in this response only',
  body: { type: 'object', properties: { name: str, expires_in_days: { type: 'integer' } }, required: ['name'] },
  response: {
    201: closed({ success: bool, token: closed({ ...tokenFields, token: { type: 'string', description: 'The secret, shown this once' } }) }),
    ...errorResponses,
  },
} as const

export const revokeToken = {
  tags: ['auth'],
  summary: 'Revoke one of your API tokens',
  params: idParams('token_id'),
  response: { 200: closed({ success: bool, message: str, token_id: { type: 'integer' } }), 404: errorRef, ...errorResponses },
} as const

export const listUsers = {
  tags: ['users'],
  summary: 'All users (admins)',
  response: { 200: closed({ success: bool, users: { type: 'array', items: user } }), 403: errorRef, ...errorResponses },
} as const

export const createUser = {
  tags: ['users'],
  summary: 'Create a user (admins)',
  body: { type: 'object', properties: { username: str, password: str, role }, required: ['username', 'password', 'role'] },
  response: { 201: closed({ success: bool, user }), 400: errorRef, 403: errorRef, ...errorResponses },
} as const

export const updateUser = {
  tags: ['users'],
  summary: 'Change a role, disable or enable, reset a password (admins); ends the sessions of a disabled user or changed password',
  params: idParams('user_id'),
  body: { type: 'object', properties: { role, disabled: bool, password: str }, additionalProperties: false },
  response: { 200: closed({ success: bool, user }), 403: errorRef, 404: errorRef, ...errorResponses },
} as const

export const listAudit = {
  tags: ['users'],
  summary: 'Who did what, newest first (admins)',
  querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, before: { type: 'integer', minimum: 1 } } },
  response: { 200: closed({ success: bool, entries: { type: 'array', items: auditEntry } }), 403: errorRef, ...errorResponses },
} as const

export const changePassword = {
  tags: ['auth'],
  summary: 'Change your own password; ends your other sessions and tokens, and renews this session',
  body: {
    type: 'object',
    properties: { current_password: str, new_password: str },
    required: ['current_password', 'new_password'],
    additionalProperties: false,
  },
  response: {
    200: closed({ success: bool, message: str, user, token: { type: 'string', description: 'A new JWT for this session' } }),
    400: errorRef,
    429: errorRef,
    ...errorResponses,
  },
} as const

/** 000a's account routes: `{message}` for the refusals 000a names, spec 000's error body for the rest. */
const legacyRefusal = { anyOf: [messageRef, errorRef] } as const
const legacyUser = closed({ message: str, user: closed({ username: str, is_admin: bool }) })
const credentials = { username: str, password: str } as const
const legacyErrors = { '4xx': legacyRefusal, '5xx': errorRef } as const

export const legacyLogin = {
  tags: ['accounts (000a)'],
  summary: 'Log in (000a): sets the session cookie',
  body: { type: 'object', properties: credentials, required: ['username', 'password'] },
  response: { 200: legacyUser, 401: messageRef, ...legacyErrors },
} as const

export const legacyLogout = {
  tags: ['accounts (000a)'],
  summary: 'Log out (000a): ends this login and clears the cookie',
  response: { 200: messageRef, ...legacyErrors },
} as const

export const legacyCreateUser = {
  tags: ['accounts (000a)'],
  summary: 'Create a user (000a, admins): is_admin true is the admin role, false an operator',
  body: { type: 'object', properties: { ...credentials, is_admin: bool }, required: ['username', 'password'] },
  response: { 201: legacyUser, 400: legacyRefusal, 403: legacyRefusal, ...legacyErrors },
} as const
