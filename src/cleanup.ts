/**
 * A stack of shutdown steps run in reverse order of registration. One step failing does not
 * stop the others; `run()` empties the stack so calling it twice is harmless.
 */
export class CleanupStack {
  private steps: { name: string; fn: () => Promise<void> | void }[] = [];

  constructor(private readonly onError: (name: string, err: unknown) => void = () => {}) {}

  push(name: string, fn: () => Promise<void> | void): void {
    this.steps.push({ name, fn });
  }

  get size(): number {
    return this.steps.length;
  }

  async run(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const step of steps) {
      try {
        await step.fn();
      } catch (err) {
        this.onError(step.name, err);
      }
    }
  }
}
