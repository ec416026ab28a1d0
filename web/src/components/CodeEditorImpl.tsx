import { javascript } from '@codemirror/lang-javascript'
import { python } from '@codemirror/lang-python'
import { EditorState, type Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { basicSetup } from 'codemirror'
import { useEffect, useRef } from 'react'

function languageOf(fileName: string): Extension[] {
  if (/\.py$/i.test(fileName)) return [python()]
  if (/\.(m?js|ts|json)$/i.test(fileName)) return [javascript({ typescript: /\.ts$/i.test(fileName) })]
  return []
}

export interface CodeEditorProps {
  value: string
  onChange(value: string): void
  fileName: string
  height?: number
  ariaLabel?: string
}

/** CodeMirror 6, loaded only where an editor is shown (React.lazy in CodeEditor.tsx). */
export default function CodeEditorImpl({ value, onChange, fileName, height = 320, ariaLabel }: CodeEditorProps) {
  const el = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const changed = useRef(onChange)
  changed.current = onChange
  useEffect(() => {
    if (!el.current) return
    const v = new EditorView({
      parent: el.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          ...languageOf(fileName),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changed.current(u.state.doc.toString())
          }),
          EditorView.theme({
            '&': { height: `${height}px`, border: '1px solid #d9d9d9', borderRadius: '6px' },
            '.cm-scroller': { fontFamily: 'ui-monospace, monospace' },
          }),
          EditorView.contentAttributes.of({ 'aria-label': ariaLabel ?? fileName }),
        ],
      }),
    })
    view.current = v
    return () => v.destroy()
    // The document is owned by the editor after creation; a new file name re-creates it.
  }, [fileName, height])
  useEffect(() => {
    const v = view.current
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } })
  }, [value])
  return <div ref={el} data-testid="code-editor" />
}
