import { hash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import type { MessagePort, Worker } from 'node:worker_threads';

/** node:worker_threads is loaded when a worker is started: loading it is ~4 ms of every start (a no-op rebuild, a small site) that has none. */
const threads = (): typeof import('node:worker_threads') => createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');

/**
 * Where the staging directory's files are written. Creating thousands of files
 * is mostly the kernel's work (open, allocate, write, close: 2,000 routes with
 * their edges are 4,162 files), which a worker thread does on another core
 * while this one renders the next files; small trees are written here, since
 * starting a thread costs more than they do. Either way every file is on disk
 * when `finish` returns, before the journal is committed (journal.ts).
 */
export interface FileWriter {
  /** `target` is absolute; its directory is made when missing. */
  write(target: string, content: string, mode: number): void;
  /**
   * Waits for every write and gives each file's digest (as the manifest lists
   * it), in the order written; the first write that failed is thrown here, as
   * the file-system error it was. Hashing is the writer's too: it has the bytes.
   */
  finish(): string[];
  /** Waits for every write and stops, whatever failed: before the staging directory is removed. */
  settle(): void;
}

/** From this many files up a worker writes them. */
export const WORKER_FROM_FILES = 512;
/** Files sent to the worker in one message: one message per file would cost more than the write. */
const BATCH = 128;
/** A site this size makes some thousand files: 200 routes are 23 KiB and 418 files. */
const WORKER_FROM_SITE_BYTES = 48 * 1024;

type Fs = Pick<typeof fs, 'chmodSync' | 'mkdirSync' | 'writeFileSync'>;
type Hash = typeof hash;

/**
 * The write of one file, umask or not, and its digest as the manifest lists it
 * (manifest.ts's sha256), shared by both writers: the worker runs this
 * function's own source, so it names nothing but its parameters.
 */
function writeOne(io: Fs, digest: Hash, made: Set<string>, umask: number, target: string, content: string, mode: number): string {
  const dir = target.slice(0, target.lastIndexOf('/'));
  if (!made.has(dir)) {
    io.mkdirSync(dir, { recursive: true });
    made.add(dir);
  }
  // The encoding is spelled out: Node takes its one-call UTF-8 write only when the
  // options say utf8, and an options object is not merged with the defaults.
  io.writeFileSync(target, content, { mode, encoding: 'utf8' });
  if ((mode & umask) !== 0) io.chmodSync(target, mode);
  return `sha256:${digest('sha256', content, 'hex')}`;
}

/** A writer on this thread, whatever the count: for what is staged after the files (the manifest). */
export const directWriter = (umask = process.umask()): FileWriter => new DirectWriter(umask);

/** A writer for `files` files (an estimate is enough): on this thread, or a worker's. */
export function fileWriter(files: number, umask = process.umask()): FileWriter {
  return files >= WORKER_FROM_FILES ? new WorkerWriter(umask) : new DirectWriter(umask);
}

/**
 * The writer a build picks before the site is compiled, by the site's size
 * (the file count is not known yet): a worker for a site big enough to need
 * one, started now so that the thread's start-up (~20 ms) runs beside the
 * compile instead of before the first write; this thread's when memory comes
 * first (a worker's own heap is ~17 MiB: 20,000 routes peak at 162 MiB with
 * one, 145 MiB without); undefined for a small site, which emit writes by the
 * file count. The caller settles it when the build is done, used or not.
 */
export function writerForSite(siteBytes: number, memoryFirst: boolean): FileWriter | undefined {
  if (memoryFirst) return directWriter();
  return siteBytes >= WORKER_FROM_SITE_BYTES ? new WorkerWriter(process.umask()) : undefined;
}

class DirectWriter implements FileWriter {
  private readonly made = new Set<string>();
  private digests: string[] = [];
  constructor(private readonly umask: number) {}

  write(target: string, content: string, mode: number): void {
    this.digests.push(writeOne(fs, hash, this.made, this.umask, target, content, mode));
  }

  finish(): string[] {
    const digests = this.digests;
    this.digests = [];
    return digests;
  }

  settle(): void {}
}

/**
 * The worker's whole program, from source: a bundled CLI has no separate file
 * to start it from. It writes each batch in order, sends back the batch's
 * digests (or the first failure, after which it writes nothing more) and then
 * counts the batch done in shared memory.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const io = require('node:fs');
const { hash } = require('node:crypto');
const writeOne = ${writeOne.toString()};
const { port, done, umask } = workerData;
const made = new Set();
let failed = false;
port.on('message', (batch) => {
  if (!failed) {
    const digests = [];
    try {
      for (const [target, content, mode] of batch) digests.push(writeOne(io, hash, made, umask, target, content, mode));
      port.postMessage({ digests });
    } catch (err) {
      failed = true;
      port.postMessage({ failure: { message: String(err && err.message), code: err && err.code, syscall: err && err.syscall, path: err && err.path, errno: err && err.errno } });
    }
  }
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
`;

type Reply = { digests?: string[]; failure?: Partial<NodeJS.ErrnoException> & { message: string } };

/**
 * Writes on a worker, sharing the work: a batch the worker is more than one
 * behind on is written here instead, so neither thread waits for the other
 * (the worker's writes and this thread's rendering take about as long).
 */
class WorkerWriter implements FileWriter {
  private readonly worker: Worker;
  private readonly receive: typeof import('node:worker_threads').receiveMessageOnPort;
  private readonly port: MessagePort;
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly here: DirectWriter;
  private batch: [string, string, number][] = [];
  /** Per batch in the order written: its digests when written here, undefined when the worker has it. */
  private readonly batches: (string[] | undefined)[] = [];
  private sent = 0;
  private settled = false;

  constructor(umask: number) {
    const { MessageChannel, Worker, receiveMessageOnPort } = threads();
    this.receive = receiveMessageOnPort;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.here = new DirectWriter(umask);
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { port: port2, done: this.done, umask }, transferList: [port2] });
    // Never what keeps the process alive: finish() waits for it, and a failed build does not.
    this.worker.unref();
    this.port.unref();
  }

  write(target: string, content: string, mode: number): void {
    this.batch.push([target, content, mode]);
    if (this.batch.length >= BATCH) this.flush();
  }

  finish(): string[] {
    this.flush();
    this.settle();
    const digests: string[] = [];
    for (const written of this.batches) {
      if (written) {
        digests.push(...written);
        continue;
      }
      const reply = this.receive(this.port)?.message as Reply | undefined;
      if (!reply) break; // the worker failed and wrote nothing more: its failure came first
      if (reply.failure) throw Object.assign(new Error(reply.failure.message), reply.failure);
      digests.push(...reply.digests!);
    }
    return digests;
  }

  settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (let seen = Atomics.load(this.done, 0); seen < this.sent; seen = Atomics.load(this.done, 0)) Atomics.wait(this.done, 0, seen);
    void this.worker.terminate();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    if (this.sent - Atomics.load(this.done, 0) >= 2) {
      for (const [target, content, mode] of this.batch) this.here.write(target, content, mode);
      this.batches.push(this.here.finish());
    } else {
      this.port.postMessage(this.batch);
      this.batches.push(undefined);
      this.sent++;
    }
    this.batch = [];
  }
}
