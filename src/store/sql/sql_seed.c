/* `db seed`: the default reference rows (segment thresholds and tags,
 * special tags, frequency factors); with --demo also the demo organization
 * (sql_demo.c). Reference rows are inserted only where their key is absent,
 * so a seed must never overwrite a user's edit. */
#include "store/sql/sqlstore.h"
#include "util/money.h"
#include "util/timeutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define UNBOUNDED (-1.0)

/* Default segments (NOTES.md "Donor segments"), ranges [min, max).
 * The value tier starts at 0 inclusive: a supporter with a successful gift
 * always gets a tier, even when the gifts sum to 0 (a $0 gift is still a
 * first gift); supporters without a successful gift get none. The original
 * tag set reused "Regular Donor" for the 4-10 gift frequency segment; here it
 * is "Frequent Donor", so no tag means two things. */
typedef struct seg_default {
	const char *segment, *tag;
	double min, max;
} seg_default;

static const seg_default value_segments[] = {
	{"Transformational", "Transformational", 10000, UNBOUNDED},
	{"Principal Donor", "Principal Donor", 5000, 10000},
	{"Major Donor", "Major Donor", 1000, 5000},
	{"Regular Donor", "Regular Donor", 100, 1000},
	{"Small Donor", "Small Donor", 25, 100},
	{"First-Time", "First-Time", 0, 25},
};

/* whole days since the last gift */
static const seg_default engagement_segments[] = {
	{"Recent Donor", "Recent Donor", 0, 31},     {"Active Donor", "Active Donor", 31, 91},
	{"Warm Donor", "Warm Donor", 91, 181},       {"Cooling Donor", "Cooling Donor", 181, 366},
	{"Lapsed Donor", "Lapsed Donor", 366, 731}, {"Dormant Donor", "Dormant Donor", 731, UNBOUNDED},
};

/* number of successful gifts */
static const seg_default frequency_segments[] = {
	{"Champion Donor", "Champion Donor", 26, UNBOUNDED},
	{"Loyal Donor", "Loyal Donor", 11, 26},
	{"Frequent Donor", "Frequent Donor", 4, 11},
	{"Repeat Donor", "Repeat Donor", 2, 4},
	{"One-Time Donor", "One-Time Donor", 1, 2},
};

static const struct {
	const char *kind;
	const seg_default *rows;
	size_t n;
} segment_kinds[] = {
	{"value", value_segments, ARRAY_LEN(value_segments)},
	{"engagement", engagement_segments, ARRAY_LEN(engagement_segments)},
	{"frequency", frequency_segments, ARRAY_LEN(frequency_segments)},
};

static const struct {
	const char *key, *tag, *description;
} special_defaults[] = {
	{"monthly_recurring", "Monthly Recurring", "has an active recurring plan"},
	{"lifetime_1k", "$1K+ Lifetime", "lifetime donations of 1,000 or more"},
	{"lifetime_5k", "$5K+ Lifetime", "lifetime donations of 5,000 or more"},
	{"monthly_100", "$100+ Monthly", "monthly recurring amount of 100 or more"},
};

typedef struct seed_ctx {
	cs_sql_store *s;
	long long *inserted;
} seed_ctx;

/* Inserts one reference row unless its key exists; counts what it added. */
static int insert_row(seed_ctx *c, const char *table, const char *const *cols, int ncols,
		      const cs_sql_val *v, cs_err *err)
{
	cs_buf b = CS_BUF_INIT;
	long long n = 0;
	cs_sql_upsert u = {table, cols, ncols, 1, 1, NULL, NULL};
	int rc = cs_sql_upsert_text(c->s->c->dia, &u, &b)
			 ? cs_err_set(err, CS_ERR, "cannot insert reference data: out of memory")
			 : cs_sql_exec(c->s->c, cs_buf_str(&b), "insert reference data", v, ncols,
				       &n, err);
	cs_buf_release(&b);
	*c->inserted += n;
	return rc;
}

static const char *const segment_cols[] = {"kind",      "segment",   "tag",
					   "min_value", "max_value", "sort"};

static int seed_segments(seed_ctx *c, cs_err *err)
{
	int rc = 0;
	for (size_t k = 0; !rc && k < ARRAY_LEN(segment_kinds); k++) {
		for (size_t i = 0; !rc && i < segment_kinds[k].n; i++) {
			const seg_default *d = &segment_kinds[k].rows[i];
			const cs_sql_val v[] = {
				CS_V_TEXT(segment_kinds[k].kind), CS_V_TEXT(d->segment),
				CS_V_TEXT(d->tag), CS_V_REAL(d->min),
				d->max != UNBOUNDED ? CS_V_REAL(d->max) : CS_V_NULL,
				CS_V_INT((int)i + 1)};
			rc = insert_row(c, "segment_thresholds", segment_cols, 6, v, err);
		}
	}
	return rc;
}

static const char *const special_cols[] = {"key", "tag", "description"};

static int seed_special(seed_ctx *c, cs_err *err)
{
	int rc = 0;
	for (size_t i = 0; !rc && i < ARRAY_LEN(special_defaults); i++) {
		const cs_sql_val v[] = {CS_V_TEXT(special_defaults[i].key),
					CS_V_TEXT(special_defaults[i].tag),
					CS_V_TEXT(special_defaults[i].description)};
		rc = insert_row(c, "special_tags", special_cols, 3, v, err);
	}
	return rc;
}

static const char *const factor_cols[] = {"frequency", "num", "den"};

/* The same factors util/money.c applies, so SQL and C never disagree. */
static int seed_factors(seed_ctx *c, cs_err *err)
{
	int rc = 0;
	for (unsigned i = 0; !rc && i < cs_money_nfrequencies; i++) {
		const cs_sql_val v[] = {CS_V_TEXT(cs_money_frequencies[i].name),
					CS_V_INT(cs_money_frequencies[i].num),
					CS_V_INT(cs_money_frequencies[i].den)};
		rc = insert_row(c, "frequency_factors", factor_cols, 3, v, err);
	}
	return rc;
}

static int seed_reference(cs_sql_store *s, long long *inserted, cs_err *err)
{
	seed_ctx c = {s, inserted};
	if (!cs_sql_has_table(s->c, "segment_thresholds"))
		return cs_err_set(err, CS_ERR, "cannot insert reference data in database '%s': "
					       "the schema is missing; run 'classy-sync db migrate' "
					       "first", s->c->name);
	int rc = cs_sql_begin(s->c, 1, "start the seed transaction", err);
	if (rc)
		return rc;
	if ((rc = seed_segments(&c, err)) == 0 && (rc = seed_special(&c, err)) == 0)
		rc = seed_factors(&c, err);
	return cs_sql_end(s->c, rc, "commit the reference data", err);
}

int cs_sql_seed(cs_store *st, int demo, long long *inserted, cs_err *err)
{
	cs_sql_store *s = (cs_sql_store *)st;
	long long n = 0;
	int rc = seed_reference(s, &n, err);
	if (!rc && demo)
		rc = cs_sql_seed_demo(s, cs_time_now_ms(), &n, err);
	if (inserted)
		*inserted = n;
	return rc;
}
