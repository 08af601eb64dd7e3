// The ledger writer lives in the ledger's store (store/ledger.ts, docs/ledger.md); this name is
// kept for the activities that import it.
export { writeDecisions as writeLedger, type LedgerDecision, type LedgerWriteResult } from '../../store/ledger';
