/**
 * Real headless Chromium for browser tests (Debian's `chromium`, driven by playwright-core).
 * When Chromium is missing, tests report themselves skipped with the one-line install command.
 */
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";

export const CHROMIUM_INSTALL_HINT = "apt-get install -y chromium";

/** Path of the Chromium binary, or undefined when none is installed. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((p): p is string => typeof p === "string" && existsSync(p));
}

/** `skip` option for node:test: a reason string when Chromium is absent, else false. */
export function skipWithoutChromium(): string | false {
  return chromiumPath() ? false : `Chromium not installed — install with: ${CHROMIUM_INSTALL_HINT}`;
}

/** Launches headless Chromium with the flags this sandbox needs. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(`Chromium not found — ${CHROMIUM_INSTALL_HINT}`);
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}
