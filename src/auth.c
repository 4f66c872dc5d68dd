/*
 * auth.c - SASL mechanisms for SMTP AUTH: choice and client messages.
 *
 * RFC 4954 (SMTP AUTH), RFC 4648 §4 (base64), RFC 4616 (PLAIN),
 * draft-murchison-sasl-login (LOGIN), RFC 2195 (CRAM-MD5), RFC 7628
 * (OAUTHBEARER) and Google's XOAUTH2, RFC 4422 appendix A (EXTERNAL),
 * RFC 5802 / RFC 7677 (SCRAM-SHA-256, with the server signature checked
 * so the relay proves it knows the password too). The exchange over a
 * session (RFC 4954 §4: initial response, 334 challenges, "*" to cancel)
 * is at the end. Every buffer that held a password, a token or their
 * base64 is wiped by the function that filled it or by its caller.
 */
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "auth.h"
#include "secret.h"

static const struct {
	enum auth_mech	 mech;
	const char	*name;
} mech_names[] = {
	{ AUTH_AUTO, "auto" }, { AUTH_PLAIN, "PLAIN" },
	{ AUTH_LOGIN, "LOGIN" }, { AUTH_CRAM_MD5, "CRAM-MD5" },
	{ AUTH_SCRAM_SHA_256, "SCRAM-SHA-256" }, { AUTH_XOAUTH2, "XOAUTH2" },
	{ AUTH_OAUTHBEARER, "OAUTHBEARER" }, { AUTH_EXTERNAL, "EXTERNAL" },
	{ AUTH_NONE, "none" },
};

const char *
auth_mech_name(enum auth_mech m)
{
	size_t i;

	for (i = 0; i < sizeof(mech_names) / sizeof(mech_names[0]); i++)
		if (mech_names[i].mech == m)
			return mech_names[i].name;
	return "unknown";
}

int
auth_offered(const char *list, const char *name)
{
	size_t n = strlen(name), w;

	while (*list != '\0') {
		list += strspn(list, " \t");
		w = strcspn(list, " \t");
		if (w == n && strncasecmp(list, name, n) == 0)
			return 1;
		list += w;
	}
	return 0;
}

/*
 * Preference for auth=auto. Over TLS the password is protected anyway,
 * so PLAIN (one round trip, pipelinable, no plaintext-equivalent secret
 * needed on the server) beats CRAM-MD5; without TLS (loopback only)
 * CRAM-MD5 keeps the password off the wire. SCRAM-SHA-256 is best in
 * both cases: mutual authentication, salted server storage.
 */
static const enum auth_mech pref_tls[] = {
	AUTH_SCRAM_SHA_256, AUTH_PLAIN, AUTH_CRAM_MD5, AUTH_LOGIN
};
static const enum auth_mech pref_plain[] = {
	AUTH_SCRAM_SHA_256, AUTH_CRAM_MD5, AUTH_PLAIN, AUTH_LOGIN
};

int
auth_choose(enum auth_mech want, const char *user, const char *offered,
    int tls, enum auth_mech *out, struct err *e)
{
	const enum auth_mech *pref = tls ? pref_tls : pref_plain;
	size_t i;

	*out = AUTH_NONE;
	if (want == AUTH_NONE || (want == AUTH_AUTO && user == NULL))
		return 0;
	if (want == AUTH_AUTO) {
		if (offered[0] == '\0')
			return err_set(e, EX_UNAVAILABLE, "relay does not "
			    "offer AUTH, but a user is configured");
		for (i = 0; i < 4; i++)
			if (auth_offered(offered, auth_mech_name(pref[i]))) {
				*out = pref[i];
				return 0;
			}
		return err_set(e, EX_UNAVAILABLE, "relay offers no AUTH "
		    "mechanism relaymail supports (it offers: %s)", offered);
	}
	if (!auth_offered(offered, auth_mech_name(want)))
		return err_set(e, EX_UNAVAILABLE, "relay does not offer AUTH "
		    "%s (it offers: %s)", auth_mech_name(want),
		    offered[0] != '\0' ? offered : "no AUTH at all");
	if (user == NULL && want != AUTH_EXTERNAL)
		return err_set(e, EX_CONFIG, "auth = %s needs a user",
		    auth_mech_name(want));
	*out = want;
	return 0;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
auth_b64_encode(const void *in, size_t len, char *out, size_t cap,
    size_t *olen)
{
	const unsigned char *p = in;
	size_t i, n = 0;
	unsigned v;

	if (len > (cap - 1) / 4 * 3 || cap == 0)
		return -1;
	for (i = 0; i < len; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[n++] = b64chars[(v >> 18) & 63];
		out[n++] = b64chars[(v >> 12) & 63];
		out[n++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		out[n++] = i + 2 < len ? b64chars[v & 63] : '=';
	}
	out[n] = '\0';
	*olen = n;
	return 0;
}

static int
b64val(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64chars, c)) == NULL)
		return -1;
	return (int)(p - b64chars);
}

int
auth_b64_decode(const char *in, size_t len, unsigned char *out, size_t cap,
    size_t *olen)
{
	size_t i, n = 0;
	int v[4], j, pad;

	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (in[i + j] == '=' && j >= 2 && i + 4 == len) {
				v[j] = 0;
				pad++;
			} else if (pad > 0 || (v[j] = b64val(in[i + j])) < 0)
				return -1;
		}
		if (n + 3 - (size_t)pad > cap)
			return -1;
		out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	*olen = n;
	return 0;
}

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
auth_plain_msg(const char *user, const char *pass, char *out, size_t cap,
    size_t *olen)
{
	/* RFC 4616 §2: [authzid] NUL authcid NUL passwd; empty authzid. */
	const char *parts[] = { "", user, "", pass };
	size_t lens[] = { 1, strlen(user), 1, strlen(pass) };

	return cat(out, cap, olen, parts, lens, 4);
}

int
auth_cram_md5_msg(const char *user, const char *pass, size_t plen,
    const unsigned char *chal, size_t clen, char *out, size_t cap,
    size_t *olen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[16];
	char digest[33];
	size_t i;
	int rc;

	/* RFC 2195 §2: user SP hex(HMAC-MD5(password, challenge)). */
	if (gnutls_hmac_fast(GNUTLS_MAC_MD5, pass, plen, chal, clen,
	    mac) != 0)
		return -1;
	for (i = 0; i < 16; i++) {
		digest[2 * i] = hex[mac[i] >> 4];
		digest[2 * i + 1] = hex[mac[i] & 15];
	}
	digest[32] = '\0';
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
auth_xoauth2_msg(const char *user, const char *token, char *out,
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
auth_oauthbearer_msg(const char *user, const char *host, int port,
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
auth_scram_first(struct auth_scram *st, const char *user, const char *nonce,
    char *out, size_t cap, size_t *olen, struct err *e)
{
	unsigned char raw[18];
	char name[BOUNDS_ADDR * 3 + 1];
	size_t n;
	int w;

	if (nonce == NULL) {
		if (gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof(raw)) != 0)
			return err_set(e, EX_SOFTWARE, "no random nonce");
		auth_b64_encode(raw, sizeof(raw), st->nonce, sizeof(st->nonce),
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
scram_parse_first(const struct auth_scram *st, const char *sf, size_t sflen,
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
	    auth_b64_decode(sv, svlen, salt, 128, slen) == -1)
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
auth_scram_final(struct auth_scram *st, const char *pass, size_t plen,
    const char *sf, size_t sflen, char *out, size_t cap, size_t *olen,
    struct err *e)
{
	unsigned char salt[128], ck[SCRAM_LEN], sk[SCRAM_LEN];
	unsigned char stored[SCRAM_LEN], sig[SCRAM_LEN];
	char am[BOUNDS_REPLY_LINE * 3], proof[64];
	const char *rn;
	size_t rnlen, slen, n, i;
	unsigned iter;
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
	auth_b64_encode(ck, SCRAM_LEN, proof, sizeof(proof), &n);
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
auth_scram_verify(const struct auth_scram *st, const char *sfinal,
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
	    auth_b64_decode(sfinal + 2, vlen, v,
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

/* ---- the exchange over a session (RFC 4954 §4) ---- */

/* Octets of base64 for len raw octets. */
#define B64LEN(len)	(((len) + 2) / 3 * 4)

/* RFC 4954 §4: the initial response is only sent when the whole AUTH
 * line fits the 512-octet command line (RFC 5321 §4.5.3.1.4). */
static int
ir_fits(const char *name, size_t len)
{
	return 5 + strlen(name) + 1 + (len ? B64LEN(len) : 1) + 2 <= 512;
}

/* Write a (redacted) line: "prefix b64(raw)" or just b64(raw). */
static int
write_b64(struct relay_session *s, const char *prefix, const void *raw,
    size_t len, struct err *e)
{
	static char line[BOUNDS_SASL];
	size_t n = 0, bl = 0;
	int rc;

	if (prefix != NULL) {
		n = (size_t)snprintf(line, sizeof(line), "%s ", prefix);
		/* RFC 4954 §4: "=" is an empty initial response. */
		if (len == 0)
			line[n++] = '=';
	}
	if (len > 0 && auth_b64_encode(raw, len, line + n, sizeof(line) - n,
	    &bl) == -1)
		return err_set(e, EX_CONFIG, "SASL response longer than %d "
		    "octets", BOUNDS_SASL);
	rc = smtp_write_line(s, line, n + bl, 1, e);
	secret_bzero(line, n + bl);
	return rc;
}

/* Flush what is buffered and read the next reply (redacted). */
static int
exchange(struct relay_session *s, struct reply *r, struct err *e)
{
	s->stage = STAGE_AUTH;
	if (smtp_flush(s, e) == -1 || smtp_read(s, r, 1, e) == -1)
		return err_prefix(e, "AUTH at %s", s->conn.peer);
	return 0;
}

static int
refused(struct relay_session *s, enum auth_mech m, const struct reply *r,
    struct err *e)
{
	char what[40];

	snprintf(what, sizeof(what), "AUTH %s", auth_mech_name(m));
	return smtp_refused(s, STAGE_AUTH, what, r, e);
}

/* Expect a 334 challenge; decode it into ch[cap]. */
static int
challenge(struct relay_session *s, enum auth_mech m, struct reply *r,
    unsigned char *ch, size_t cap, size_t *chlen, struct err *e)
{
	if (exchange(s, r, e) == -1)
		return -1;
	if (r->code != 334)
		return refused(s, m, r, e);
	if (auth_b64_decode(r->text[0], strlen(r->text[0]), ch, cap - 1,
	    chlen) == -1) {
		/* RFC 4954 §4: "*" cancels; the relay answers 501. */
		if (smtp_writef(s, e, "*") == 0)
			exchange(s, r, e);
		return err_set(e, EX_PROTOCOL, "AUTH %s: relay %s sent a "
		    "challenge that is not base64", auth_mech_name(m),
		    s->conn.peer);
	}
	ch[*chlen] = '\0';
	return 0;
}

/* AUTH with raw as initial response (sent after an empty 334 when the
 * line would be too long). No flush. */
static int
start_ir(struct relay_session *s, enum auth_mech m, const char *raw,
    size_t len, struct err *e)
{
	char cmd[40];
	unsigned char ch[8];
	struct reply r;
	size_t chlen;

	snprintf(cmd, sizeof(cmd), "AUTH %s", auth_mech_name(m));
	if (ir_fits(auth_mech_name(m), len))
		return write_b64(s, cmd, raw, len, e);
	if (smtp_writef(s, e, "%s", cmd) == -1 ||
	    challenge(s, m, &r, ch, sizeof(ch), &chlen, e) == -1)
		return -1;
	return write_b64(s, NULL, raw, len, e);
}

/* The final reply: 235 (RFC 4954 §6). For the OAuth mechanisms a 334
 * carries an error; we answer it so the relay sends its 5xx. */
static int
final(struct relay_session *s, enum auth_mech m, struct err *e)
{
	struct reply r;

	if (exchange(s, &r, e) == -1)
		return -1;
	if (r.code == 334 && (m == AUTH_XOAUTH2 || m == AUTH_OAUTHBEARER)) {
		/* RFC 7628 §3.2.3: the client answers with %x01. */
		if (write_b64(s, NULL, "\001", m == AUTH_OAUTHBEARER, e) == -1 ||
		    exchange(s, &r, e) == -1)
			return -1;
	} else if (r.code == 334) {
		if (smtp_writef(s, e, "*") == 0)
			exchange(s, &r, e);
		return err_set(e, EX_PROTOCOL, "AUTH %s: relay %s asked for "
		    "more than the mechanism has", auth_mech_name(m),
		    s->conn.peer);
	}
	if (r.code != 235)
		return refused(s, m, &r, e);
	return 0;
}
