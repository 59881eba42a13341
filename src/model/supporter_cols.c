/* The supporters' columns (Supporter in Classy's OpenAPI
 * document): each API field the table mirrors, its type and the document's
 * description, printed by scripts/entity-columns. Those the entity tables
 * had from the start come first (since 0); every other field of the schema
 * follows (issue 12), added by migration 9 (since 9), so that migration 1
 * keeps creating the tables it always did. Data only: model/entities.c puts
 * the tables together. */
#include "model/entity_cols.h"

#define I CS_COL_INT
#define T CS_COL_TEXT
#define B CS_COL_BOOL
#define M CS_COL_MONEY
#define TS CS_COL_TIME
#define D CS_COL_DATE
#define J CS_COL_JSON
#define IX CS_COLF_INDEX

const cs_column cs_supporter_cols[] = {
	{"email_address", T, IX, "Supporter email address", 0},
	{"first_name", T, 0, "First name of the supporter", 0},
	{"last_name", T, 0, "Supporter last name", 0},
	{"phone", T, 0, "Supporter phone number", 0},
	{"cell_phone", T, 0, "Supporter cell phone number (SMS consent target when collected)", 0},
	{"address1", T, 0, "Supporter main address", 0},
	{"address2", T, 0, "Secondary Supporter address", 0},
	{"city", T, 0, "Supporter City", 0},
	{"state", T, 0, "State/province name", 0},
	{"postal_code", T, 0, "Zip Code", 0},
	{"country", T, 0, "Supporter Country", 0},
	{"opt_in", B, 0,
	 "Indicates whether the supported opted in to email communication or not", 0},
	{"origin", T, 0, "Supporter origin", 0},
	{"source_campaign_id", I, IX, "Campaign number identifier", 0},
	{"member_id", I, IX, "Member number identifier", 0},
	{"created_at", TS, 0, "Date/time of initial record creation", 0},
	{"updated_at", TS, 0, "Date/time of initial record creation", 0},
	/* migration 9 */
	{"birthday", T, 0,
	 "Supporter birthday in M/D format (month and day only; year intentionally not "
	 "collected). Sourced from the P2P Birthday-moment flow and distinct from any full "
	 "date-of-birth captured elsewhere.", 9},
	{"gender", T, 0, "Supporter gender", 9},
	{"last_emailed_at", T, 0, "To whom the last e-mail was sent", 9},
	{"location", T, 0, "Free text representing a location", 9},
	{"metadata", J, 0, "Arbitrary JSON metadata", 9},
	{"nickname", T, 0, "Supporter nickname", 9},
	{"source_fundraising_page_id", I, 0, "Fundraising page identifier", 9},
	{"source_member_id", I, 0, "Member identifier", 9},
	{"source_organization_id", I, 0, "Organization identifier", 9},
};
_Static_assert(sizeof(cs_supporter_cols) / sizeof(cs_supporter_cols[0]) == CS_SUPPORTER_NCOLS,
	       "CS_SUPPORTER_NCOLS (model/entity_cols.h) must count cs_supporter_cols");
