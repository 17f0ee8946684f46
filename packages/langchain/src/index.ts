// @broke/langchain: BrokeChatModel (LangChain.js chat model routed by BROKE) and its helpers.
export * from './chat-model.js';
export * from './callback-handler.js';
export * from './errors.js';
export * from './route-metadata.js';
export * from './context.js';
export * from './messages.js';
export { structuredOutput, type BrokeStructuredMethod, type StructuredOptions } from './structured-output.js';
export type { BrokeBackend, BackendCall, BackendCompletion, BackendStream, BrokeChatBody, RouteRef } from './backend/types.js';
export { InProcessBackend, type InProcessOptions } from './backend/in-process.js';
export { RemoteBackend, type RemoteOptions } from './backend/remote.js';
