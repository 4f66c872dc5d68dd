/*
 * base64.h - base64 (RFC 4648 §4) into and out of caller buffers.
 *
 * base64_encode writes 4 * ceil(len / 3) characters and a NUL into
 * out[cap]; it fails (-1, nothing promised in out) when cap is too small.
 * base64_decode accepts only canonical input: a length that is a multiple
 * of 4, the standard alphabet, '=' only as the last one or two characters;
 * it fails on anything else or when out[cap] is too small. Neither
 * allocates; *olen gets the length written (without the NUL).
 */
#ifndef RELAYMAIL_BASE64_H
#define RELAYMAIL_BASE64_H

#include <stddef.h>

int	 base64_encode(const void *in, size_t len, char *out, size_t cap,
	    size_t *olen);
int	 base64_decode(const char *in, size_t len, unsigned char *out,
	    size_t cap, size_t *olen);

#endif
