/** Who did what. Actor and target are copied, not referenced, so entries outlive what they name. */
export interface AuditEntry {
  id: number
  at: number
  /** null: the system itself, or nobody authenticated (a failed login). */
  actorUserId: number | null
  actorUsername: string | null
  /** e.g. 'login', 'task.create', 'user.disable'. */
  action: string
  targetType: string | null
  targetId: string | null
  details: Readonly<Record<string, unknown>> | null
  ip: string | null
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>
