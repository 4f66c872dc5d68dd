/*
 * oauth_lib.c - dlopen(3) of libcurl and json-c for the OAuth2 path
 * (oauth_lib.h says why). One table names each function and where its
 * pointer goes; the sonames come from the build (the Makefile reads them
 * from the development libraries), with Debian's as the default.
 */
#include <dlfcn.h>
#include <string.h>

#include "oauth_lib.h"

#ifndef OAUTH_CURL_SO
#define OAUTH_CURL_SO	"libcurl-gnutls.so.4"
#endif
#ifndef OAUTH_JSONC_SO
#define OAUTH_JSONC_SO	"libjson-c.so.5"
#endif

#define F(lib, name, field)	{ lib, name, offsetof(struct oauth_lib, field) }
static const struct sym {
	int		 lib;		/* 0: libcurl, 1: json-c */
	const char	*name;
	size_t		 off;
} syms[] = {
	F(0, "curl_global_init", global_init),
	F(0, "curl_easy_init", easy_init),
	F(0, "curl_easy_setopt", easy_setopt),
	F(0, "curl_easy_perform", easy_perform),
	F(0, "curl_easy_getinfo", easy_getinfo),
	F(0, "curl_easy_cleanup", easy_cleanup),
	F(0, "curl_easy_strerror", easy_strerror),
	F(0, "curl_slist_append", slist_append),
	F(0, "curl_slist_free_all", slist_free_all),
	F(1, "json_tokener_new", tok_new),
	F(1, "json_tokener_parse_ex", tok_parse_ex),
	F(1, "json_tokener_get_parse_end", tok_parse_end),
	F(1, "json_tokener_free", tok_free),
	F(1, "json_object_put", put),
	F(1, "json_object_object_get_ex", get_ex),
	F(1, "json_object_is_type", is_type),
	F(1, "json_object_get_string", get_string),
	F(1, "json_object_get_string_len", get_string_len),
	F(1, "json_object_get_int64", get_int64),
};
#undef F

int
oauth_lib_open(struct oauth_lib *l, struct err *e)
{
	static const char *const sonames[2] = { OAUTH_CURL_SO, OAUTH_JSONC_SO };
	void		*h[2], *p;
	const char	*why;
	size_t		 i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < 2; i++)
		if ((h[i] = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL)) ==
		    NULL) {
			why = dlerror();
			return err_set(e, EX_UNAVAILABLE, "OAuth2 needs %s "
			    "(Debian: libcurl3-gnutls, libjson-c5): %s",
			    sonames[i], why != NULL ? why : "cannot load");
		}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((p = dlsym(h[syms[i].lib], syms[i].name)) == NULL)
			return err_set(e, EX_UNAVAILABLE, "%s lacks %s",
			    sonames[syms[i].lib], syms[i].name);
		/* A function pointer, stored through its object bytes
		 * (POSIX dlsym: the two have the same representation). */
		memcpy((char *)l + syms[i].off, &p, sizeof(p));
	}
	return 0;
}
