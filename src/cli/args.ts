// The command line's commands and options, parsed by node:util parseArgs; help text is made from the same table.
import { parseArgs } from 'node:util';

/** @internal A wrong command line: printed with the command's usage, exit status 2. */
export class UsageError extends Error {}

/** @internal One option of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** What the value is called in the help (`dbdir`), for string options. */
  value?: string;
  help: string;
  multiple?: boolean;
}

/** @internal One command: what it takes and does, and how it runs. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments as the usage line shows them (`<host:port>`). */
  operands: string;
  /** Longer text after the option list. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** How many operands (min, max). */
  operandCount: [number, number];
}

/** @internal What parseArgs made of a command's arguments. */
export interface ParsedCommand {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  operands: string[];
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

/** @internal The help of one command. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, help: HELP }).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.value ? ` <${option.value}>` : ''}`;
    return `  ${flag.padEnd(30)} ${option.help}`;
  });
  return [
    `usage: node-nss ${spec.name} [options]${spec.operands ? ` ${spec.operands}` : ''}`,
    '',
    spec.summary,
    '',
    'options:',
    ...rows,
    ...(spec.details ? ['', spec.details] : []),
    '',
  ].join('\n');
}

/** @internal Parses `args` for `spec`; a wrong option or operand count throws {@link UsageError}. */
export function parseCommand(spec: CommandSpec, args: string[]): ParsedCommand | 'help' {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, option] of Object.entries({ ...spec.options, help: HELP })) {
    options[name] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.multiple ? { multiple: true } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs's messages name the option ("Unknown option '--x'"); its hints about `--` are for scripts.
    const message =
      err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : '';
    throw new UsageError(message);
  }
  if (parsed.values.help === true) return 'help';
  const [min, max] = spec.operandCount;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(
      max === 0
        ? `${spec.name} takes no operands (got ${parsed.positionals.join(' ')})`
        : `${spec.name} takes ${spec.operands}`,
    );
  }
  return { values: parsed.values, operands: parsed.positionals };
}

/** @internal A string option's value, or undefined. */
export function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** @internal A repeatable string option's values. */
export function stringOptions(parsed: ParsedCommand, name: string): string[] {
  const value = parsed.values[name];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** @internal Whether a boolean option was given. */
export function flag(parsed: ParsedCommand, name: string): boolean {
  return parsed.values[name] === true;
}

/** @internal `host:port`, `[v6]:port`. */
export function hostPort(target: string, command: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  const port = Number(m?.[2]);
  if (!m?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${command} takes host:port (got ${target})`);
  }
  return { host: m[1], port };
}

/** @internal A port number option (0 = any free port). */
export function portOption(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port takes a port number (got ${value})`);
  return port;
}
