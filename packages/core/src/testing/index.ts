export * from './fakes.js';
export * from './configs.js';
