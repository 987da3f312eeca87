# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM (tests/vm/vm.py) under busybox sh, as its init: sets the machine up,
# runs gomapleak the ways a user would against the Go targets under /targets, and prints each
# step's output between "@@@ BEGIN name" and "@@@ END name rc=N" on the console. The host side
# (tests/vm/test_vm.py) judges them; this script only runs things and never decides.
# Every process it starts it ends by PID; the VM powers off at the end whatever happened.

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mkdir -p /sys/fs/bpf /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
ip link set lo up
export PATH=/bin HOME=/tmp

G=/bin/gomapleak
ARGS=$(cat /proc/cmdline)
# gml.attach=PATH on the kernel command line forces an attach path (kernels.sh --attach).
ATTACH=
for a in $ARGS; do
	case $a in gml.attach=*) ATTACH="--attach=${a#gml.attach=}" ;; esac
done

# Short windows: LEAK after three growing windows of 3 s, sampled every half second.
FAST="-i 0.5 --window 3"

begin() { echo "@@@ BEGIN $1"; }
end() { echo "@@@ END $1 rc=$2"; }

# section NAME FILE RC: prints a file as one section.
section() {
	begin "$1"
	cat "$2"
	end "$1" "$3"
}

# wait_line FILE PATTERN SECONDS: waits until a line of FILE matches. Every step writes files
# of its own: a process started with & opens its redirections after the shell goes on, so a
# file shared with an earlier step could answer for it.
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($3 * 5)) ] && return 1
		sleep 0.2
	done
	return 0
}

# The hash of a process's executable text as mapped now: a breakpoint left behind changes it.
text_hash() {
	grep ' r-xp ' /proc/$1/maps | while read range perms off dev inode path; do
		start=$((0x${range%-*}))
		stop=$((0x${range#*-}))
		dd if=/proc/$1/mem bs=4096 skip=$((start / 4096)) count=$(((stop - start) / 4096)) 2>/dev/null
	done | md5sum | cut -d' ' -f1
}

echo # the console's escape sequences end with the line before
begin kernel
uname -r
end kernel 0

for impl in classic swiss; do
	$G inspect /targets/$impl-lateleaks >/tmp/o 2>&1
	section inspect-$impl /tmp/o $?
done

# Attached late to the seed-like cache (1000 users made before the attach, each gaining an
# entry every few windows), beside per-request maps, an LRU and a map emptied by delete whose
# storage stays (bloat, read from its header): LEAK at the fill site, /metrics scraped once.
port=9464
for impl in classic swiss; do
	port=$((port + 1))
	/targets/$impl-lateleaks -modes users1000,perreq,lru,bloated >/tmp/$impl-target.out 2>&1 &
	target=$!
	wait_line /tmp/$impl-target.out ready 60
	sleep 2
	$G watch -p $target $FAST --duration 180 --prometheus 127.0.0.1:$port $ATTACH -v \
		>/tmp/$impl-watch.out 2>/tmp/$impl-watch.err &
	watch=$!
	wait_line /tmp/$impl-watch.out 'LEAK .*runUsers1000' 150
	rm -f /tmp/$impl-metrics
	scraped=1
	for try in 1 2 3; do
		if wget -q -O /tmp/$impl-metrics http://127.0.0.1:$port/metrics; then
			scraped=0
			break
		fi
		sleep 1
	done
	kill -INT $watch
	wait $watch
	rc=$?
	kill -KILL $target
	wait $target 2>/dev/null
	section late-$impl-alerts /tmp/$impl-watch.out $rc
	section late-$impl-stderr /tmp/$impl-watch.err $rc
	section late-$impl-metrics /tmp/$impl-metrics $scraped
done

# Attached from the program's first map.
$G run $FAST --duration 150 $ATTACH -- /targets/swiss-leakycache >/tmp/run.out \
	2>/tmp/run.err &
run=$!
wait_line /tmp/run.out ' LEAK ' 150
kill -INT $run
wait $run
rc=$?
section run-alerts /tmp/run.out $rc
section run-stderr /tmp/run.err $rc

# --exact: every insert, delete and clear counted, against the program's own counts.
for impl in classic swiss; do
	rm -f /tmp/in
	mkfifo /tmp/in
	/targets/$impl-mapops </tmp/in >/tmp/$impl-mapops.out 2>&1 &
	target=$!
	exec 3>/tmp/in
	$G trace -p $target --exact $ATTACH >/tmp/$impl-trace.out 2>/tmp/$impl-trace.err &
	trace=$!
	wait_line /tmp/$impl-trace.err attached 60 || echo "guest: no attach line in 60 s" >>/tmp/$impl-trace.err
	echo "run 800" >&3
	wait_line /tmp/$impl-mapops.out '^ran ' 60 || echo "guest: no ran line in 60 s" >>/tmp/$impl-trace.err
	kill -INT $trace
	wait $trace
	rc=$?
	exec 3>&-
	wait $target 2>/dev/null
	section exact-$impl-program /tmp/$impl-mapops.out 0
	section exact-$impl-stderr /tmp/$impl-trace.err $rc
done

# Node mode (watch --all, as a DaemonSet runs it): a Go program running before the attach and
# one started after it, found by its exec; each leak is named with its process.
/targets/classic-lateleaks -modes users1000,perreq >/tmp/first.out 2>&1 &
first=$!
wait_line /tmp/first.out ready 60
$G watch --all $FAST --duration 180 $ATTACH >/tmp/node.out 2>/tmp/node.err &
node=$!
wait_line /tmp/node.err "attached to $first " 60
/targets/swiss-lateleaks -modes users1000,perreq >/tmp/second.out 2>&1 &
second=$!
i=0
while ! { grep -q " LEAK .* pid=$first " /tmp/node.out && grep -q " LEAK .* pid=$second " /tmp/node.out; } &&
	[ $i -lt 750 ]; do
	sleep 0.2
	i=$((i + 1))
done
kill -INT $node
wait $node
rc=$?
kill -KILL $first $second
wait $first $second 2>/dev/null
echo "first pid $first, second pid $second" >>/tmp/node.err
section node-alerts /tmp/node.out $rc
section node-stderr /tmp/node.err $rc

# SIGKILL: the probes go with the process, the target's text is as it was.
impl=sigkill
/targets/swiss-lateleaks -modes perreq,lru >/tmp/$impl-target.out 2>&1 &
target=$!
wait_line /tmp/$impl-target.out ready 60
before=$(text_hash $target)
$G watch -p $target --exact $ATTACH >/tmp/$impl-watch.out 2>/tmp/$impl-watch.err &
watch=$!
wait_line /tmp/$impl-watch.err attached 60
sleep 2
# Perf-event uprobes show in bpftool's perf list by the pid holding them, links (uprobe_multi, perf links) in
# its link list: Debian 12's bpftool names no uprobe_multi type, so links are counted by id.
during=$( (bpftool perf list | grep "pid $watch .*uprobe"; bpftool link list | grep -E '^[0-9]+: ' | grep -v raw_tracepoint) |
	wc -l)
kill -KILL $watch
wait $watch 2>/dev/null
sleep 2
{
	echo "watch pid $watch target pid $target"
	echo "probes while attached: $during"
	echo "text before: $before"
	echo "text after: $(text_hash $target)"
	echo "target alive: $(kill -0 $target && echo yes)"
	echo "--- bpftool perf list"
	bpftool perf list
	echo "--- bpftool link list"
	bpftool link list
	echo "--- bpftool prog list"
	bpftool prog list
} >/tmp/kill.out 2>&1
kill -KILL $target
wait $target 2>/dev/null
section sigkill /tmp/kill.out 0

begin done
end done 0
poweroff -f
