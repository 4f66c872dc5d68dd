/*
 * priv.h - the setgid install mode (relaymail(8)).
 *
 * The binary may be installed setgid to a dedicated `relaymail` group so
 * that /etc/relaymail.conf (0640 root:relaymail) with a password is
 * readable by cron, PHP and every user without showing the password to
 * them. The group is a capability to read that one file: main keeps it
 * only while it reads the system config, its secrets and the queue, and
 * drops it permanently before touching anything a user chose.
 *
 * Order in main:
 *   priv_for_relay()                  --relay: drop now
 *   priv_before_config(cli->config)   -C / $RELAYMAIL_CONFIG: drop now
 *   conf_find(...)
 *   priv_after_find(path)             not the system config: drop now
 *   conf_load(...), conf_load_secret(...), queue setup
 *   priv_drop_group()                 always, before the message is read
 *                                     (kept only while a message may go
 *                                     to the system queue: not for
 *                                     --dry-run, --probe, --check-config)
 *
 * Errors: EX_OSERR when the group cannot be dropped, EX_SOFTWARE when it
 * could be regained after the drop (the process must not go on).
 */
#ifndef RELAYMAIL_PRIV_H
#define RELAYMAIL_PRIV_H

#include "err.h"

/* 1 when the effective gid differs from the real gid (setgid run). */
int	 priv_is_setgid(void);
/* Set real, effective and saved gid to the real gid, and verify that
 * the old effective gid cannot be regained. A no-op when not setgid. */
int	 priv_drop_group(struct err *);
/* Drop the group when the config is named by -C (cli_path not NULL) or
 * $RELAYMAIL_CONFIG: a user-chosen file must be opened without it. */
int	 priv_before_config(const char *cli_path, struct err *);
/* --relay: the URL names a host the config does not, so nothing may
 * be read with the group; dropped first, for everyone but root (who
 * can read the system config anyway, and whose check of its 0640
 * root:relaymail mode needs the group). */
int	 priv_for_relay(struct err *);
/* Drop the group unless path is the system config (CONF_SYSTEM_PATH):
 * a user's own config, and the commands it names, get no group. */
int	 priv_after_find(const char *path, struct err *);

#endif
