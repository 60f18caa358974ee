# Sourced by scripts/bootstrap and scripts/test: finds a Chromium for the e2e
# tests and exports CHROMIUM_PATH (playwright.config.ts reads it).
find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then return 0; fi
  local c
  for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
    if [ -x "$c" ]; then export CHROMIUM_PATH="$c"; return 0; fi
  done
  return 1
}
