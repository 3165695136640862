/** Topic names are a contract (brief + pipeline issue). Messages are keyed by `card_id`. */
export const TOPICS = {
  transactions: 'transactions',
  enriched: 'enriched-transactions',
  scores: 'scores',
  alerts: 'alerts',
  dlq: 'transactions.dlq',
  labels: 'labels',
  labelsDlq: 'labels.dlq',
  rules: 'rules',
  models: 'models',
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
