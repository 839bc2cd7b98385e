# Thin wrapper around meson: deps, build, run, test, bench.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
WIN_BUILD  ?= build-win
WERROR     ?= $(if $(CI),true,false)
FUZZ_SECONDS ?= 15
FUZZ_LONG_SECONDS ?= 600
FUZZ_SEED ?= 1

# Every build and test dependency on a fresh Debian 12 machine.
DEBS = meson ninja-build pkg-config gcc clang libclang-rt-14-dev \
       libmnl-dev libjansson-dev libcmocka-dev libnftables-dev libxml2-dev libsqlite3-dev \
       libpcre2-dev libssl-dev libpcap-dev \
       python3 python3-pytest \
       iproute2 nftables nmap socat net-tools procps util-linux hyperfine libxml2-utils ndiff time \
       openssh-server openssh-client nginx-light vsftpd redis-server dnsmasq-base \
       inetutils-telnetd postgresql memcached snmpd masscan \
       samba tigervnc-standalone-server docker.io openssl
# issue 13: make test checks the code against .clang-format
DEBS += clang-format
# issue 16: the service-detection zoo (tests/integration/zoo.py), started by the tests in lab
# namespaces with their own configs; policy-rc.d below keeps apt from starting these
DEBS += apache2 lighttpd dovecot-imapd dovecot-pop3d exim4-daemon-light mariadb-server \
        mosquitto rsync squid haproxy tinyproxy unbound bind9 stunnel4 ngircd cups-daemon \
        slapd ntpsec inspircd nsd beanstalkd git
# Issue 21's package test: builds, lints and installs the Debian package, loads its completions.
DEBS += debhelper dpkg-dev lintian libcap2-bin man-db bash-completion zsh fish
# Issue 22: make windows cross-builds portscope.exe (mingw-w64; tclsh for SQLite's amalgamation,
# which windows/deps.sh builds from Debian's source package) and make windows-test runs it
# under wine64.
DEBS += mingw-w64 wine wine64 tcl
# issue 22: Wine's SChannel is GnuTLS (-sV's TLS probes in make windows-test); libwine only
# recommends it.
DEBS += libgnutls30
# issue 20 (report): the HTML page is tested in Debian's chromium, driven from node
# (playwright-core, axe-core: `npm ci` under tests/browser); promtool checks the textfile.
DEBS += chromium nodejs npm prometheus
# issue 20 (bench/report.sh): nmap.xsl's page of the same scan, the reference.
DEBS += xsltproc

# issue 19: the PostgreSQL history backend (libpq); its tests start their own server from
# postgresql (above) as the postgres user
DEBS += libpq-dev

# issue 14: ufw's own chains and a busybox image for docker run -p in the exposure lab
DEBS += ufw busybox-static

# issue 17: every JSON output checked against schema/; nmap's XML consumers in the tests
DEBS += python3-jsonschema python3-libnmap python3-nmap

# A NodeSource nodejs provides (and conflicts with) Debian's npm: keep the npm it has.
APT_DEBS = $(if $(shell command -v npm 2>/dev/null),$(filter-out npm,$(DEBS)),$(DEBS))

APT_LINE = DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends $(APT_DEBS)

.PHONY: all build deps browser-deps run test unit integration asan fuzz fuzz-long bench clean format-check \
	install package-test windows windows-test image

all: build

# The lab daemons (vsftpd, redis, sshd...) are for the tests, which start their own
# in namespaces: a policy-rc.d keeps apt from starting the machine's copies.
deps:
	@missing=$$(dpkg-query -W -f='$${db:Status-Abbrev} $${Package}\n' $(APT_DEBS) 2>&1 | \
		awk '$$1 != "ii" {print}' ); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "portscope needs these packages; as root run:"; \
		echo "  apt-get update && $(APT_LINE)"; exit 1; \
	fi; \
	if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then apt-get update; fi; \
	policy=/usr/sbin/policy-rc.d; made=; \
	if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' >$$policy; chmod 755 $$policy; made=1; fi; \
	$(APT_LINE) || { apt-get update && $(APT_LINE); }; rc=$$?; \
	if [ -n "$$made" ]; then rm -f $$policy; fi; exit $$rc

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=$(WERROR)

build: $(BUILD)/build.ninja
	meson compile -C $(BUILD)

run: deps build
	./$(BUILD)/portscope audit

unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

integration: build
	meson test -C $(BUILD) --suite integration --print-errorlogs

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Dwerror=$(WERROR) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

asan: $(ASAN_BUILD)/build.ninja
	meson compile -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson test -C $(ASAN_BUILD) --suite unit --suite integration --print-errorlogs

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false

# make test's fuzz stage is a regression gate: each harness FUZZ_SECONDS from the fixed
# FUZZ_SEED, so a red run is reproducible and not a coin toss; exploration with random seeds
# is fuzz-long's. On a finding, the sanitizer's summary and the input are printed last.
FUZZ_FINDING = grep -h -E '^==[0-9]+==ERROR|^SUMMARY:|^Base64:|Test unit written|^artifact_prefix' \
	$(FUZZ_BUILD)/meson-logs/testlog.txt | tail -n 20

fuzz: $(FUZZ_BUILD)/build.ninja
	meson compile -C $(FUZZ_BUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$(FUZZ_SEED) meson test -C $(FUZZ_BUILD) --suite fuzz \
		--print-errorlogs || { $(FUZZ_FINDING); exit 1; }

# Every harness for FUZZ_LONG_SECONDS (10 minutes) each, as many at once as meson runs
# tests (MESON_TESTTHREADS); not part of make test. New inputs stay in a scratch directory.
fuzz-long: $(FUZZ_BUILD)/build.ninja
	meson compile -C $(FUZZ_BUILD)
	FUZZ_SECONDS=$(FUZZ_LONG_SECONDS) FUZZ_SEED=0 meson test -C $(FUZZ_BUILD) --suite fuzz --print-errorlogs \
		--timeout-multiplier 0

# The code as the repository's .clang-format writes it (first: it is cheap).
format-check:
	clang-format --dry-run --Werror $$(find src tests -name '*.[ch]' | sort)

# The browser tests' npm packages (playwright-core, axe-core) as locked; no
# install scripts run and no browser is downloaded (they drive Debian's chromium).
BROWSER_DIR = tests/browser
$(BROWSER_DIR)/node_modules/.package-lock.json: $(BROWSER_DIR)/package-lock.json
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --ignore-scripts

browser-deps: $(BROWSER_DIR)/node_modules/.package-lock.json

# Each build runs its suites in one meson invocation so that its testlog
# holds them all; tests/summary.py prints the closing count of every build.
# The package suite (tests/package) runs last and alone in the plain build:
# it builds the Debian package from a clone of HEAD, installs it on this
# machine and purges it; PORTSCOPE_PACKAGE_TEST=1 is the consent it asks for.
test: deps format-check build browser-deps
	PORTSCOPE_PACKAGE_TEST=1 meson test -C $(BUILD) --suite unit --suite integration \
		--suite package --print-errorlogs
	$(MAKE) --no-print-directory asan
	$(MAKE) --no-print-directory fuzz
	$(MAKE) --no-print-directory windows-test
	@python3 tests/summary.py $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(WIN_BUILD)

# Installs the binary, man page, completions and systemd units under PREFIX
# (default /usr/local), staged under DESTDIR when it is set.
PREFIX ?= /usr/local
install: $(BUILD)/build.ninja
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	meson compile -C $(BUILD)
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir "$(DESTDIR)")

# Only the package test (root: installs and purges the package).
package-test: deps build
	PORTSCOPE_PACKAGE_TEST=1 meson test -C $(BUILD) --suite package --print-errorlogs

bench: deps build
	@for b in bench/*.sh; do echo "== $$b"; PORTSCOPE_BIN=$(CURDIR)/$(BUILD)/portscope XDG_STATE_HOME=$(CURDIR)/$(BUILD)/bench-state bash $$b || exit 1; done

# Windows: portscope.exe cross-built with mingw-w64; the libraries it links are
# built from Debian's source packages into $(WIN_BUILD)/deps (kept between runs).
$(WIN_BUILD)/deps/stamp-cmocka:
	windows/deps.sh $(WIN_BUILD)/deps

$(WIN_BUILD)/build.ninja: $(WIN_BUILD)/deps/stamp-cmocka
	PKG_CONFIG_LIBDIR=$(CURDIR)/$(WIN_BUILD)/deps/lib/pkgconfig \
		meson setup $(WIN_BUILD) --cross-file windows/mingw64.ini -Dwerror=$(WERROR)

windows: $(WIN_BUILD)/build.ninja
	meson compile -C $(WIN_BUILD)

# The Windows unit and integration tests under wine64, in a network namespace
# and a WINEPREFIX of their own (windows/test.sh).
windows-test: windows
	windows/test.sh $(WIN_BUILD)

# issue 19: the container image of deploy/ (localhost/portscope:latest) from a debootstrap
# Debian 12 root filesystem, no registry (deploy/build-image.sh; root, debootstrap, podman
# or docker, the Debian mirror), then a run of it without network (deploy/check-image.sh).
# Minutes: not part of test.
image:
	deploy/build-image.sh
	deploy/check-image.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(WIN_BUILD)
