/*
 * main.c - the entry point: parses argv (cli.c), picks the mode (send,
 * queue listing, queue run, --queue-delete, the diagnostics) and hands
 * it to the module that does it (send_run() in send.c wires one send:
 * conf -> account -> msg -> envelope -> relay -> err). The only place
 * that exits, with the code err.c maps the outcome to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "cli.h"
#include "conf.h"
#include "diag.h"
#include "envelope.h"
#include "err.h"
#include "log.h"
#include "account.h"
#include "oauth.h"
#include "priv.h"
#include "queue.h"
#include "send.h"
#include "smtpd.h"

static int
fail(const struct err *e)
{
	fprintf(stderr, "relaymail: %s\n", e->msg[0] != '\0' ? e->msg :
	    err_code_name(e->code));
	return e->code != 0 ? e->code : EX_SOFTWARE;
}

/* -F must not be able to inject a header line or an address. */
static int
check_fullname(const char *name, struct err *e)
{
	if (name == NULL)
		return 0;
	if (strpbrk(name, "\r\n<>") != NULL)
		return err_set(e, EX_DATAERR, "-F: the full name may not hold "
		    "CR, LF, '<' or '>'");
	if (strlen(name) > BOUNDS_LINE / 2)
		return err_set(e, EX_DATAERR, "-F: full name too long");
	return 0;
}

/*
 * Find and load the configuration. -C and $RELAYMAIL_CONFIG name files
 * the caller chose, so the setgid group is dropped before they are
 * opened (relaymail(8)). --relay names a host the config does not: the
 * group is dropped first, so no secret (nor user) of a config the
 * caller cannot read can go to that host; such a config is then left
 * out and the URL is used with the built-in settings.
 */
static int
load_config(const struct cli *c, struct conf *cf, FILE *report,
    struct err *e)
{
	char path[BOUNDS_PATH];

	if (c->relay_url != NULL && priv_for_relay(e) == -1)
		return -1;
	if (priv_before_config(c->config, e) == -1)
		return -1;
	if (conf_find(c->config, path, sizeof(path), e) == -1) {
		/* --relay needs no file; -C naming a missing one still fails. */
		if (c->relay_url != NULL && c->config == NULL &&
		    e->code == EX_CONFIG) {
			err_clear(e);
			return 0;
		}
		return -1;
	}
	if (c->relay_url != NULL && access(path, R_OK) == -1) {
		fprintf(stderr, "relaymail: %s is not readable by you (%s); "
		    "--relay goes on without it: built-in settings, no user "
		    "and no password from it\n", path, strerror(errno));
		return 0;
	}
	if (priv_after_find(path, e) == -1)
		return -1;
	return conf_load(cf, path, report, e);
}

static int
run_check_config(const struct cli *c)
{
	struct conf cf;
	struct err e;
	int rc;

	memset(&cf, 0, sizeof(cf));
	err_clear(&e);
	rc = load_config(c, &cf, stdout, &e);
	/* Nothing is queued: the group goes once the config is read. */
	if (rc == 0 && priv_drop_group(&e) == -1) {
		conf_free(&cf);
		return fail(&e);
	}
	if (rc == 0 && (diag_check_aliases(&cf, stdout) +
	    oauth_check_files(&cf, stdout)) > 0) {
		e.code = EX_CONFIG;
		rc = -1;
	}
	if (rc == 0) {
		printf("%s: OK (%d account%s)\n", cf.path, cf.naccounts,
		    cf.naccounts == 1 ? "" : "s");
		for (rc = 0; rc < cf.naccounts; rc++)
			printf("[%s] log: %s\n", cf.accounts[rc].name,
			    log_describe(cf.accounts[rc].log,
			    cf.accounts[rc].log_path, e.msg, sizeof(e.msg)));
		conf_free(&cf);
		return EX_OK;
	}
	if (cf.path == NULL)	/* nothing was reported: say why */
		printf("%s\n", e.msg);
	conf_free(&cf);
	return e.code != 0 ? e.code : EX_CONFIG;
}

/*
 * --authorize[=NAME]: OAuth2 consent for an account. The system
 * config's tokens are shared by every user through the setgid group, so
 * only root may replace them.
 */
static int
run_authorize(const struct cli *c)
{
	struct account *a;
	struct conf cf;
	struct err e;
	char why[BOUNDS_ERRMSG];
	int rc = EX_OK;

	memset(&cf, 0, sizeof(cf));
	err_clear(&e);
	if (c->relay_url != NULL)
		err_set(&e, EX_USAGE, "--authorize is for an account of the "
		    "configuration, not --relay");
	else if (load_config(c, &cf, NULL, &e) == 0 &&
	    account_select(&cf, c->account, NULL, &a, why, sizeof(why),
	    &e) == 0) {
		if (!oauth_enabled(a))
			err_set(&e, EX_CONFIG, "account %s has no "
			    "oauth_client_id", a->name);
		else if (cf.system && getuid() != 0)
			err_set(&e, EX_NOPERM, "only root may authorize the "
			    "accounts of %s", cf.path);
		else if (oauth_authorize(a, stdin, stdout, c->verbose ?
		    stderr : NULL, &e) == 0)
			err_clear(&e);
	}
	if (e.code != 0)
		rc = fail(&e);
	conf_free(&cf);
	return rc;
}

/* -bp / mailq, -q [--force], --queue-delete ID. */
static int
run_queue(const struct cli *c)
{
	struct conf cf;
	struct err e;
	int rc;

	memset(&cf, 0, sizeof(cf));
	err_clear(&e);
	if (load_config(c, &cf, NULL, &e) == -1) {
		conf_free(&cf);
		return fail(&e);
	}
	if (cf.naccounts > 0)
		log_open(cf.accounts[0].log, cf.accounts[0].log_path);
	if (c->mode == CLI_QUEUE_LIST)
		rc = queue_list(&cf, stdout, &e);
	else if (c->mode == CLI_QUEUE_RUN)
		rc = queue_run(&cf, c->force, c->verbose ? stderr : NULL, &e);
	else
		rc = queue_delete(&cf, c->queue_id, &e);
	rc = rc == -1 ? fail(&e) : EX_OK;
	conf_free(&cf);
	return rc;
}

int
main(int argc, char **argv)
{
	struct send_ctx s;
	struct cli c;
	struct err e;
	char **rcpt;
	int rc;

	err_clear(&e);
	if ((rcpt = calloc(argc > 0 ? argc : 1, sizeof(*rcpt))) == NULL)
		return EX_OSERR;
	if (cli_parse(&c, argc, argv, rcpt, &e) == -1) {
		fprintf(stderr, "relaymail: %s\n%s\n", e.msg, cli_usage());
		free(rcpt);
		return EX_USAGE;
	}
	if (c.verbose)
		for (rc = 0; rc < c.nignored; rc++)
			fprintf(stderr, "relaymail: ignoring %s (no meaning "
			    "for a relay-only mailer)\n", c.ignored[rc]);
	switch (c.mode) {
	case CLI_HELP:
		printf("%s\n\n%s", cli_usage(), cli_help());
		rc = EX_OK;
		break;
	case CLI_VERSION:
		printf("relaymail %s\n", RELAYMAIL_VERSION);
		rc = EX_OK;
		break;
	case CLI_NOOP:
		rc = EX_OK;
		break;
	case CLI_CHECK_CONFIG:
		rc = run_check_config(&c);
		break;
	case CLI_AUTHORIZE:
		rc = run_authorize(&c);
		break;
	case CLI_QUEUE_LIST:
	case CLI_QUEUE_RUN:
	case CLI_QUEUE_DELETE:
		rc = run_queue(&c);
		break;
	default:
		if (check_fullname(c.fullname, &e) == -1 ||
		    (c.sender != NULL &&
		    envelope_check_addr(c.sender, &e) == -1)) {
			rc = fail(&e);
			break;
		}
		send_init(&s, &c);
		if (c.mode == CLI_SMTP)	/* -bs */
			rc = smtpd_run(&s, load_config(&c, &s.conf, NULL, &e),
			    &e);
		else if (load_config(&c, &s.conf, NULL, &e) == -1 ||
		    send_run(&s, &e) == -1)
			rc = fail(&e);
		else
			rc = s.exit_code;
		send_free(&s);
		break;
	}
	free(rcpt);
	log_close();
	/* Whatever path led here, never leave with the setgid group. */
	err_clear(&e);
	(void)priv_drop_group(&e);
	/* Everything is written and closed: the libraries' exit-time
	 * destructors (GnuTLS freeing its ASN.1 tables) would only cost
	 * time, so stdio is flushed and the process ends here. */
	(void)fflush(NULL);
	_exit(rc);
}
