/*
 * hex.h - octets as lower-case hexadecimal (RFC 4648 §8, "base16"), into
 * and out of caller buffers.
 *
 * hex_encode writes 2 * len digits and a NUL: out must hold 2 * len + 1.
 * hex_decode reads exactly 2 * len digits (either case) from in into
 * out[len]; it fails (-1) on any other character, in out's bytes
 * then unspecified. Neither allocates.
 */
#ifndef RELAYMAIL_HEX_H
#define RELAYMAIL_HEX_H

#include <stddef.h>

void	 hex_encode(const unsigned char *in, size_t len, char *out);
int	 hex_decode(const char *in, unsigned char *out, size_t len);

#endif
