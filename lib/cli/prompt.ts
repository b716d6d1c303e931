/**
 * Password input: one line from standard input (`--password-stdin`), or a prompt on the
 * terminal with echo off. The terminal mode is restored on every exit path, Ctrl-C
 * included. With no terminal and no other source, the caller gets an error, never a hang.
 */

import type { Readable } from 'node:stream';

import { AtsAuthError } from '../errors.ts';
import type { CommandContext } from './command.ts';

/** Maximum password line read, in bytes; a longer input is an error, not a silent cut. */
export const MAX_PASSWORD_BYTES = 4096;

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_U = '\u0015';
const BACKSPACE = new Set(['\u0008', '\u007f']);

type TtyInput = Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Reads the first line of `input`, without its line end; `maxBytes` bounds the line. */
export async function readFirstLine(input: Readable, what: string, maxBytes = MAX_PASSWORD_BYTES) {
  const chunks: Buffer[] = [];
  let size = 0;

  for await (const chunk of input) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    const newline = buffer.indexOf(0x0a);
    chunks.push(newline < 0 ? buffer : buffer.subarray(0, newline));
    size += buffer.byteLength;
    if (newline >= 0) break;
    if (size > maxBytes) {
      throw new AtsAuthError('ERR_USAGE', `Invalid ${what} on standard input: longer than ${maxBytes} bytes`);
    }
  }

  return Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
}

/** Reads a line at the terminal with echo off. Ctrl-C rejects with ERR_INTERRUPTED. */
export function readHiddenLine(input: TtyInput, output: NodeJS.WritableStream, prompt: string) {
  return new Promise<string>((resolve, reject) => {
    let line = '';
    output.write(prompt);
    input.setRawMode?.(true);
    input.setEncoding('utf8');

    const finish = (error: AtsAuthError | undefined) => {
      input.setRawMode?.(false);
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      output.write('\n');
      if (error === undefined) resolve(line);
      else reject(error);
    };
    const onEnd = () =>
      finish(new AtsAuthError('ERR_NO_PASSWORD', 'No password: input ended (Ctrl-D) at the prompt'));
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n') return finish(undefined);
        if (char === CTRL_C) return finish(new AtsAuthError('ERR_INTERRUPTED', 'Interrupted at the password prompt'));
        if (char === CTRL_D && line === '') return onEnd();
        if (char === CTRL_U) line = '';
        else if (BACKSPACE.has(char)) line = [...line].slice(0, -1).join('');
        else if (char >= ' ') line += char;
      }
    };

    input.on('data', onData);
    input.on('end', onEnd);
    input.resume();
  });
}

export interface PasswordOptions {
  /** Text shown at the terminal, for example `Password for user marco: `. */
  prompt: string;
  /** Read the first line of standard input instead of prompting. */
  fromStdin: boolean;
  /** Ask twice at the terminal and require both entries to match. */
  confirm?: boolean;
  /** Other password sources, named in the error when there is no terminal. */
  otherSources?: string;
}

/**
 * Returns a password from standard input or the terminal prompt. Throws ERR_NO_PASSWORD
 * when standard input is not a terminal and `fromStdin` is false.
 */
export async function obtainPassword(context: CommandContext, options: PasswordOptions): Promise<string> {
  if (options.fromStdin) {
    const password = await readFirstLine(context.stdin, 'password');
    if (password === '') {
      throw new AtsAuthError(
        'ERR_NO_PASSWORD',
        'No password: the first line of standard input is empty; write the password there',
      );
    }

    return password;
  }

  const input = context.stdin as TtyInput;
  if (input.isTTY !== true) {
    throw new AtsAuthError(
      'ERR_NO_PASSWORD',
      `No password and no terminal to ask for one: ${options.otherSources ?? 'use --password-stdin'}`,
    );
  }

  const password = await readHiddenLine(input, context.stderr, options.prompt);
  if (options.confirm === true) {
    const again = await readHiddenLine(input, context.stderr, 'Repeat the password: ');
    if (again !== password) throw new AtsAuthError('ERR_USAGE', 'The two passwords differ: nothing was changed');
  }
  if (password === '') throw new AtsAuthError('ERR_NO_PASSWORD', 'No password: the prompt got an empty line');

  return password;
}
