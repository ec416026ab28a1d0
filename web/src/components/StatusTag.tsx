import { Tag } from 'antd'
import { useTranslation } from 'react-i18next'

const COLORS: Record<string, string> = {
  scheduled: 'blue',
  running: 'processing',
  paused: 'warning',
  stopped: 'default',
  completed: 'success',
  failed: 'error',
  queued: 'cyan',
  cancelled: 'default',
  abnormal: 'magenta',
  timeout: 'volcano',
}

// Ant Design's own colours for those presets (text, background, border), for the plain tag.
const PLAIN: Record<string, readonly [string, string, string]> = {
  blue: ['#0958d9', '#e6f4ff', '#91caff'],
  processing: ['#1677ff', '#e6f4ff', '#91caff'],
  warning: ['#d48806', '#fffbe6', '#ffe58f'],
  default: ['rgba(0, 0, 0, 0.88)', '#fafafa', '#d9d9d9'],
  success: ['#389e0d', '#f6ffed', '#b7eb8f'],
  error: ['#cf1322', '#fff2f0', '#ffccc7'],
  cyan: ['#08979c', '#e6fffb', '#87e8de'],
  magenta: ['#c41d7f', '#fff0f6', '#ffadd2'],
  volcano: ['#d4380d', '#fff2e8', '#ffbb96'],
}

/**
 * A run's or task's status as a coloured tag. `plain`: a `<span>` drawn like Ant Design's Tag, for
 * dense lists (one per row; the Tag component's style registration and context reads per instance
 * showed in the task list's first render).
 */
export function StatusTag({ status, plain = false }: { status: string; plain?: boolean }) {
  const { t } = useTranslation()
  const known = status in COLORS
  const color = COLORS[status] ?? 'default'
  const text = known ? t(`status.${status}` as 'status.running') : status
  if (!plain) return <Tag color={color}>{text}</Tag>
  const [fg, bg, border] = PLAIN[color] ?? PLAIN.default!
  return (
    <span
      data-testid="status-tag"
      style={{
        display: 'inline-block',
        padding: '0 7px',
        fontSize: 12,
        lineHeight: '20px',
        whiteSpace: 'nowrap',
        borderRadius: 4,
        color: fg,
        background: bg,
        border: `1px solid ${border}`,
      }}
    >
      {text}
    </span>
  )
}
