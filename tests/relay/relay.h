/*
 * relay.h - private declarations of testrelay, the project's scripted SMTP
 * server used by the scenario tests (tests/scenario/).
 *
 * testrelay is deliberately small and single-threaded: it accepts a fixed
 * number of sequential connections on an ephemeral loopback port, answers
 * each SMTP stage (RFC 5321 §4.1) as its script says, and records what the
 * client sent (per read chunk, marked TLS or plaintext) and the message
 * data it received, so a test can assert exactly what crossed the wire.
 */
#ifndef TESTRELAY_H
#define TESTRELAY_H

#include <stddef.h>
#include <stdio.h>
#include <gnutls/gnutls.h>

#define TR_LINE		4096	/* longest command line we parse */
#define TR_TEXT		8192	/* longest scripted reply */
#define TR_DIRECTIVES	256
#define TR_CAPS		32

enum tr_mode { MODE_PLAIN, MODE_IMPLICIT, MODE_STARTTLS };
enum tr_tickets { TICKETS_ON = 0, TICKETS_OFF, TICKETS_ROTATE };

/* What a script says to do at one stage instead of the normal reply. */
enum tr_action {
	ACT_REPLY,		/* send text */
	ACT_DROP,		/* close the connection, reply nothing */
	ACT_STALL,		/* reply nothing, stay open */
	ACT_DRIP,		/* send the reply one byte at a time */
	ACT_GARBAGE,		/* send bytes that are not SMTP */
	ACT_OVERSIZE,		/* one reply line far above 512 octets */
	ACT_TOOMANY,		/* a multi-line reply with too many lines */
	ACT_INJECT		/* STARTTLS: "220" plus a plaintext reply */
};

struct directive {
	int		 conn;		/* 0: every connection, else 1-based */
	char		 stage[64];	/* "mail", "rcpt:2", "rcpt:<a@b>" ... */
	enum tr_action	 action;
	char		*text;		/* reply text (CRLF-terminated) or NULL */
};

struct script {
	struct directive d[TR_DIRECTIVES];
	int		 nd;
	char		*caps_add[TR_CAPS];
	int		 ncaps_add;
	char		*caps_del[TR_CAPS];
	int		 ncaps_del;
	int		 auth_before_tls;	/* offer AUTH on plaintext too */
	int		 auth_optional;		/* MAIL without AUTH is fine */
	int		 tls_intolerant;	/* close on a ClientHello
						 * above TLS 1.1 */
	int		 lax_sync;		/* take early commands even
						 * without PIPELINING */
};

struct options {
	const char	*listen;	/* 127.0.0.1 or ::1 */
	const char	*portfile, *scriptfile, *transcript, *msgfile;
	const char	*leakfile;	/* created when a secret went in clear */
	const char	*cert, *key, *priority, *client_ca;
	const char	*user, *password;
	const char	*oauth_tokens;	/* -O: valid bearer tokens (XOAUTH2,
					 * OAUTHBEARER), "TOKEN EXPIRY" lines */
	int		 oauth_535;	/* -J: refuse a bad token with 535 at
					 * once, not the 334 error JSON */
	enum tr_mode	 mode;
	int		 connections;	/* sequential connections to serve */
	int		 lifetime;	/* seconds before we exit regardless */
	int		 drip_ms;
	enum tr_tickets	 tickets;
	gnutls_datum_t	 ticket_key;	/* session ticket key, or empty */
};

/* One client connection: socket, optional TLS session, read buffer. */
struct conn {
	int			 fd;
	int			 num;		/* 1-based connection number */
	gnutls_session_t	 tls;		/* NULL while plaintext */
	char			 rbuf[65536];
	size_t			 rlen;
	int			 closed;	/* peer closed or we dropped */
	const struct options	*opt;
	const struct script	*sc;
	FILE			*log;		/* transcript */
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t	 prio;
	int			 nmsg;		/* messages received so far */
	int			 authed;	/* AUTH succeeded */
	int			 pipelining;	/* offered in the last EHLO */
};

/* script.c */
int	 script_load(struct script *, const char *path);
const struct directive *script_find(const struct script *, int conn,
	    const char *stage);
int	 script_cap_deleted(const struct script *, const char *cap);
int	 script_unescape(const char *in, char **out);

/* io.c */
long long now_ms(void);
long long deadline_ms(void);	/* end of the relay's lifetime */
void	 deadline_set(int seconds);
long long io_t(void);		/* ms since the relay started, for " t=" */
int	 io_read(struct conn *);		/* append to rbuf; 0 EOF, -1 err */
int	 io_write(struct conn *, const char *, size_t);
void	 io_log_server(struct conn *, const char *, size_t);
int	 io_tls_start(struct conn *);	/* server handshake */
void	 io_close(struct conn *);

/* auth.c */
/* Runs one AUTH exchange starting at the command line; replies itself. */
int	 auth_run(struct conn *, const char *args);
/* Scans a plaintext chunk for the password in any form it could travel. */
int	 auth_leaked(const struct options *, const char *buf, size_t len);

/* server.c */
/* data.c: DATA (un-dot-stuffed) and BDAT chunks into the message file;
 * a refused BDAT's octets are read and dropped (RFC 3030 §2). */
int	 data_receive(struct conn *);
int	 data_bdat(struct conn *, const char *args, int accept);

int	 server_run(struct conn *);
/* Reads one CRLF line into line (without CRLF); 1 got, 0 EOF/closed. */
int	 server_getline(struct conn *, char *line, size_t cap);
int	 server_reply(struct conn *, const char *stage, const char *dflt);
/* Without PIPELINING: 1 when the client sent more before our reply (the
 * 500 is sent and the connection dropped), else 0. */
int	 server_sync_broken(struct conn *, const char *what);

#endif
