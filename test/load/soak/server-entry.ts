/**
 * Entry of the soak server child: installs the timer probe, then loads the server.
 *
 * tsx turns source maps on, and Node parses a module's source map the first time a stack
 * trace passes through it — a one-off cost per module that would show up as heap growth
 * between the baseline and the final figure. Turned off before the server's modules load;
 * stack traces then point into tsx's output, which is fine here.
 */
import { installTimerProbe } from "./timer-probe.js";

installTimerProbe();
process.setSourceMapsEnabled(false);
await import("./server.js");
