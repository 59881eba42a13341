/* Migration v2 "reference": the tables users may edit to tune segmentation
 * (segment thresholds and tag names, special tags) and the frequency factors
 * that turn a recurring amount into a monthly one. The DDL creates empty
 * tables; cs_sqlite_seed fills them without ever overwriting an edit. */
#include "store/sqlite_int.h"

static const char reference_up_sql[] =
	/* One row per segment. A value falls in a segment when
	 * min_value <= value < max_value (max_value NULL = unbounded); when
	 * edits make ranges overlap, the lowest sort wins. Tag names are unique
	 * so one tag never means two things (NOTES.md "Donor segments"). */
	"CREATE TABLE segment_thresholds ("
	" kind TEXT NOT NULL CHECK (kind IN ('value','engagement','frequency')),"
	" segment TEXT NOT NULL,"
	" tag TEXT NOT NULL,"
	" min_value REAL NOT NULL,"
	" max_value REAL,"
	" sort INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (kind, segment));"
	"CREATE UNIQUE INDEX segment_thresholds_tag ON segment_thresholds(tag);"
	"CREATE UNIQUE INDEX segment_thresholds_segment ON segment_thresholds(segment);"
	"CREATE TABLE special_tags ("
	" key TEXT NOT NULL PRIMARY KEY,"
	" tag TEXT NOT NULL UNIQUE,"
	" description TEXT);"
	/* monthly = amount * num / den, kept as integers so sums stay exact */
	"CREATE TABLE frequency_factors ("
	" frequency TEXT NOT NULL PRIMARY KEY,"
	" num INTEGER NOT NULL CHECK (num > 0),"
	" den INTEGER NOT NULL CHECK (den > 0));"
	/* Recompute queues every supporter that never had aggregates; without
	 * this partial index that step would scan the whole supporters table on
	 * every run. */
	"CREATE INDEX supporters_aggregates_pending ON supporters(organization_id)"
	" WHERE aggregates_at IS NULL;";

static const char reference_down_sql[] =
	"DROP INDEX IF EXISTS supporters_aggregates_pending;"
	"DROP TABLE IF EXISTS frequency_factors;"
	"DROP TABLE IF EXISTS special_tags;"
	"DROP TABLE IF EXISTS segment_thresholds;";

int cs_sqlite_reference_up(sqlite3 *db, cs_err *err)
{
	return cs_sqlite_exec(db, reference_up_sql, err);
}

int cs_sqlite_reference_down(sqlite3 *db, cs_err *err)
{
	return cs_sqlite_exec(db, reference_down_sql, err);
}
