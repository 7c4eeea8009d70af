/**
 * A recorded command as one line for people: words quoted as a POSIX shell would need them, and
 * control characters (newlines, ANSI escapes) shown as escapes so they cannot break a table or a
 * terminal. Pure: the webviews import it too.
 */
export function commandText(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}

function quoteWord(word: string): string {
  const visible = word.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  if (visible !== '' && /^[\w@%+=:,./[\]-]+$/.test(visible)) return visible;
  return `'${visible.split("'").join("'\\''")}'`;
}

/** `text` cut to `max` characters with an ellipsis in the middle (the program and the last arguments both stay readable). */
export function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) * 0.6);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}
