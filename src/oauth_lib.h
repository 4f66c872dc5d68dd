/*
 * oauth_lib.h - libcurl and json-c, loaded with dlopen(3) only when an
 * OAuth2 endpoint is to be reached.
 *
 * Every other run of relaymail (cron, PHP, the queue of a password
 * account) never maps them nor the libraries they pull in (HTTP/2, SSH,
 * LDAP, ...): startup stays as fast as without OAuth2, and the setgid
 * process carries that code only when it needs it. The libraries are
 * found by soname in the system library path (the dynamic loader ignores
 * LD_LIBRARY_PATH in a setgid process). A loaded library stays loaded
 * (libcurl's global state is not meant to be unloaded).
 *
 * oauth_lib_open() fills the caller's table; EX_UNAVAILABLE, naming the
 * library, when one cannot be loaded or lacks a function.
 */
#ifndef RELAYMAIL_OAUTH_LIB_H
#define RELAYMAIL_OAUTH_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "err.h"

struct oauth_lib {
	CURLcode		 (*global_init)(long);
	CURL			*(*easy_init)(void);
	CURLcode		 (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode		 (*easy_perform)(CURL *);
	CURLcode		 (*easy_getinfo)(CURL *, CURLINFO, ...);
	void			 (*easy_cleanup)(CURL *);
	const char		*(*easy_strerror)(CURLcode);
	struct curl_slist	*(*slist_append)(struct curl_slist *,
				    const char *);
	void			 (*slist_free_all)(struct curl_slist *);

	struct json_tokener	*(*tok_new)(void);
	struct json_object	*(*tok_parse_ex)(struct json_tokener *,
				    const char *, int);
	size_t			 (*tok_parse_end)(struct json_tokener *);
	void			 (*tok_free)(struct json_tokener *);
	int			 (*put)(struct json_object *);
	json_bool		 (*get_ex)(const struct json_object *,
				    const char *, struct json_object **);
	int			 (*is_type)(const struct json_object *,
				    enum json_type);
	const char		*(*get_string)(struct json_object *);
	int			 (*get_string_len)(const struct json_object *);
	int64_t			 (*get_int64)(const struct json_object *);
};

int	 oauth_lib_open(struct oauth_lib *, struct err *);

#endif
