/*
 * conf_list.c - host names, address literals, TLS pins and the comma
 * lists they come in, as values of the configuration file (relaymail.conf(5)).
 *
 * RFC 1123 §2.1 for host names; address literals as in RFC 5321 §4.1.3
 * ("IPv6:" prefix allowed) plus RFC 4007 §11 zone indexes; RFC 7469 §2.4
 * for the sha256/BASE64 pin format. A list item is trimmed and may not
 * be empty; a list holds at most BOUNDS_HOSTS items.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_int.h"
#include "textline.h"

int
conf_list_bad(char *why, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* An IP literal, optionally "[...]"-bracketed, with an IPv6 zone. */
static int
check_ip(const char *v, size_t len)
{
	char		 buf[64];
	unsigned char	 addr[16];
	const char	*pct;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (strncasecmp(buf, "IPv6:", 5) == 0)
		memmove(buf, buf + 5, len - 4);
	if ((pct = strchr(buf, '%')) != NULL) {
		if (pct[1] == '\0' || strspn(pct + 1, "abcdefghijklmnopqrstu"
		    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		    strlen(pct + 1))
			return -1;
		buf[pct - buf] = '\0';
	}
	if (inet_pton(AF_INET6, buf, addr) == 1 ||
	    (pct == NULL && inet_pton(AF_INET, buf, addr) == 1))
		return 0;
	return -1;
}

/* RFC 1123 §2.1 host names, or an address literal. */
int
conf_list_hostname(const char *v)
{
	size_t	 len = strlen(v);

	if (len >= 2 && v[0] == '[' && v[len - 1] == ']')
		return check_ip(v + 1, len - 2);
	if (strchr(v, ':') != NULL)
		return check_ip(v, len);
	if (len == 0 || len > 253 || v[0] == '.' || v[0] == '-' ||
	    strstr(v, "..") != NULL)
		return -1;
	if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_") != len)
		return -1;
	return 0;
}

/* sha256/ + base64 of 32 bytes (RFC 7469 §2.4 pin format). */
static int
check_pin(const char *v, size_t len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	    "rstuvwxyz0123456789+/";
	size_t	 i;

	if (len != 7 + 44 || strncmp(v, "sha256/", 7) != 0 || v[50] != '=')
		return -1;
	for (i = 7; i < 50; i++)
		if (memchr(b64, v[i], sizeof(b64) - 1) == NULL)
			return -1;
	return 0;
}

/* Split a comma list into trimmed, non-empty items. */
int
conf_list_split(const char *v, char **items, int max, int *n, char *why,
    size_t wlen)
{
	const char	*p = v, *end;
	size_t		 off, len;

	*n = 0;
	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		off = textline_trim(p, &len);
		if (len == 0)
			return conf_list_bad(why, wlen, "empty item in list");
		if (*n == max)
			return conf_list_bad(why, wlen, "more than %d items",
			    max);
		if ((items[*n] = strndup(p + off, len)) == NULL)
			return conf_list_bad(why, wlen, "out of memory");
		(*n)++;
		p = *end == ',' ? end + 1 : end;
		if (*end == ',' && *p == '\0')
			return conf_list_bad(why, wlen, "empty item in list");
	}
	return 0;
}

void
conf_list_free(char **items, int *n)
{
	int	 i;

	for (i = 0; i < *n; i++) {
		free(items[i]);
		items[i] = NULL;
	}
	*n = 0;
}

/* Hosts: names, IPv4, IPv6 with or without brackets; stored bare. */
int
conf_list_hosts(struct account *a, const char *v, char *why, size_t wlen)
{
	char	*h;
	size_t	 len;
	int	 i;

	if (conf_list_split(v, a->hosts, BOUNDS_HOSTS, &a->nhosts, why,
	    wlen) == -1)
		return conf_list_free(a->hosts, &a->nhosts), -1;
	for (i = 0; i < a->nhosts; i++) {
		h = a->hosts[i];
		len = strlen(h);
		if (h[0] == '[' && len >= 2 && h[len - 1] == ']') {
			if (check_ip(h + 1, len - 2) == -1)
				break;
			memmove(h, h + 1, len - 2);
			h[len - 2] = '\0';
		} else if (conf_list_hostname(h) == -1)
			break;
	}
	if (i < a->nhosts) {
		conf_list_bad(why, wlen, "'%s' is not a host name or "
		    "address%s", a->hosts[i], strchr(a->hosts[i], ':') !=
		    NULL && a->hosts[i][0] != '[' ?
		    " (set the port with port =)" : "");
		conf_list_free(a->hosts, &a->nhosts);
		return -1;
	}
	return 0;
}

/* tls_pin: stored as one string, the pins joined by commas. */
int
conf_list_pins(char **out, const char *v, char *why, size_t wlen)
{
	char	*items[BOUNDS_HOSTS], buf[BOUNDS_HOSTS * 52];
	size_t	 off = 0, len;
	int	 i, n, rc = 0;

	if (conf_list_split(v, items, BOUNDS_HOSTS, &n, why, wlen) == -1)
		return conf_list_free(items, &n), -1;
	for (i = 0; i < n && rc == 0; i++) {
		len = strlen(items[i]);
		if (check_pin(items[i], len) == -1)
			rc = conf_list_bad(why, wlen, "'%.60s' is not "
			    "sha256/BASE64 of 32 bytes", items[i]);
		else {
			if (off > 0)
				buf[off++] = ',';
			memcpy(buf + off, items[i], len);
			off += len;
		}
	}
	conf_list_free(items, &n);
	if (rc == 0) {
		buf[off] = '\0';
		if ((*out = strdup(buf)) == NULL)
			rc = conf_list_bad(why, wlen, "out of memory");
	}
	return rc;
}
