/** tsld's version, as `--version` and `ld64.tsld -v` print it (the CLI package's version). */
export const TSLD_VERSION = "0.1.0";
