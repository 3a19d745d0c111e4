/**
 * Diagnostics: errors accumulate in the link context and are checked between
 * stages (mold's `ctx.checkpoint()`, lld's `errorCount()`, Go's
 * `exitIfErrors()`). A stage reports every problem it finds, then the driver
 * calls `checkpoint()`, which throws one `LinkError` carrying them all. Only
 * the CLI turns a `LinkError` into an exit status.
 *
 * Messages say what and where: file (and archive member), section, symbol,
 * offset. `where()` formats the location part consistently.
 */

/** Thrown by `checkpoint()` when errors were reported; carries every message. */
export class LinkError extends Error {
  readonly messages: readonly string[];
  constructor(messages: readonly string[]) {
    super(messages.join("\n"));
    this.name = "LinkError";
    this.messages = messages;
  }
}

export interface Location {
  file?: string;
  member?: string;
  section?: string;
  symbol?: string;
  offset?: number;
}

/** `file(member):(section)+0xOFF: symbol`-style location text. */
export function where(loc: Location): string {
  let s = loc.file ?? "";
  if (loc.member !== undefined) s += `(${loc.member})`;
  if (loc.section !== undefined) s += `${s ? ":" : ""}(${loc.section})`;
  if (loc.offset !== undefined) s += `+0x${loc.offset.toString(16)}`;
  if (loc.symbol !== undefined) s += `${s ? ": " : ""}symbol ${loc.symbol}`;
  return s;
}

/** How many errors are kept; further ones are counted, not stored. */
const MAX_ERRORS = 200;

export class Diagnostics {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  private dropped = 0;
  /** Where warnings go as they happen (stderr in the CLI; collected in tests). */
  private readonly onWarning: ((msg: string) => void) | undefined;
  constructor(onWarning?: (msg: string) => void) {
    this.onWarning = onWarning;
  }

  error(message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(message);
    else this.dropped++;
  }

  warn(message: string): void {
    this.warnings.push(message);
    this.onWarning?.(message);
  }

  get errorCount(): number {
    return this.errors.length + this.dropped;
  }

  /** Throws a `LinkError` with every error reported so far, if any. */
  checkpoint(): void {
    if (this.errorCount === 0) return;
    const msgs = [...this.errors];
    if (this.dropped > 0) msgs.push(`too many errors: ${this.dropped} more not shown`);
    throw new LinkError(msgs);
  }
}
