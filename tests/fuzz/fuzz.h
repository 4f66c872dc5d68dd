/*
 * fuzz.h - shared by the libFuzzer targets: the input cut into lines
 * the way conn_readline hands them to the reply parser (LF-terminated,
 * a CR before the LF removed), and the input as a file descriptor.
 */
#ifndef RELAYMAIL_FUZZ_H
#define RELAYMAIL_FUZZ_H

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* The input in a memfd, read position at its start; -1 on failure. */
static inline int
fuzz_memfd(const void *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);

	if (fd == -1)
		return -1;
	if ((size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

#endif
