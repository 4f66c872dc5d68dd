/*
 * cli.c - the sendmail-compatible command line (relaymail(8)).
 *
 * One table says, for every single-letter flag, whether it takes an
 * argument and what it does; flags may be bundled (-ti), an argument may
 * be attached (-FCronDaemon) or the next word (-f root). Flags sendmail
 * and Postfix accept but which mean nothing for a relay-only mailer (-o*,
 * -O*, -h, -L, -X, -d*, -m, -n, -A*, -G, -U) are accepted and noted so -v
 * can say they were ignored. RFC 3461 §4 (NOTIFY, RET, ENVID) governs the
 * -N/-R/-V values.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

enum act {
	A_EXTRACT, A_DOTS, A_SENDER, A_FULLNAME, A_CONFIG, A_ACCOUNT,
	A_VERBOSE, A_NOTIFY, A_RET, A_ENVID, A_BODY, A_MODE, A_OPTION,
	A_QUEUE, A_IGNORE, A_NOOP
};

/* How a flag takes its argument. */
enum argk {
	ARG_NONE,	/* bundles with the next letter */
	ARG_REQ,	/* rest of the word, else the next word */
	ARG_ATTACHED	/* rest of the word only, may be empty (-q, -d) */
};

static const struct flag {
	char		 c;
	enum argk	 arg;
	enum act	 act;
} flags[] = {
	{ 't', ARG_NONE, A_EXTRACT },	{ 'i', ARG_NONE, A_DOTS },
	{ 'f', ARG_REQ, A_SENDER },	{ 'r', ARG_REQ, A_SENDER },
	{ 'F', ARG_REQ, A_FULLNAME },	{ 'C', ARG_REQ, A_CONFIG },
	{ 'a', ARG_REQ, A_ACCOUNT },	{ 'v', ARG_NONE, A_VERBOSE },
	{ 'N', ARG_REQ, A_NOTIFY },	{ 'R', ARG_REQ, A_RET },
	{ 'V', ARG_REQ, A_ENVID },	{ 'B', ARG_REQ, A_BODY },
	{ 'b', ARG_REQ, A_MODE },	{ 'o', ARG_REQ, A_OPTION },
	{ 'q', ARG_ATTACHED, A_QUEUE },	{ 'I', ARG_NONE, A_NOOP },
	{ 'O', ARG_REQ, A_IGNORE },	{ 'h', ARG_REQ, A_IGNORE },
	{ 'L', ARG_REQ, A_IGNORE },	{ 'X', ARG_REQ, A_IGNORE },
	{ 'd', ARG_ATTACHED, A_IGNORE },	{ 'A', ARG_ATTACHED, A_IGNORE },
	{ 'm', ARG_NONE, A_IGNORE },	{ 'n', ARG_NONE, A_IGNORE },
	{ 'G', ARG_NONE, A_IGNORE },	{ 'U', ARG_NONE, A_IGNORE },
};

static const char usage[] =
    "usage: relaymail [-tiv] [-f sender] [-F name] [-C file] [-a account]\n"
    "                 [-N dsn] [-R ret] [-V envid] [-B type]\n"
    "                 [-bm|-bp|-bi|-bs] [-q] [--relay=URL] [--dry-run]\n"
    "                 [--probe[=account]] [--check-config]\n"
    "                 [--authorize[=account]] [--] [recipient ...]";

static const char help[] =
    "relaymail reads a message on standard input and relays it to the\n"
    "SMTP server of an account over TLS, with sendmail's exit codes.\n\n"
    "  -t               also take recipients from To, Cc, Bcc (or the\n"
    "                   topmost Resent- block)\n"
    "  -i, -oi          a line holding only \".\" does not end the input\n"
    "  -f, -r ADDR      envelope sender ('' or '<>' for the null sender)\n"
    "  -F NAME          full name for a From header relaymail adds\n"
    "  -C FILE          configuration file\n"
    "  -a, --account=N  use account N\n"
    "  -v               protocol transcript on stderr (secrets redacted)\n"
    "  -N DSN           never, or success,failure,delay (RFC 3461)\n"
    "  -R full|hdrs     DSN return type\n"
    "  -V ENVID         DSN envelope id\n"
    "  -B 7BIT|8BITMIME body type\n"
    "  -bm              deliver (default)\n"
    "  -bp, mailq       list the queue\n"
    "  -q [--force]     deliver the queue now (--force: ignore retry times)\n"
    "  --queue-delete=ID  remove one queued message\n"
    "  -bi, -I          no-op (newaliases)\n"
    "  -bs              SMTP on standard input and output (several\n"
    "                   messages per session, e.g. Symfony Mailer)\n"
    "  --relay=URL      smtps://[user@]host[:port] or smtp://... (STARTTLS)\n"
    "  --dry-run        print account, envelope, headers and plan; send\n"
    "                   nothing\n"
    "  --probe[=N]      connect, TLS and AUTH; print capabilities and\n"
    "                   certificate; send nothing\n"
    "  --check-config   validate the configuration\n"
    "  --authorize[=N]  get OAuth2 tokens for account N (first-time consent)\n"
    "  --help, --version\n\n"
    "Ignored for compatibility: -o*, -O*, -h N, -L TAG, -X FILE, -d*, -m,\n"
    "-n, -A*, -G, -U. See relaymail(8) and relaymail.conf(5).\n";

const char *
cli_usage(void)
{
	return usage;
}

const char *
cli_help(void)
{
	return help;
}

static void
note_ignored(struct cli *c, const char *word)
{
	if (c->nignored < CLI_MAX_IGNORED)
		c->ignored[c->nignored++] = word;
}

/* -N: "never" alone, or a list of success, failure, delay (RFC 3461 §4.1). */
static int
set_notify(struct cli *c, const char *v, struct err *e)
{
	static const char *const words[] = { "SUCCESS", "FAILURE", "DELAY" };
	char out[sizeof(c->dsn_notify)] = "";
	const char *p = v, *end;
	size_t n, i, len = 0;
	int found;

	if (strcasecmp(v, "never") == 0) {
		memcpy(c->dsn_notify, "NEVER", 6);
		return 0;
	}
	while (*p != '\0') {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		for (found = 0, i = 0; i < 3 && !found; i++)
			if (n == strlen(words[i]) &&
			    strncasecmp(p, words[i], n) == 0)
				found = 1;
		if (!found || len + n + 2 > sizeof(out))
			return err_set(e, EX_USAGE, "-N %s: expected never or "
			    "a list of success, failure, delay", v);
		if (len > 0)
			out[len++] = ',';
		for (i = 0; i < n; i++)
			out[len++] = toupper((unsigned char)p[i]);
		out[len] = '\0';
		p = end != NULL ? end + 1 : p + n;
	}
	if (len == 0)
		return err_set(e, EX_USAGE, "-N: empty DSN list");
	memcpy(c->dsn_notify, out, len + 1);
	return 0;
}

/* -V: an ENVID we can send without xtext encoding (RFC 3461 §4.4). */
static int
set_envid(struct cli *c, const char *v, struct err *e)
{
	size_t i, n = strlen(v);

	if (n == 0 || n > 100)
		return err_set(e, EX_USAGE, "-V: ENVID must be 1-100 "
		    "characters");
	for (i = 0; i < n; i++)
		if (v[i] < 33 || v[i] > 126 || v[i] == '+' || v[i] == '=')
			return err_set(e, EX_USAGE, "-V: ENVID may hold only "
			    "printable ASCII without '+', '=' or spaces");
	c->dsn_envid = v;
	return 0;
}

static int
set_mode(struct cli *c, const char *v, struct err *e)
{
	if (strcmp(v, "m") == 0)
		c->mode = CLI_SEND;
	else if (strcmp(v, "p") == 0)
		c->mode = CLI_QUEUE_LIST;
	else if (strcmp(v, "i") == 0)
		c->mode = CLI_NOOP;
	else if (strcmp(v, "s") == 0)
		c->mode = CLI_SMTP;
	else
		return err_set(e, EX_USAGE, "-b%s is not supported", v);
	return 0;
}

static int
act(struct cli *c, const struct flag *f, const char *v, const char *word,
    struct err *e)
{
	switch (f->act) {
	case A_EXTRACT:	c->extract = 1; break;
	case A_DOTS:	c->ignore_dots = 1; break;
	case A_SENDER:	c->sender = v; break;
	case A_FULLNAME: c->fullname = v; break;
	case A_CONFIG:	c->config = v; break;
	case A_ACCOUNT:	c->account = v; break;
	case A_VERBOSE:	c->verbose = 1; break;
	case A_NOTIFY:	return set_notify(c, v, e);
	case A_ENVID:	return set_envid(c, v, e);
	case A_RET:
		if (strcasecmp(v, "full") == 0)
			c->dsn_ret = "FULL";
		else if (strcasecmp(v, "hdrs") == 0)
			c->dsn_ret = "HDRS";
		else
			return err_set(e, EX_USAGE, "-R %s: expected full or "
			    "hdrs", v);
		break;
	case A_BODY:
		if (strcasecmp(v, "7bit") == 0)
			c->body = 7;
		else if (strcasecmp(v, "8bitmime") == 0)
			c->body = 8;
		else
			return err_set(e, EX_USAGE, "-B %s: expected 7BIT or "
			    "8BITMIME", v);
		break;
	case A_MODE:	return set_mode(c, v, e);
	case A_OPTION:
		if (strcmp(v, "i") == 0)
			c->ignore_dots = 1;
		else
			note_ignored(c, word);
		break;
	case A_QUEUE:	c->mode = CLI_QUEUE_RUN; break;
	case A_NOOP:	c->mode = CLI_NOOP; break;
	case A_IGNORE:	note_ignored(c, word); break;
	}
	return 0;
}

static const struct flag *
flag_find(char ch)
{
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (flags[i].c == ch)
			return &flags[i];
	return NULL;
}

/* Long option value: "--name=value" or "--name value". */
static int
long_value(const char *opt, size_t namelen, int argc, char **argv, int *i,
    const char **v, struct err *e)
{
	if (opt[namelen] == '=') {
		*v = opt + namelen + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return err_set(e, EX_USAGE, "%s needs a value", opt);
	*v = argv[++*i];
	return 0;
}

static int
is_long(const char *opt, const char *name)
{
	size_t n = strlen(name);

	return strncmp(opt, name, n) == 0 && (opt[n] == '\0' || opt[n] == '=');
}

static int
parse_long(struct cli *c, int argc, char **argv, int *i, struct err *e)
{
	const char *o = argv[*i];

	if (strcmp(o, "--help") == 0)
		c->mode = CLI_HELP;
	else if (strcmp(o, "--version") == 0)
		c->mode = CLI_VERSION;
	else if (strcmp(o, "--dry-run") == 0)
		c->mode = CLI_DRY_RUN;
	else if (strcmp(o, "--check-config") == 0)
		c->mode = CLI_CHECK_CONFIG;
	else if (strcmp(o, "--force") == 0)
		c->force = 1;
	else if (strcmp(o, "--probe") == 0)
		c->mode = CLI_PROBE;
	else if (strncmp(o, "--probe=", 8) == 0) {
		c->mode = CLI_PROBE;
		c->account = o + 8;
	} else if (strcmp(o, "--authorize") == 0)
		c->mode = CLI_AUTHORIZE;
	else if (strncmp(o, "--authorize=", 12) == 0) {
		c->mode = CLI_AUTHORIZE;
		c->account = o + 12;
	} else if (is_long(o, "--relay"))
		return long_value(o, 7, argc, argv, i, &c->relay_url, e);
	else if (is_long(o, "--account"))
		return long_value(o, 9, argc, argv, i, &c->account, e);
	else if (is_long(o, "--queue-delete")) {
		c->mode = CLI_QUEUE_DELETE;
		return long_value(o, 14, argc, argv, i, &c->queue_id, e);
	} else
		return err_set(e, EX_USAGE, "unknown option %s", o);
	return 0;
}

/* One "-xyz" word; may consume the next word as an argument. */
static int
parse_short(struct cli *c, int argc, char **argv, int *i, struct err *e)
{
	const char *w = argv[*i], *p = w + 1, *v;
	const struct flag *f;

	while (*p != '\0') {
		if ((f = flag_find(*p)) == NULL)
			return err_set(e, EX_USAGE, "unknown option -%c", *p);
		if (f->arg == ARG_NONE) {
			if (act(c, f, NULL, w, e) == -1)
				return -1;
			p++;
			continue;
		}
		v = p + 1;
		if (*v == '\0' && f->arg == ARG_REQ) {
			if (*i + 1 >= argc)
				return err_set(e, EX_USAGE, "option -%c needs "
				    "a value", f->c);
			v = argv[++*i];
		}
		return act(c, f, v, w, e);
	}
	return 0;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

int
cli_parse(struct cli *c, int argc, char **argv, char **rcpt, struct err *e)
{
	const char *name;
	int i, opts = 1;

	memset(c, 0, sizeof(*c));
	c->rcpt = rcpt;
	name = argc > 0 && argv[0] != NULL ? base_name(argv[0]) : "relaymail";
	if (strcmp(name, "mailq") == 0)
		c->mode = CLI_QUEUE_LIST;
	else if (strcmp(name, "newaliases") == 0)
		c->mode = CLI_NOOP;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts && strcmp(a, "--") == 0)
			opts = 0;
		else if (opts && a[0] == '-' && a[1] == '-') {
			if (parse_long(c, argc, argv, &i, e) == -1)
				return -1;
		} else if (opts && a[0] == '-' && a[1] != '\0') {
			if (parse_short(c, argc, argv, &i, e) == -1)
				return -1;
		} else
			c->rcpt[c->nrcpt++] = argv[i];
	}
	if (c->force && c->mode != CLI_QUEUE_RUN)
		return err_set(e, EX_USAGE, "--force goes with -q");
	/* -bs: the recipients come from RCPT commands, nowhere else. */
	if (c->mode == CLI_SMTP && (c->extract || c->nrcpt > 0))
		return err_set(e, EX_USAGE, "-bs takes its recipients from "
		    "RCPT TO: no -t and no recipient arguments");
	return 0;
}
