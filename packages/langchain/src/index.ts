// @broke/langchain: BrokeChatModel (LangChain.js chat model routed by BROKE) and its helpers.

export { InProcessBackend, type InProcessOptions } from './backend/in-process.js';
export { RemoteBackend, type RemoteOptions } from './backend/remote.js';
export type {
  BackendCall,
  BackendCompletion,
  BackendStream,
  BrokeBackend,
  BrokeChatBody,
  RouteRef,
} from './backend/types.js';
export * from './callback-handler.js';
export * from './chat-model.js';
export * from './context.js';
export * from './errors.js';
export * from './messages.js';
export * from './route-metadata.js';
export { type BrokeStructuredMethod, type StructuredOptions, structuredOutput } from './structured-output.js';
