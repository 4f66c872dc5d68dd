/*
 * hex.c - base16 (RFC 4648 §8) in lower case: queue and cache file
 * names, the TLS binding line, CRAM-MD5's digest (RFC 2195 §2), the
 * Message-ID's random part, the %XX escapes of an OAuth redirect
 * (RFC 3986 §2.1). Contract in hex.h.
 */
#include "hex.h"

static const char digits[] = "0123456789abcdef";

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, unsigned char *out, size_t len)
{
	size_t i;
	int h, l;

	for (i = 0; i < len; i++) {
		if ((h = nibble(in[2 * i])) == -1 ||
		    (l = nibble(in[2 * i + 1])) == -1)
			return -1;
		out[i] = (unsigned char)(h << 4 | l);
	}
	return 0;
}
