export * from './catalog.js';
export * from './chat-template.js';
export * from './config-json.js';
export * from './facts.js';
export * from './gguf.js';
export * from './safetensors.js';
export * from './server-reported.js';
export * from './tiers.js';
