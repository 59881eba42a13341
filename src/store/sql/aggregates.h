#ifndef CS_SQL_AGGREGATES_H
#define CS_SQL_AGGREGATES_H
/* SQL pieces of the supporter aggregates (sql_aggregates.c), shared with
 * the dialects that replace some of its steps (store/pgsql, store/mysql),
 * so every product clamps, rounds and filters alike. In dialect words
 * (sql_text.c). Private to store/. */

/* A wide sum into a BIGINT column: the largest cs_money (util/money.h)
 * either way, never an overflow. */
#define CS_AGG_MONEY_MAX "9223372036854775807"
#define CS_AGG_CLAMP(x)                                                                   \
	"CASE WHEN " x " > " CS_AGG_MONEY_MAX " THEN " CS_AGG_MONEY_MAX " WHEN " x " < -" \
	CS_AGG_MONEY_MAX " THEN -" CS_AGG_MONEY_MAX " ELSE " x " END"

/* A gift: a successful transaction that is not deleted. */
#define CS_AGG_GIFT " t.status = 'success' AND t.deleted_at IS NULL"

/* One row per queued supporter with gifts: sid, amt4 (ten-thousandths,
 * exact), cnt, first_at and last_at (the earliest and latest purchase),
 * for products whose time type orders by itself (MIN() and MAX() of the
 * column are the earliest and latest gift). FEW: the queued ids drive, by
 * the transactions(supporter_id) index; MANY: the org's transactions are
 * read once, in storage order. */
#define CS_AGG_GIFT_FIGURES                                                         \
	"SELECT t.supporter_id AS sid, COALESCE(@sum4(@x4(t.total_gross_amount)), 0) AS amt4," \
	" COUNT(*) AS cnt, MIN(t.purchased_at) AS first_at, MAX(t.purchased_at) AS last_at"
#define CS_AGG_GIFTS_FEW(join)                                                          \
	CS_AGG_GIFT_FIGURES " FROM cs_agg a " join " transactions t ON t.supporter_id = a.id" \
	" WHERE" CS_AGG_GIFT " GROUP BY t.supporter_id"
#define CS_AGG_GIFTS_MANY                                                                \
	CS_AGG_GIFT_FIGURES " FROM transactions t WHERE t.organization_id = ?1 AND" CS_AGG_GIFT \
	" AND t.supporter_id IN (SELECT id FROM cs_agg) GROUP BY t.supporter_id"

/* Active plans: the supporter's count, and the monthly sum with each plan
 * rounded to ten-thousandths, half away from zero; an unknown frequency
 * (matched case-insensitively) has no factor and contributes 0. */
#define CS_AGG_ACTIVE_PLAN " p.status = 'active' AND p.deleted_at IS NULL"
#define CS_AGG_FACTOR_OF_P " f.frequency = LOWER(TRIM(p.frequency))"

#endif
