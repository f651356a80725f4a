/**
 * Option parsing the way the appliance's bash scripts do it (`getopts`): single-letter flags that
 * can be grouped (`-xo`), option arguments attached or separate (`-t123` / `-t 123`), parsing
 * stops at `--` or the first operand, and the same error messages as bash.
 */
export interface ParsedOptions {
  /** Options in order; `value` is null for flags without an argument. */
  readonly options: readonly { flag: string; value: string | null }[];
  readonly operands: readonly string[];
  /** Bash's message (`PROG: illegal option -- z`), or null when the arguments parsed. */
  readonly error: string | null;
}

export function getopts(program: string, args: readonly string[], spec: string): ParsedOptions {
  const options: { flag: string; value: string | null }[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j] as string;
      const at = flag === ':' ? -1 : spec.indexOf(flag);
      if (at < 0) return { options, operands: [], error: `${program}: illegal option -- ${flag}` };
      if (spec[at + 1] === ':') {
        let value: string | undefined = arg.slice(j + 1);
        if (value === '') value = args[++i];
        if (value === undefined)
          return { options, operands: [], error: `${program}: option requires an argument -- ${flag}` };
        options.push({ flag, value });
        break;
      }
      options.push({ flag, value: null });
    }
  }
  return { options, operands: args.slice(i), error: null };
}

export function hasFlag(parsed: ParsedOptions, flag: string): boolean {
  return parsed.options.some((o) => o.flag === flag);
}

export function countFlag(parsed: ParsedOptions, flag: string): number {
  return parsed.options.filter((o) => o.flag === flag).length;
}

/** The last value given for `flag`, or null. */
export function optionValue(parsed: ParsedOptions, flag: string): string | null {
  let v: string | null = null;
  for (const o of parsed.options) if (o.flag === flag) v = o.value;
  return v;
}

/** What a command's option handling needs from its context. */
interface OptionsContext {
  program: string;
  args: readonly string[];
  print(...lines: string[]): void;
  printErr(...lines: string[]): void;
}

/**
 * The usual start of an appliance command: parse the options; a bad option or a stray operand
 * prints the usage to stderr (exit 1), `-h` prints it to stdout (exit 0). Returns the options, or
 * the exit code to return at once.
 */
export function commandOptions(ctx: OptionsContext, spec: string, usage: string): ParsedOptions | number {
  const opts = getopts(ctx.program, ctx.args, spec);
  if (opts.error || opts.operands.length > 0) {
    ctx.printErr(opts.error ?? `${ctx.program}: unexpected argument ${opts.operands[0]}`, usage);
    return 1;
  }
  if (hasFlag(opts, 'h')) {
    ctx.print(usage);
    return 0;
  }
  return opts;
}
