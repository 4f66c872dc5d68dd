/*
 * fuzz_smtpd_cmd.c - libFuzzer target for the command parser of
 * relaymail -bs (smtpd_cmd.c): every line of the input as a command
 * line, its MAIL/RCPT path and its ESMTP parameters. Invariants:
 *  - no crash, no UB (ASan/UBSan);
 *  - a parsed path fits its buffer and holds no control character, no
 *    unquoted blank, ',' or '<' (it cannot become two recipients or a
 *    command);
 *  - the parameter loop ends, each key is alphanumeric (and '-'), each
 *    value printable ASCII without '=' or blank.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "smtpd_int.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_addr(const char *a)
{
	int q = 0;

	for (; *a != '\0'; a++) {
		unsigned char u = (unsigned char)*a;

		if (u < ' ' || u == 127)
			abort();
		if (q && *a == '\\' && a[1] != '\0') {
			a++;
			continue;
		}
		if (*a == '"')
			q = !q;
		else if (!q && (u == ' ' || *a == ',' || *a == '<'))
			abort();
	}
}

static void
check_params(const char *p)
{
	char k[32], v[BOUNDS_CMD];
	const char *c;
	int rc, n = 0;

	while ((rc = smtpd_cmd_param(&p, k, sizeof(k), v, sizeof(v))) == 1) {
		for (c = k; *c != '\0'; c++)
			if (!isalnum((unsigned char)*c) && *c != '-')
				abort();
		for (c = v; *c != '\0'; c++)
			if (*c < 33 || *c > 126 || *c == '=')
				abort();
		if (++n > BOUNDS_CMD)
			abort();	/* the loop must end */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *l, *params;
	char line[BOUNDS_CMD], addr[BOUNDS_ADDR + 1];
	struct smtpd_cmd c;
	size_t n;

	while (fuzz_next_line(&p, end, &l, &n)) {
		if (n >= sizeof(line) || memchr(l, '\0', n) != NULL)
			continue;	/* smtpd_getline's cap; NUL ends it */
		memcpy(line, l, n);
		line[n] = '\0';
		smtpd_cmd_parse(line, &c);
		if (c.verb != SV_MAIL && c.verb != SV_RCPT)
			continue;
		if (smtpd_cmd_path(c.arg, c.verb == SV_MAIL ? "FROM:" : "TO:",
		    addr, sizeof(addr), &params) == -1)
			continue;
		if (strlen(addr) >= sizeof(addr))
			abort();
		check_addr(addr);
		check_params(params);
	}
	return 0;
}
