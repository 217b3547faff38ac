/** A Binance-style API error: HTTP status plus the `{code, msg}` body the real exchange sends. */
export class BinanceApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    readonly msg: string,
  ) {
    super(`${code} ${msg}`);
    this.name = 'BinanceApiError';
  }

  toBody(): { code: number; msg: string } {
    return { code: this.code, msg: this.msg };
  }
}

/** The error texts the simulator uses, copied from Binance's spot API, so ccxt maps them as it maps the real ones. */
export const binanceErrors = {
  insufficientBalance: () => new BinanceApiError(400, -2010, 'Account has insufficient balance for requested action.'),
  duplicateOrder: () => new BinanceApiError(400, -2010, 'Duplicate order sent.'),
  stopWouldTrigger: () => new BinanceApiError(400, -2010, 'Stop price would trigger immediately.'),
  wouldTakeImmediately: () => new BinanceApiError(400, -2010, 'Order would immediately match and take.'),
  unknownOrder: () => new BinanceApiError(400, -2013, 'Order does not exist.'),
  cancelUnknownOrder: () => new BinanceApiError(400, -2011, 'Unknown order sent.'),
  filterFailure: (filter: 'LOT_SIZE' | 'PRICE_FILTER' | 'NOTIONAL' | 'MARKET_LOT_SIZE' | 'PERCENT_PRICE_BY_SIDE' | 'MAX_NUM_ORDERS' | 'MAX_NUM_ALGO_ORDERS') =>
    new BinanceApiError(400, -1013, `Filter failure: ${filter}`),
  invalidSymbol: () => new BinanceApiError(400, -1121, 'Invalid symbol.'),
  invalidOrderType: () => new BinanceApiError(400, -1116, 'Invalid orderType.'),
  invalidSide: () => new BinanceApiError(400, -1117, 'Invalid side.'),
  invalidTimeInForce: () => new BinanceApiError(400, -1115, 'Invalid timeInForce.'),
  invalidInterval: () => new BinanceApiError(400, -1120, 'Invalid interval.'),
  mandatory: (param: string) => new BinanceApiError(400, -1102, `Mandatory parameter '${param}' was not sent, was empty/null, or malformed.`),
  illegalValue: (param: string) =>
    new BinanceApiError(400, -1100, `Illegal characters found in parameter '${param}'; legal range is '^[0-9]{1,20}(\\.[0-9]{1,20})?$'.`),
  bothOrderIds: () => new BinanceApiError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"),
  timestampAhead: () => new BinanceApiError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."),
  timestampOutside: () => new BinanceApiError(400, -1021, 'Timestamp for this request is outside of the recvWindow.'),
  recvWindowTooLarge: () => new BinanceApiError(400, -1131, 'recvWindow must be less than 60000'),
  apiKeyFormat: () => new BinanceApiError(401, -2014, 'API-key format invalid.'),
  apiKeyInvalid: () => new BinanceApiError(401, -2015, 'Invalid API-key, IP, or permissions for action.'),
  badSignature: () => new BinanceApiError(400, -1022, 'Signature for this request is not valid.'),
  notFound: () => new BinanceApiError(404, -1000, 'Not found.'),
} as const;
