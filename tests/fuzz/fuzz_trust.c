/*
 * fuzz_trust.c - libFuzzer target for the lazy system trust (trust.c,
 * trust_index.c): the parsers that see bytes from the relay before
 * GnuTLS has checked them, and the bundle scanner. The first input byte
 * picks the mode:
 *  - bit 0 clear: the rest is the body of a server Certificate message
 *    (bit 1: TLS 1.3 layout, RFC 8446 §4.4.2, else RFC 5246 §7.4.2),
 *    looked up in a bundle that is the same bytes again;
 *  - bit 0 set: the rest is both a DER certificate chain of one (the
 *    names to look up) and the PEM bundle scanned for them, with an
 *    index file in a temporary directory (bit 1: a second lookup reads
 *    the index the first one wrote; bit 2: the binding of that chain,
 *    which decodes the validity of it and of every CA found).
 * Invariants: no crash, no UB, no leak (the trust list is freed with the
 * credentials; every CA added parsed as a certificate).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "fuzz.h"
#include "trust.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
bind_once(struct trust *tr, const gnutls_datum_t *chain)
{
	struct trust_bind b;
	unsigned char out[32];

	if (trust_bind_begin(&b) == -1)
		return;
	(void)trust_bind_chain(tr, chain, 1, &b);
	(void)trust_bind_end(&b, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gnutls_certificate_credentials_t cred;
	char path[64], dir[] = "/tmp/fuzz_trust.XXXXXX", idx[128];
	gnutls_datum_t d;
	struct trust tr;
	struct err e;
	int fd;

	if (size < 1 || gnutls_certificate_allocate_credentials(&cred) < 0)
		return 0;
	if ((fd = fuzz_memfd(data + 1, size - 1)) == -1) {
		gnutls_certificate_free_credentials(cred);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	setenv("RELAYMAIL_SYSTEM_TRUST", path, 1);
	d.data = (unsigned char *)(uintptr_t)(data + 1);
	d.size = (unsigned)(size - 1);
	if (!(data[0] & 1)) {
		if (trust_system(&tr, cred, NULL, &e) == 0)
			trust_add_for_msg(&tr, &d, (data[0] & 2) != 0);
	} else if (mkdtemp(dir) != NULL) {
		if (trust_system(&tr, cred, dir, &e) == 0) {
			trust_add_for(&tr, &d, 1);
			if (data[0] & 2)
				trust_add_for(&tr, &d, 1);
			if (data[0] & 4)
				bind_once(&tr, &d);
		}
		snprintf(idx, sizeof(idx), "%s/trust-index", dir);
		unlink(idx);
		rmdir(dir);
	}
	close(fd);
	gnutls_certificate_free_credentials(cred);
	return 0;
}
