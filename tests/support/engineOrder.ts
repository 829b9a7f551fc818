// A stand-in for the order in which the Pulumi engine runs resource steps, for tests of the push order (no
// Pulumi CLI here). What it models, from pulumi/pulumi pkg/resource/deploy/step_executor.go: a resource
// begins only once every resource it depends on has succeeded (the language host registers it only when its
// dependencies have resolved), resources without a path between them run at the same time, and after the
// first failure no new step begins (cancelDueToError; with --continue-on-error the dependents of the failed
// resource are skipped, which gives the same order here). What it does not model: the engine's parallelism
// limit, previews, replacements, deletes, or anything but order.

/** One resource: a key and the keys it depends on. */
export interface OrderedStep {
  readonly key: string;
  readonly deps: readonly string[];
}

/** What a run did: "begin <key>", "end <key>", "failed <key>" in the order they happened. */
export interface OrderedRun {
  readonly events: string[];
  /** The first failure: its key and message. */
  readonly failed: { key: string; message: string } | null;
  /** Highest number of steps in flight at once. */
  readonly peak: number;
  /** For each key, the keys that were in flight when it began. */
  readonly beside: ReadonlyMap<string, readonly string[]>;
}

/** Run `apply` on every step in dependency order, as the engine would. Dependencies on unknown keys count as met. */
export async function runInEngineOrder<S extends OrderedStep>(steps: readonly S[], apply: (s: S) => Promise<void>): Promise<OrderedRun> {
  const byKey = new Map(steps.map((s) => [s.key, s]));
  const events: string[] = [];
  const beside = new Map<string, string[]>();
  const running = new Set<string>();
  const started = new Map<string, Promise<boolean>>();
  let failed: { key: string; message: string } | null = null;
  let peak = 0;
  const start = (s: S): Promise<boolean> => {
    const known = started.get(s.key);
    if (known) return known;
    const p = (async () => {
      const ok = await Promise.all(s.deps.map((d) => (byKey.has(d) ? start(byKey.get(d)!) : Promise.resolve(true))));
      if (!ok.every(Boolean) || failed) return false;
      beside.set(s.key, [...running]);
      running.add(s.key);
      peak = Math.max(peak, running.size);
      events.push(`begin ${s.key}`);
      try {
        await apply(s);
        events.push(`end ${s.key}`);
        return true;
      } catch (e) {
        failed ??= { key: s.key, message: (e as Error).message };
        events.push(`failed ${s.key}`);
        return false;
      } finally {
        running.delete(s.key);
      }
    })();
    started.set(s.key, p);
    return p;
  };
  await Promise.all(steps.map(start));
  return { events, failed, peak, beside };
}
