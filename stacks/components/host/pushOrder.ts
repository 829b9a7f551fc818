// The order in which the host services are pushed. Pure: no Pulumi, no SSH; HostServices turns it into
// `dependsOn`, and the tests read it back from the plan's dependencies.
//
// Why dependencies are enough (pulumi/pulumi pkg/resource/deploy/step_executor.go): a language host sends a
// resource's registration only once its dependencies have resolved, and a custom resource resolves only when
// its create or update has returned; a failed step cancels the deployment, so no new step begins (with
// --continue-on-error, the dependents of the failed resource are skipped). HostConfig's create and update
// return only after a NEW SSH login confirmed access (providers/hostconfig/provider.ts, confirmAccess).

/**
 * For each service, in the registry's order, the indices of the services it must wait for. An access-critical
 * service is pushed alone: after every service before it (the previous access-critical one and every service
 * since), and before every service after it (each of them waits for the latest access-critical one before it).
 * So at most one dead-man timer is armed at a time, the access-critical services go one after another in the
 * registry's order (network first), and a lock-out fails only the service that caused it: nothing else is in
 * flight, and nothing after it begins.
 */
export function pushDependencies(services: readonly { readonly accessCritical: boolean }[]): number[][] {
  let lastCritical: number | undefined;
  let sinceCritical: number[] = [];
  return services.map((s, i) => {
    const before = lastCritical === undefined ? [] : [lastCritical];
    if (!s.accessCritical) {
      sinceCritical.push(i);
      return before;
    }
    const waits = [...before, ...sinceCritical];
    lastCritical = i;
    sinceCritical = [];
    return waits;
  });
}
