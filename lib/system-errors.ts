/**
 * Plain words for the errno codes that file and socket operations report, so that
 * messages read "is a directory" rather than EISDIR.
 */

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EPIPE: 'broken pipe',
  EIO: 'input/output error',
};

/** Returns the words for an error's errno code, or its message when the code is unknown. */
export function describeSystemError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && Object.hasOwn(ERRNO_WORDS, code)) return ERRNO_WORDS[code] as string;
  if (code !== undefined) return code;

  return error instanceof Error ? error.message : String(error);
}
