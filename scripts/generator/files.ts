// The six files of a CSV dataset directory (docs/decisions.md, "Input"), in the order the generator writes them.

export const DATASET_FILES = [
  { key: 'workspaces', name: 'workspaces.csv', header: 'workspace_id,owner_id,member_ids' },
  { key: 'payments', name: 'payments.csv', header: 'payment_id,user_id,amount,currency,paid_at' },
  { key: 'refunds', name: 'refunds.csv', header: 'refund_id,user_id,amount,currency,refunded_at,payment_id' },
  { key: 'integrations', name: 'integrations.csv', header: 'event_id,user_id,platform,action,occurred_at' },
  { key: 'calls', name: 'calls.csv', header: 'call_id,user_id,platform,started_at,duration' },
  { key: 'sms', name: 'sms.csv', header: 'sms_id,user_id,platform,sent_at,segments' },
] as const;

export type FileKey = (typeof DATASET_FILES)[number]['key'];

export const FILE_KEYS: readonly FileKey[] = DATASET_FILES.map((f) => f.key);
