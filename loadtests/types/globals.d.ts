// k6 provides a console (its log lines go to stderr); neither version of @types/k6 declares it, and the
// DOM or Node libraries would declare far more than k6 has. Type-checking only; k6 never reads this file.
declare const console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
