/**
 * `underRunPrefix(t, prefix)`: the transaction with its ids under a run prefix, so each test or
 * bench run writes new transactions and entities into a shared database.
 */
export { withIdPrefix as underRunPrefix } from '../../src/services/ingestor/id-prefix.ts';
