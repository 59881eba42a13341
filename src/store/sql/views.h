#ifndef CS_SQL_VIEWS_H
#define CS_SQL_VIEWS_H
/* The analytics views (v3) and contact_segments (v4), defined once in
 * dialect words (sql_views.c). Private to store/sql/. */
#include "store/sql/schema.h"

extern const cs_sql_view cs_sql_view_supporter_segments;
extern const cs_sql_view cs_sql_view_supporter_summary;
extern const cs_sql_view cs_sql_view_campaign_performance;
extern const cs_sql_view cs_sql_view_donor_value_distribution;
extern const cs_sql_view cs_sql_view_donor_engagement_distribution;
extern const cs_sql_view cs_sql_view_contact_segments;

#endif
