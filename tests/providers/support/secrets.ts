/**
 * Leak detection for the secrets host tests: which texts count as the secret, and a check that a text holds none.
 */

/** Every line of a private key's body (the BEGIN/END armour is public): none may appear anywhere. */
export function keyLines(privateKey: string): string[] {
  return privateKey.split("\n").filter((l) => l.length >= 8 && !l.startsWith("-----"));
}

/** Throws, naming `where` and the start of the secret, when `text` contains any of `secrets`. */
export function expectNoSecret(where: string, text: string, secrets: string[]): void {
  for (const s of secrets) {
    if (text.includes(s)) throw new Error(`${where} contains secret text ${JSON.stringify(s.slice(0, 12))}...`);
  }
}

/**
 * `failing(p)` awaits a promise that must reject and returns its message; every message is kept in `errors`,
 * so that a last test can prove none of them leaked a secret.
 */
export function collectFailures(): { errors: string[]; failing: (p: Promise<unknown>) => Promise<string> } {
  const errors: string[] = [];
  async function failing(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (e) {
      errors.push((e as Error).message);
      return (e as Error).message;
    }
    throw new Error("expected a failure");
  }
  return { errors, failing };
}
