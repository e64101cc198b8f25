/**
 * Quotes a token for bash. Values reaching scripts are already schema-checked
 * formats; quoting here is the second fence, so a format that slips still cannot
 * become shell syntax.
 */
export function shellQuote(token: string): string {
  return /^[A-Za-z0-9_./:,=@%+-]+$/.test(token) ? token : `'${token.replace(/'/g, `'\\''`)}'`;
}

export const shellJoin = (tokens: readonly string[]): string => tokens.map(shellQuote).join(' ');
