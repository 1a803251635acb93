#!/usr/bin/env bash
# Installs portdrift (the built package: dist/ + production node_modules) under a prefix, and the
# hardened systemd units for the agent and/or the collector. Run from a built checkout
# (`npm ci && npm run build`) or an unpacked release. Needs no network.
#
#   deploy/systemd/install.sh [--prefix /opt/portdrift] [--destdir DIR] [--node PATH] [agent|collector|all]
#
# --destdir stages everything under DIR (for packaging and tests) and leaves systemd alone.
# Without it, the script reloads systemd and prints the next steps; it never starts anything:
# the agent needs its enroll secret and config first (docs/deploy.md).
set -euo pipefail

prefix=/opt/portdrift
destdir=
node_bin=
what=all
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --destdir) destdir=$2; shift 2 ;;
    --node) node_bin=$2; shift 2 ;;
    agent|collector|all) what=$1; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 64 ;;
  esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute: $prefix" >&2; exit 64 ;; esac

src=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -f "$src/dist/cli/main.js" ]; then
  echo "install.sh: $src/dist/cli/main.js is missing: run 'npm ci && npm run build' first" >&2
  exit 66
fi
if [ -z "$node_bin" ]; then node_bin=$(command -v node || true); fi
if [ -z "$node_bin" ] || [ ! -x "$node_bin" ]; then
  echo "install.sh: node not found (give --node PATH)" >&2
  exit 69
fi
# systemd wants an absolute ExecStart path; resolve symlinks (nvm, alternatives) once, here.
node_bin=$(readlink -f "$node_bin")

root="${destdir%/}"
app="$root$prefix"
units="$root/etc/systemd/system"
conf="$root/etc/portdrift"

echo "install.sh: installing portdrift into $app"
mkdir -p "$app" "$units" "$conf"
rm -rf "$app/dist" "$app/node_modules"
cp -a "$src/dist" "$src/package.json" "$app/"
[ -f "$src/package-lock.json" ] && cp -a "$src/package-lock.json" "$app/"
if [ -d "$src/node_modules" ]; then
  cp -a "$src/node_modules" "$app/"
  # Offline: remove the dev dependencies from the copy rather than downloading production ones.
  (cd "$app" && npm prune --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
else
  (cd "$app" && npm ci --omit=dev --no-audit --no-fund)
fi

install_unit() {
  local name=$1
  sed -e "s#/usr/bin/node #$node_bin #" -e "s#/opt/portdrift/#$prefix/#" \
    "$src/deploy/systemd/portdrift-$name.service" >"$units/portdrift-$name.service"
  chmod 0644 "$units/portdrift-$name.service"
  # Never overwrite an operator's config.
  # The collector's config may hold the SMTP password and webhook secrets: root-only, read by the
  # service as a systemd credential. The agent's holds none (its enroll secret is a credential of its own).
  local mode=0644
  [ "$name" = collector ] && mode=0600
  if [ ! -e "$conf/$name.yaml" ]; then
    install -m "$mode" "$src/deploy/examples/$name.yaml" "$conf/$name.yaml"
  fi
  echo "install.sh: unit $units/portdrift-$name.service, config $conf/$name.yaml"
}
case "$what" in
  agent) install_unit agent ;;
  collector) install_unit collector ;;
  all) install_unit agent; install_unit collector ;;
esac

if [ -z "$destdir" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
cat <<NEXT
Next steps (docs/deploy.md):
  collector: edit /etc/portdrift/collector.yaml, then  systemctl enable --now portdrift-collector
             create an enroll secret:  $node_bin $prefix/dist/cli/main.js token create \\
               --data /var/lib/portdrift-collector/portdrift.db --role enroll --name NAME --scope CIDR
  agent:     put the enroll secret in /etc/portdrift/enroll-secret (mode 0600, root), edit
             /etc/portdrift/agent.yaml (collector URL, scope), then  systemctl enable --now portdrift-agent
NEXT
