#ifndef CS_STORE_COPY_INT_H
#define CS_STORE_COPY_INT_H
/* Between store_copy.c and copy_digest.c: values read by column role, and
 * the running digest of a table. */
#include "store/sql/schema.h"
#include "store/sql/sql.h"

#include <openssl/evp.h>

typedef struct cs_copy_digest {
	EVP_MD_CTX *md;
	long long rows;
} cs_copy_digest;

int cs_copy_digest_init(cs_copy_digest *d);
void cs_copy_digest_release(cs_copy_digest *d);
/* Adds one value of a row, then (after the row's last) the row's end. */
int cs_copy_digest_value(cs_copy_digest *d, const cs_sql_val *v);
int cs_copy_digest_row_end(cs_copy_digest *d);
int cs_copy_digest_final(cs_copy_digest *d, unsigned char out[32]);

/* Column i of the current row as a value to bind into another product:
 * its kind follows the column's role (enum cs_sql_role), not how the
 * source product happens to hold it. Text points into the statement's row.
 * -1: a money value no product could have stored. */
int cs_copy_read_value(cs_sql_stmt *st, int i, int role, cs_sql_val *v);

#endif
