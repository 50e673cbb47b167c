/*
 * rules: parse url_regex_rewrite's rules file, compile each regex once and
 * match URLs against the rules in order.  With thousands of rules most
 * regexec() calls would fail, so a prefilter skips the rules that cannot
 * match: each rule's regex is searched for a literal that every match must
 * contain (rules_literal), one 4-byte piece of that literal -- the rarest
 * among all the rules -- is indexed in a hash table, and a URL is scanned
 * once, 4 bytes at a time, to mark the rules whose piece it contains.  A
 * marked rule (or one with no usable literal) must still contain its
 * whole literal (memmem) before regexec() runs.  Everything is compared in
 * lower case, which for a case-sensitive rule is a weaker test, never a
 * wrong one.  regcomp runs in the C locale (nothing calls setlocale), so
 * bytes are characters and REG_ICASE folds ASCII only, as tolower() does.
 *
 * The commonest rule maps one site onto another, "^http://a\.example/(.*)
 * http://b.example/\1", and glibc's regexec spends most of a request
 * working out where such a group starts.  A regex of that shape (rules_anchor:
 * "^", a literal, then "(.*)", ".*" or nothing, and an optional "$" only
 * after a "(.*)" or ".*" or to end the literal) is matched by comparing the
 * literal, which gives the same match and groups; with the prefilter off
 * (the fuzzer's reference) every rule goes through regexec.
 */
#define _GNU_SOURCE	/* memmem */
#include "config.h"
#include "rules.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/* A file with more errors than this reports the first ones and a count. */
#define RULES_ERR_MAX	20
#define RULES_GRAM	4

struct rules_rule {
	regex_t		 re;
	char		*tmpl;		/* replacement; NULL for a "!" rule */
	char		*lit;		/* lowercase required literal, or NULL */
	size_t		 lit_len;
	uint32_t	 gram;		/* the indexed piece of lit */
	int		 next;		/* next rule indexed under gram, or -1 */
	unsigned int	 line;
	int		 status;	/* redirect status, 0 for a rewrite */
	int		 nmatch;	/* 1 + highest group used; 0: REG_NOSUB */
	char		*anchor;	/* rules_anchor's literal, or NULL */
	size_t		 anchor_len;
	int		 anchor_form;	/* enum rules_anchor_form */
	int		 icase;
};

/* What follows the literal of an anchored rule (see rules_anchor). */
enum rules_anchor_form {
	RULES_ANCHOR_PREFIX,	/* "^LIT": the match is the literal */
	RULES_ANCHOR_EXACT,	/* "^LIT$": the URL is the literal */
	RULES_ANCHOR_REST,	/* "^LIT.*" or "^LIT.*$": the whole URL */
	RULES_ANCHOR_GROUP	/* "^LIT(.*)" or "^LIT(.*)$": \1 the rest */
};

struct rules_slot {
	uint32_t	 gram;
	int		 head;		/* first rule, -1: empty slot */
};

struct rules {
	struct rules_rule *rule;
	size_t		 n, cap;
	struct rules_slot *slot;	/* open addressing, nslot a power of 2 */
	size_t		 nslot;
	uint32_t	*mark;		/* mark[i] == gen: rule i's piece seen */
	uint32_t	 gen;
	int		*always;	/* rules not indexed, in file order */
	size_t		 nalways;
	int		*cand;		/* this URL's marked rules */
	size_t		 ncand;
	char		*low;		/* the URL in lower case */
	size_t		 lowcap;
	int		 prefilter;
};

struct rules_errs {
	const char	*name;
	char		*text;
	size_t		 len;
	int		 count;
};

static void __attribute__((format(printf, 3, 4)))
rules_err(struct rules_errs *e, unsigned int line, const char *fmt, ...)
{
	char msg[512], *s;
	va_list ap;

	if (++e->count > RULES_ERR_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s = line > 0 ? xasprintf("%s:%u: %s\n", e->name, line, msg) :
	    xasprintf("%s: %s\n", e->name, msg);
	e->text = xrealloc(e->text, e->len + strlen(s) + 1);
	memcpy(e->text + e->len, s, strlen(s) + 1);
	e->len += strlen(s);
	free(s);
}

/* ---- the required literal ---- */

static int
rules_is_quant(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* Past a bracket expression starting at re[i] == '[', or 0 if unclosed. */
static size_t
rules_skip_bracket(const char *re, size_t i)
{
	char d;

	i++;
	if (re[i] == '^')
		i++;
	if (re[i] == ']')
		i++;
	for (;;) {
		if (re[i] == '\0')
			return 0;
		if (re[i] == ']')
			return i + 1;
		if (re[i] == '[' && (re[i + 1] == ':' || re[i + 1] == '.' ||
		    re[i + 1] == '=')) {
			d = re[i + 1];
			for (i += 2; re[i] != '\0' &&
			    !(re[i] == d && re[i + 1] == ']'); i++)
				;
			if (re[i] == '\0')
				return 0;
			i += 2;
			continue;
		}
		i++;
	}
}

/* Past a group starting at re[i] == '(', or 0 if unclosed. */
static size_t
rules_skip_group(const char *re, size_t i)
{
	int depth = 0;

	for (;;) {
		switch (re[i]) {
		case '\0':
			return 0;
		case '\\':
			if (re[i + 1] == '\0')
				return 0;
			i += 2;
			continue;
		case '[':
			if ((i = rules_skip_bracket(re, i)) == 0)
				return 0;
			continue;
		case '(':
			depth++;
			break;
		case ')':
			if (--depth == 0)
				return i + 1;
			break;
		}
		i++;
	}
}

/*
 * Walk the top level of the regex: a character that stands for itself and
 * has no quantifier after it extends the current run; anything else (".",
 * a class, a group, an anchor, a quantified atom, an escape that is not a
 * plain punctuation mark) ends it.  Only adding a character could make the
 * answer wrong, so whatever is unclear ends the run.
 */
char *
rules_literal(const char *re, size_t *lenp)
{
	size_t n = strlen(re), i = 0, used = 0, start = 0, best = 0, best_at = 0;
	size_t next;
	char *cur, *lit, c;

	/* runs are kept one after the other in cur; start is the current one's */
	cur = xmalloc(n + 1);
	while (i < n) {
		c = re[i];
		next = i + 1;
		if (c == '\\') {
			c = re[i + 1];
			next = i + 2;
			if (c == '\0' || !ispunct((unsigned char)c) || c == '<' ||
			    c == '>' || c == '`' || c == '\'')
				c = '\0';	/* \w, \1, \b ...: not one byte */
		} else if (c == '|') {
			goto none;
		} else if (c == '(') {
			if ((next = rules_skip_group(re, i)) == 0)
				goto none;
			c = '\0';
		} else if (c == '[') {
			if ((next = rules_skip_bracket(re, i)) == 0)
				goto none;
			c = '\0';
		} else if (c == '{') {
			/* an interval: skip to its end */
			const char *end = strchr(re + i, '}');

			if (end == NULL)
				goto none;
			next = (size_t)(end - re) + 1;
			c = '\0';
		} else if (strchr(".^$)}*+?", c) != NULL) {
			c = '\0';
		}
		if (c != '\0' && next < n && rules_is_quant(re[next]))
			c = '\0';	/* "a*", "a{2}": a may be absent */
		if (c != '\0') {
			cur[used++] = c;
			if (used - start > best) {
				best = used - start;
				best_at = start;
			}
		} else {
			start = used;
		}
		i = next;
	}
	lit = best > 0 ? xstrndup(cur + best_at, best) : NULL;
	free(cur);
	*lenp = best;
	return lit;
none:
	free(cur);
	*lenp = 0;
	return NULL;
}

/* ---- the cost of compiling ---- */

/*
 * glibc's regcomp copies a repeated atom once per repetition ("a+" is
 * "aa*", "a{2,5}" five copies), nested repetitions multiply, and a short
 * regex such as "a++++++++++++++++++++++++++++++" would take gigabytes.
 * This counts the copies of a sequence up to ")" or the end, as an upper
 * bound; rules_line refuses a regex past RULES_COST_MAX.
 *
 * Repeating something that can match the empty string ("(x?)+", "(a|)*",
 * "x?{1,900}") is refused whatever its size: it gives regcomp a loop of
 * empty transitions, and its epsilon closures then cost time that grows
 * exponentially with nesting ("((x?)+)+..." took seconds at ten levels).
 * Such a repetition never matches more than a simpler regex would.
 */
#define RULES_COST_MAX	10000

struct rules_cost {
	double copies;		/* upper bound on the atoms regcomp makes */
	int empty_loop;		/* a repetition of an atom that may be empty */
};

/* Whether "\c" is one of glibc's zero-width escapes. */
static int
rules_zero_width_escape(char c)
{
	return c == 'b' || c == 'B' || c == '<' || c == '>' || c == '`' ||
	    c == '\'';
}

static double
rules_cost_seq(const char *re, size_t *i, int depth, int *nullable,
    struct rules_cost *rc)
{
	double total = 0, atom, n, m;
	int branch_empty = 1, atom_empty, loops, may_skip;
	size_t j;
	char *end;

	*nullable = 0;
	while (re[*i] != '\0' && re[*i] != ')') {
		atom = 1;
		atom_empty = 0;
		switch (re[*i]) {
		case '|':
			*nullable |= branch_empty;
			branch_empty = 1;
			(*i)++;
			continue;
		case '\\':
			if (re[*i + 1] == '\0') {
				(*i)++;
				break;
			}
			atom_empty = rules_zero_width_escape(re[*i + 1]);
			*i += 2;
			break;
		case '[':
			j = rules_skip_bracket(re, *i);
			*i = j != 0 ? j : strlen(re);
			break;
		case '(':
			(*i)++;
			if (depth > 100)
				return RULES_COST_MAX + 1;
			atom = 1 + rules_cost_seq(re, i, depth + 1, &atom_empty,
			    rc);
			if (re[*i] == ')')
				(*i)++;
			break;
		case '^':
		case '$':
			atom_empty = 1;
			(*i)++;
			break;
		default:
			(*i)++;
		}
		for (;;) {
			/* loops: may repeat more than once; may_skip: min 0 */
			loops = 1;
			may_skip = 1;
			if (re[*i] == '?')
				atom += 1, loops = 0;
			else if (re[*i] == '*')
				atom += 1;
			else if (re[*i] == '+')
				atom = 2 * atom + 1, may_skip = 0;
			else if (re[*i] == '{' && re[*i + 1] >= '0' &&
			    re[*i + 1] <= '9') {
				n = strtod(re + *i + 1, &end);
				m = n + 1;	/* {n,}: n copies and a star */
				if (*end == ',' && end[1] >= '0' && end[1] <= '9')
					m = strtod(end + 1, &end);
				else if (*end == ',')
					end++;
				else
					m = n;	/* {n}: exactly n */
				loops = m > 1 || end[-1] == ',';
				may_skip = n == 0;
				atom = atom * (m > n ? m : n) + 1;
				*i = (size_t)(end - re);
				if (re[*i] != '}')
					break;
			} else if (re[*i] == '{' && re[*i + 1] == ',') {
				m = strtod(re + *i + 2, &end);
				loops = m > 1;
				atom = atom * m + 1;
				*i = (size_t)(end - re);
				if (re[*i] != '}')
					break;
			} else
				break;
			if (loops && atom_empty)
				rc->empty_loop = 1;
			atom_empty |= may_skip;
			(*i)++;
			if (atom > RULES_COST_MAX)
				return atom;
		}
		branch_empty &= atom_empty;
		total += atom;
		if (total > RULES_COST_MAX)
			return total;
	}
	*nullable |= branch_empty;
	return total;
}

static void
rules_cost(const char *re, struct rules_cost *rc)
{
	size_t i = 0;
	int nullable;

	rc->copies = 0;
	rc->empty_loop = 0;
	/* an unbalanced ")" ends a sequence: go on after it */
	while (re[i] != '\0' && rc->copies <= RULES_COST_MAX) {
		rc->copies += rules_cost_seq(re, &i, 0, &nullable, rc);
		if (re[i] == ')')
			i++;
	}
}

/* ---- parsing ---- */

static int
rules_valid_status(int s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/*
 * Check a replacement: \0..\9 and & refer to the match, \\ and \& are the
 * characters themselves.  Returns 1 + the highest group used (0: none) or
 * -1 after reporting.
 */
static int
rules_check_tmpl(struct rules_errs *e, unsigned int line, const char *t,
    size_t nsub)
{
	int top = 0, g;

	for (; *t != '\0'; t++) {
		if (*t == '&') {
			if (top < 1)
				top = 1;
			continue;
		}
		if (*t != '\\')
			continue;
		t++;
		if (*t == '\\' || *t == '&')
			continue;
		if (*t < '0' || *t > '9') {
			if (*t == '\0')
				rules_err(e, line, "replacement ends in \"\\\"");
			else
				rules_err(e, line, "unknown escape \"\\%c\" in the "
				    "replacement (\\0..\\9, \\& and \\\\ are known)",
				    *t);
			return -1;
		}
		g = *t - '0';
		if ((size_t)g > nsub) {
			rules_err(e, line, "\\%d in the replacement, but the "
			    "regex has %zu group%s", g, nsub, nsub == 1 ? "" : "s");
			return -1;
		}
		if (g + 1 > top)
			top = g + 1;
	}
	return top;
}

static void
rules_add(struct rules *rs, const struct rules_rule *r)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->rule = xrealloc(rs->rule, rs->cap * sizeof(*rs->rule));
	}
	rs->rule[rs->n++] = *r;
}

/* One non-comment line, split into words; 0 if it made a rule. */
/*
 * Whether re is "^" + literal + a tail the anchored match handles: the
 * literal (unescaped) into *lit, its form into *form.  In an ERE a
 * backslash before a special character makes it literal; before anything
 * else it may be a GNU operator (\w, \b, \<), so such a regex is not
 * taken.  A "(.*)" anywhere but at the end, or any other operator, leaves
 * the rule to regexec.
 */
static int
rules_anchor(const char *re, char **lit, size_t *len, int *form)
{
	static const char special[] = ".[]()*+?{}|^$\\";
	size_t n = strlen(re), o = 0;
	char *out;
	const char *p;

	if (re[0] != '^')
		return 0;
	out = xmalloc(n + 1);
	for (p = re + 1; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0' && strchr(special, p[1]) != NULL)
			out[o++] = *++p;
		else if (strchr(special, *p) == NULL)
			out[o++] = *p;
		else
			break;
	}
	out[o] = '\0';
	if (strcmp(p, "") == 0)
		*form = RULES_ANCHOR_PREFIX;
	else if (strcmp(p, "$") == 0)
		*form = RULES_ANCHOR_EXACT;
	else if (strcmp(p, ".*") == 0 || strcmp(p, ".*$") == 0)
		*form = RULES_ANCHOR_REST;
	else if (strcmp(p, "(.*)") == 0 || strcmp(p, "(.*)$") == 0)
		*form = RULES_ANCHOR_GROUP;
	else {
		free(out);
		return 0;
	}
	*lit = out;
	*len = o;
	return 1;
}

/* An anchored rule against url: 1 with pm filled as regexec would. */
static int
rules_anchor_match(const struct rules_rule *r, const char *url, size_t len,
    regmatch_t *pm)
{
	if (len < r->anchor_len || (r->icase ?
	    strncasecmp(url, r->anchor, r->anchor_len) :
	    memcmp(url, r->anchor, r->anchor_len)) != 0)
		return 0;
	if (r->anchor_form == RULES_ANCHOR_EXACT && len != r->anchor_len)
		return 0;
	for (int g = 0; g < r->nmatch; g++)
		pm[g].rm_so = pm[g].rm_eo = -1;
	if (r->nmatch > 0) {
		pm[0].rm_so = 0;
		pm[0].rm_eo = (regoff_t)(r->anchor_form ==
		    RULES_ANCHOR_PREFIX ? r->anchor_len : len);
	}
	if (r->nmatch > 1) {
		pm[1].rm_so = (regoff_t)r->anchor_len;
		pm[1].rm_eo = (regoff_t)len;
	}
	return 1;
}

static int
rules_line(struct rules *rs, struct rules_errs *e, unsigned int line,
    char **w, int nw, int flags)
{
	struct rules_rule r;
	const char *re, *repl = NULL;
	char msg[256];
	struct rules_cost cost;
	int icase = 0, stop = 0, i = 0, rc, cflags;

	memset(&r, 0, sizeof(r));
	for (; i < nw && w[i][0] == '-'; i++) {
		if (strcmp(w[i], "-i") != 0) {
			rules_err(e, line, "unknown option \"%s\" (only -i is "
			    "known)", w[i]);
			return -1;
		}
		icase = 1;
	}
	if (i < nw && w[i][0] == '!') {
		stop = 1;
		if (w[i][1] == '\0')
			i++;		/* "! REGEX" */
		else
			w[i]++;		/* "!REGEX" */
	}
	if (i == nw) {
		rules_err(e, line, "no regex after the options");
		return -1;
	}
	re = w[i++];
	if (!stop) {
		if (i == nw) {
			rules_err(e, line, "no replacement after the regex");
			return -1;
		}
		repl = w[i++];
	}
	if (i < nw) {
		rules_err(e, line, "unexpected \"%s\" after the %s", w[i],
		    stop ? "regex of a \"!\" rule" : "replacement");
		return -1;
	}
	if (repl != NULL && strncmp(repl, "redirect:", 9) == 0) {
		const char *st = repl + 9;

		if (flags & RULES_STORE_ID) {
			rules_err(e, line, "redirect rules do not apply to "
			    "store IDs (-s)");
			return -1;
		}
		if (!isdigit((unsigned char)st[0]) ||
		    !isdigit((unsigned char)st[1]) ||
		    !isdigit((unsigned char)st[2]) || st[3] != ':' ||
		    !rules_valid_status(atoi(st))) {
			rules_err(e, line, "a redirect is \"redirect:STATUS:URL\" "
			    "with STATUS 301, 302, 303, 307 or 308");
			return -1;
		}
		if (st[4] == '\0') {
			rules_err(e, line, "redirect without a URL");
			return -1;
		}
		r.status = atoi(st);
		repl = st + 4;
	}
	rules_cost(re, &cost);
	if (cost.copies > RULES_COST_MAX) {
		rules_err(e, line, "regex \"%s\" repeats too much: its "
		    "repetitions would expand past %d copies when compiled", re,
		    RULES_COST_MAX);
		return -1;
	}
	if (cost.empty_loop) {
		rules_err(e, line, "regex \"%s\" repeats a part that can "
		    "match nothing (such as \"(x?)+\" or \"x?*\"), which "
		    "regcomp cannot compile in reasonable time; drop the inner "
		    "optional", re);
		return -1;
	}
	cflags = REG_EXTENDED | (icase ? REG_ICASE : 0);
	if ((rc = regcomp(&r.re, re, cflags)) != 0) {
		regerror(rc, &r.re, msg, sizeof(msg));
		rules_err(e, line, "bad regex \"%s\": %s", re, msg);
		return -1;
	}
	if (repl != NULL) {
		r.nmatch = rules_check_tmpl(e, line, repl, r.re.re_nsub);
		if (r.nmatch == -1) {
			regfree(&r.re);
			return -1;
		}
		r.tmpl = xstrdup(repl);
	}
	if (r.nmatch == 0) {
		/* no groups wanted: compile again without them, it is faster */
		regfree(&r.re);
		if (regcomp(&r.re, re, cflags | REG_NOSUB) != 0)
			abort();	/* it compiled a moment ago */
	}
	r.line = line;
	r.next = -1;
	r.icase = icase;
	if (!rules_anchor(re, &r.anchor, &r.anchor_len, &r.anchor_form))
		r.anchor = NULL;
	if ((r.lit = rules_literal(re, &r.lit_len)) != NULL)
		for (size_t k = 0; k < r.lit_len; k++)
			r.lit[k] = (char)tolower((unsigned char)r.lit[k]);
	rules_add(rs, &r);
	return 0;
}

static uint32_t
rules_gram_at(const char *p)
{
	return (uint32_t)(unsigned char)p[0] << 24 |
	    (uint32_t)(unsigned char)p[1] << 16 |
	    (uint32_t)(unsigned char)p[2] << 8 | (unsigned char)p[3];
}

static struct rules_slot *
rules_slot(struct rules_slot *slot, size_t nslot, uint32_t gram)
{
	size_t i = (gram * 2654435761u) & (nslot - 1);

	while (slot[i].head != -1 && slot[i].gram != gram)
		i = (i + 1) & (nslot - 1);
	return &slot[i];
}

/*
 * Index each rule under the piece of its literal that the fewest rules'
 * literals contain, so that a common piece ("http", ".com") does not mark
 * half the rules for every URL.  Pass 1 counts (head holds the count).
 */
static void
rules_index(struct rules *rs)
{
	struct rules_slot *counts, *s;
	size_t ngram = 0, i, k;
	uint32_t g;

	for (i = 0; i < rs->n; i++)
		if (rs->rule[i].lit_len >= RULES_GRAM)
			ngram += rs->rule[i].lit_len - RULES_GRAM + 1;
	for (rs->nslot = 16; rs->nslot < 2 * ngram; rs->nslot *= 2)
		;
	rs->always = xmalloc((rs->n ? rs->n : 1) * sizeof(*rs->always));
	rs->cand = xmalloc((rs->n ? rs->n : 1) * sizeof(*rs->cand));
	counts = xmalloc(rs->nslot * sizeof(*counts));
	rs->slot = xmalloc(rs->nslot * sizeof(*rs->slot));
	for (i = 0; i < rs->nslot; i++)
		counts[i].head = rs->slot[i].head = -1;
	for (i = 0; i < rs->n; i++) {
		struct rules_rule *r = &rs->rule[i];

		for (k = 0; k + RULES_GRAM <= r->lit_len; k++) {
			g = rules_gram_at(r->lit + k);
			s = rules_slot(counts, rs->nslot, g);
			if (s->head == -1) {
				s->gram = g;
				s->head = 0;
			}
			s->head++;
		}
	}
	/* pass 2: index rules backwards so that each chain is in file order */
	for (i = rs->n; i-- > 0;) {
		struct rules_rule *r = &rs->rule[i];
		int best = -1;

		for (k = 0; k + RULES_GRAM <= r->lit_len; k++) {
			g = rules_gram_at(r->lit + k);
			s = rules_slot(counts, rs->nslot, g);
			if (best == -1 || s->head < best) {
				best = s->head;
				r->gram = g;
			}
		}
		if (best == -1) {
			rs->always[rs->nalways++] = (int)i;
			continue;
		}
		s = rules_slot(rs->slot, rs->nslot, r->gram);
		if (s->head == -1)
			s->gram = r->gram;
		r->next = s->head;
		s->head = (int)i;
	}
	free(counts);
	/* filled backwards: put it in file order */
	for (i = 0; i < rs->nalways / 2; i++) {
		int t = rs->always[i];

		rs->always[i] = rs->always[rs->nalways - 1 - i];
		rs->always[rs->nalways - 1 - i] = t;
	}
	rs->mark = xcalloc(rs->n ? rs->n : 1, sizeof(*rs->mark));
}

struct rules *
rules_parse(const char *name, const char *text, size_t len, int flags,
    char **errs)
{
	struct rules_errs e = { name, NULL, 0, 0 };
	struct rules *rs = xcalloc(1, sizeof(*rs));
	const char *p = text, *end = text + len, *nl;
	unsigned int line = 0;
	char *copy, *s, **w;
	size_t ll;
	int nw;

	*errs = NULL;
	rs->prefilter = 1;
	for (; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		ll = (size_t)(nl - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (memchr(p, '\0', ll) != NULL) {
			rules_err(&e, line, "NUL byte in the line");
			continue;
		}
		copy = xstrndup(p, ll);
		/* words: at most one per two bytes, plus one */
		w = xmalloc((ll / 2 + 2) * sizeof(*w));
		nw = 0;
		for (s = strtok(copy, " \t\v\f"); s != NULL;
		    s = strtok(NULL, " \t\v\f"))
			w[nw++] = s;
		if (nw > 0 && w[0][0] != '#')
			(void)rules_line(rs, &e, line, w, nw, flags);
		free(w);
		free(copy);
	}
	if (e.count > RULES_ERR_MAX) {
		int more = e.count - RULES_ERR_MAX;

		e.count = 0;
		rules_err(&e, 0, "%d more error%s", more, more == 1 ? "" : "s");
	}
	if (e.text != NULL) {
		*errs = e.text;
		rules_free(rs);
		return NULL;
	}
	rules_index(rs);
	return rs;
}

struct rules *
rules_load(const char *path, int flags, char **errs)
{
	struct rules *rs;
	struct stat sb;
	char *text;
	size_t len;
	FILE *f;

	*errs = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		*errs = xasprintf("%s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > RULES_FILE_MAX) {
		*errs = xasprintf("%s: %s\n", path, !S_ISREG(sb.st_mode) ?
		    "not a regular file" : "bigger than 64 MiB");
		fclose(f);
		return NULL;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	len = fread(text, 1, (size_t)sb.st_size + 1, f);
	if (ferror(f)) {
		*errs = xasprintf("%s: read error\n", path);
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	/* a file that grew while read is read again at the next check */
	if (len > (size_t)sb.st_size)
		len = (size_t)sb.st_size;
	rs = rules_parse(path, text, len, flags, errs);
	free(text);
	return rs;
}

void
rules_free(struct rules *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		regfree(&rs->rule[i].re);
		free(rs->rule[i].tmpl);
		free(rs->rule[i].lit);
		free(rs->rule[i].anchor);
	}
	free(rs->rule);
	free(rs->slot);
	free(rs->mark);
	free(rs->always);
	free(rs->cand);
	free(rs->low);
	free(rs);
}

size_t
rules_count(const struct rules *rs)
{
	return rs->n;
}

void
rules_set_prefilter(struct rules *rs, int on)
{
	rs->prefilter = on;
}

/* ---- matching ---- */

/* Expand a checked replacement into out; -1 if it does not fit. */
static int
rules_expand(const char *t, const char *url, const regmatch_t *pm,
    char *out, size_t outsz, size_t *lenp)
{
	size_t o = 0, n;
	const char *src;
	int g;

	if (outsz == 0)
		return -1;
	for (; *t != '\0'; t++) {
		g = -1;
		if (*t == '&')
			g = 0;
		else if (*t == '\\') {
			t++;
			if (*t >= '0' && *t <= '9')
				g = *t - '0';
		}
		if (g >= 0) {
			if (pm[g].rm_so == -1)
				continue;	/* an optional group that is absent */
			src = url + pm[g].rm_so;
			n = (size_t)(pm[g].rm_eo - pm[g].rm_so);
		} else {
			src = t;
			n = 1;
		}
		if (n >= outsz - o)
			return -1;
		memcpy(out + o, src, n);
		o += n;
	}
	out[o] = '\0';
	*lenp = o;
	return 0;
}

static int
rules_cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * The rules whose indexed piece occurs in the lowercased URL, in file
 * order, into cand.
 */
static void
rules_scan(struct rules *rs, const char *low, size_t len)
{
	const struct rules_slot *s;
	uint32_t g = 0;
	size_t i;
	int r;

	if (++rs->gen == 0) {
		memset(rs->mark, 0, rs->n * sizeof(*rs->mark));
		rs->gen = 1;
	}
	rs->ncand = 0;
	for (i = 0; i < len; i++) {
		g = g << 8 | (unsigned char)low[i];
		if (i + 1 < RULES_GRAM)
			continue;
		s = rules_slot(rs->slot, rs->nslot, g);
		for (r = s->head; r != -1; r = rs->rule[r].next) {
			if (rs->mark[r] == rs->gen)
				break;	/* this chain was walked already */
			rs->mark[r] = rs->gen;
			rs->cand[rs->ncand++] = r;
		}
	}
	qsort(rs->cand, rs->ncand, sizeof(*rs->cand), rules_cmp_int);
}

/* One rule against the URL: 1 if it decides (m filled), 0 to go on. */
static int
rules_try(struct rules *rs, const struct rules_rule *r, const char *url,
    size_t len, char *out, size_t outsz, struct rules_match *m)
{
	regmatch_t pm[10];

	if (rs->prefilter && r->anchor != NULL) {
		if (!rules_anchor_match(r, url, len, pm))
			return 0;
	} else {
		if (rs->prefilter && r->lit != NULL &&
		    memmem(rs->low, len, r->lit, r->lit_len) == NULL)
			return 0;
		if (regexec(&r->re, url, (size_t)r->nmatch, r->nmatch ? pm :
		    NULL, 0) != 0)
			return 0;
	}
	m->line = r->line;
	if (r->tmpl == NULL)
		m->action = RULES_STOP;
	else if (rules_expand(r->tmpl, url, pm, out, outsz, &m->len) == -1)
		m->action = RULES_TOO_LONG;
	else {
		m->status = r->status;
		m->action = r->status ? RULES_REDIRECT : RULES_REWRITE;
	}
	return 1;
}

enum rules_action
rules_match(struct rules *rs, const char *url, char *out, size_t outsz,
    struct rules_match *m)
{
	size_t len = strlen(url), i, a = 0, c = 0;
	int next;

	memset(m, 0, sizeof(*m));
	m->action = RULES_NONE;
	if (outsz > 0)
		out[0] = '\0';
	if (!rs->prefilter) {
		for (i = 0; i < rs->n; i++)
			if (rules_try(rs, &rs->rule[i], url, len, out, outsz, m))
				break;
		return m->action;
	}
	if (len + 1 > rs->lowcap) {
		rs->lowcap = len + 1;
		rs->low = xrealloc(rs->low, rs->lowcap);
	}
	for (i = 0; i <= len; i++)
		rs->low[i] = (char)tolower((unsigned char)url[i]);
	rules_scan(rs, rs->low, len);
	/* merge the marked rules and those never indexed, in file order */
	while (a < rs->nalways || c < rs->ncand) {
		if (c == rs->ncand || (a < rs->nalways &&
		    rs->always[a] < rs->cand[c]))
			next = rs->always[a++];
		else
			next = rs->cand[c++];
		if (rules_try(rs, &rs->rule[next], url, len, out, outsz, m))
			break;
	}
	return m->action;
}
