# relaymail - sendmail-compatible mailer. See README.
# GNU make; dependencies from Debian via pkg-config.

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
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
CFLAGS	+= $(CSTD) $(WARN) $(OPT) -DRELAYMAIL_VERSION=\"$(VERSION)\" \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
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
	   git git-email libmailtools-perl bsd-mailx cron time dovecot-core \
	   dovecot-submissiond

.PHONY: all deps check unit scenarios interop demo lint install \
	install-links install-setgid clean bench fuzz

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
	$(CC) $(CFLAGS) -c -o $@ $<

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

install: relaymail
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 0755 relaymail $(DESTDIR)$(SBINDIR)/relaymail
	install -m 0644 man/relaymail.8 $(DESTDIR)$(MANDIR)/man8/relaymail.8
	install -m 0644 man/relaymail.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/relaymail.conf.5

install-links: install
	install -d $(DESTDIR)/usr/sbin $(DESTDIR)/usr/bin \
	    $(DESTDIR)/usr/lib
	ln -sf $(SBINDIR)/relaymail $(DESTDIR)/usr/sbin/sendmail
	ln -sf $(SBINDIR)/relaymail $(DESTDIR)/usr/bin/mailq
	ln -sf $(SBINDIR)/relaymail $(DESTDIR)/usr/bin/newaliases
	ln -sf $(SBINDIR)/relaymail $(DESTDIR)/usr/lib/sendmail

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

# The setgid install mode (DESIGN §7): the binary is setgid to the
# dedicated group `relaymail`, so /etc/relaymail.conf (0640 root:relaymail)
# holding a password is readable through relaymail by every user without
# being readable by them; the system queue is 2770 root:relaymail.
install-setgid: install
	getent group relaymail >/dev/null || groupadd --system relaymail
	chgrp relaymail $(DESTDIR)$(SBINDIR)/relaymail
	chmod 2755 $(DESTDIR)$(SBINDIR)/relaymail
	install -d -o root -g relaymail -m 2770 $(DESTDIR)/var/spool/relaymail
	if [ -f $(DESTDIR)$(SYSCONFDIR)/relaymail.conf ]; then \
	    chown root:relaymail $(DESTDIR)$(SYSCONFDIR)/relaymail.conf && \
	    chmod 0640 $(DESTDIR)$(SYSCONFDIR)/relaymail.conf; fi

clean:
	rm -f relaymail src/*.o src/librelaymail.a $(UNIT_BINS) $(FUZZ_BINS) \
	    tests/relay/testrelay
	rm -rf tests/tmp $(FLAGS_STAMP)
