import { Button, Tooltip } from 'antd'
import type { ButtonProps } from 'antd'
import type { ReactNode } from 'react'

/**
 * The UI rule of spec 000a: every action button is always shown; one that does not apply now is
 * disabled, and its tooltip says what it does and why it is unavailable.
 */
export function ActionButton(props: {
  label: string
  what: string
  why: string | null
  onClick(): void
  icon?: ReactNode
  loading?: boolean
  danger?: boolean
  size?: ButtonProps['size']
  testId?: string
}) {
  const { label, what, why, onClick, icon, loading, danger, size = 'small', testId } = props
  const title = why ? `${what} ${why}` : what
  return (
    <Tooltip title={title}>
      {/* A disabled button fires no mouse events; the span carries the hover for the tooltip. */}
      <span style={{ display: 'inline-block', cursor: why ? 'not-allowed' : undefined }} data-testid={testId} data-why={why ?? ''}>
        <Button
          size={size}
          icon={icon}
          disabled={why !== null}
          loading={loading}
          danger={danger}
          onClick={onClick}
          aria-label={`${label}. ${title}`}
          style={why ? { pointerEvents: 'none' } : undefined}
        >
          {label}
        </Button>
      </span>
    </Tooltip>
  )
}
