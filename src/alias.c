/*
 * alias.c - the aliases file and recursive alias expansion (the format of
 * sendmail's and Postfix's aliases(5); see alias.h for the rules). The
 * targets of an alias are RFC 5322 §3.4 address lists, parsed by addr.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alias.h"
#include "textline.h"

void
alias_init(struct aliases *a)
{
	memset(a, 0, sizeof(*a));
}

void
alias_free(struct aliases *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].name);
		addr_list_free(&a->v[i].targets);
	}
	free(a->v);
	free(a->path);
	alias_init(a);
}

static struct alias *
alias_new(struct aliases *a, struct err *e)
{
	struct alias *nv;
	size_t ncap;

	if (a->n == a->cap) {
		ncap = a->cap ? a->cap * 2 : 16;
		if ((nv = reallocarray(a->v, ncap, sizeof(*nv))) == NULL) {
			err_nomem(e);
			return NULL;
		}
		a->v = nv;
		a->cap = ncap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[0]));
	return &a->v[a->n++];
}

/* A pipe, a file or an :include: - deliveries we cannot make. */
static int
unsupported_target(const char *t)
{
	return *t == '|' || *t == '/' || strncmp(t, "\"|", 2) == 0 ||
	    strncasecmp(t, ":include:", 9) == 0;
}

/* Parse one target list into al; items are split at unquoted commas. */
static int
parse_targets(struct aliases *a, struct alias *al, char *s, struct err *e)
{
	struct err pe;
	char *item;
	size_t n;
	int q, last = 0;

	while (!last) {
		item = s;
		for (q = 0; *s != '\0' && (q || *s != ','); s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"')
				q = !q;
		}
		last = *s == '\0';
		n = (size_t)(s - item);
		if (!last)
			s++;
		item += textline_trim(item, &n);
		item[n] = '\0';
		if (unsupported_target(item))
			al->unsupported = 1;
		else if (*item != '\0' &&
		    addr_parse_list(item, &al->targets, &pe) == -1)
			return err_set(e, pe.code == EX_OSERR ? EX_OSERR :
			    EX_CONFIG, "%s:%d: alias %s: %s", a->path,
			    al->line, al->name, pe.msg);
	}
	return 0;
}

/* One logical entry "name: targets" (continuations already joined). */
static int
parse_entry(struct aliases *a, char *s, int line, struct err *e)
{
	struct alias *al;
	char *colon, *p, *end;

	if ((colon = strchr(s, ':')) == NULL)
		return err_set(e, EX_CONFIG, "%s:%d: expected \"name: "
		    "address, ...\"", a->path, line);
	for (end = colon; end > s && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	for (p = s; *p != '\0'; p++) {
		if (isspace((unsigned char)*p))
			return err_set(e, EX_CONFIG, "%s:%d: alias name \"%s\" "
			    "holds white space", a->path, line, s);
		*p = (char)tolower((unsigned char)*p);
	}
	if (*s == '\0')
		return err_set(e, EX_CONFIG, "%s:%d: empty alias name",
		    a->path, line);
	if ((al = alias_new(a, e)) == NULL)
		return -1;
	al->line = line;
	if ((al->name = strdup(s)) == NULL)
		return err_nomem(e);
	if (parse_targets(a, al, colon + 1, e) == -1)
		return -1;
	if (al->targets.n == 0 && !al->unsupported)
		return err_set(e, EX_CONFIG, "%s:%d: alias %s has no address",
		    a->path, line, al->name);
	return 0;
}

/* Append line to the pending entry text in *buf. */
static int
append(char **buf, size_t *len, const char *line, struct err *e)
{
	size_t n = strlen(line);
	char *nb;

	if (*len + n + 1 > BOUNDS_HEADER)
		return err_set(e, EX_CONFIG, "alias entry too long");
	if ((nb = realloc(*buf, *len + n + 2)) == NULL)
		return err_nomem(e);
	nb[(*len)++] = ' ';
	memcpy(nb + *len, line, n + 1);
	*len += n;
	*buf = nb;
	return 0;
}

static int
flush_entry(struct aliases *a, char **buf, size_t *len, int line,
    struct err *e)
{
	int r = 0;

	if (*buf != NULL)
		r = parse_entry(a, *buf + 1, line, e);
	free(*buf);
	*buf = NULL;
	*len = 0;
	return r;
}

/* Lines are read as the config's are (textline.c): bounded, no NULs. */
static int
load_lines(struct aliases *a, FILE *fp, struct err *e)
{
	char line[BOUNDS_CONF_LINE + 3], *ent = NULL;	/* CR, LF, NUL */
	size_t elen = 0, n = 0;
	int lineno = 0, eline = 0, r = 0, st;

	while (r == 0 && (st = textline_read(fp, line, sizeof(line),
	    BOUNDS_CONF_LINE, &n)) != TEXTLINE_EOF) {
		lineno++;
		if (st != TEXTLINE_OK) {
			r = err_set(e, EX_CONFIG, "%s:%d: %s", a->path, lineno,
			    st == TEXTLINE_NUL ? "NUL byte in line" :
			    "line too long");
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] == '#' ||
		    line[strspn(line, " \t")] == '\0')
			continue;
		if ((line[0] == ' ' || line[0] == '\t') && ent == NULL)
			r = err_set(e, EX_CONFIG, "%s:%d: continuation line "
			    "without an alias", a->path, lineno);
		else if (line[0] == ' ' || line[0] == '\t')
			r = append(&ent, &elen, line, e);
		else if ((r = flush_entry(a, &ent, &elen, eline, e)) == 0) {
			eline = lineno;
			r = append(&ent, &elen, line, e);
		}
	}
	if (r == 0 && ferror(fp))
		r = err_set(e, EX_CONFIG, "%s: %s", a->path, strerror(errno));
	if (r == 0)
		r = flush_entry(a, &ent, &elen, eline, e);
	free(ent);
	return r;
}

int
alias_load(struct aliases *a, const char *path, struct err *e)
{
	FILE *fp;
	int r;

	alias_init(a);
	if ((a->path = strdup(path)) == NULL)
		return err_nomem(e);
	if ((fp = fopen(path, "re")) == NULL)
		return err_set(e, EX_CONFIG, "aliases file %s: %s", path,
		    strerror(errno));
	r = load_lines(a, fp, e);
	fclose(fp);
	return r;
}

/* The alias an address names, or NULL. */
static const struct alias *
lookup(const struct aliases *a, const char *addr, const char *md)
{
	const char *dom = addr_domain(addr);
	size_t len = strlen(addr), i;

	if (dom != NULL) {
		if (md == NULL || strcasecmp(dom, md) != 0)
			return NULL;
		len = (size_t)(dom - 1 - addr);
	}
	for (i = 0; i < a->n; i++)
		if (strlen(a->v[i].name) == len &&
		    strncasecmp(a->v[i].name, addr, len) == 0 &&
		    strcmp(a->v[i].name, "*") != 0)
			return &a->v[i];
	return NULL;
}

static const struct alias *
catchall(const struct aliases *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, "*") == 0)
			return &a->v[i];
	return NULL;
}

struct chain {
	const struct alias	*v[BOUNDS_ALIAS_DEPTH];
	int			 n;
};

static int
loop_error(const struct aliases *a, const struct chain *c,
    const struct alias *al, struct err *e)
{
	char path[BOUNDS_ERRMSG / 2];
	size_t o = 0;
	int i, k;

	path[0] = '\0';
	for (i = 0; i < c->n; i++) {
		k = snprintf(path + o, sizeof(path) - o, "%s -> ",
		    c->v[i]->name);
		if (k < 0 || (size_t)k >= sizeof(path) - o)
			break;
		o += (size_t)k;
	}
	return err_set(e, EX_CONFIG, "%s:%d: alias loop: %s%s", a->path,
	    al->line, path, al->name);
}

static int
expand(const struct aliases *a, const char *addr, const char *md,
    struct chain *c, int nocatch, struct addr_list *out, struct err *e)
{
	const struct alias *al;
	size_t i;
	int r, k;

	if (addr[0] == '\\') {		/* "\name": do not expand */
		addr++;
		goto keep;		/* but count it against the cap */
	}
	al = lookup(a, addr, md);
	if (al == NULL && !nocatch && addr_is_bare(addr) &&
	    (al = catchall(a)) != NULL)
		nocatch = 1;		/* what * yields is not caught again */
	if (al == NULL || (c->n > 0 && c->v[c->n - 1] == al))
		goto keep;		/* no alias, or "root: root" */
	for (k = 0; k < c->n; k++)
		if (c->v[k] == al)
			return loop_error(a, c, al, e);
	if (c->n == BOUNDS_ALIAS_DEPTH)
		return err_set(e, EX_CONFIG, "%s:%d: aliases nested deeper "
		    "than %d", a->path, al->line, BOUNDS_ALIAS_DEPTH);
	if (al->unsupported)
		return err_set(e, EX_CONFIG, "%s:%d: alias %s: pipes, files "
		    "and :include: are not supported", a->path, al->line,
		    al->name);
	c->v[c->n++] = al;
	for (i = 0, r = 0; r == 0 && i < al->targets.n; i++)
		r = expand(a, al->targets.v[i], md, c, nocatch, out, e);
	c->n--;
	return r;
keep:
	if (out->n >= BOUNDS_RCPTS)
		return err_set(e, EX_DATAERR, "more than %d recipients after "
		    "alias expansion", BOUNDS_RCPTS);
	return addr_list_add(out, addr, e);
}

int
alias_expand(const struct aliases *a, const char *addr, const char *md,
    struct addr_list *out, struct err *e)
{
	struct chain c;

	c.n = 0;
	return expand(a, addr, md, &c, 0, out, e);
}
