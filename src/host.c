/*
 * host.c - the local host's FQDN and the invoking user's names.
 *
 * RFC 5321 §4.1.1.1: the EHLO argument is the client's FQDN (or an
 * address literal). RFC 5322 §3.6.4: a Message-ID's right side should be
 * a domain identifying the host.
 */
#include <netdb.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>

#include "bounds.h"
#include "host.h"

void
host_fqdn(char *out, size_t len)
{
	char name[BOUNDS_DOMAIN + 1];
	struct addrinfo hints, *res = NULL;

	snprintf(out, len, "localhost.localdomain");
	if (gethostname(name, sizeof(name)) == -1)
		return;
	name[sizeof(name) - 1] = '\0';
	if (name[0] == '\0')
		return;
	snprintf(out, len, "%s", name);
	if (strchr(name, '.') != NULL)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) == 0 && res != NULL &&
	    res->ai_canonname != NULL && strchr(res->ai_canonname, '.') &&
	    strlen(res->ai_canonname) < len)
		snprintf(out, len, "%s", res->ai_canonname);
	if (res != NULL)
		freeaddrinfo(res);
}

void
host_user(char *name, size_t namelen, char *full, size_t fulllen)
{
	struct passwd *pw = getpwuid(getuid());
	size_t n;

	snprintf(name, namelen, "%s", pw != NULL ? pw->pw_name : "nobody");
	full[0] = '\0';
	if (pw == NULL || pw->pw_gecos == NULL)
		return;
	n = strcspn(pw->pw_gecos, ",");
	/* GECOS is the admin's text; keep it out of headers if odd. */
	if (n < fulllen && strcspn(pw->pw_gecos, "\r\n<>\"") >= n)
		snprintf(full, fulllen, "%.*s", (int)n, pw->pw_gecos);
}
