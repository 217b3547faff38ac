export * from './horizon-averaging-policy.js';
export * from './policy.js';
export * from './threshold-hysteresis-policy.js';
