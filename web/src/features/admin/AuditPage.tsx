import { useInfiniteQuery } from '@tanstack/react-query'
import { Button, Card, Result, Table, Typography } from 'antd'
import { useTranslation } from 'react-i18next'
import { api } from '../../api/client'
import { useMe } from '../../api/session'
import type { AuditEntry } from '../../api/models'

const PAGE = 100

export function AuditPage() {
  const { t } = useTranslation()
  const me = useMe()
  const audit = useInfiniteQuery({
    queryKey: ['audit'],
    enabled: me.data?.role === 'admin',
    initialPageParam: undefined as number | undefined,
    queryFn: async ({ pageParam }) => (await api.get('/api/audit', { query: { limit: PAGE, before: pageParam } })).entries,
    getNextPageParam: (last) => (last.length < PAGE ? undefined : last[last.length - 1]?.id),
  })
  if (me.data && me.data.role !== 'admin') return <Result status="403" title={t('users.adminOnly')} />
  const rows = audit.data?.pages.flat() ?? []
  return (
    <Card title={t('audit.title')}>
      <Table<AuditEntry>
        rowKey="id"
        size="small"
        loading={audit.isPending}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('audit.at'), dataIndex: 'at', width: 170 },
          { title: t('audit.user'), dataIndex: 'username', render: (u: string | null) => u ?? '—' },
          { title: t('audit.action'), dataIndex: 'action', render: (a: string) => <Typography.Text code>{a}</Typography.Text> },
          { title: t('audit.target'), key: 'target', render: (_, e) => (e.target_type ? `${e.target_type} ${e.target_id ?? ''}` : '—') },
          {
            title: t('audit.details'),
            dataIndex: 'details',
            render: (d: unknown) => (d ? <Typography.Text type="secondary">{JSON.stringify(d)}</Typography.Text> : ''),
          },
          { title: t('audit.ip'), dataIndex: 'ip', responsive: ['md'] },
        ]}
      />
      {audit.hasNextPage && (
        <Button style={{ marginTop: 12 }} onClick={() => void audit.fetchNextPage()} loading={audit.isFetchingNextPage}>
          {t('audit.older')}
        </Button>
      )}
    </Card>
  )
}
