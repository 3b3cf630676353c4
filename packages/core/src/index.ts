export * from './errors.js';
export * from './logger.js';
export * from './types.js';
export * from './plugins.js';
export * from './context.js';
export * from './service.js';
export type { VersionInfo } from './version.js';
export type { RuntimeCondition, RuntimeStatus, RuntimeConfigInfo } from './status.js';
export { findExecutable } from './which.js';
