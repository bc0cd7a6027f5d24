// Limits every upload reader checks while it reads (config `import`), so that no file, however
// it is built, costs more memory or time than a file at the limits.

export interface SheetLimits {
  /** Data rows (the header row not counted). */
  maxRows: number;
  /** Cells in one row. */
  maxColumns: number;
  /** Characters in one cell. */
  maxCellChars: number;
}

export const NO_LIMITS: SheetLimits = { maxRows: Number.MAX_SAFE_INTEGER, maxColumns: 1 << 20, maxCellChars: 1 << 26 };

/** A limit was passed while reading: the caller answers 413. */
export class SheetLimitError extends Error {}
