/**
 * The shared adapter suite on mixed clusters: Tether nodes and official socket.io nodes on one
 * Redis, for each of socket.io's Redis protocols, in both layouts (two Tether nodes around an
 * official one, and the other way round), so every operation runs in both directions.
 */
import { adapterSuite } from "./adapter-suite.js";
import { type Flavour, mixedBackend } from "./mixed-backends.js";

const only = process.env.MIXED_FLAVOUR;
for (const flavour of ["classic", "sharded", "streams"] as Flavour[]) {
  if (only !== undefined && only !== flavour) continue;
  adapterSuite(mixedBackend(flavour, "TOT"));
  adapterSuite(mixedBackend(flavour, "OTO"));
}
