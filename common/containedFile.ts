// Opening a file that a configuration names relative to its directory (a dataset's CSV files and
// dataset.yaml, a ruleset's bundles_file) without ever reading outside that directory
// (docs/decisions.md, "Input: nothing read from outside the dataset"). Every refusal names the
// file as it was written and says why; nothing of the file is read before the checks pass.
import fs from 'node:fs';
import path from 'node:path';

/** Why a named file may not be read; the message never holds any of its content. */
export class FileRefused extends Error {}

/**
 * The lexical rule, checkable without touching the disk: a relative name with no `..` segment and
 * no NUL. Returns the reason it is refused, or undefined when it is acceptable.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name.includes('\0')) return 'holds a NUL character';
  if (path.isAbsolute(name)) return 'is an absolute path; name a file inside the directory, relative to it';
  if (name.split(/[\\/]/).includes('..')) return 'climbs out of the directory with ".."; name a file inside the directory';
  return undefined;
}

export interface OpenedFile {
  /** An open descriptor of a regular file; the caller closes it (a read stream with autoClose does). */
  fd: number;
  sizeBytes: number;
  /** The path that was opened (inside the directory). */
  filePath: string;
}

/**
 * Opens `name` inside `dir` for reading, or returns undefined when no such file exists. Refused:
 * names that fail the lexical rule, symbolic links (at any depth) whose target lies outside the
 * directory, and anything that is not a regular file (directories, devices such as /dev/zero,
 * FIFOs, sockets). The descriptor is opened non-blocking, so that a FIFO swapped in between the
 * check and the open cannot hang the reader, and checked again once open.
 */
export function openContainedFile(dir: string, name: string, label: string): OpenedFile | undefined {
  const lexical = unsafeNameReason(name);
  if (lexical) throw new FileRefused(`${label} ${JSON.stringify(name)} ${lexical}.`);
  const filePath = path.join(dir, name);
  let real: string;
  try {
    real = fs.realpathSync(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // A dangling symbolic link is refused by name too: it is not a file that is missing.
      if (isSymlink(filePath)) throw new FileRefused(`${label} ${JSON.stringify(name)} is a symbolic link to a file that does not exist.`);
      return undefined;
    }
    throw new FileRefused(`${label} ${JSON.stringify(name)} cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  const realDir = fs.realpathSync(dir);
  if (real !== realDir && !real.startsWith(realDir + path.sep)) {
    throw new FileRefused(`${label} ${JSON.stringify(name)} is a symbolic link that leads outside the directory; copy the file into the directory instead.`);
  }
  const before = fs.statSync(real);
  if (!before.isFile()) throw new FileRefused(`${label} ${JSON.stringify(name)} is ${kindOf(before)}, not a regular file.`);
  const fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  const after = fs.fstatSync(fd);
  if (!after.isFile() || after.ino !== before.ino || after.dev !== before.dev) {
    fs.closeSync(fd);
    throw new FileRefused(`${label} ${JSON.stringify(name)} changed while it was being opened; try again once it is in place.`);
  }
  return { fd, sizeBytes: after.size, filePath: real };
}

/** Reads a whole contained file as text (small configuration files), or undefined when it does not exist. */
export function readContainedText(dir: string, name: string, label: string, maxBytes: number): string | undefined {
  const opened = openContainedFile(dir, name, label);
  if (!opened) return undefined;
  try {
    if (opened.sizeBytes > maxBytes) {
      throw new FileRefused(`${label} ${JSON.stringify(name)} is ${opened.sizeBytes} bytes; a configuration file may have at most ${maxBytes}.`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(fs.readFileSync(opened.fd));
    } catch {
      throw new FileRefused(`${label} ${JSON.stringify(name)} is not valid UTF-8; save it as UTF-8.`);
    }
  } finally {
    fs.closeSync(opened.fd);
  }
}

/**
 * Opens a file that the user named outright (on the command line): it may lie anywhere, and may
 * be a symbolic link, but what is read must be a regular file, never a device or a FIFO.
 * undefined when it does not exist.
 */
export function openNamedFile(filePath: string, label: string): OpenedFile | undefined {
  let real: string;
  try {
    real = fs.realpathSync(filePath);
  } catch {
    return undefined;
  }
  return openContainedFile(path.dirname(real), path.basename(real), label);
}

/** Reads a whole file named outright as UTF-8 text, with the checks of openNamedFile. */
export function readNamedText(filePath: string, label: string, maxBytes: number): string | undefined {
  let real: string;
  try {
    real = fs.realpathSync(filePath);
  } catch {
    return undefined;
  }
  return readContainedText(path.dirname(real), path.basename(real), label, maxBytes);
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}
