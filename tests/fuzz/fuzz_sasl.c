/*
 * fuzz_sasl.c - libFuzzer target for the SASL parsing relaymail does on
 * what a relay sends: base64 decoding (base64_decode, RFC 4648 §4, as
 * auth.c applies it to every 334 challenge), and the SCRAM-SHA-256
 * client (sasl_scram_final on a server-first-message, sasl_scram_verify
 * on a server-final-message; RFC 5802 §3/§5, RFC 7677), fed exactly as
 * run_scram() in auth.c feeds them (decoded into a
 * BOUNDS_REPLY_LINE - 1 buffer). The first input octet picks a mode:
 *  0: base64 of the rest: no crash; a successful decode re-encodes to
 *     a string that decodes to the same octets, and the decoded length
 *     is 3/4 of the input minus padding; encode->decode of the raw
 *     input is the identity.
 *  1: rest = server-first NUL server-final, both raw (the harness puts
 *     the client nonce in front of the fuzzed nonce suffix when the
 *     server-first starts with "r=", so the fuzzer gets past the nonce
 *     check): verify must NEVER succeed - nobody but a party knowing the
 *     password can produce the signature, and the fuzzer does not.
 *  2: rest = server-first NUL mask: the genuine server-final is built
 *     from the expected signature, the mask is XORed into it; verify
 *     succeeds exactly when the mask left the signature bytes unchanged
 *     (so a one-bit forgery is always refused, the real one accepted).
 * The iteration count is capped at 4096 in the harness (inputs above are
 * skipped) so PBKDF2 does not eat the fuzzing time; the library's own
 * cap (1000000) is unit-tested.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"

#define NONCE	"rOprNGfwEbeRWgbNEkqO"
#define PASS	"pencil"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_b64(const uint8_t *d, size_t n)
{
	static unsigned char out[BOUNDS_SASL], back[BOUNDS_SASL];
	static char enc[BOUNDS_SASL * 2];
	size_t olen, elen, blen, pad;

	if (n > BOUNDS_SASL)
		return;
	if (base64_decode((const char *)d, n, out, BOUNDS_REPLY_LINE - 1,
	    &olen) == 0) {
		pad = (n >= 1 && d[n - 1] == '=') + (n >= 2 && d[n - 2] == '=');
		if (n % 4 != 0 || olen != n / 4 * 3 - pad ||
		    base64_encode(out, olen, enc, sizeof(enc), &elen) != 0 ||
		    base64_decode(enc, elen, back, sizeof(back),
		    &blen) != 0 || blen != olen || memcmp(back, out, olen) != 0)
			abort();
	}
	/* Raw input through encode and back. */
	if (base64_encode(d, n, enc, sizeof(enc), &elen) != 0 ||
	    elen != (n + 2) / 3 * 4 ||
	    base64_decode(enc, elen, back, sizeof(back), &blen) != 0 ||
	    blen != n || memcmp(back, d, n) != 0)
		abort();
}

/* Build the server-first: "r=" gets our nonce in front (see above). */
static size_t
server_first(const uint8_t *d, size_t n, char *sf, size_t cap)
{
	size_t o = 0;

	if (n >= 2 && d[0] == 'r' && d[1] == '=') {
		o = (size_t)snprintf(sf, cap, "r=%s", NONCE);
		d += 2;
		n -= 2;
	}
	if (o + n >= cap)
		return 0;
	memcpy(sf + o, d, n);
	sf[o + n] = '\0';
	return o + n;
}

/* An "i=" above 4096 is skipped (the first "i=" attribute counts, as
 * in sasl.c). */
static int
cheap(const char *sf, size_t len)
{
	char num[16];
	size_t i = 0, k;

	while (i + 1 < len) {
		if (sf[i] == 'i' && sf[i + 1] == '=') {
			for (k = 0; k < sizeof(num) - 1 && i + 2 + k < len &&
			    sf[i + 2 + k] != ','; k++)
				num[k] = sf[i + 2 + k];
			num[k] = '\0';
			return strtol(num, NULL, 10) <= 4096;
		}
		while (i < len && sf[i] != ',')
			i++;
		i++;
	}
	return 1;
}

static void
fuzz_scram(const uint8_t *d, size_t n, int genuine)
{
	static char sf[BOUNDS_REPLY_LINE], out[BOUNDS_REPLY_LINE * 2];
	static char sfinal[BOUNDS_REPLY_LINE];
	struct sasl_scram st;
	const uint8_t *sep, *tail;
	size_t sflen, olen, tlen, i, flen;
	struct err e;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((sep = memchr(d, '\0', n)) == NULL)
		return;
	tail = sep + 1;
	tlen = n - (size_t)(tail - d);
	if ((sflen = server_first(d, (size_t)(sep - d), sf,
	    BOUNDS_REPLY_LINE - 1)) == 0 || !cheap(sf, sflen))
		return;
	if (sasl_scram_first(&st, "user", NONCE, out, sizeof(out), &olen,
	    &e) != 0)
		abort();
	if (sasl_scram_final(&st, PASS, strlen(PASS), sf, sflen, out,
	    sizeof(out), &olen, &e) != 0) {
		/* auth.c sends "*" then and never verifies. */
		if (e.code != EX_PROTOCOL)
			abort();
		return;
	}
	/* The client-final echoes the relay's nonce as it came (auth.c
	 * base64-encodes it, so no octet of it reaches the wire raw). */
	if (strlen(out) != olen)
		abort();
	if (!genuine) {
		if (tlen >= BOUNDS_REPLY_LINE)
			return;
		if (sasl_scram_verify(&st, (const char *)tail, tlen, &e) == 0)
			abort();		/* forged signature accepted */
		return;
	}
	/* "v=" base64(ServerSignature), then the fuzzer's mask. */
	memcpy(sfinal, "v=", 2);
	if (base64_encode(st.server_sig, sizeof(st.server_sig), sfinal + 2,
	    sizeof(sfinal) - 2, &flen) != 0)
		abort();
	flen += 2;
	for (i = 0; i < tlen && i < flen; i++)
		sfinal[i] ^= (char)tail[i];
	rc = sasl_scram_verify(&st, sfinal, flen, &e);
	{
		unsigned char v[64];
		size_t vn = 0, vlen = 0;
		int same;

		while (vlen + 2 < flen && sfinal[vlen + 2] != ',')
			vlen++;
		same = flen >= 2 && sfinal[0] == 'v' && sfinal[1] == '=' &&
		    base64_decode(sfinal + 2, vlen, v, sizeof(v), &vn) == 0 &&
		    vn == sizeof(st.server_sig) &&
		    memcmp(v, st.server_sig, vn) == 0;
		if ((rc == 0) != same)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_b64(data + 1, size - 1);
		break;
	case 1:
		fuzz_scram(data + 1, size - 1, 0);
		break;
	default:
		fuzz_scram(data + 1, size - 1, 1);
		break;
	}
	return 0;
}
