# Sourced by benchmarks: timing helpers (needs $tmp, a scratch directory).
#
#   t=$(elapsed CMD ARGS...)   the wall time of CMD in seconds ("0.1234"); its output
#                              goes to $tmp/out
#   median < FILE              the median of the numbers in FILE, one a line

elapsed() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" > "$tmp/out"
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
