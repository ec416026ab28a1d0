import { PlusOutlined, ReloadOutlined } from '@ant-design/icons'
import { Button, Card, Grid, Input, Select, Space, Table } from 'antd'
import type { ColumnsType } from 'antd/es/table'
import { useMemo, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { Link, useNavigate, useSearchParams } from 'react-router'
import { useMe } from '../../api/session'
import type { TaskListItem, TaskStatus } from '../../api/models'
import { StatusTag } from '../../components/StatusTag'
import { formatSeconds } from '../../lib/format'
import { BulkActions } from './BulkActions'
import { TaskActions } from './TaskActions'
import { useTasks } from './queries'

const STATUSES: TaskStatus[] = ['scheduled', 'running', 'paused', 'stopped', 'completed', 'failed']
const PRIORITY_ORDER = { high: 0, normal: 1, low: 2 }
const STICKY_RIGHT = { position: 'sticky', right: 0, zIndex: 2, boxShadow: '-6px 0 6px -6px rgba(0, 0, 0, 0.15)' } as const
const CODE = {
  whiteSpace: 'nowrap',
  fontSize: '85%',
  fontFamily: 'SFMono-Regular, Consolas, "Liberation Mono", Menlo, Courier, monospace',
  padding: '0.2em 0.4em',
  margin: '0 0.2em',
  background: 'rgba(150, 150, 150, 0.1)',
  border: '1px solid rgba(100, 100, 100, 0.2)',
  borderRadius: 3,
} as const
const PAGE_SIZE_KEY = 'taskyard.tasks.pageSize'
/**
 * 10 rows at first, as spec 001's list pages (about what a 1280 × 800 window shows above the fold):
 * each row is a checkbox, a link, a tag and seven buttons, and rendering 20 of them was most of the
 * list's first load with 1,000 tasks. A size the user picks is remembered.
 */
function storedPageSize(): number {
  const n = Number(localStorage.getItem(PAGE_SIZE_KEY))
  return [10, 20, 50, 100].includes(n) ? n : 10
}
function storePageSize(n: number): number {
  localStorage.setItem(PAGE_SIZE_KEY, String(n))
  return n
}
const byText = (a: string | null, b: string | null): number => (a ?? '').localeCompare(b ?? '')

/** Filtering is client-side over GET /api/tasks, which returns every task (spec 000). */
export function TasksPage() {
  const { t } = useTranslation()
  const navigate = useNavigate()
  const me = useMe()
  const tasks = useTasks()
  const [params, setParams] = useSearchParams()
  const q = params.get('q') ?? ''
  const status = params.get('status') ?? ''
  const env = params.get('env') ?? ''
  const setParam = (k: string, v: string) => {
    const next = new URLSearchParams(params)
    if (v) next.set(k, v)
    else next.delete(k)
    setParams(next, { replace: true })
  }
  const [pageSize, setPageSize] = useState(storedPageSize)
  const [selectedIds, setSelectedIds] = useState<number[]>([])
  const all = tasks.data ?? []
  const envs = useMemo(() => [...new Set(all.map((x) => x.conda_env))].sort(), [all])
  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase()
    return all.filter((x) => (!needle || x.task_name.toLowerCase().includes(needle)) && (!status || x.status === status) && (!env || x.conda_env === env))
  }, [all, q, status, env])
  // Only tasks that still exist and pass the filters stay selected.
  const selected = useMemo(() => rows.filter((r) => selectedIds.includes(r.task_id)), [rows, selectedIds])
  const role = me.data?.role ?? 'viewer'
  const narrow = !Grid.useBreakpoint().sm
  // Kept across the 5-second refetches: a new column array would re-render every cell.
  const columns = useMemo(
    (): ColumnsType<TaskListItem> => [
      { title: t('tasks.id'), dataIndex: 'task_id', width: 70, responsive: ['sm'], sorter: (a, b) => a.task_id - b.task_id, defaultSortOrder: 'descend' },
      {
        title: t('tasks.name'),
        dataIndex: 'task_name',
        sorter: (a, b) => byText(a.task_name, b.task_name),
        onCell: () => ({ style: { minWidth: narrow ? 96 : 180, overflowWrap: 'anywhere' } }),
        // Rendered as text: React escapes it; a name is never HTML.
        render: (name: string, r) => (
          <Link to={`/tasks/${r.task_id}`} data-testid="task-link">
            {name}
          </Link>
        ),
      },
      {
        title: t('tasks.status'),
        dataIndex: 'status',
        width: 110,
        sorter: (a, b) => byText(a.status, b.status),
        render: (s: string) => <StatusTag status={s} plain />,
      },
      { title: t('tasks.env'), dataIndex: 'conda_env', width: 110, sorter: (a, b) => byText(a.conda_env, b.conda_env), responsive: ['md'] },
      {
        title: t('tasks.schedule'),
        dataIndex: 'cron_expression',
        width: 130,
        responsive: ['lg'],
        // A plain <code> drawn as Typography's code: one Typography per row measured itself for ellipsis.
        render: (c: string | null) => (c ? <code style={CODE}>{c}</code> : t('tasks.once')),
      },
      {
        title: t('tasks.nextRun'),
        dataIndex: 'next_run_time_formatted',
        width: 170,
        sorter: (a, b) => byText(a.next_run_time_formatted, b.next_run_time_formatted),
        responsive: ['lg'],
        render: (v: string | null) => v ?? '—',
      },
      {
        title: t('tasks.lastRun'),
        dataIndex: 'last_run_time_formatted',
        width: 170,
        sorter: (a, b) => byText(a.last_run_time_formatted, b.last_run_time_formatted),
        responsive: ['md'],
        render: (v: string | null) => v ?? '—',
      },
      {
        title: t('tasks.lastDuration'),
        dataIndex: 'last_run_duration_formatted',
        width: 110,
        responsive: ['xxl'],
        sorter: (a, b) => (a.last_run_duration_formatted ?? -1) - (b.last_run_duration_formatted ?? -1),
        render: (v: number | null) => formatSeconds(v),
      },
      {
        title: t('tasks.priority'),
        dataIndex: 'priority',
        width: 90,
        responsive: ['xxl'],
        sorter: (a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority],
        render: (p: 'high') => t(`priority.${p}`),
      },
      {
        title: t('actions.label'),
        key: 'actions',
        // Kept in view while the row scrolls sideways, as Ant Design's fixed column would be, by CSS
        // alone: the fixed column measures every cell after each render.
        onHeaderCell: () => ({ style: STICKY_RIGHT }),
        onCell: () => ({ style: { ...STICKY_RIGHT, background: 'var(--ant-color-bg-container, #fff)' } }),
        render: (_, r) => <TaskActions task={r} role={role} compact={narrow ? 'grid' : 'line'} />,
      },
    ],
    [t, role, narrow],
  )
  return (
    <Card
      title={t('tasks.title')}
      extra={
        <Space>
          <Button icon={<ReloadOutlined />} onClick={() => void tasks.refetch()} aria-label={t('common.refresh')} />
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/tasks/new')}>
            {t('nav.newTask')}
          </Button>
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 16 }}>
        <Input.Search
          allowClear
          placeholder={t('tasks.searchPlaceholder')}
          defaultValue={q}
          onChange={(e) => setParam('q', e.target.value)}
          style={{ width: 240 }}
          aria-label={t('tasks.searchPlaceholder')}
        />
        <Select
          allowClear
          placeholder={t('tasks.filterStatus')}
          value={status || undefined}
          onChange={(v) => setParam('status', v ?? '')}
          style={{ width: 150 }}
          aria-label={t('tasks.filterStatus')}
          options={STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
        />
        <Select
          allowClear
          placeholder={t('tasks.filterEnv')}
          value={env || undefined}
          onChange={(v) => setParam('env', v ?? '')}
          style={{ width: 150 }}
          aria-label={t('tasks.filterEnv')}
          options={envs.map((e) => ({ value: e, label: e }))}
        />
      </Space>
      <div style={{ marginBottom: 12 }}>
        <BulkActions selected={selected} role={me.data?.role ?? 'viewer'} onDone={() => setSelectedIds([])} />
      </div>
      {/* Scrolls sideways itself on a narrow screen: the table's own scroll.x measures every column
          after each render (a forced layout), which cost the first load more than it gave. */}
      <div style={{ overflowX: 'auto' }}>
        <Table<TaskListItem>
          rowKey="task_id"
          rowSelection={{ selectedRowKeys: selected.map((r) => r.task_id), onChange: (keys) => setSelectedIds(keys.map(Number)) }}
          size="middle"
          loading={tasks.isPending}
          columns={columns}
          dataSource={rows}
          locale={{ emptyText: t('tasks.empty') }}
          pagination={{
            pageSize,
            showSizeChanger: true,
            onShowSizeChange: (_, s) => setPageSize(storePageSize(s)),
            showTotal: (n) => t('tasks.total', { count: n }),
          }}
        />
      </div>
    </Card>
  )
}
