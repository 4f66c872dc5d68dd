/*
 * base64.c - base64 encoding and decoding (RFC 4648 §4, the standard
 * alphabet with padding), without I/O: for SASL messages (RFC 4954 §4)
 * and RFC 2047 "B" encoded-words in headers. Contract in base64.h.
 */
#include <string.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_encode(const void *in, size_t len, char *out, size_t cap,
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
		out[n++] = alphabet[(v >> 18) & 63];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[n++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	out[n] = '\0';
	*olen = n;
	return 0;
}

static int
b64val(char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
		return -1;
	return (int)(p - alphabet);
}

int
base64_decode(const char *in, size_t len, unsigned char *out, size_t cap,
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
