// The run's activities, bound to their dependencies (see activities/index.ts).
export { prepareRun, type PrepareRunInput, type PreparedRun } from './prepareRun';
export { buildContextShard, type ContextShardInput, type ContextShardResult } from './buildContextShard';
export { attributeBookShard, type BookShardInput, type BookShardResult } from './attributeBookShard';
export { attributeShard, type ShardInput, type ShardPassResult } from './attributeShard';
export { excludeUnattributable } from './excludeUnattributable';
export { learnRunModels, type LearnRunModelsInput, type LearnedModelsSummary } from './learnRunModels';
export { reconcileRun, readReconciliation, type ReconciliationRow } from './reconcileRun';
