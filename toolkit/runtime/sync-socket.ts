/**
 * Parent and child talk over one socket, passed to the child as fd 3 (runc
 * does the same with its "init pipe"). Messages are lines of text:
 *
 *   nsexec → runner   "userns"          a user namespace exists; map it
 *   runner → nsexec   "mapped"          uid_map/gid_map are written
 *   nsexec → runner   "pid 12345"       the container's first process, as the host sees it
 *   runner → child    {…container…}     the configuration, and the signal to go
 *
 * When the child exec's the command, fd 3 closes (close-on-exec), and the
 * runner reads end-of-file.
 */
import type { Duplex } from 'node:stream';

export class LineReader {
  private buffer = '';
  private lines: string[] = [];
  private waiting: { resolve: (line: string | null) => void } | null = null;
  private ended = false;

  constructor(stream: Duplex) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
      }
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  /** The next line, or null once the other side has closed its end. */
  next(): Promise<string | null> {
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift()!);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = { resolve }));
  }

  private wake(): void {
    if (!this.waiting) return;
    const { resolve } = this.waiting;
    if (this.lines.length > 0) {
      this.waiting = null;
      resolve(this.lines.shift()!);
    } else if (this.ended) {
      this.waiting = null;
      resolve(null);
    }
  }
}
