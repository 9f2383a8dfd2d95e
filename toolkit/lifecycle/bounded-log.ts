/**
 * A detached container's output, kept in a file that cannot fill the disk:
 * once output.log passes MAX_LOG_BYTES it becomes output.log.1 (replacing the
 * previous one) and a new output.log begins — docker's json-file driver with
 * max-size and max-file=2. At most twice the limit is ever kept.
 */
import fs from 'node:fs';

export const MAX_LOG_BYTES = 1024 * 1024;

export class BoundedLog {
  private fd: number;
  private size: number;

  constructor(private readonly file: string, private readonly maxBytes = MAX_LOG_BYTES) {
    this.fd = fs.openSync(file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  write(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.size > 0 && this.size + data.length > this.maxBytes) this.rotate();
    // A single chunk larger than the whole limit keeps only its end.
    const kept = data.length > this.maxBytes ? data.subarray(data.length - this.maxBytes) : data;
    fs.writeSync(this.fd, kept);
    this.size += kept.length;
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private rotate(): void {
    fs.closeSync(this.fd);
    fs.renameSync(this.file, `${this.file}.1`);
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = 0;
  }
}

/** Everything still kept, oldest first. */
export function readLog(file: string): Buffer {
  const parts = [`${file}.1`, file].flatMap((f) => {
    try {
      return [fs.readFileSync(f)];
    } catch {
      return [];
    }
  });
  return Buffer.concat(parts);
}
