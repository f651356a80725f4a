/** Keeps the end of an appliance's output: enough to diagnose, small enough for history and mail. */
export function outputTail(text: string, maxLines = 40, maxChars = 4000): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  let tail = lines.slice(-maxLines).join('\n');
  if (tail.length > maxChars) tail = tail.slice(-maxChars);
  const cut = lines.length > maxLines || tail.length < text.trimEnd().length;
  return cut ? `[... earlier output omitted]\n${tail}` : tail;
}
