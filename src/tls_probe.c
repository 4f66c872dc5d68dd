/*
 * tls_probe.c - which TLS version a relay offers, when the handshake
 * with relaymail's versions failed (RFC 8996: TLS 1.0 and 1.1 are
 * retired; RFC 5246 §7.4.1.3, RFC 8446 §4.1.3: the ServerHello carries
 * the version the server chose).
 *
 * A server that only has TLS 1.0 or 1.1 may answer our ClientHello with
 * a protocol_version alert, or just close the connection (some do):
 * both look like a transient failure unless we learn its version. On a
 * new connection (set up by the caller: TCP, and for STARTTLS the
 * greeting, EHLO and 220), this offers only the versions below
 * relaymail's minimum and stops at the ServerHello: nothing is sent
 * over such a session, no certificate is looked at, and the connection
 * is closed right after. The answer turns the failure into a permanent
 * one that names the relay's version.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "tls.h"

#define PROBE_PRIO_12	"NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0"
#define PROBE_PRIO_13	"NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.1:" \
			"+VERS-TLS1.0"

/* The ServerHello's version (RFC 5246 §7.4.1.3: its first two octets),
 * kept in the session's pointer; the handshake stops there. */
static int
server_hello(gnutls_session_t s, unsigned htype, unsigned when,
    unsigned incoming, const gnutls_datum_t *msg)
{
	int *ver = gnutls_session_get_ptr(s);

	(void)htype;
	(void)when;
	if (!incoming || msg == NULL || msg->size < 2 || msg->data[0] != 3)
		return 0;
	*ver = msg->data[1];		/* 0 SSL 3.0, 1 TLS 1.0, ... */
	return GNUTLS_E_USER_ERROR;
}

static int
probe_session(gnutls_session_t *sp, gnutls_certificate_credentials_t *cp,
    int fd, const char *name, int min13, int *ver)
{
	if (gnutls_certificate_allocate_credentials(cp) < 0)
		return -1;
	if (gnutls_init(sp, GNUTLS_CLIENT | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL) < 0) {
		gnutls_certificate_free_credentials(*cp);
		return -1;
	}
	if (gnutls_priority_set_direct(*sp, min13 ? PROBE_PRIO_13 :
	    PROBE_PRIO_12, NULL) < 0 ||
	    gnutls_credentials_set(*sp, GNUTLS_CRD_CERTIFICATE, *cp) < 0)
		return -1;
	if (name != NULL)
		(void)gnutls_server_name_set(*sp, GNUTLS_NAME_DNS, name,
		    strlen(name));
	gnutls_session_set_ptr(*sp, ver);
	gnutls_handshake_set_hook_function(*sp, GNUTLS_HANDSHAKE_SERVER_HELLO,
	    GNUTLS_HOOK_PRE, server_hello);
	gnutls_transport_set_int(*sp, fd);
	gnutls_handshake_set_timeout(*sp, 0);
	return 0;
}

int
conn_tls_probe(struct conn *c, const struct tls_params *tp, const char *sni,
    long long deadline_ms, char *out, size_t cap)
{
	gnutls_session_t s = NULL;
	gnutls_certificate_credentials_t cred = NULL;
	int ver = -1, rc = -1;

	if (probe_session(&s, &cred, c->fd, sni, tp->min_version == 13,
	    &ver) == 0) {
		for (;;) {
			rc = gnutls_handshake(s);
			if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED &&
			    (rc == 0 || gnutls_error_is_fatal(rc)))
				break;
			if (deadline_wait(c->fd,
			    gnutls_record_get_direction(s) ? POLLOUT : POLLIN,
			    deadline_ms) != 1)
				break;
		}
	}
	if (s != NULL)
		gnutls_deinit(s);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
	/* Only a version below our minimum explains the failure. */
	if (ver < 0 || ver > (tp->min_version == 13 ? 3 : 2))
		return -1;
	if (ver == 0)
		snprintf(out, cap, "SSL 3.0");
	else
		snprintf(out, cap, "TLS 1.%d", ver - 1);
	return 0;
}
