// Switches tether-io/metrics on and off on one server, as the metrics-cost bench needs: the
// collector is set up once (as in production); "off" unsets its probes, "on" puts them back and
// scrapes the registry every second (Prometheus defaults to 15 s), so a scrape's cost is in the
// measurement. Loads prom-client and dist/ lazily (after the build).

/** @returns {Promise<(on: boolean) => void>} */
export async function metricsSwitch(io) {
  const { Registry } = await import("prom-client");
  const { collectMetrics } = await import("../../dist/esm/metrics/index.js");
  let probes;
  let scrape;
  return (on) => {
    if (probes === undefined) {
      const register = new Registry();
      collectMetrics(io, { register });
      probes = { io: io._probe, engine: io.engine._probe, register };
    }
    io._probe = on ? probes.io : undefined;
    io.engine._probe = on ? probes.engine : undefined;
    if (on && scrape === undefined) {
      scrape = setInterval(() => void probes.register.metrics(), 1000);
    } else if (!on && scrape !== undefined) {
      clearInterval(scrape);
      scrape = undefined;
    }
  };
}
