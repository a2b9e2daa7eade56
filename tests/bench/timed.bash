# Sourced by the bench scripts (bash): a scratch folder and a timer.
#   bench_begin NAME   makes $work (under $BENCH_TMPDIR, default /var/tmp),
#                      removed at exit unless BENCH_KEEP=1
#   timed NAME CMD...  see below; results in SECS, CPU, KIB, RC; failed=1
#                      when a command exits non-zero
# Needs TIME (GNU time) and bc.

bench_begin() {
	work=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/mandate-bench-$1.XXXXXX") || exit 2
	trap cleanup EXIT
	trap 'exit 130' INT TERM
}
cleanup() {	# shellcheck disable=SC2317
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}

failed=0
declare -A SECS KIB CPU RC

# timed NAME CMD...: runs CMD once with stdout/stderr to $work/NAME.{out,err};
# keeps the fastest wall time (and its user+system CPU seconds), the largest
# peak RSS (KiB) and the worst exit status over the calls.
timed() {
	local name=$1 s k u y rc; shift
	"$TIME" -f '%e %M %U %S' -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	read -r s k u y < <(tail -n 1 "$work/$name.time")
	case $k in ''|*[!0-9]*) k=0;; esac
	case $s in ''|*[!0-9.]*) s=0;; esac
	: "${RC[$name]:=0}" "${KIB[$name]:=0}"
	[ "$rc" -gt "${RC[$name]}" ] && RC[$name]=$rc
	[ "$k" -gt "${KIB[$name]}" ] && KIB[$name]=$k
	if [ -z "${SECS[$name]:-}" ] || [ "$(echo "$s < ${SECS[$name]}" | bc -l)" = 1 ]; then
		SECS[$name]=$s
		CPU[$name]=$(echo "$u + $y" | bc -l)
	fi
	if [ "$rc" -ne 0 ]; then
		failed=1
		echo "!! $name exited $rc; stderr:" >&2
		head -20 "$work/$name.err" >&2
	fi
}
