# Sourced by benchmarks: the two-host lab of tests/LAB.md.
#
#   lab_two_hosts syn   makes namespaces ps-bsyn-s-TAG (scanner, 198.18.0.1/24 on $vs)
#                       and ps-bsyn-t-TAG (target, 198.18.0.2/24 on $vt), joined by one
#                       veth pair and to nothing else, plus a scratch directory $tmp;
#                       sets S, T, vs, vt, tmp and an EXIT trap that kills what runs in
#                       the target and removes both namespaces and $tmp.

lab_cleanup() {
	ip netns pids "$T" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$S" 2>/dev/null || true
	ip netns del "$T" 2>/dev/null || true
	rm -rf "$tmp"
}

lab_two_hosts() {
	local tag=$$-$RANDOM c=${1:0:1}
	S=ps-b$1-s-$tag T=ps-b$1-t-$tag vs=b${c}s$$ vt=b${c}t$$
	tmp=$(mktemp -d)
	trap lab_cleanup EXIT
	ip netns add "$S"
	ip netns add "$T"
	ip link add "$vs" type veth peer name "$vt"
	ip link set "$vs" netns "$S"
	ip link set "$vt" netns "$T"
	ip -n "$S" addr add 198.18.0.1/24 dev "$vs"
	ip -n "$T" addr add 198.18.0.2/24 dev "$vt"
	for n in "$S" "$T"; do ip -n "$n" link set lo up; done
	ip -n "$S" link set "$vs" up
	ip -n "$T" link set "$vt" up
}
