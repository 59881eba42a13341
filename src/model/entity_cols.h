#ifndef CS_ENTITY_COLS_H
#define CS_ENTITY_COLS_H
/* The column tables of the four entities, one file each (model/<entity>_cols.c),
 * and how many columns each holds: entities.c needs the counts as constants
 * to build cs_entities, and each table's file asserts its own at compile
 * time, so a column added without its count does not build. Private to
 * src/model/. */
#include "model/entity.h"

#define CS_CAMPAIGN_NCOLS 106
#define CS_SUPPORTER_NCOLS 26
#define CS_TRANSACTION_NCOLS 94
#define CS_PLAN_NCOLS 60

extern const cs_column cs_campaign_cols[];
extern const cs_column cs_supporter_cols[];
extern const cs_column cs_transaction_cols[];
extern const cs_column cs_plan_cols[];

#endif
