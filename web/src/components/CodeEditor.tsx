import { Skeleton } from 'antd'
import { lazy, Suspense } from 'react'
import type { CodeEditorProps } from './CodeEditorImpl'

const CodeEditorImpl = lazy(() => import('./CodeEditorImpl'))

export function CodeEditor(props: CodeEditorProps) {
  return (
    <Suspense fallback={<Skeleton active paragraph={{ rows: 8 }} />}>
      <CodeEditorImpl {...props} />
    </Suspense>
  )
}
