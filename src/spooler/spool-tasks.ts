// The task functions of this process (a spooler runs them; a worker only names them): tasks by
// name, as uwsgidecorators' @spool keeps them (a spool file names its task in `ud_spool_func`, so
// a task enqueued by a Python `@spool def send_email` runs the JS `spoolTask('send_email', ...)`
// and the other way round), and one raw spooler function for files that name no known task
// (uWSGI's `uwsgi.spooler = fn`).

/** uWSGI's return codes (reference §8): delete the file / keep it for the next scan / not mine. */
export const SPOOL_OK = -2;
export const SPOOL_RETRY = -1;
export const SPOOL_IGNORE = 0;

/** The key uwsgidecorators' @spool writes with the task's name. */
export const TASK_KEY = 'ud_spool_func';

/** What a task is given besides its arguments. */
export interface SpoolTaskContext {
  /** The spool file name, relative to the spooler directory (uWSGI's `spooler_task_name`). */
  readonly name: string;
  /** The spooler directory. */
  readonly dir: string;
  /** The raw body (the `body` argument of the enqueue), when there is one. */
  readonly body: Buffer | undefined;
  /** Every var as bytes, in file order. */
  readonly vars: ReadonlyMap<string, Buffer>;
}

/** A task: its arguments as text. Return nothing (done), or SPOOL_OK / SPOOL_RETRY / SPOOL_IGNORE. */
export type SpoolTaskFunction = (args: Record<string, string>, task: SpoolTaskContext) => unknown;

class SpoolTasks {
  private readonly tasks = new Map<string, SpoolTaskFunction>();
  raw: SpoolTaskFunction | undefined;

  register(name: string, fn: SpoolTaskFunction): void {
    this.tasks.set(name, fn);
  }

  get(name: string): SpoolTaskFunction | undefined {
    return this.tasks.get(name);
  }

  get size(): number {
    return this.tasks.size + (this.raw ? 1 : 0);
  }
}

export const spoolTasks = new SpoolTasks();
