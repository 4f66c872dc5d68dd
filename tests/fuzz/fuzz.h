/*
 * fuzz.h - shared by the libFuzzer targets: the input cut into lines
 * the way conn_readline hands them to the reply parser (LF-terminated,
 * a CR before the LF removed).
 */
#ifndef RELAYMAIL_FUZZ_H
#define RELAYMAIL_FUZZ_H

#include <stddef.h>
#include <string.h>

/* Next line of [*p, end): sets *line and *len, advances *p; 0 at end. */
static inline int
fuzz_next_line(const char **p, const char *end, const char **line,
    size_t *len)
{
	const char *nl;

	if (*p == NULL || *p >= end)
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = (size_t)((nl != NULL ? nl : end) - *p);
	if (*len > 0 && (*p)[*len - 1] == '\r')
		(*len)--;
	*p = nl != NULL ? nl + 1 : NULL;
	return 1;
}

#endif
