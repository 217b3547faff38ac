import type { KernelEvent, Logger } from '../core/index.js';
import type { WickMetrics } from './metrics.js';
import { notifyEvents, type Notifier } from './notify.js';
import type { RecentErrors } from './operator-api-errors.js';

export interface TelemetryOptions {
  readonly logger: Logger;
  readonly metrics: WickMetrics;
  /** Null when no notification sink is configured. */
  readonly notifier: Notifier | null;
  /** The operator API's recent-errors list. */
  readonly errors: RecentErrors;
}

/** An error object with a stable code, for the errors list and notifications. */
function coded(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * The one subscriber to the trading kernel's events, the same in every mode: log lines, Prometheus
 * metrics, notifications (fills, stop-outs, kill switch, errors) and the operator API's error list.
 * Hand `on` to the trader as its event listener; `onStatus` hears the trader's own status changes.
 */
export class Telemetry {
  private readonly log: Logger;

  constructor(private readonly options: TelemetryOptions) {
    this.log = options.logger.child({ component: 'telemetry' });
  }

  on(event: KernelEvent): void {
    const { metrics, notifier, errors } = this.options;
    switch (event.type) {
      case 'CandleStepped':
        metrics.equityQuote.set(event.equityQuote);
        break;
      case 'IntentEvaluated':
        metrics.ordersTotal.inc({ status: event.outcome });
        if (event.outcome === 'rejected' || event.outcome === 'unknown') {
          const failure = coded(`intent ${event.intent.intentId} ${event.outcome}: ${event.message ?? ''}`, event.code ?? event.outcome.toUpperCase());
          errors.record(failure, 'trader');
          notifier?.notify(notifyEvents.error(failure, 'trader'));
        }
        break;
      case 'OrderFilled':
        metrics.positionQtyBase.set({ symbol: event.fill.symbol }, event.positionQtyBase);
        this.log.info(
          {
            symbol: event.fill.symbol,
            side: event.fill.side,
            qtyBase: event.fill.qtyBase,
            priceQuote: event.fill.priceQuote,
            purpose: event.purpose,
            clientOrderId: event.fill.clientOrderId,
          },
          'order filled',
        );
        notifier?.notify(notifyEvents.fill(event.fill, event.purpose));
        if (event.purpose === 'stop') notifier?.notify(notifyEvents.stopOut(event.fill.symbol, event.fill.priceQuote));
        break;
      case 'StopTriggered':
        this.log.warn(
          { symbol: event.symbol, purpose: event.purpose, levelQuote: event.levelQuote, native: event.native },
          `${event.purpose === 'stop' ? 'stop' : 'take-profit'} triggered`,
        );
        break;
      case 'OrderRejected':
      case 'OrderOutcomeUnknown':
        metrics.errorsTotal.inc({ code: event.code });
        break;
      case 'EmergencyExitSent': {
        const failure = coded(`${event.symbol}: stop could not be placed (${event.why}); emergency exit ${event.sent ? 'sent' : 'FAILED'}`, 'EMERGENCY_EXIT');
        errors.record(failure, 'trader');
        notifier?.notify(notifyEvents.error(failure, 'trader'));
        break;
      }
      case 'KillSwitchTripped':
        notifier?.notify(notifyEvents.killSwitch(event.reason));
        break;
      case 'KillSwitchReset':
        this.log.warn({ by: event.by, atMs: event.atMs, equityQuote: event.equityQuote, previousReason: event.previousReason }, 'kill switch reset');
        break;
      case 'EntriesPaused':
      case 'EntriesResumed':
        this.log.warn({ by: event.by }, event.type === 'EntriesPaused' ? 'entries paused by operator' : 'entries resumed by operator');
        break;
      default:
        break;
    }
  }

  /** The trader stopped trading (fail-closed, halted): the errors list and a notification. */
  onStatus(status: string, reason: string | null): void {
    if (status !== 'fail-closed' && status !== 'halted') return;
    const failure = coded(`trader ${status}: ${reason ?? ''}`, status === 'halted' ? 'LIVE_HALTED' : 'LIVE_FAIL_CLOSED');
    this.options.errors.record(failure, 'trader');
    this.options.notifier?.notify(notifyEvents.error(failure, 'trader'));
  }

  /** A candle that arrived after later ones were traded. */
  onLateCandle(seriesId: string, openTimeMs: number): void {
    this.options.errors.record(coded(`${seriesId} candle ${openTimeMs} arrived after later candles were traded`, 'CANDLE_LATE'), 'trader');
  }

  /** A series went stale (no closed candle for too long). */
  onStale(seriesId: string, ageMs: number): void {
    this.options.notifier?.notify(notifyEvents.staleData(seriesId, ageMs));
  }
}
