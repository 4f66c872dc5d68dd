/*
 * textline.h - reading the line-oriented text files relaymail is
 * configured with (the config file, the aliases file), in one way for
 * all: bounded lines, NUL bytes refused, the buffer wiped between lines
 * (it may have held a password), white space trimmed the same way.
 */
#ifndef RELAYMAIL_TEXTLINE_H
#define RELAYMAIL_TEXTLINE_H

#include <stddef.h>
#include <stdio.h>

#define TEXTLINE_EOF	0	/* end of file, or a read error (ferror) */
#define TEXTLINE_OK	1
#define TEXTLINE_LONG	2	/* content longer than max, or than buf */
#define TEXTLINE_NUL	3	/* a NUL byte in the line */

/*
 * Read one line of fp into buf (size bytes, NUL-terminated), its line
 * end included. On entry *len is what the previous call stored in buf
 * (0 for a fresh buffer): those bytes are wiped first. A line that is too long or holds a
 * NUL is read to its end, wiped from buf, and reported (NUL first).
 * max bounds the content without the final CR LF. *len receives the
 * number of bytes stored.
 */
int	 textline_read(FILE *fp, char *buf, size_t size, size_t max,
	    size_t *len);

/* The span of s[0..*len) without white space (isspace) at either end:
 * returns the offset of its first byte and sets *len to its length. */
size_t	 textline_trim(const char *s, size_t *len);

#endif
