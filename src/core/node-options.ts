// Node's own command-line options, for the few that node-nss honours as node:tls does (`--tls-keylog`). Node
// gives no API for them: they are read from process.execArgv and NODE_OPTIONS, which node reads first (the
// command line wins).

/** The words of NODE_OPTIONS as node splits them: on spaces, with "double quotes" and \-escapes inside them. */
function nodeOptionsWords(text: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (ch === '"') {
      quoted = !quoted;
      word ??= '';
    } else if (ch === ' ' && !quoted) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The last value of `--name=value` or `--name value` among `args`, or undefined. */
function lastValue(args: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith(`${name}=`)) value = arg.slice(name.length + 1);
    else if (arg === name && i + 1 < args.length) value = args[++i];
  }
  return value;
}

/**
 * @internal The value node was given for its option `name` (`--tls-keylog`) on the command line or in
 * NODE_OPTIONS, or undefined when it was not.
 */
export function nodeOptionValue(name: string): string | undefined {
  return (
    lastValue(process.execArgv, name) ?? lastValue(nodeOptionsWords(process.env.NODE_OPTIONS ?? ''), name)
  );
}
