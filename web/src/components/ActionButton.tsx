import { LoadingOutlined } from '@ant-design/icons'
import { Button, Tooltip } from 'antd'
import type { ButtonProps } from 'antd'
import { useState, type CSSProperties, type ReactNode } from 'react'
import { lastInputWasKeyboard } from '../lib/input-modality'

/**
 * The UI rule of spec 000a: every action button is always shown; one that does not apply now is
 * disabled, and its tooltip says what it does and why it is unavailable.
 *
 * The tooltip is mounted on the first hover or focus, not with the button: a task list shows six
 * of these per row, and an idle Ant Design tooltip per button was most of the list's first render.
 * A disabled button cannot take focus, so its wrapper does (Tab reaches it and shows the reason).
 * Focus opens the tooltip only when the keyboard moved it there: a click focuses the button too (and
 * a confirm dialog gives the focus back to it when it closes), and a tooltip opened by that focus
 * stayed open wherever the pointer went. A click closes the tooltip until the pointer leaves.
 */
/**
 * An icon-only button of a dense list, as a plain `<button>` drawn like Ant Design's small default
 * one (its default theme's colours). A task list shows seven per row; Ant Design's Button (its
 * context reads, style registration and wave effect per instance) was most of the list's render.
 */
function plainButtonStyle(disabled: boolean, danger: boolean, hover: boolean): CSSProperties {
  const accent = danger ? '#ff4d4f' : '#4096ff'
  return {
    display: 'inline-flex',
    alignItems: 'center',
    justifyContent: 'center',
    width: 24,
    height: 24,
    padding: 0,
    fontSize: 14,
    lineHeight: 1,
    borderRadius: 4,
    border: `1px solid ${disabled ? '#d9d9d9' : hover ? accent : danger ? '#ff4d4f' : '#d9d9d9'}`,
    background: disabled ? 'rgba(0, 0, 0, 0.04)' : '#fff',
    color: disabled ? 'rgba(0, 0, 0, 0.25)' : hover ? accent : danger ? '#ff4d4f' : 'rgba(0, 0, 0, 0.88)',
    cursor: disabled ? 'not-allowed' : 'pointer',
    pointerEvents: disabled ? 'none' : undefined,
    transition: 'color 0.2s, border-color 0.2s',
  }
}

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
  /** Only the icon (dense lists): the label stays the button's accessible name and leads the tooltip. */
  iconOnly?: boolean
}) {
  const { label, what, why, onClick, icon, loading, danger, size = 'small', testId, iconOnly = false } = props
  const said = why ? `${what} ${why}` : what
  const title = iconOnly && label !== what ? `${label}: ${said}` : said
  const name = label === what ? said : `${label}. ${said}`
  const [hover, setHover] = useState(false)
  const [focus, setFocus] = useState(false)
  const [clicked, setClicked] = useState(false)
  const open = (hover || focus) && !clicked
  // Mounted on first use, then kept (so it can fade out); the button itself is never remounted.
  const [armed, setArmed] = useState(false)
  if (open && !armed) setArmed(true)
  return (
    <span
      style={{ display: 'inline-block', position: 'relative', cursor: why ? 'not-allowed' : undefined }}
      data-testid={testId}
      data-why={why ?? ''}
      data-tooltip={open ? 'open' : 'closed'}
      tabIndex={why ? 0 : undefined}
      aria-label={why ? name : undefined}
      onMouseEnter={() => setHover(true)}
      onMouseLeave={() => {
        setHover(false)
        setClicked(false)
      }}
      onMouseDown={() => setClicked(true)}
      onFocus={() => setFocus(lastInputWasKeyboard())}
      onBlur={() => {
        setFocus(false)
        setClicked(false)
      }}
    >
      {/* A disabled button fires no mouse events; the span carries the hover for the tooltip. */}
      {iconOnly ? (
        <button
          type="button"
          className="taskyard-row-button"
          disabled={why !== null}
          aria-label={name}
          aria-busy={loading || undefined}
          style={plainButtonStyle(why !== null, danger === true, hover && !why)}
          onClick={() => {
            setClicked(true)
            if (!loading) onClick()
          }}
        >
          {loading ? <LoadingOutlined /> : icon}
        </button>
      ) : (
        <Button
          size={size}
          icon={icon}
          disabled={why !== null}
          loading={loading}
          danger={danger}
          onClick={() => {
            setClicked(true)
            onClick()
          }}
          aria-label={name}
          style={why ? { pointerEvents: 'none' } : undefined}
        >
          {label}
        </Button>
      )}
      {armed ? (
        <Tooltip title={title} open={open}>
          {/* The tooltip's anchor: the wrapper's own box, letting every event through. */}
          <span aria-hidden style={{ position: 'absolute', inset: 0, pointerEvents: 'none' }} />
        </Tooltip>
      ) : null}
    </span>
  )
}
