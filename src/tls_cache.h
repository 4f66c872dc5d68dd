/*
 * tls_cache.h - the TLS session cache that lets a later send resume the
 * session instead of doing a full handshake (RFC 8446 §2.2, §4.6.1;
 * RFC 5077 for TLS 1.2). Private to tls.c.
 *
 * One file per account, relay host, port and verified name, in
 * queue_dir/tls (0700 for a user's queue, files 0600; in the system
 * queue 2770 root:relaymail, files 0660). A session is only ever offered
 * to the same account, host, port and name it came from, and only
 * before it expires (the ticket's lifetime, at most 7 days, RFC 8446
 * §4.6.1). Whatever goes wrong with the cache (no state directory, a
 * corrupt or foreign file, a write error) only means no resumption:
 * these functions never fail a send.
 *
 * Concurrent senders: a file is written under a name of its own and
 * renamed into place, so a reader sees a complete old or new file; the
 * last writer wins.
 *
 * Memory: tls_cache_load() returns the session in *data, allocated with
 * gnutls_malloc; free it with tls_cache_free(), which wipes it (it holds
 * the session's resumption secret).
 */
#ifndef RELAYMAIL_TLS_CACHE_H
#define RELAYMAIL_TLS_CACHE_H

#include <time.h>
#include <gnutls/gnutls.h>

#include "bounds.h"
#include "conn.h"	/* struct tls_params */

/*
 * What the session's chain was verified against (tls_verify_bind in
 * tls_verify.c): the digest of the name, the settings, the chain and the
 * trust anchors it could use, and the time in which all of them are
 * valid. set = 0: none
 * (tls_verify = no, or the chain could not be decoded).
 */
struct tls_cache_bind {
	unsigned char	 digest[32];
	long long	 nb, na;
	int		 set;
};

struct tls_cache {
	char	 path[BOUNDS_PATH];	/* "" when there is no cache */
	char	 id[BOUNDS_NAME + 2 * BOUNDS_DOMAIN + 16];
};

/* tp->state_dir/tls (the queue directory's tls/), created when missing
 * (with the queue directory when that is missing too, unless a
 * top-level directory would be created): 0, or -1 when there is no
 * usable directory. */
int	 tls_cache_dir(const struct tls_params *tp, char *out, size_t len);
/* Fill tc for the account tp->cache_key connecting to host:port,
 * verifying name. Without tp->session_cache (tls_session_cache = no) or
 * a usable directory, tc->path is "". */
void	 tls_cache_init(struct tls_cache *tc, const struct tls_params *tp,
	    const char *host, int port, const char *name);
/* 0 with the cached session in *data and its binding in *b; -1 when
 * there is none usable. */
int	 tls_cache_load(const struct tls_cache *tc, gnutls_datum_t *data,
	    struct tls_cache_bind *b);
/* Replace the cached session and its binding (best effort). */
void	 tls_cache_store(const struct tls_cache *tc,
	    const gnutls_datum_t *data, time_t expires,
	    const struct tls_cache_bind *b);
/* Forget the cached session (best effort). */
void	 tls_cache_drop(const struct tls_cache *tc);
void	 tls_cache_free(gnutls_datum_t *data);

#endif
