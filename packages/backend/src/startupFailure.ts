/**
 * What a failed `backend.start()` says, on one line: the reasons of every
 * plugin and module that failed (Backstage's BackendStartupError carries them
 * in `result`), or the error's own message for a failure before the plugins
 * (a root service such as the audit signer or the start-up lock).
 */
export function startupFailure(error: unknown): string {
  const reasons = failedPlugins(error) ?? [messageOf(error)];
  return `Dezky portal did not start: ${reasons.join('; ')}`
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** The subset of Backstage's BackendStartupResult read here. */
interface StartupResult {
  plugins: Array<{
    pluginId: string;
    failure?: { error: unknown; allowed: boolean };
    modules: Array<{
      moduleId: string;
      failure?: { error: unknown; allowed: boolean };
    }>;
  }>;
}

function failedPlugins(error: unknown): string[] | undefined {
  const result = (error as { result?: StartupResult } | undefined)?.result;
  if (!result || !Array.isArray(result.plugins)) return undefined;
  const reasons: string[] = [];
  for (const plugin of result.plugins) {
    for (const mod of plugin.modules ?? []) {
      if (mod.failure && !mod.failure.allowed) {
        reasons.push(
          `${plugin.pluginId}.${mod.moduleId}: ${messageOf(mod.failure.error)}`,
        );
      }
    }
    if (plugin.failure && !plugin.failure.allowed) {
      reasons.push(`${plugin.pluginId}: ${messageOf(plugin.failure.error)}`);
    }
  }
  return reasons.length ? reasons : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
