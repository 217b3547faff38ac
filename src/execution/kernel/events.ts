/** The trading kernel's events: domain types, defined in src/core so every adapter (telemetry in src/obs) can read them. */
export type * from '../../core/kernel-events.js';
