// PriorityClass wiring of one chart rendering (called by validate_rendered.mjs): each pool's pods
// name the class of their pool (an existing pools[].priorityClassName, else the chart's own), the
// chart's classes carry the pool's value and are never the cluster default, and every on-demand
// pool outranks every spot pool (the core pool absorbs a reclaimed edge pool's load first).

// checkPriority(objects, values, workloads, problem): workloads are the Deployments / Rollouts.
export function checkPriority(objects, values, workloads, problem) {
  const classes = objects.filter((o) => o.kind === "PriorityClass");
  const byName = new Map(classes.map((c) => [c.metadata.name, c]));
  const classOf = new Map();  // pool name -> rendered PriorityClass
  for (const w of workloads) {
    const poolName = w.spec.template.metadata.labels["dsinfer.io/pool"];
    const pool = values.pools.find((p) => p.name === poolName);
    if (!pool) continue;  // reported by the main wiring checks
    const got = w.spec.template.spec.priorityClassName;
    const chartMade = values.priorityClasses?.create && pool.priority && !pool.priorityClassName;
    if (pool.priorityClassName) {
      if (got !== pool.priorityClassName) problem(w, `priorityClassName ${got}, expected the pool's ${pool.priorityClassName}`);
    } else if (chartMade) {
      const pc = byName.get(got);
      if (!pc) { problem(w, `priorityClassName ${got} names no PriorityClass of this rendering`); continue; }
      if (pc.metadata.labels?.["dsinfer.io/pool"] !== poolName) problem(w, `PriorityClass ${got} belongs to pool ${pc.metadata.labels?.["dsinfer.io/pool"]}`);
      if (pc.value !== pool.priority.value) problem(pc, `value ${pc.value} != pools[${poolName}].priority.value ${pool.priority.value}`);
      if (pc.preemptionPolicy !== (pool.priority.preemptionPolicy ?? "PreemptLowerPriority")) problem(pc, `preemptionPolicy ${pc.preemptionPolicy} differs from the pool's`);
      classOf.set(poolName, pc);
    } else if (got) {
      problem(w, `priorityClassName ${got} set though the pool has none`);
    }
  }
  for (const pc of classes) {
    if (pc.globalDefault !== false) problem(pc, "globalDefault must be false (the chart must not change every other pod's priority)");
    if (pc.metadata.namespace) problem(pc, "PriorityClass is cluster-scoped (no namespace)");
  }
  const pools = values.pools.filter((p) => classOf.has(p.name));
  for (const onDemand of pools.filter((p) => !p.spot)) {
    for (const spot of pools.filter((p) => p.spot)) {
      const a = classOf.get(onDemand.name).value, b = classOf.get(spot.name).value;
      if (!(a > b)) problem(classOf.get(onDemand.name), `pool ${onDemand.name} (on-demand, ${a}) must outrank spot pool ${spot.name} (${b})`);
    }
  }
}
