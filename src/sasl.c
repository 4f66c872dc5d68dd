/*
 * sasl.c - SASL client messages, without I/O (base64 in base64.c):
 * PLAIN (RFC 4616), CRAM-MD5 (RFC 2195), XOAUTH2 (Google), OAUTHBEARER
 * (RFC 7628) and SCRAM-SHA-256 (RFC 5802, RFC 7677, with the server
 * signature checked so the relay proves it knows the password too).
 * Pure functions into caller buffers so they can be tested against the
 * RFC vectors; every temporary that held key material is wiped here,
 * the caller wipes the output (secret_bzero).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "base64.h"
#include "hex.h"
#include "sasl.h"
#include "secret.h"

/* Concatenate NULL-terminated parts (each with its length) into out. */
static int
cat(char *out, size_t cap, size_t *olen, const char *const *parts,
    const size_t *lens, size_t nparts)
{
	size_t i, n = 0;

	for (i = 0; i < nparts; i++) {
		if (lens[i] >= cap - n)
			return -1;
		memcpy(out + n, parts[i], lens[i]);
		n += lens[i];
	}
	out[n] = '\0';
	*olen = n;
	return 0;
}

int
sasl_plain(const char *user, const char *pass, char *out, size_t cap,
    size_t *olen)
{
	/* RFC 4616 §2: [authzid] NUL authcid NUL passwd; empty authzid. */
	const char *parts[] = { "", user, "", pass };
	size_t lens[] = { 1, strlen(user), 1, strlen(pass) };

	return cat(out, cap, olen, parts, lens, 4);
}

int
sasl_cram_md5(const char *user, const char *pass, size_t plen,
    const unsigned char *chal, size_t clen, char *out, size_t cap,
    size_t *olen)
{
	unsigned char mac[16];
	char digest[33];
	int rc;

	/* RFC 2195 §2: user SP hex(HMAC-MD5(password, challenge)). */
	if (gnutls_hmac_fast(GNUTLS_MAC_MD5, pass, plen, chal, clen,
	    mac) != 0)
		return -1;
	hex_encode(mac, sizeof(mac), digest);
	{
		const char *parts[] = { user, " ", digest };
		size_t lens[] = { strlen(user), 1, 32 };

		rc = cat(out, cap, olen, parts, lens, 3);
	}
	secret_bzero(mac, sizeof(mac));
	secret_bzero(digest, sizeof(digest));
	return rc;
}

int
sasl_xoauth2(const char *user, const char *token, char *out,
    size_t cap, size_t *olen)
{
	/* "user=" user ^A "auth=Bearer " token ^A ^A */
	const char *parts[] = { "user=", user, "\001auth=Bearer ", token,
	    "\001\001" };
	size_t lens[] = { 5, strlen(user), 13, strlen(token), 2 };

	return cat(out, cap, olen, parts, lens, 5);
}

/* RFC 5802 §5.1 saslname: ',' -> "=2C", '=' -> "=3D". */
static int
saslname(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in != '\0'; in++) {
		if (n + 4 > cap)
			return -1;
		if (*in == ',' || *in == '=') {
			memcpy(out + n, *in == ',' ? "=2C" : "=3D", 3);
			n += 3;
		} else
			out[n++] = *in;
	}
	out[n] = '\0';
	return 0;
}

int
sasl_oauthbearer(const char *user, const char *host, int port,
    const char *token, char *out, size_t cap, size_t *olen)
{
	char name[BOUNDS_ADDR * 3 + 1], portstr[16];

	/* RFC 7628 §3.1: gs2-header "n,a=user," then kvpairs with ^A. */
	if (saslname(user, name, sizeof(name)) == -1)
		return -1;
	snprintf(portstr, sizeof(portstr), "%d", port);
	{
		const char *parts[] = { "n,a=", name, ",\001host=", host,
		    "\001port=", portstr, "\001auth=Bearer ", token,
		    "\001\001" };
		size_t lens[] = { 4, strlen(name), 7, strlen(host), 6,
		    strlen(portstr), 13, strlen(token), 2 };

		return cat(out, cap, olen, parts, lens, 9);
	}
}

/* ---- SCRAM-SHA-256 (RFC 5802 §3, §5; RFC 7677) ---- */

#define SCRAM_LEN	32		/* SHA-256 output */
#define SCRAM_MAX_ITER	1000000		/* bound the work a relay can ask */

int
sasl_scram_first(struct sasl_scram *st, const char *user, const char *nonce,
    char *out, size_t cap, size_t *olen, struct err *e)
{
	unsigned char raw[18];
	char name[BOUNDS_ADDR * 3 + 1];
	size_t n;
	int w;

	if (nonce == NULL) {
		if (gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof(raw)) != 0)
			return err_set(e, EX_SOFTWARE, "no random nonce");
		base64_encode(raw, sizeof(raw), st->nonce, sizeof(st->nonce),
		    &n);
	} else if (strlen(nonce) >= sizeof(st->nonce))
		return err_set(e, EX_SOFTWARE, "SCRAM nonce too long");
	else
		memcpy(st->nonce, nonce, strlen(nonce) + 1);
	if (saslname(user, name, sizeof(name)) == -1)
		return err_set(e, EX_CONFIG, "user name too long for SCRAM");
	w = snprintf(st->first_bare, sizeof(st->first_bare), "n=%s,r=%s",
	    name, st->nonce);
	if (w < 0 || (size_t)w >= sizeof(st->first_bare))
		return err_set(e, EX_CONFIG, "user name too long for SCRAM");
	/* gs2-header "n,,": no channel binding, no authzid. */
	w = snprintf(out, cap, "n,,%s", st->first_bare);
	if (w < 0 || (size_t)w >= cap)
		return err_set(e, EX_SOFTWARE, "SCRAM buffer too small");
	*olen = (size_t)w;
	return 0;
}

/* Find attribute "k=" in a comma-separated SCRAM message. */
static const char *
scram_attr(const char *m, size_t len, char k, size_t *vlen)
{
	size_t i = 0, end;

	while (i + 1 < len) {
		end = i;
		while (end < len && m[end] != ',')
			end++;
		if (m[i] == k && m[i + 1] == '=') {
			*vlen = end - i - 2;
			return m + i + 2;
		}
		i = end + 1;
	}
	return NULL;
}

/* The keys from the password: ClientKey, StoredKey and ServerKey. */
static int
scram_keys(const char *pass, size_t plen, const unsigned char *salt,
    size_t slen, unsigned iter, unsigned char ck[SCRAM_LEN],
    unsigned char sk[SCRAM_LEN])
{
	unsigned char salted[SCRAM_LEN];
	gnutls_datum_t key = { (unsigned char *)(uintptr_t)pass,
	    (unsigned)plen };
	gnutls_datum_t sd = { (unsigned char *)(uintptr_t)salt,
	    (unsigned)slen };
	int rc = -1;

	if (gnutls_pbkdf2(GNUTLS_MAC_SHA256, &key, &sd, iter, salted,
	    sizeof(salted)) == 0 &&
	    gnutls_hmac_fast(GNUTLS_MAC_SHA256, salted, sizeof(salted),
	    "Client Key", 10, ck) == 0 &&
	    gnutls_hmac_fast(GNUTLS_MAC_SHA256, salted, sizeof(salted),
	    "Server Key", 10, sk) == 0)
		rc = 0;
	secret_bzero(salted, sizeof(salted));
	return rc;
}

/* Parse server-first: nonce (extends ours), salt, iteration count. */
static int
scram_parse_first(const struct sasl_scram *st, const char *sf, size_t sflen,
    const char **rn, size_t *rnlen, unsigned char *salt, size_t *slen,
    unsigned *iter, struct err *e)
{
	const char *sv, *iv;
	size_t svlen, ivlen;
	char num[16];
	long v;

	*rn = scram_attr(sf, sflen, 'r', rnlen);
	sv = scram_attr(sf, sflen, 's', &svlen);
	iv = scram_attr(sf, sflen, 'i', &ivlen);
	if (sflen > 1 && sf[0] == 'm' && sf[1] == '=')
		return err_set(e, EX_PROTOCOL, "SCRAM: unsupported mandatory "
		    "extension");
	if (*rn == NULL || sv == NULL || iv == NULL || ivlen == 0 ||
	    ivlen >= sizeof(num) || *rnlen <= strlen(st->nonce) ||
	    strncmp(*rn, st->nonce, strlen(st->nonce)) != 0 ||
	    base64_decode(sv, svlen, salt, 128, slen) == -1)
		return err_set(e, EX_PROTOCOL, "SCRAM: malformed "
		    "server-first-message");
	memcpy(num, iv, ivlen);
	num[ivlen] = '\0';
	v = strtol(num, NULL, 10);
	if (v < 1 || v > SCRAM_MAX_ITER)
		return err_set(e, EX_PROTOCOL, "SCRAM: bad iteration count");
	*iter = (unsigned)v;
	return 0;
}

int
sasl_scram_final(struct sasl_scram *st, const char *pass, size_t plen,
    const char *sf, size_t sflen, char *out, size_t cap, size_t *olen,
    struct err *e)
{
	unsigned char salt[128], ck[SCRAM_LEN], sk[SCRAM_LEN];
	unsigned char stored[SCRAM_LEN], sig[SCRAM_LEN];
	char am[BOUNDS_REPLY_LINE * 3], proof[64];
	const char *rn;
	size_t rnlen = 0, slen = 0, n, i;
	unsigned iter = 0;
	int w, rc = -1;

	if (scram_parse_first(st, sf, sflen, &rn, &rnlen, salt, &slen,
	    &iter, e) == -1)
		return -1;
	/* AuthMessage = client-first-bare "," server-first ","
	 * client-final-without-proof; "biws" is base64("n,,"). */
	w = snprintf(am, sizeof(am), "%s,%.*s,c=biws,r=%.*s", st->first_bare,
	    (int)sflen, sf, (int)rnlen, rn);
	if (w < 0 || (size_t)w >= sizeof(am))
		return err_set(e, EX_PROTOCOL, "SCRAM: message too long");
	if (scram_keys(pass, plen, salt, slen, iter, ck, sk) == -1 ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, ck, SCRAM_LEN, stored) != 0 ||
	    gnutls_hmac_fast(GNUTLS_MAC_SHA256, stored, SCRAM_LEN, am,
	    (size_t)w, sig) != 0 ||
	    gnutls_hmac_fast(GNUTLS_MAC_SHA256, sk, SCRAM_LEN, am,
	    (size_t)w, st->server_sig) != 0) {
		err_set(e, EX_SOFTWARE, "SCRAM: crypto failure");
		goto out;
	}
	for (i = 0; i < SCRAM_LEN; i++)
		ck[i] ^= sig[i];		/* ClientProof */
	base64_encode(ck, SCRAM_LEN, proof, sizeof(proof), &n);
	w = snprintf(out, cap, "c=biws,r=%.*s,p=%s", (int)rnlen, rn, proof);
	if (w < 0 || (size_t)w >= cap) {
		err_set(e, EX_SOFTWARE, "SCRAM buffer too small");
		goto out;
	}
	*olen = (size_t)w;
	rc = 0;
out:
	secret_bzero(ck, sizeof(ck));
	secret_bzero(sk, sizeof(sk));
	secret_bzero(stored, sizeof(stored));
	secret_bzero(sig, sizeof(sig));
	secret_bzero(proof, sizeof(proof));
	return rc;
}

int
sasl_scram_verify(const struct sasl_scram *st, const char *sfinal,
    size_t len, struct err *e)
{
	unsigned char v[64];
	unsigned diff = 0;
	size_t n, i, vlen = 0;

	if (len > 2 && sfinal[0] == 'e' && sfinal[1] == '=')
		return err_set(e, EX_NOPERM, "SCRAM: relay reports %.*s",
		    (int)(len > 60 ? 60 : len), sfinal);
	while (vlen + 2 < len && sfinal[vlen + 2] != ',')
		vlen++;
	if (len < 2 || sfinal[0] != 'v' || sfinal[1] != '=' ||
	    base64_decode(sfinal + 2, vlen, v,
	    sizeof(v), &n) == -1 || n != SCRAM_LEN)
		return err_set(e, EX_PROTOCOL, "SCRAM: malformed "
		    "server-final-message");
	for (i = 0; i < SCRAM_LEN; i++)
		diff |= (unsigned)(v[i] ^ st->server_sig[i]);
	if (diff != 0)
		return err_set(e, EX_PROTOCOL, "SCRAM: the relay's signature "
		    "does not verify: it does not know the password (a "
		    "man in the middle?)");
	return 0;
}
