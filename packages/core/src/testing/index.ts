export * from './fakes.js';
export * from './configs.js';
export * from './conformance/index.js';
