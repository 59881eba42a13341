/* Dialect text: the core writes its SQL once, with a few words that differ
 * between database products spelled @name or @name(arg, ...). Here they are
 * replaced by the dialect's text, where $1 .. $9 stand for the arguments.
 * For example @max(a, b) is MAX(a, b) in SQLite and GREATEST(a, b) in
 * PostgreSQL. Quoted text ('...' and "...") is copied untouched, so a value
 * or a name can never be mistaken for a word.
 *
 * This file must never see a value: values are bound, not written into SQL. */
#include "store/sql/sql.h"

#include <ctype.h>
#include <string.h>

#define MAX_ARGS 9
#define MAX_DEPTH 8

typedef struct span {
	const char *p;
	size_t n;
} span;

static int expand(const cs_sql_dialect *d, const char *s, size_t n, cs_buf *out, int depth,
		  cs_err *err);

/* Length of the quoted run starting at s[0] (a quote), doubled quotes
 * included; n when it never closes. */
static size_t quoted_len(const char *s, size_t n)
{
	char q = s[0];
	size_t i = 1;
	while (i < n) {
		if (s[i] == q) {
			if (i + 1 < n && s[i + 1] == q) {
				i += 2;
				continue;
			}
			return i + 1;
		}
		i++;
	}
	return n;
}

/* Splits "(a, f(b, c), 'x,y')" at its top-level commas. Returns the length
 * consumed (through the closing parenthesis), or 0 when malformed. */
static size_t split_args(const char *s, size_t n, span *args, int *nargs)
{
	int level = 0;
	size_t start = 1;
	*nargs = 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (c == '\'' || c == '"') {
			i += quoted_len(s + i, n - i) - 1;
		} else if (c == '(') {
			level++;
		} else if ((c == ',' && level == 0) || (c == ')' && level == 0)) {
			if (*nargs == MAX_ARGS)
				return 0;
			const char *a = s + start;
			size_t len = i - start;
			while (len && isspace((unsigned char)*a))
				a++, len--;
			while (len && isspace((unsigned char)a[len - 1]))
				len--;
			args[(*nargs)++] = (span){a, len};
			start = i + 1;
			if (c == ')')
				return i + 1;
		} else if (c == ')') {
			level--;
		}
	}
	return 0;
}

static const char *find_word(const cs_sql_word *w, const char *name, size_t n)
{
	for (; w && w->name; w++)
		if (strlen(w->name) == n && !memcmp(w->name, name, n))
			return w->text;
	return NULL;
}

/* Writes the word's text with $k replaced by argument k, expanded. */
static int put_word(const cs_sql_dialect *d, const char *text, const span *args, int nargs,
		    cs_buf *out, int depth, cs_err *err)
{
	for (const char *t = text; *t; t++) {
		if (t[0] == '$' && t[1] >= '1' && t[1] <= '9') {
			int k = t[1] - '1';
			if (k >= nargs)
				return cs_err_set(err, CS_ERR, "SQL word '%s' needs argument %d", text,
						  k + 1);
			if (expand(d, args[k].p, args[k].n, out, depth + 1, err))
				return -1;
			t++;
		} else if (cs_buf_append(out, t, 1)) {
			return -1;
		}
	}
	return 0;
}

static int expand(const cs_sql_dialect *d, const char *s, size_t n, cs_buf *out, int depth,
		  cs_err *err)
{
	if (depth > MAX_DEPTH)
		return cs_err_set(err, CS_ERR, "SQL words nest too deeply");
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '@' && s[j] != '\'' && s[j] != '"')
			j++;
		if (cs_buf_append(out, s + i, j - i))
			return -1;
		if (j == n)
			break;
		if (s[j] != '@') {
			size_t q = quoted_len(s + j, n - j);
			if (cs_buf_append(out, s + j, q))
				return -1;
			i = j + q;
			continue;
		}
		size_t k = j + 1;
		while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '_'))
			k++;
		const char *text = find_word(d->words, s + j + 1, k - j - 1);
		if (!text)
			return cs_err_set(err, CS_ERR, "unknown SQL word '@%.*s' for %s",
					  (int)(k - j - 1), s + j + 1, d->name);
		span args[MAX_ARGS];
		int nargs = 0;
		if (k < n && s[k] == '(') {
			size_t used = split_args(s + k, n - k, args, &nargs);
			if (!used)
				return cs_err_set(err, CS_ERR, "malformed SQL word '@%.*s(...)'",
						  (int)(k - j - 1), s + j + 1);
			k += used;
		}
		if (put_word(d, text, args, nargs, out, depth, err))
			return -1;
		i = k;
	}
	return 0;
}

int cs_sql_expand(const cs_sql_dialect *d, const char *sql, cs_buf *out, cs_err *err)
{
	if (!strchr(sql, '@'))
		return cs_buf_puts(out, sql);
	return expand(d, sql, strlen(sql), out, 0, err);
}

const char *cs_sql_text(const cs_sql_dialect *d, const char *key, const char *core_text)
{
	const char *t = find_word(d->overrides, key, strlen(key));
	return t ? t : core_text;
}

int cs_sql_ident(cs_buf *b, const char *name)
{
	return cs_buf_printf(b, "\"%s\"", name);
}
