# relaymail - sendmail-compatible mailer. See README.
# GNU make; dependencies from Debian via pkg-config.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
CRONDIR	?= $(SYSCONFDIR)/cron.d
DESTDIR	?=
VERSION	 = 0.1.0

CC	?= cc
PKGS	 = gnutls inih
CSTD	 = -std=c11 -D_GNU_SOURCE
WARN	 = -Wall -Wextra -Wshadow -Wformat=2 -Wno-format-nonliteral \
	   -Wno-format-truncation -Werror
OPT	?= -O2 -g
ifeq ($(SANITIZE),1)
OPT	 = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
endif
# libcurl and json-c are only headers at build time: relaymail loads them
# with dlopen when an OAuth2 endpoint is reached (src/oauth_lib.h), by the
# sonames of the development libraries (Debian's when they are missing).
DLPKGS	 = libcurl json-c
soname	 = $(shell objdump -p $$(pkg-config --variable=libdir $(1) \
	   2>/dev/null)/$(2) 2>/dev/null | awk '/SONAME/ {print $$2}')
CURL_SO	?= $(or $(call soname,libcurl,libcurl.so),libcurl-gnutls.so.4)
JSONC_SO ?= $(or $(call soname,json-c,libjson-c.so),libjson-c.so.5)
CFLAGS	+= $(CSTD) $(WARN) $(OPT) -DRELAYMAIL_VERSION=\"$(VERSION)\" \
	   -DOAUTH_CURL_SO=\"$(CURL_SO)\" -DOAUTH_JSONC_SO=\"$(JSONC_SO)\" \
	   $(shell pkg-config --cflags $(PKGS) $(DLPKGS) 2>/dev/null)
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifeq ($(SANITIZE),1)
LDFLAGS	+= -fsanitize=address,undefined
endif

SRCS	 = $(filter-out src/main.c,$(wildcard src/*.c))
OBJS	 = $(SRCS:.c=.o)
HDRS	 = $(wildcard src/*.h)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:.c=)
RELAY_SRCS = $(wildcard tests/relay/*.c)

DEB_PKGS = build-essential pkg-config libgnutls28-dev libinih-dev check \
	   gnutls-bin valgrind postfix sasl2-bin libsasl2-modules php-cli \
	   git git-email libmailtools-perl bsd-mailx cron time cppcheck \
	   debhelper dpkg-dev fakeroot lintian mmdebstrap systemd \
	   php-symfony-mailer libphp-phpmailer php-mbstring \
	   libcurl4-gnutls-dev libjson-c-dev python3 \
	   dovecot-core dovecot-submissiond

.PHONY: all deps check unit scenarios interop demo lint install \
	install-links install-setgid uninstall deb clean bench fuzz

all: relaymail

relaymail: src/main.o src/librelaymail.a
	$(CC) $(LDFLAGS) -o $@ src/main.o src/librelaymail.a $(LDLIBS)

src/librelaymail.a: $(OBJS)
	rm -f $@
	ar rcs $@ $(OBJS)

# Rebuild everything when the flags change (SANITIZE=1 and back).
FLAGS_STAMP = src/.buildflags
$(FLAGS_STAMP): FORCE
	@echo '$(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || \
	    echo '$(CFLAGS) $(LDFLAGS)' > $@
FORCE:

src/%.o: src/%.c $(HDRS) $(FLAGS_STAMP)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c tests/unit/unit.h src/librelaymail.a
	$(CC) $(CFLAGS) -Isrc $(shell pkg-config --cflags check) -o $@ $< \
	    src/librelaymail.a $(LDFLAGS) $(LDLIBS) \
	    $(shell pkg-config --libs check)

tests/relay/testrelay: $(RELAY_SRCS) $(wildcard tests/relay/*.h) $(FLAGS_STAMP)
	$(CC) $(CFLAGS) -o $@ $(RELAY_SRCS) $(LDFLAGS) \
	    $(shell pkg-config --libs gnutls)

# Installs the Debian packages that are missing; prints the command when
# not root. Debconf is told not to configure a system Postfix and
# policy-rc.d keeps apt from starting any daemon: the tests start their
# own private Postfix and no system mail server is left running.
deps:
	@sh tests/deps.sh $(DEB_PKGS)

# Unit suites, every scenario and interop group, then the scenarios
# again with relaymail under valgrind (not with SANITIZE=1: ASan and
# valgrind do not mix; that build is checked by its own sanitizers).
check: deps all tests/relay/testrelay $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)
	@sh tests/run-scenarios.sh
ifneq ($(SANITIZE),1)
	@echo "== valgrind pass"
	@VALGRIND=1 INTEROP=0 sh tests/run-scenarios.sh
endif

unit: all $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

scenarios: all tests/relay/testrelay
	@sh tests/run-scenarios.sh

valgrind: all tests/relay/testrelay
	@VALGRIND=1 INTEROP=0 sh tests/run-scenarios.sh

demo: deps all tests/relay/testrelay
	@sh tests/demo.sh

lint:
	@sh tests/lint.sh

bench: all tests/relay/testrelay
	@sh tests/bench.sh

# The units and the cron line name the installed binary: they are made
# from contrib/*.in for this SBINDIR and SYSCONFDIR at install time.
SUBST	 = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install: relaymail
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CRONDIR)
	install -m 0755 relaymail $(DESTDIR)$(SBINDIR)/relaymail
	install -m 0644 man/relaymail.8 $(DESTDIR)$(MANDIR)/man8/relaymail.8
	install -m 0644 man/relaymail.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/relaymail.conf.5
	$(SUBST) contrib/relaymail-queue.service.in \
	    >$(DESTDIR)$(UNITDIR)/relaymail-queue.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/relaymail-queue.service
	install -m 0644 contrib/relaymail-queue.timer \
	    $(DESTDIR)$(UNITDIR)/relaymail-queue.timer
	$(SUBST) contrib/relaymail.cron.in >$(DESTDIR)$(CRONDIR)/relaymail
	chmod 0644 $(DESTDIR)$(CRONDIR)/relaymail
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    echo "systemd: systemctl daemon-reload &&" \
	        "systemctl enable --now relaymail-queue.timer" \
	        "(the queue service runs with the group relaymail:" \
	        "make install-setgid)"; fi

# Removes the files install, install-links and install-setgid put in
# place; the group, /etc/relaymail.conf and the queue are the admin's.
uninstall:
	-@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	    systemctl disable --now relaymail-queue.timer 2>/dev/null; fi
	for l in /usr/sbin/sendmail /usr/bin/mailq /usr/bin/newaliases \
	    /usr/lib/sendmail; do \
	    if [ "$$(readlink $(DESTDIR)$$l)" = "$(SBINDIR)/relaymail" ]; \
	    then rm -f $(DESTDIR)$$l; fi; done
	rm -f $(DESTDIR)$(SBINDIR)/relaymail \
	    $(DESTDIR)$(MANDIR)/man8/relaymail.8 \
	    $(DESTDIR)$(MANDIR)/man5/relaymail.conf.5 \
	    $(DESTDIR)$(UNITDIR)/relaymail-queue.service \
	    $(DESTDIR)$(UNITDIR)/relaymail-queue.timer \
	    $(DESTDIR)$(CRONDIR)/relaymail

# A link over a file another package owns (Postfix's /usr/sbin/sendmail)
# would come back with that package's next upgrade: refused; the Debian
# package (make deb) replaces the MTA through apt instead.
install-links: install
	@if [ -z "$(DESTDIR)" ] && command -v dpkg-query >/dev/null; then \
	    for l in /usr/sbin/sendmail /usr/lib/sendmail /usr/bin/mailq \
	        /usr/bin/newaliases; do \
	    o=$$(dpkg-query -S $$l 2>/dev/null | cut -d: -f1); \
	    if [ -n "$$o" ] && [ "$$o" != relaymail ]; then \
	        echo "install-links: $$l belongs to the package $$o;" \
	            "make deb && apt install ./$(DEB) replaces it"; \
	        exit 1; fi; done; fi
	install -d $(DESTDIR)/usr/sbin $(DESTDIR)/usr/bin \
	    $(DESTDIR)/usr/lib
	ln -sf $(SBINDIR)/relaymail $(DESTDIR)/usr/sbin/sendmail
	ln -sf $(SBINDIR)/relaymail $(DESTDIR)/usr/bin/mailq
	ln -sf $(SBINDIR)/relaymail $(DESTDIR)/usr/bin/newaliases
	ln -sf $(SBINDIR)/relaymail $(DESTDIR)/usr/lib/sendmail

# The Debian package (contrib/debian): the sources are copied into a
# build directory with the packaging as debian/, built with
# dpkg-buildpackage, checked with lintian (no errors, no warnings that an
# override in contrib/debian does not explain) and left as ./$(DEB).
DEB_ARCH = $(shell dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null)
DEB	 = relaymail_$(VERSION)_$(DEB_ARCH).deb
DEB_BUILD = build/deb
# The package is a release build whatever this make was given
# (SANITIZE=1 included): dpkg-buildpackage runs without our MAKEFLAGS.
deb:
	@v=$$(dpkg-parsechangelog -l contrib/debian/changelog -S Version); \
	    [ "$$v" = "$(VERSION)" ] || { echo "deb: contrib/debian/changelog" \
	    "is at $$v, the Makefile at $(VERSION): add a changelog entry"; \
	    exit 1; }
	rm -rf $(DEB_BUILD)
	mkdir -p $(DEB_BUILD)/relaymail-$(VERSION)
	cp -R Makefile README COPYING src man conf contrib \
	    $(DEB_BUILD)/relaymail-$(VERSION)/
	cp -R contrib/debian $(DEB_BUILD)/relaymail-$(VERSION)/debian
	$(MAKE) -C $(DEB_BUILD)/relaymail-$(VERSION) clean >/dev/null
	cd $(DEB_BUILD)/relaymail-$(VERSION) && \
	    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE -u OPT \
	    dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
	    { tail -30 ../build.log; exit 1; }
	lintian --fail-on error,warning --info --display-info \
	    $(DEB_BUILD)/relaymail_$(VERSION)_$(DEB_ARCH).changes
	cp $(DEB_BUILD)/$(DEB) .

# libFuzzer targets (clang): tests/fuzz/fuzz_<name>.c, each run for
# FUZZTIME seconds. Not part of `make check` (its budget is for tests).
FUZZ_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS = $(FUZZ_SRCS:.c=)
FUZZTIME ?= 30
tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(SRCS) $(HDRS)
	clang $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
	    $(shell pkg-config --cflags $(PKGS)) -o $@ $< $(SRCS) $(LDLIBS)
fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do mkdir -p tests/tmp/corpus-$${f##*/}; \
	    ./$$f -max_total_time=$(FUZZTIME) tests/tmp/corpus-$${f##*/} \
	    || exit 1; done

# The setgid install mode (relaymail(8)): the binary is setgid to the
# dedicated group `relaymail`, so /etc/relaymail.conf (0640 root:relaymail)
# holding a password is readable through relaymail by every user without
# being readable by them; the system queue and its msg/ and tmp/ are
# 2770 root:relaymail (also when they exist: one a user created before is
# given back to root, as whoever owns msg/ could remove anyone's mail).
install-setgid: install
	getent group relaymail >/dev/null || groupadd --system relaymail
	chgrp relaymail $(DESTDIR)$(SBINDIR)/relaymail
	chmod 2755 $(DESTDIR)$(SBINDIR)/relaymail
	install -d -o root -g relaymail -m 2770 $(DESTDIR)/var/spool/relaymail \
	    $(DESTDIR)/var/spool/relaymail/msg $(DESTDIR)/var/spool/relaymail/tmp
	if [ -f $(DESTDIR)$(SYSCONFDIR)/relaymail.conf ]; then \
	    chown root:relaymail $(DESTDIR)$(SYSCONFDIR)/relaymail.conf && \
	    chmod 0640 $(DESTDIR)$(SYSCONFDIR)/relaymail.conf; fi

clean:
	rm -f relaymail src/*.o src/librelaymail.a $(UNIT_BINS) $(FUZZ_BINS) \
	    tests/relay/testrelay relaymail_*.deb
	rm -rf build
	rm -rf tests/tmp $(FLAGS_STAMP)
