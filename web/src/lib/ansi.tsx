import Anser from 'anser'
import type { CSSProperties, ReactNode } from 'react'

/**
 * OSC sequences (ESC ] … BEL or ESC ] … ESC \), OSC-8 hyperlinks among them: removed, keeping
 * the link's visible text. A log line never becomes a link or a page title.
 */
const OSC = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g
/** Any other escape that is not a colour (SGR) sequence, e.g. cursor moves and clears. */
const NON_SGR_CSI = /\u001b\[[0-9;?]*[A-Za-ln-z]/g

export function stripControl(line: string): string {
  return line.replace(OSC, '').replace(NON_SGR_CSI, '')
}

/**
 * One log line as React text nodes in coloured spans. Everything is text: React escapes it, no
 * HTML is ever parsed from a log.
 */
export function renderAnsi(line: string): ReactNode[] {
  const clean = stripControl(line)
  if (!clean.includes('\u001b')) return [clean]
  const parts = Anser.ansiToJson(clean, { json: true, remove_empty: true, use_classes: false })
  return parts.map((p, i) => {
    const style: CSSProperties = {}
    if (p.fg) style.color = `rgb(${p.fg})`
    if (p.bg) style.backgroundColor = `rgb(${p.bg})`
    const decorations = p.decorations ?? []
    if (decorations.includes('bold')) style.fontWeight = 'bold'
    if (decorations.includes('italic')) style.fontStyle = 'italic'
    if (decorations.includes('underline')) style.textDecoration = 'underline'
    if (decorations.includes('dim')) style.opacity = 0.7
    return (
      <span key={i} style={style}>
        {p.content}
      </span>
    )
  })
}
