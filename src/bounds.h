/*
 * bounds.h - every fixed cap in relaymail, each with the reason for it.
 *
 * Exceeding any of these is an error reported to the caller, never a
 * silent truncation.
 */
#ifndef RELAYMAIL_BOUNDS_H
#define RELAYMAIL_BOUNDS_H

/* RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with CRLF. */
#define BOUNDS_REPLY_LINE	512
/* Our cap on lines in one multi-line reply; EHLO lists ~20 in practice. */
#define BOUNDS_REPLY_LINES	64
/* RFC 5321 §4.5.3.1.3: a reverse-path or forward-path is 256 octets. */
#define BOUNDS_ADDR		256
/* RFC 5321 §4.5.3.1.1 / §4.5.3.1.2: local part 64, domain 255 octets. */
#define BOUNDS_LOCAL		64
#define BOUNDS_DOMAIN		255
/* RFC 5321 §4.5.3.1.4: a command line is 512 octets with CRLF; with
 * ESMTP parameters (RFC 1869 §4.1.2) MAIL and RCPT may grow, we cap. */
#define BOUNDS_CMD		1024
/* -bs (smtpd.c): RFC 5321 §4.5.3.1.4, a command line is 512 octets with
 * CRLF; MAIL and RCPT may use BOUNDS_CMD (RFC 5321 §4.5.3.1.4 lets
 * extensions raise it, RFC 3461 §5 ORCPT needs it). The input buffer
 * holds a client's pipelined group of commands (RFC 2920 §3.1); the
 * output buffer the replies to it before one write. */
#define BOUNDS_SMTPD_LINE	512
#define BOUNDS_SMTPD_IBUF	65536
#define BOUNDS_SMTPD_OBUF	16384
/* RFC 5321 §4.5.3.1.8 asks for at least 100 recipients; our cap. */
#define BOUNDS_RCPTS		1000
/* RFC 5322 §2.1.1: a line is at most 998 octets plus CRLF. */
#define BOUNDS_LINE		998
/* Our cap on one (unfolded) header field and on the header section. */
#define BOUNDS_HEADER		65536
#define BOUNDS_HEADERS_TOTAL	(1024 * 1024)
#define BOUNDS_HEADER_COUNT	1000
/* RFC 2046 §5.1.1: a multipart boundary is 1 to 70 characters. */
#define BOUNDS_MIME_BOUNDARY	70
/* MIME nesting we follow when a part must be re-encoded; real mail nests
 * 3-5 levels, and Postfix's mime_nesting_limit is 100 too. */
#define BOUNDS_MIME_DEPTH	100
/* Parts that need re-encoding or folding in one message (our cap: each
 * costs a record of the scan, the rest of the message costs nothing). */
#define BOUNDS_MIME_FIXES	1000
/* Messages up to this size stay in memory; beyond, an unlinked temp file. */
#define BOUNDS_SPOOL_MEM	(256 * 1024)
/* Largest message we accept at all (same as Postfix's default ×5). */
#define BOUNDS_MESSAGE		((long long)1 << 31)
/* RFC 8446 §5.1 / RFC 5246 §6.2.1: a TLS record carries at most 16 KiB;
 * the body is written in blocks that fill whole records. */
#define BOUNDS_IO_BLOCK		16384
/* Read buffer for server replies (several pipelined replies at once). */
#define BOUNDS_RBUF		8192
/* Configuration values (OAuth tokens, commands) and secrets. */
#define BOUNDS_CONF_LINE	16384
#define BOUNDS_SECRET		16384
/* SASL (RFC 4954 §4): base64 challenge/response lines we handle. */
#define BOUNDS_SASL		(BOUNDS_SECRET * 2)
/* Hosts in one `host` list and addresses tried per host. */
#define BOUNDS_HOSTS		16
#define BOUNDS_ADDRS_PER_HOST	16
/* Error and log message text. */
#define BOUNDS_ERRMSG		1024
/* Account names, file paths. */
#define BOUNDS_NAME		64
#define BOUNDS_PATH		4096
/* A cached TLS session (RFC 8446 §4.6.1 ticket plus GnuTLS's session
 * state with the peer's certificate chain, RFC 8446 §4.4.2 allows 2^24-1
 * octets; real chains are a few KiB): larger cache files are ignored. */
#define BOUNDS_TLS_SESSION	(64 * 1024)
/* Alias expansion depth (loops are an error before this). */
#define BOUNDS_ALIAS_DEPTH	16
/* Supplementary groups looked at for the install's group (Linux's
 * NGROUPS_MAX is 65536; a process in more than this many groups is not
 * taken to hold it through them: the file is refused, not exposed). */
#define BOUNDS_GROUPS		256

/* OAuth2 (RFC 6749 §3.3 scope, §5.1 token response; RFC 8628 §3.2):
 * no size is set by the RFCs; these hold the largest real answers
 * (Microsoft's access tokens are 2-3 KiB, under BOUNDS_SECRET) with room. */
#define BOUNDS_OAUTH_SCOPE	1024
#define BOUNDS_OAUTH_REPLY	65536	/* one endpoint's JSON body */
#define BOUNDS_OAUTH_FILE	65536	/* the token cache file */
#define BOUNDS_OAUTH_FORM	(BOUNDS_SECRET * 3 + 8192) /* request body */
#define BOUNDS_OAUTH_CODE	2048	/* device/user codes, auth codes */
#define BOUNDS_OAUTH_URL	4096	/* URLs we build or print */

#endif
