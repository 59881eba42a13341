/* The request budget's slots (rate_slots, migration v7): the reservation
 * behind CS_CTRL_RATE_SLOT, which lets every process on one database take
 * its send times from one count per application and second.
 *
 * An index is taken by one conditional UPDATE that raises `used` past it
 * only while it is below the limit, in autocommit: the product's row lock
 * makes it atomic, so two processes can never take one index and a second
 * never hands out more than its limit. It never holds a lock past its own
 * statement (it runs from the HTTP event loop, with a budget's lock held),
 * and never waits for a row another statement made: a missing row is
 * inserted (or found made) and the UPDATE runs once more. */
#include "store/sql/sqlstore.h"

#include <string.h>

/* The index comes back with the updated row (used - 1 once used is past
 * it). A product without UPDATE ... RETURNING (MySQL) overrides this text
 * to leave the new `used` in the session and says how to read it back
 * ("rate.taken"). */
static const char take_sql[] =
	"UPDATE rate_slots SET used = @max2(used, ?3) + 1"
	" WHERE app = ?1 AND slot = ?2 AND @max2(used, ?3) < ?4 RETURNING used - 1";

typedef struct taken {
	long long index;
	int found;
} taken;

static int taken_row(cs_sql_stmt *q, void *arg)
{
	taken *t = arg;
	t->index = cs_sql_col_int(q, 0);
	t->found = 1;
	return 0;
}

/* One try: t->found says whether an index was taken. */
static int take(cs_sql *c, const cs_rate_slot *r, long first, taken *t, cs_err *err)
{
	const char *what = "reserve a request slot";
	const char *read_back = cs_sql_text(c->dia, "rate.taken", NULL);
	memset(t, 0, sizeof(*t));
	int rc = cs_sql_query(c, cs_sql_text(c->dia, "rate.take", take_sql), what,
			      CS_SQL_ARGS(CS_V_TEXT(r->app), CS_V_INT(r->slot), CS_V_INT(first),
					  CS_V_INT(r->limit)),
			      taken_row, t, err);
	if (rc == 0 && read_back && cs_sql_changes(c) == 1)
		rc = cs_sql_query(c, read_back, what, CS_SQL_NOARGS, taken_row, t, err);
	return rc;
}

/* Makes the second's row when there is none (*made then says so), and
 * then, once per second and application, forgets the old ones. */
static int make_row(cs_sql *c, const cs_rate_slot *r, int *made, cs_err *err)
{
	long long n = 0;
	int rc = cs_sql_exec(c,
			     "@insert_ignore INTO rate_slots (app, slot, used) VALUES (?1, ?2, 0)"
			     "@ignore_conflicts",
			     "reserve a request slot", CS_SQL_ARGS(CS_V_TEXT(r->app), CS_V_INT(r->slot)),
			     &n, err);
	*made = rc == 0 && n == 1;
	if (*made)
		rc = cs_sql_exec(c, "DELETE FROM rate_slots WHERE app = ?1 AND slot < ?2",
				 "forget old request slots",
				 CS_SQL_ARGS(CS_V_TEXT(r->app),
					     CS_V_INT(r->slot - CS_RATE_SLOT_KEEP_S)),
				 NULL, err);
	return rc;
}

int cs_sql_rate_slot(cs_sql_store *s, cs_rate_slot *r, cs_err *err)
{
	long first = r->first > 0 ? r->first : 0;
	taken t;
	int made = 0;
	r->index = -1;
	if (!r->app || r->limit <= 0 || first >= r->limit)
		return 0;
	if (s->c->in_txn)
		return cs_err_set(err, CS_ERR,
				  "cannot reserve a request slot in database '%s': a transaction is "
				  "in progress on its connection",
				  s->c->name);
	int rc = take(s->c, r, first, &t, err);
	if (rc == 0 && !t.found)
		rc = make_row(s->c, r, &made, err);
	/* Once more whether this process made the row or found it made: a
	 * row another process inserted between the two statements is not
	 * full (CI saw 105 of 118 indexes handed out when that case counted
	 * as full). A row that was full stays full: the retry costs one
	 * statement. */
	if (rc == 0 && !t.found)
		rc = take(s->c, r, first, &t, err);
	if (rc == 0 && t.found)
		r->index = (long)t.index;
	return rc;
}
