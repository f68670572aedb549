/**
 * A small POSIX-shell tokeniser for the command lines shown in the docs: quotes, backslash escapes,
 * comments, `$VAR` / `${VAR}` / `$(...)` / backticks (kept as text and marked opaque: their value is
 * unknown), operators (`|`, `||`, `&&`, `;`, `&`, `{ ... }`) that separate simple commands, and
 * redirections (`> file`, `2>/dev/null`, `2>&1`), which are dropped. `\`-newline continuations are
 * joined by the caller. Not a shell: no globbing, no aliases, no here-documents.
 */

export interface Word {
  readonly text: string;
  /** Holds an expansion (`$VAR`, `$(...)`, backticks) whose value the docs cannot know. */
  readonly opaque: boolean;
}

const OPERATORS = ['&&', '||', ';;', '|&', '|', ';', '&', '(', ')'];

/** Splits one logical command line into simple commands, each a list of words. */
export function shellCommands(line: string): Word[][] {
  const commands: Word[][] = [];
  let words: Word[] = [];
  let text = '';
  let opaque = false;
  let inWord = false;
  let redirect = false;
  const endWord = (): void => {
    if (!inWord) return;
    if (redirect) redirect = false;
    else if ((text === '{' || text === '}' || text === '!') && !opaque) endCommand();
    else words.push({ text, opaque });
    text = '';
    opaque = false;
    inWord = false;
  };
  const endCommand = (): void => {
    if (words.length > 0) commands.push(words);
    words = [];
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i] ?? '';
    if (/\s/.test(c)) {
      endWord();
      i++;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const stop = end === -1 ? line.length : end;
      text += line.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] ?? '')) {
          text += line[i + 1];
          i += 2;
        } else if (line[i] === '$' || line[i] === '`') {
          const end = expansionEnd(line, i);
          text += line.slice(i, end);
          opaque = true;
          i = end;
        } else {
          text += line[i];
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      text += line[i + 1] ?? '';
      inWord = true;
      i += 2;
    } else if (c === '$' || c === '`') {
      const end = expansionEnd(line, i);
      text += line.slice(i, end);
      opaque = opaque || end - i > 1;
      inWord = true;
      i = end;
    } else if (c === '>' || c === '<' || line.startsWith('&>', i)) {
      // A redirection: `> file`, `2>/dev/null`, `>> log`, `2>&1`, `&> all`. Dropped with its target.
      if (/^\d+$/.test(text) && !opaque) {
        text = '';
        inWord = false;
      } else {
        endWord();
      }
      let j = c === '&' ? i + 2 : i + 1;
      if (line[j] === '>') j++;
      if (line[j] === '&') {
        j++;
        while (/[\d-]/.test(line[j] ?? '')) j++;
      } else {
        redirect = true;
      }
      i = j;
    } else {
      const operator = OPERATORS.find((op) => line.startsWith(op, i));
      if (operator !== undefined) {
        endWord();
        endCommand();
        i += operator.length;
      } else {
        text += c;
        inWord = true;
        i++;
      }
    }
  }
  endWord();
  endCommand();
  return commands;
}

/** Index just past the expansion starting at `start` (`$NAME`, `${...}`, `$(...)`, `` `...` ``). */
function expansionEnd(line: string, start: number): number {
  if (line[start] === '`') {
    const end = line.indexOf('`', start + 1);
    return end === -1 ? line.length : end + 1;
  }
  const next = line[start + 1];
  if (next === '{' || next === '(') {
    const close = next === '{' ? '}' : ')';
    let depth = 0;
    for (let i = start + 1; i < line.length; i++) {
      if (line[i] === next) depth++;
      else if (line[i] === close && --depth === 0) return i + 1;
    }
    return line.length;
  }
  const name = /^(?:[A-Za-z_]\w*|[0-9@*#?$!-])/.exec(line.slice(start + 1));
  return start + 1 + (name?.[0].length ?? 0);
}

const ASSIGNMENT = /^[A-Za-z_]\w*=/;
const WRAPPERS = new Set(['exec', 'time', 'sudo', 'command', 'nohup']);
// docker run options that take no value; any other option without "=" takes the next word.
const DOCKER_FLAGS = new Set(['--rm', '-i', '-t', '-it', '-ti', '-d', '--init', '--read-only', '--privileged', '--interactive', '--tty', '--detach']);

/**
 * The arguments given to `migrate` by one simple command, or `undefined` when it does not run
 * migrate. Recognised: `migrate`, a path ending in `/migrate` (`./bin/migrate`), `npx migrate`,
 * `node bin/migrate`, with `VAR=value` assignments, `env`, `exec`, `time` or `sudo` in front, and
 * `docker run [options] <image named migrator> ...`.
 */
export function migrateArguments(command: ReadonlyArray<Word>): Word[] | undefined {
  let i = 0;
  const at = (k: number): string => command[k]?.text ?? '';
  for (;;) {
    if (ASSIGNMENT.test(at(i))) i++;
    else if (WRAPPERS.has(at(i)) || at(i) === 'env') i++;
    else if (at(i) === 'npx') {
      i++;
      while (at(i).startsWith('-')) i++;
    } else if (at(i) === 'node' && isMigrate(at(i + 1))) i++;
    else break;
  }
  if (isMigrate(at(i))) return command.slice(i + 1);
  if (at(i) === 'docker' && at(i + 1) === 'run') {
    i += 2;
    while (at(i).startsWith('-')) i += DOCKER_FLAGS.has(at(i)) || at(i).includes('=') ? 1 : 2;
    if (/(?:^|\/)migrator(?::[\w.-]+)?$/.test(at(i))) return command.slice(i + 1);
  }
  return undefined;
}

function isMigrate(word: string): boolean {
  return word === 'migrate' || /(?:^|\/)bin\/migrate$|^\.\/migrate$/.test(word);
}
