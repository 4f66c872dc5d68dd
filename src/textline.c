/*
 * textline.c - reading bounded lines of the config and aliases files,
 * and trimming white space, shared by conf and alias (see textline.h).
 *
 * Lines end in LF, optionally preceded by CR (files edited on Windows);
 * the cap applies to the content without them. A line over the cap is
 * an error, never silently truncated (README), so the rest of the
 * line is consumed and the caller reports it at its own line number.
 */
#include <ctype.h>
#include <stdio.h>

#include "secret.h"
#include "textline.h"

int
textline_read(FILE *fp, char *buf, size_t size, size_t max, size_t *len)
{
	size_t	 cap = size - 1, n = 0, content;
	int	 c, nul = 0, over = 0;

	/* The previous line may have held a password: wipe what it used
	 * (its length and the NUL after it), not the whole buffer. */
	secret_bzero(buf, *len < size ? *len + 1 : size);
	*len = 0;
	if ((c = getc(fp)) == EOF)
		return TEXTLINE_EOF;
	do {
		if (c == '\0')
			nul = 1;
		if (n < cap)
			buf[n++] = (char)c;
		else
			over = 1;
	} while (c != '\n' && (c = getc(fp)) != EOF);
	buf[n] = '\0';
	content = n;
	if (content > 0 && buf[content - 1] == '\n')
		content--;
	if (content > 0 && buf[content - 1] == '\r')
		content--;
	if (nul || over || content > max) {
		secret_bzero(buf, n);
		return nul ? TEXTLINE_NUL : TEXTLINE_LONG;
	}
	*len = n;
	return TEXTLINE_OK;
}

size_t
textline_trim(const char *s, size_t *len)
{
	size_t	 b = 0, t = *len;

	while (b < t && isspace((unsigned char)s[b]))
		b++;
	while (t > b && isspace((unsigned char)s[t - 1]))
		t--;
	*len = t - b;
	return b;
}
