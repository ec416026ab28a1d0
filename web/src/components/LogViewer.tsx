import { DownloadOutlined, DownOutlined, UpOutlined } from '@ant-design/icons'
import { useVirtualizer } from '@tanstack/react-virtual'
import { Badge, Button, Input, Space, Switch, Typography } from 'antd'
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { openLogStream, type LogStreamState } from '../api/log-stream'
import { renderAnsi, stripControl } from '../lib/ansi'
import { ActionButton } from './ActionButton'
import { LineSearch, LogLines, sortedHas } from './log-lines'

const LINE_HEIGHT = 18
const HEIGHT = 420

/**
 * A log followed live over SSE (`url`: a route answering `{logs, is_complete}` events with byte
 * offsets as ids: a run's log, an environment build's log) while it grows; ANSI colours as spans,
 * every byte as text. `fileName` names the download.
 */
export function LogViewer({ url, fileName }: { url: string; fileName: string }) {
  const { t } = useTranslation()
  const log = useRef(new LogLines())
  const [, redraw] = useReducer((n: number) => n + 1, 0)
  const [state, setState] = useState<LogStreamState>('connecting')
  const [follow, setFollow] = useState(true)
  const [wrap, setWrap] = useState(false)
  const [search, setSearch] = useState('')
  const [matchIndex, setMatchIndex] = useState(0)
  const scroller = useRef<HTMLDivElement>(null)
  const pending = useRef(false)
  const lastScrollTop = useRef(0)

  useEffect(() => {
    log.current = new LogLines()
    searcher.current = new LineSearch(stripControl)
    redraw()
    const stream = openLogStream({
      url,
      onText: (text) => {
        log.current.append(text)
        // One render per frame however many chunks arrive.
        if (!pending.current) {
          pending.current = true
          requestAnimationFrame(() => {
            pending.current = false
            redraw()
          })
        }
      },
      onState: setState,
    })
    return () => stream.close()
  }, [url])

  const count = log.current.count
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => LINE_HEIGHT,
    overscan: 30,
    // The viewport's size before it is measured: the first lines show in the first frame.
    initialRect: { width: 800, height: HEIGHT },
  })

  const needle = search.trim().toLowerCase()
  const searcher = useRef(new LineSearch(stripControl))
  // Recomputed as lines arrive (count) or the text changes; reads only the new lines.
  const matches = useMemo(() => searcher.current.update(log.current, needle), [needle, count])

  useEffect(() => {
    if (follow && count > 0 && !needle) virtualizer.scrollToIndex(count - 1, { align: 'end' })
  }, [count, follow, needle, virtualizer])

  const goTo = useCallback(
    (i: number) => {
      if (matches.length === 0) return
      const k = ((i % matches.length) + matches.length) % matches.length
      setMatchIndex(k)
      setFollow(false)
      virtualizer.scrollToIndex(matches[k]!, { align: 'center' })
    },
    [matches, virtualizer],
  )

  // Scrolling up stops following; scrolling down to the end (with no search open) follows again.
  // Only the direction tells the user's scroll from ours: following only ever scrolls down, and
  // while lines pour in the view can lag the end by a few lines without the user touching it.
  const onScroll = () => {
    const el = scroller.current
    if (!el) return
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < LINE_HEIGHT * 2
    const up = el.scrollTop < lastScrollTop.current
    lastScrollTop.current = el.scrollTop
    if (follow && up && !atBottom) setFollow(false)
    else if (!follow && !up && atBottom && !needle) setFollow(true)
  }

  const download = () => {
    const blob = new Blob([log.current.text()], { type: 'text/plain;charset=utf-8' })
    const a = document.createElement('a')
    a.href = URL.createObjectURL(blob)
    a.download = fileName
    a.click()
    setTimeout(() => URL.revokeObjectURL(a.href), 1000)
  }

  const stateBadge: Record<LogStreamState, { status: 'processing' | 'success' | 'warning' | 'default'; text: string }> = {
    connecting: { status: 'default', text: t('log.connecting') },
    open: { status: 'processing', text: t('log.live') },
    reconnecting: { status: 'warning', text: t('log.reconnecting') },
    complete: { status: 'success', text: t('log.complete') },
    closed: { status: 'default', text: t('log.complete') },
  }
  const currentMatch = matches[matchIndex]
  const stepWhy = matches.length ? null : needle ? t('log.nothingFound') : t('log.searchFirst')
  return (
    <div>
      <Space wrap style={{ marginBottom: 8, width: '100%', justifyContent: 'space-between' }}>
        <Space wrap>
          <Badge
            status={stateBadge[state].status}
            text={
              <span data-testid="log-state" data-state={state}>
                {stateBadge[state].text}
              </span>
            }
          />
          <Typography.Text type="secondary">{t('log.lines', { count })}</Typography.Text>
          <Space size={4}>
            <Switch size="small" checked={follow} onChange={setFollow} aria-label={t('log.follow')} data-testid="log-follow" />
            {t('log.follow')}
          </Space>
          <Space size={4}>
            <Switch size="small" checked={wrap} onChange={setWrap} aria-label={t('log.wrap')} />
            {t('log.wrap')}
          </Space>
        </Space>
        <Space wrap>
          <Input.Search
            size="small"
            allowClear
            placeholder={t('log.search')}
            aria-label={t('log.search')}
            style={{ width: 200 }}
            onChange={(e) => {
              setSearch(e.target.value)
              setMatchIndex(0)
            }}
            onSearch={() => goTo(matchIndex + 1)}
          />
          {needle && (
            <Typography.Text type="secondary">
              {matches.length ? t('log.matches', { current: matchIndex + 1, count: matches.length }) : t('log.noMatches')}
            </Typography.Text>
          )}
          <ActionButton
            iconOnly
            label={t('log.prev')}
            what={t('log.prev')}
            why={stepWhy}
            icon={<UpOutlined />}
            onClick={() => goTo(matchIndex - 1)}
            testId="log-prev"
          />
          <ActionButton
            iconOnly
            label={t('log.next')}
            what={t('log.next')}
            why={stepWhy}
            icon={<DownOutlined />}
            onClick={() => goTo(matchIndex + 1)}
            testId="log-next"
          />
          <Button size="small" icon={<DownloadOutlined />} onClick={download}>
            {t('log.download')}
          </Button>
        </Space>
      </Space>
      <div
        ref={scroller}
        onScroll={onScroll}
        data-testid="log-view"
        tabIndex={0}
        style={{
          height: HEIGHT,
          overflow: 'auto',
          background: '#141414',
          color: '#d9d9d9',
          fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace',
          fontSize: 12,
          borderRadius: 6,
          padding: '4px 0',
        }}
      >
        {count === 0 ? (
          <div style={{ padding: 8, color: '#8c8c8c' }}>{t('log.empty')}</div>
        ) : (
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: wrap ? '100%' : 'max-content', minWidth: '100%' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const isMatch = sortedHas(matches, item.index)
              return (
                <div
                  key={item.key}
                  data-index={item.index}
                  ref={virtualizer.measureElement}
                  className="log-line"
                  style={{
                    position: 'absolute',
                    top: 0,
                    left: 0,
                    right: wrap ? 0 : undefined,
                    transform: `translateY(${item.start}px)`,
                    whiteSpace: wrap ? 'pre-wrap' : 'pre',
                    wordBreak: wrap ? 'break-all' : undefined,
                    lineHeight: `${LINE_HEIGHT}px`,
                    padding: '0 8px',
                    background: item.index === currentMatch ? '#614700' : isMatch ? '#3a2f00' : undefined,
                  }}
                >
                  {renderAnsi(log.current.line(item.index))}
                </div>
              )
            })}
          </div>
        )}
      </div>
    </div>
  )
}
