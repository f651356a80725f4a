export { LocalEngine } from './local-engine.js';
export type {
  EngineEvent,
  EventListener,
  ExecutionDescription,
  ExecutionStatus,
  LocalEngineOptions,
  PendingTask,
  ResourceHandler,
} from './local-engine.js';
export { LocalExecutions } from './local-executions.js';
export { EngineError } from './errors.js';
export type { HistoryEvent, HistoryEventType } from './history.js';
export type { FunctionResolver, LambdaHandler, ResolvedFunction } from './lambda-invoker.js';
export { serverlessFunctionResolver, LambdaFunctionError } from './lambda-invoker.js';
export type { PreparedDefinition, TaskBinding } from './definition-loader.js';
