#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The systemd unit (docs/gomapleak.service): systemd-analyze verify with the
# built gomapleak in its ExecStart, and its command line accepted by
# gomapleak's own parser (options are parsed up to the -h).
# Usage: check_service.sh UNIT GOMAPLEAK
set -eu
unit=$1
gomapleak=$(realpath "$2") # systemd wants an absolute path
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s#/usr/sbin/gomapleak#$gomapleak#" "$unit" >"$dir/gomapleak.service"
systemd-analyze verify --man=no "$dir/gomapleak.service"
args=$(sed -n 's#^ExecStart=/usr/sbin/gomapleak ##p' "$unit")
[ -n "$args" ] || { echo "no ExecStart=/usr/sbin/gomapleak line in $unit" >&2; exit 1; }
# shellcheck disable=SC2086 # the unit's arguments, split as systemd splits them (no quotes there)
"$gomapleak" $args -h >/dev/null
grep -q '^CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_SYS_PTRACE$' "$unit"
