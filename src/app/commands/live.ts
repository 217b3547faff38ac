import { loadConfig } from '../config/load-config.js';
import type { CliCommand } from '../command.js';

/**
 * `wick live`. Live trading never starts by accident: the configuration must say WICK_MODE=live and
 * carry the API key, the secret and the explicit confirmation, or the command refuses naming what is
 * missing (exit 2). The live execution path itself (CcxtBroker trader with reconciliation) is not
 * wired into the daemon in this version, so even a complete configuration stops here, plainly.
 */
export const command: CliCommand = {
  name: 'live',
  summary: 'Trade real money (needs WICK_MODE=live, keys and WICK_LIVE_CONFIRM; not wired yet)',
  help: `Usage: wick live [--role all|ingest|signal|trader]

Runs the daemon with real orders through ccxt. Refuses to start unless all of these are set:
  WICK_MODE=live
  WICK_API_KEY and WICK_API_SECRET (trade permission only; never enable withdrawals)
  WICK_LIVE_CONFIRM=I-UNDERSTAND-THIS-TRADES-REAL-MONEY
Run \`wick doctor\` first, and paper-trade (\`wick paper\`) before going live.

Status: the live trader is not wired into the daemon in this version; the command checks the
configuration and then stops with exit status 1.`,
  run(_args, ctx) {
    const config = loadConfig(ctx.env);
    if (config.mode !== 'live') {
      ctx.stderr.write(
        'wick live: refusing to trade real money: WICK_MODE is "paper". Set WICK_MODE=live, WICK_API_KEY, WICK_API_SECRET and WICK_LIVE_CONFIRM=I-UNDERSTAND-THIS-TRADES-REAL-MONEY — or run `wick paper`.\n',
      );
      return Promise.resolve(2);
    }
    ctx.stderr.write('wick live: the configuration is complete, but the live trader is not wired into the daemon in this version of wick; nothing was sent to the exchange. Use `wick paper` meanwhile.\n');
    return Promise.resolve(1);
  },
};
