#!/bin/sh
# Cross-builds the libraries portscope.exe links (jansson, SQLite, PCRE2; cmocka
# for the unit tests) from Debian's own source packages, pinned below, into a
# cache prefix:
#   windows/deps.sh PREFIX        (make windows: PREFIX = build-win/deps)
# apt-get source fetches them from the machine's own Debian sources (deb-src
# entries made from its deb entries, in an apt state of PREFIX's own, so the
# system's apt configuration is left alone); apt checks them against the
# signed indexes, and each upstream tarball is checked against its pinned
# SHA-256 as well. A library already built for the same pin is kept
# (PREFIX/stamp-NAME): only a clean clone pays for the build.
# Debian ships no mingw-w64 builds of these; no third-party source is committed.
set -eu

prefix=${1:?usage: windows/deps.sh PREFIX}
host=${WIN_HOST:-x86_64-w64-mingw32}
cc=${WIN_CC:-$host-gcc}
ar=${WIN_AR:-$host-ar}
cflags="-O2 -g0 -w"

# name version tarball tarball-sha256
pins="
jansson 2.14-2 jansson_2.14.orig.tar.gz c739578bf6b764aa0752db9a2fdadcfe921c78f1228c7ec0bb47fa804c55d17b
sqlite3 3.40.1-2+deb12u2 sqlite3_3.40.1.orig.tar.xz aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655
pcre2 10.42-1 pcre2_10.42.orig.tar.gz c33b418e3b936ee3153de2c61cc638e7e4fe3156022a5c77d0711bcbb9d64f1f
cmocka 1.1.5-2.1 cmocka_1.1.5.orig.tar.xz f0ccd8242d55e2fd74b16ba518359151f6f8383ff8aef4976e48393f77bba8b6
"

mkdir -p "$prefix/src" "$prefix/include" "$prefix/lib/pkgconfig"
prefix=$(cd "$prefix" && pwd)
src=$prefix/src

die() { echo "windows/deps.sh: $*" >&2; exit 1; }

# apt-get with a state of our own whose sources are the system's, as deb-src.
apt_src() {
	apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$prefix/apt/sources" \
		-o Dir::State::Lists="$prefix/apt/lists" -o Dir::Cache="$prefix/apt/cache" \
		-o APT::Sandbox::User=root "$@"
}

apt_setup() {
	[ -f "$prefix/apt/ready" ] && return 0
	mkdir -p "$prefix/apt/sources" "$prefix/apt/lists/partial" "$prefix/apt/cache/archives/partial"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && grep -q '^Types:.*\bdeb\b' "$f" || continue
		sed 's/^Types:.*/Types: deb-src/' "$f" >"$prefix/apt/sources/$(basename "$f")"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n 's/^deb \(.*\)/deb-src \1/p' "$f" >"$prefix/apt/sources/$(basename "$f")"
	done
	apt_src update >/dev/null || die "apt-get update of the deb-src indexes failed"
	touch "$prefix/apt/ready"
}

# fetch NAME: the pinned source package of NAME through apt-get source, its
# upstream tarball checked, unpacked under $src/NAME.
fetch() {
	set -- $(echo "$pins" | awk -v n="$1" '$1 == n')
	name=$1 version=$2 tar=$3 tar_sha=$4
	cd "$src"
	[ -f "$tar" ] || apt_src source --download-only "$name=$version" >/dev/null ||
		die "apt-get source $name=$version failed"
	echo "$tar_sha  $tar" | sha256sum -c --quiet - || die "$tar: not the pinned SHA-256"
	rm -rf "$name" && mkdir "$name" && tar xf "$tar" -C "$name" --strip-components=1
	cd "$src/$name"
}

pc() { # pc NAME VERSION LIBS
	printf 'prefix=%s\nName: %s\nDescription: %s (cross-built by windows/deps.sh)\nVersion: %s\nCflags: -I${prefix}/include %s\nLibs: -L${prefix}/lib %s\n' \
		"$prefix" "$1" "$1" "$2" "${4:-}" "$3" >"$prefix/lib/pkgconfig/$1.pc"
}

build_jansson() {
	fetch jansson
	sed -e 's/@json_inline@/inline/' -e 's/@json_have_long_long@/1/' \
	    -e 's/@json_have_localeconv@/1/' -e 's/@json_have_atomic_builtins@/1/' \
	    -e 's/@json_have_sync_builtins@/1/' src/jansson_config.h.in >src/jansson_config.h
	printf '#define HAVE_STDINT_H 1\n#define HAVE_SYS_TYPES_H 1\n#define HAVE_SYS_STAT_H 1\n#define HAVE_FCNTL_H 1\n#define HAVE_UNISTD_H 1\n#define HAVE_GETPID 1\n#define HAVE_ATOMIC_BUILTINS 1\n#define HAVE_LOCALECONV 1\n#define USE_WINDOWS_CRYPTOAPI 1\n' >src/jansson_private_config.h
	for f in dump error hashtable hashtable_seed load memory pack_unpack strbuffer strconv utf value version; do
		$cc $cflags -DHAVE_CONFIG_H -Isrc -c src/$f.c -o src/$f.o
	done
	$ar rcs "$prefix/lib/libjansson.a" src/*.o
	cp src/jansson.h src/jansson_config.h "$prefix/include/"
	pc jansson 2.14 -ljansson
}

build_sqlite3() {
	fetch sqlite3
	# The amalgamation is generated on the build machine (tclsh), then cross-compiled.
	mkdir bld && cd bld
	../configure --disable-tcl >/dev/null && make -s sqlite3.c >/dev/null 2>&1 ||
		die "cannot generate sqlite3.c (needs gcc and tclsh)"
	$cc $cflags -DSQLITE_THREADSAFE=1 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_DEFAULT_FOREIGN_KEYS=1 \
		-c sqlite3.c -o sqlite3.o
	$ar rcs "$prefix/lib/libsqlite3.a" sqlite3.o
	cp sqlite3.h sqlite3ext.h "$prefix/include/"
	pc sqlite3 3.40.1 -lsqlite3
}

build_pcre2() {
	fetch pcre2
	sed -e 's/^\/\* *#undef SUPPORT_UNICODE.*/#define SUPPORT_UNICODE 1/' src/config.h.generic >src/config.h
	printf '#define SUPPORT_JIT 1\n#define PCRE2_STATIC 1\n' >>src/config.h
	cp src/pcre2.h.generic src/pcre2.h
	cp src/pcre2_chartables.c.dist src/pcre2_chartables.c
	for f in auto_possess chartables compile config context convert dfa_match error extuni \
	    find_bracket jit_compile maketables match match_data newline ord2utf pattern_info \
	    script_run serialize string_utils study substitute substring tables ucd valid_utf xclass; do
		echo "$cc $cflags -DHAVE_CONFIG_H -DPCRE2_CODE_UNIT_WIDTH=8 -Isrc -c src/pcre2_$f.c -o src/pcre2_$f.o"
	done | xargs -P 2 -I{} sh -c {}
	$ar rcs "$prefix/lib/libpcre2-8.a" src/*.o
	cp src/pcre2.h "$prefix/include/"
	pc libpcre2-8 10.42 -lpcre2-8 -DPCRE2_STATIC
}

build_cmocka() {
	fetch cmocka
	printf '#define HAVE_MALLOC_H 1\n#define HAVE_INTTYPES_H 1\n#define HAVE_STDINT_H 1\n#define HAVE_SIGNAL_H 1\n#define HAVE_STRINGS_H 1\n#define HAVE_STDARG_H 1\n#define HAVE_STDDEF_H 1\n#define HAVE_SETJMP_H 1\n#define HAVE_VSNPRINTF 1\n#define HAVE_SNPRINTF 1\n#define HAVE__VSNPRINTF_S 1\n#define HAVE_INTTYPES_H 1\n' >config.h
	$cc $cflags -DHAVE_CONFIG_H -I. -Iinclude -c src/cmocka.c -o cmocka.o
	$ar rcs "$prefix/lib/libcmocka.a" cmocka.o
	cp include/cmocka.h "$prefix/include/"
	pc cmocka 1.1.5 -lcmocka
}

# The indexes once, then the libraries, each in a subshell; two at once on two cores.
need=
for name in sqlite3 jansson pcre2 cmocka; do
	want=$(echo "$pins" | awk -v n="$name" '$1 == n {print $4}')
	[ -f "$prefix/stamp-$name" ] && [ "$(cat "$prefix/stamp-$name")" = "$want" ] || need=1
done
[ -z "$need" ] || apt_setup
pids=
for name in sqlite3 jansson pcre2 cmocka; do
	stamp=$prefix/stamp-$name
	want=$(echo "$pins" | awk -v n="$name" '$1 == n {print $4}')
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		continue
	fi
	( build_$name; echo "$want" >"$stamp" ) &
	pids="$pids $!"
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
[ $rc = 0 ] || die "a library failed to build (see above)"
