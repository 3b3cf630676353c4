export { ConformanceFailure, type ConformanceCheck } from './checks.js';
export { networkConformance, podNetworkRequest, type NetworkConformanceSetup } from './network.js';
export { runtimeConformance, type RuntimeConformanceSetup } from './runtime.js';
export { namespaceConformance, type NamespaceConformanceSetup } from './namespace.js';
