/*
 * conn.h - one byte stream to the relay, over plain TCP or TLS, with a
 * deadline on every operation (relaymail(8)). Implemented by net.c
 * (connect), tls.c and tls_probe.c (GnuTLS) and conn.c (buffered I/O);
 * the clock and the waiting are deadline.c's.
 *
 * Writes are buffered and leave in as few write()/gnutls_record_send()
 * calls as possible: conn_write() only flushes when the buffer holds a full
 * BOUNDS_IO_BLOCK; conn_flush() sends what is buffered. Reads go through a
 * BOUNDS_RBUF buffer; conn_readline() returns one CRLF-terminated line and
 * fails (EX_PROTOCOL) on a line over its cap, on a bare LF, and (EX_TEMPFAIL)
 * when the absolute deadline passes or the peer closes.
 *
 * The transport knows nothing of the configuration: what a handshake
 * needs of an account comes in a struct tls_params, filled by relay.c.
 */
#ifndef RELAYMAIL_CONN_H
#define RELAYMAIL_CONN_H

#include <stdio.h>
#include <stddef.h>
#include "blockbuf.h"
#include "bounds.h"
#include "deadline.h"	/* deadline_now_ms(), the clock of every deadline */
#include "err.h"

struct conn_tlsinfo {
	char	 version[32];		/* "TLS1.3" */
	char	 cipher[128];
	/* what the leaf says: filled for -v and tls_pin, or on demand by
	 * conn_tls_certinfo() */
	char	 subject[256];		/* peer certificate DN */
	char	 issuer[256];
	char	 fingerprint[100];	/* SHA-256 of the cert, hex with ':' */
	char	 spki_pin[64];		/* "sha256/BASE64" of the SPKI */
	long	 days_left;		/* to notAfter */
	int	 resumed;
	int	 bound;			/* resumed, and its verification
					 * still holds: not repeated */
	int	 have_cert;		/* subject .. days_left are set */
	int	 old_version;		/* the handshake failed in a way a
					 * relay with only an older TLS
					 * explains: conn_tls_probe tells */
};

/*
 * The TLS settings of one account, as the handshake uses them. The
 * strings are borrowed (the caller keeps them alive during the call);
 * NULL means the key is unset.
 */
struct tls_params {
	const char	*ca_file;	/* tls_ca_file; NULL: system trust */
	const char	*pin;		/* tls_pin: "sha256/B64,sha256/B64" */
	const char	*cert_file;	/* tls_cert_file: client certificate */
	const char	*key_file;	/* tls_key_file; NULL: in cert_file */
	const char	*priority;	/* tls_priority: GnuTLS override */
	const char	*server_name;	/* tls_server_name; NULL: the host */
	const char	*state_dir;	/* queue_dir: its tls/ keeps cached
					 * sessions and the trust index */
	const char	*cache_key;	/* the account's name: a cached
					 * session only serves that account */
	int		 port;		/* the relay's port (cache key) */
	int		 verify;	/* tls_verify: 1 or 0 */
	int		 min_version;	/* tls_min_version: 12 or 13 */
	int		 session_cache;	/* tls_session_cache: 1 or 0 */
};

struct conn {
	int		 fd;
	void		*tls;			/* gnutls_session_t or NULL */
	void		*tls_cred;		/* certificate credentials */
	size_t		 rpos, rlen;
	struct blockbuf	 out;			/* writes into wbuf: no copies */
	int		 timeout_ms;		/* per operation */
	FILE		*trace;			/* -v transcript, or NULL */
	unsigned	 nflush;		/* flushes so far (for tests) */
	char		 host[BOUNDS_DOMAIN + 1];	/* name connected to */
	char		 peer[BOUNDS_DOMAIN + 64];	/* "host [addr]:port" */
	int		 loopback;		/* peer address is loopback */
	struct conn_tlsinfo tlsinfo;		/* filled after handshake */
	int		 live;			/* fd is ours to close */
	int		 tls_retry;		/* a cached TLS session failed:
						 * connect again, full handshake */
	/* The buffers last: conn_clear() leaves their bytes alone. */
	unsigned char	 rbuf[BOUNDS_RBUF];
	unsigned char	 wbuf[BOUNDS_IO_BLOCK];
};

/* A closed, empty connection (fd -1): every field but the buffers'
 * bytes, which are never read before they are written. */
void	 conn_clear(struct conn *);

/*
 * Resolve host and connect to its addresses with a deadline per attempt
 * (timeout_ms) and overall (deadline_ms, absolute deadline_now_ms()
 * time, 0 = none); IPv6 and IPv4 raced as in RFC 8305 (250 ms head start).
 * TCP_NODELAY is set. Errors: EX_NOHOST (name does not exist),
 * EX_TEMPFAIL (temporary DNS failure, refused, unreachable, timed out).
 */
int	 conn_open(struct conn *, const char *host, int port, int timeout_ms,
	    long long deadline_ms, FILE *trace, struct err *);

/*
 * Wrap an already connected socket (tests, socketpairs): the conn is
 * reset, takes ownership of fd (made non-blocking) and conn_close()
 * closes it. timeout_ms <= 0 means 60 s.
 */
void	 conn_attach(struct conn *, int fd, int timeout_ms, FILE *trace);

/*
 * TLS handshake on the open connection (implicit TLS, or after
 * STARTTLS's 220), with the account's settings in p: trust store or
 * tls_ca_file, host name check against tls_server_name or the host, SNI,
 * tls_pin, client certificate, minimum TLS 1.2 (1.3 with
 * tls_min_version), tls_priority. Fails closed: EX_UNAVAILABLE for a
 * verification/pin failure or a version below the minimum, EX_PROTOCOL
 * when the peer does not speak TLS (the message names the likely fix),
 * EX_TEMPFAIL on timeout/reset. For STARTTLS, the caller first checks
 * conn_pending() == 0. A cached session (tls_session_cache) is offered
 * for resumption; when the handshake with it fails, or its certificate
 * no longer verifies, the cache entry is dropped and c->tls_retry is
 * set: the caller connects once more, and that full handshake decides.
 */
int	 conn_tls_start(struct conn *, const struct tls_params *p,
	    int starttls, struct err *);

/*
 * After a handshake failure with tlsinfo.old_version set, on a NEW
 * connection c at the point where the handshake would start: offer only
 * the TLS versions below p->min_version, stop at the ServerHello
 * (nothing is sent over it) and put the version the relay chose ("TLS
 * 1.1") in out. sni: the name to send, or NULL. -1 when the relay
 * answered with no such version (the failure had another cause).
 */
int	 conn_tls_probe(struct conn *, const struct tls_params *p,
	    const char *sni, long long deadline_ms, char *out, size_t cap);

/* Fill c->tlsinfo's certificate fields (subject, issuer, fingerprint,
 * pin, days left) from the relay's certificate, if not yet done (the
 * handshake only does it for -v and tls_pin). 0, or a negative GnuTLS
 * error code (-1 when there is no certificate). */
int	 conn_tls_certinfo(struct conn *);

int	 conn_write(struct conn *, const void *, size_t, struct err *);
/* Sends what is buffered; nflush counts flushes that sent bytes. */
int	 conn_flush(struct conn *, struct err *);
/*
 * Read one line (CRLF removed, NUL-terminated) into line[cap]; *len gets
 * its length (at most cap - 1). deadline_ms is absolute (deadline_now_ms());
 * 0 means now + timeout_ms.
 */
int	 conn_readline(struct conn *, char *line, size_t cap, size_t *len,
	    long long deadline_ms, struct err *);
/* The next byte the relay sends, without consuming it (waits until
 * deadline_ms, absolute, for one to arrive). */
int	 conn_peek(struct conn *, long long deadline_ms, unsigned char *,
	    struct err *);
/* Bytes received and not yet consumed. Inline, so that tls.c (below
 * conn.c, which calls its record I/O) can ask it before the handshake
 * without calling up into conn.c. */
static inline size_t
conn_pending(const struct conn *c)
{
	return c->rlen - c->rpos;
}
/* Close (TLS bye without waiting), free everything, wipe the buffers.
 * Safe to call twice, after a failed conn_open(), and on a zeroed conn. */
void	 conn_close(struct conn *);

#endif
