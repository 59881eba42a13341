/* The Mailchimp audience: merge fields, members (found by subscriber hash
 * through an open-addressing index, so a benchmark pushing 100k contacts
 * is not quadratic), tags and the forgotten set. Callers hold st->lock.
 *
 * Must never: take the lock itself, answer a request, or forget a member
 * but through a reset: the real service keeps every contact it ever had. */
#include "mailchimp/sb_mc_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *const sb_mc_status_names[SB_MC_NSTATUS] = {
	"subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"};

const char *const sb_mc_ftype_names[SB_MC_F_NTYPES] = {
	"text", "number", "address", "phone", "date", "url", "imageurl", "radio", "dropdown",
	"birthday", "zip"};

#define MAX_FIELDS 80 /* more than any plan allows; stops a runaway client */
#define SEED_TIME 1704067200 /* 2024-01-01: seeded members last changed then */

int sb_mc_status_find(const char *s)
{
	for (int i = 0; s && i < SB_MC_NSTATUS; i++)
		if (!strcmp(s, sb_mc_status_names[i]))
			return i;
	return -1;
}

int sb_mc_ftype_find(const char *s)
{
	for (int i = 0; s && i < SB_MC_F_NTYPES; i++)
		if (!strcmp(s, sb_mc_ftype_names[i]))
			return i;
	return -1;
}

void sb_mc_time_str(int64_t unix_s, char out[32])
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* ---- members ---- */

/* The index key: the hash's first 16 hex digits (MD5 bits are uniform). */
static uint64_t hash_key(const char *hash)
{
	uint64_t k = 0;
	for (int i = 0; i < 16 && hash[i]; i++) {
		int d = sb_hex_digit(hash[i]);
		k = k * 16 + (uint64_t)(d < 0 ? 0 : d);
	}
	return k;
}

sb_mc_member *sb_mc_member_find(sb_mc_store *st, const char *hash)
{
	if (!st->icap)
		return NULL;
	size_t mask = st->icap - 1;
	for (size_t i = hash_key(hash) & mask; st->index[i]; i = (i + 1) & mask) {
		sb_mc_member *m = &st->members[st->index[i] - 1];
		if (!strcasecmp(m->hash, hash))
			return m;
	}
	return NULL;
}

static void index_put(sb_mc_store *st, size_t member)
{
	size_t mask = st->icap - 1, i = hash_key(st->members[member].hash) & mask;
	while (st->index[i])
		i = (i + 1) & mask;
	st->index[i] = (uint32_t)(member + 1);
}

/* Keeps the index at most half full, so probes stay short. */
static int index_grow(sb_mc_store *st)
{
	if ((st->nmembers + 1) * 2 <= st->icap)
		return 0;
	size_t cap = st->icap ? st->icap * 2 : 256;
	uint32_t *idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -1;
	free(st->index);
	st->index = idx;
	st->icap = cap;
	for (size_t i = 0; i < st->nmembers; i++)
		index_put(st, i);
	return 0;
}

sb_mc_member *sb_mc_member_add(sb_mc_store *st, const char *email, int status)
{
	if (index_grow(st))
		return NULL;
	sb_mc_member *mm = cs_buf_grow_array(st->members, &st->mcap, st->nmembers, sizeof(*mm), 64);
	if (!mm)
		return NULL;
	st->members = mm;
	sb_mc_member *m = &st->members[st->nmembers];
	memset(m, 0, sizeof(*m));
	const char *e = email;
	while (isspace((unsigned char)*e))
		e++;
	size_t n = strlen(e);
	while (n && isspace((unsigned char)e[n - 1]))
		n--;
	m->email = strndup(e, n);
	m->merge = cJSON_CreateObject();
	if (!m->email || !m->merge) {
		free(m->email);
		cJSON_Delete(m->merge);
		return NULL;
	}
	sb_mc_email_hash(m->email, m->hash);
	snprintf(m->uid, sizeof(m->uid), "%010llx",
		 (unsigned long long)(sb_hash(st->seed, hash_key(m->hash), 0x11d) & 0xffffffffffULL));
	m->status = status;
	m->changed = time(NULL);
	index_put(st, st->nmembers++);
	return m;
}

static void member_release(sb_mc_member *m)
{
	free(m->email);
	cJSON_Delete(m->merge);
	free(m->tags);
}

/* ---- tags ---- */

static const sb_mc_tag *tag_find(sb_mc_store *st, const char *name)
{
	for (size_t i = 0; i < st->ntags; i++)
		if (!strcmp(st->tags[i].name, name))
			return &st->tags[i];
	return NULL;
}

const char *sb_mc_tag_name(sb_mc_store *st, int id)
{
	for (size_t i = 0; i < st->ntags; i++)
		if (st->tags[i].id == id)
			return st->tags[i].name;
	return "";
}

static const sb_mc_tag *tag_create(sb_mc_store *st, const char *name)
{
	sb_mc_tag *t = cs_buf_grow_array(st->tags, &st->tagcap, st->ntags, sizeof(*t), 16);
	if (!t)
		return NULL;
	st->tags = t;
	t = &st->tags[st->ntags];
	t->name = strdup(name);
	if (!t->name)
		return NULL;
	t->id = 1001 + (int)st->ntags++; /* audience tag ids: stable per reset */
	return t;
}

int sb_mc_member_tag(sb_mc_store *st, sb_mc_member *m, const char *name, int active)
{
	const sb_mc_tag *t = tag_find(st, name);
	if (!t && !active)
		return 0;
	if (!t && !(t = tag_create(st, name)))
		return -1;
	for (size_t i = 0; i < m->ntags; i++) {
		if (m->tags[i] != t->id)
			continue;
		if (!active)
			m->tags[i] = m->tags[--m->ntags];
		return 0;
	}
	if (!active)
		return 0;
	int *ids = cs_buf_grow_array(m->tags, &m->tcap, m->ntags, sizeof(*ids), 4);
	if (!ids)
		return -1;
	m->tags = ids;
	m->tags[m->ntags++] = t->id;
	return 0;
}

void sb_mc_member_clear_tags(sb_mc_member *m)
{
	m->ntags = 0;
}

/* ---- forgotten set ---- */

int sb_mc_forgotten_has(sb_mc_store *st, const char *email)
{
	char e[512];
	if (sb_mc_email_norm(email, e, sizeof(e)))
		return 0;
	for (size_t i = 0; i < st->nforgotten; i++)
		if (!strcmp(st->forgotten[i], e))
			return 1;
	return 0;
}

int sb_mc_forgotten_add(sb_mc_store *st, const char *email)
{
	char e[512];
	if (sb_mc_email_norm(email, e, sizeof(e)))
		return -1;
	if (sb_mc_forgotten_has(st, e))
		return 0;
	char **f = cs_buf_grow_array(st->forgotten, &st->fgcap, st->nforgotten, sizeof(*f), 8);
	if (!f)
		return -1;
	st->forgotten = f;
	if (!(st->forgotten[st->nforgotten] = strdup(e)))
		return -1;
	st->nforgotten++;
	return 0;
}

/* ---- merge fields ---- */

const sb_mc_field *sb_mc_field_find(sb_mc_store *st, const char *tag)
{
	for (size_t i = 0; i < st->nfields; i++)
		if (!strcmp(st->fields[i].tag, tag))
			return &st->fields[i];
	return NULL;
}

int sb_mc_field_add(sb_mc_store *st, const char *tag, const char *name, int type, char *msg,
		    size_t msglen)
{
	char t[SB_MC_TAG_MAX + 1];
	if (!tag || !*tag) { /* Mailchimp names an untagged field MMERGE<id> */
		snprintf(t, sizeof(t), "MMERGE%d", st->next_field_id);
		tag = t;
	}
	if (strlen(tag) > SB_MC_TAG_MAX)
		return snprintf(msg, msglen, "The tag \"%s\" is longer than %d characters.", tag,
				SB_MC_TAG_MAX), -1;
	if (!name || !*name || strlen(name) > 100)
		return snprintf(msg, msglen, "A name of 1 to 100 characters is required."), -1;
	char up[SB_MC_TAG_MAX + 1];
	size_t i;
	for (i = 0; tag[i]; i++) {
		if (!isalnum((unsigned char)tag[i]) && tag[i] != '_')
			return snprintf(msg, msglen, "The tag \"%s\" may hold only letters, digits "
				       "and underscores.", tag), -1;
		up[i] = (char)toupper((unsigned char)tag[i]);
	}
	up[i] = '\0';
	if (sb_mc_field_find(st, up))
		return snprintf(msg, msglen, "A Merge Field with the tag \"%s\" already exists for "
				"this list.", up), -1;
	if (st->nfields == MAX_FIELDS)
		return snprintf(msg, msglen, "This list already has %d merge fields.", MAX_FIELDS), -1;
	sb_mc_field *f = cs_buf_grow_array(st->fields, &st->fcap, st->nfields, sizeof(*f), 16);
	if (!f)
		return snprintf(msg, msglen, "Out of memory."), -1;
	st->fields = f;
	f = &st->fields[st->nfields++];
	memset(f, 0, sizeof(*f));
	f->id = st->next_field_id++;
	f->type = type;
	snprintf(f->tag, sizeof(f->tag), "%s", up);
	snprintf(f->name, sizeof(f->name), "%s", name);
	return 0;
}

/* ---- merge values ---- */

static int is_date(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8);
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return 0;
	return mo != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

static int is_number_str(const char *s)
{
	char *end;
	if (!*s || isspace((unsigned char)*s))
		return 0;
	strtod(s, &end);
	return *end == '\0';
}

static int address_ok(const cJSON *v)
{
	static const char *const need[] = {"addr1", "city", "state", "zip"};
	for (int i = 0; i < 4; i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, need[i]);
		if (!cJSON_IsString(x) || !*x->valuestring)
			return 0;
	}
	return 1;
}

/* NULL when v suits the type, else the message Mailchimp would give. */
static const char *value_error(int type, const cJSON *v)
{
	if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
		return NULL; /* clears the field */
	switch (type) {
	case SB_MC_F_NUMBER:
		return cJSON_IsNumber(v) || (cJSON_IsString(v) && is_number_str(v->valuestring))
			       ? NULL : "Please enter a number";
	case SB_MC_F_DATE:
		return cJSON_IsString(v) && is_date(v->valuestring)
			       ? NULL : "Please enter the date in the format YYYY-MM-DD";
	case SB_MC_F_ADDRESS:
		return cJSON_IsString(v) || (cJSON_IsObject(v) && address_ok(v))
			       ? NULL : "Please enter a complete address: addr1, city, state and zip";
	default:
		return cJSON_IsString(v) || cJSON_IsNumber(v)
			       ? NULL : "This value should be a string or a number";
	}
}

int sb_mc_merge_check(sb_mc_store *st, const cJSON *merge, char *field, size_t fieldsz, char *msg,
		      size_t msglen)
{
	if (!merge || cJSON_IsNull(merge))
		return 0;
	if (!cJSON_IsObject(merge)) {
		snprintf(field, fieldsz, "merge_fields");
		snprintf(msg, msglen, "Schema describes object, %s found instead",
			 cJSON_IsArray(merge) ? "array" : "scalar");
		return -1;
	}
	const cJSON *v;
	cJSON_ArrayForEach(v, merge) {
		const sb_mc_field *f = sb_mc_field_find(st, v->string);
		const char *err = f ? value_error(f->type, v) : NULL;
		if (err) {
			snprintf(field, fieldsz, "%s", f->tag);
			snprintf(msg, msglen, "%s", err);
			return -1;
		}
	}
	return 0;
}

int sb_mc_merge_apply(sb_mc_store *st, sb_mc_member *m, const cJSON *merge)
{
	const cJSON *v;
	if (!cJSON_IsObject(merge))
		return 0;
	cJSON_ArrayForEach(v, merge) {
		const sb_mc_field *f = sb_mc_field_find(st, v->string);
		if (!f)
			continue; /* unknown tags are ignored, as Mailchimp does */
		cJSON *x;
		if (cJSON_IsNull(v))
			x = cJSON_CreateString("");
		else if (f->type == SB_MC_F_NUMBER && cJSON_IsString(v) && *v->valuestring)
			x = cJSON_CreateNumber(strtod(v->valuestring, NULL));
		else
			x = cJSON_Duplicate(v, 1);
		if (!x)
			return -1;
		cJSON_DeleteItemFromObjectCaseSensitive(m->merge, f->tag);
		cJSON_AddItemToObject(m->merge, f->tag, x);
	}
	m->changed = time(NULL);
	return 0;
}

/* ---- rendering ---- */

cJSON *sb_mc_member_json(sb_mc_store *st, const sb_mc_member *m)
{
	char t[32];
	cJSON *j = cJSON_CreateObject(), *mf;
	cJSON_AddStringToObject(j, "id", m->hash);
	cJSON_AddStringToObject(j, "email_address", m->email);
	cJSON_AddStringToObject(j, "unique_email_id", m->uid);
	cJSON_AddStringToObject(j, "email_type", "html");
	cJSON_AddStringToObject(j, "status", sb_mc_status_names[m->status]);
	mf = cJSON_AddObjectToObject(j, "merge_fields");
	for (size_t i = 0; i < st->nfields; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(m->merge, st->fields[i].tag);
		cJSON_AddItemToObject(mf, st->fields[i].tag,
				      v ? cJSON_Duplicate(v, 1) : cJSON_CreateString(""));
	}
	cJSON_AddObjectToObject(j, "interests");
	cJSON *stats = cJSON_AddObjectToObject(j, "stats");
	cJSON_AddNumberToObject(stats, "avg_open_rate", 0);
	cJSON_AddNumberToObject(stats, "avg_click_rate", 0);
	cJSON_AddStringToObject(j, "ip_signup", "");
	cJSON_AddStringToObject(j, "timestamp_signup", "");
	cJSON_AddStringToObject(j, "ip_opt", "");
	sb_mc_time_str(m->changed, t);
	cJSON_AddStringToObject(j, "timestamp_opt", t);
	cJSON_AddNumberToObject(j, "member_rating", 2);
	cJSON_AddStringToObject(j, "last_changed", t);
	cJSON_AddStringToObject(j, "language", "");
	cJSON_AddBoolToObject(j, "vip", 0);
	cJSON_AddStringToObject(j, "source", "API - Generic");
	cJSON_AddNumberToObject(j, "tags_count", (double)m->ntags);
	cJSON *tags = cJSON_AddArrayToObject(j, "tags");
	for (size_t i = 0; i < m->ntags; i++) {
		cJSON *tg = cJSON_CreateObject();
		cJSON_AddNumberToObject(tg, "id", m->tags[i]);
		cJSON_AddStringToObject(tg, "name", sb_mc_tag_name(st, m->tags[i]));
		cJSON_AddItemToArray(tags, tg);
	}
	cJSON_AddStringToObject(j, "list_id", st->list_id);
	return j;
}

cJSON *sb_mc_field_json(sb_mc_store *st, const sb_mc_field *f)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "merge_id", f->id);
	cJSON_AddStringToObject(j, "tag", f->tag);
	cJSON_AddStringToObject(j, "name", f->name);
	cJSON_AddStringToObject(j, "type", sb_mc_ftype_names[f->type]);
	cJSON_AddBoolToObject(j, "required", 0);
	cJSON_AddStringToObject(j, "default_value", "");
	cJSON_AddBoolToObject(j, "public", 1);
	cJSON_AddNumberToObject(j, "display_order", f->id + 1); /* EMAIL is 1 */
	cJSON *o = cJSON_AddObjectToObject(j, "options");
	if (f->type == SB_MC_F_ADDRESS)
		cJSON_AddNumberToObject(o, "default_country", 164);
	else if (f->type == SB_MC_F_PHONE)
		cJSON_AddStringToObject(o, "phone_format", "none");
	else if (f->type == SB_MC_F_TEXT)
		cJSON_AddNumberToObject(o, "size", 25);
	cJSON_AddStringToObject(j, "help_text", "");
	cJSON_AddStringToObject(j, "list_id", st->list_id);
	return j;
}

/* ---- lifecycle ---- */

/* The audience every run starts with: a new Mailchimp audience's fields,
 * and one contact in each state a client must not overwrite. */
static int seed(sb_mc_store *st)
{
	static const struct { const char *tag, *name; int type; } fields[] = {
		{"FNAME", "First Name", SB_MC_F_TEXT}, {"LNAME", "Last Name", SB_MC_F_TEXT},
		{"ADDRESS", "Address", SB_MC_F_ADDRESS}, {"PHONE", "Phone Number", SB_MC_F_PHONE}};
	static const struct { const char *email; int status; } members[] = {
		{"unsubscribed@example.org", SB_MC_UNSUBSCRIBED}, {"cleaned@example.org", SB_MC_CLEANED},
		{"archived@example.org", SB_MC_ARCHIVED}, {"foreign@example.org", SB_MC_SUBSCRIBED}};
	char msg[128];
	st->next_field_id = 1;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (sb_mc_field_add(st, fields[i].tag, fields[i].name, fields[i].type, msg, sizeof(msg)))
			return -1;
	sb_mc_member *m = NULL;
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		if (!(m = sb_mc_member_add(st, members[i].email, members[i].status)))
			return -1;
		m->changed = SEED_TIME;
	}
	/* foreign@ (the last one added) carries tags someone else set: a client
	 * may touch only tags with its own prefix. */
	if (sb_mc_member_tag(st, m, "VIP", 1) || sb_mc_member_tag(st, m, "Classy-Old Tag", 1))
		return -1;
	return sb_mc_forgotten_add(st, "forgotten@example.org");
}

static void clear(sb_mc_store *st)
{
	for (size_t i = 0; i < st->nmembers; i++)
		member_release(&st->members[i]);
	for (size_t i = 0; i < st->ntags; i++)
		free(st->tags[i].name);
	for (size_t i = 0; i < st->nforgotten; i++)
		free(st->forgotten[i]);
	free(st->members);
	free(st->index);
	free(st->tags);
	free(st->forgotten);
	free(st->fields);
	st->members = NULL, st->index = NULL, st->tags = NULL, st->forgotten = NULL;
	st->fields = NULL;
	st->nmembers = st->mcap = st->icap = st->ntags = st->tagcap = 0;
	st->nforgotten = st->fgcap = st->nfields = st->fcap = 0;
}

int sb_mc_store_init(sb_mc_store *st, const char *list_id, uint64_t seed_)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	st->seed = seed_;
	snprintf(st->list_id, sizeof(st->list_id), "%s", list_id);
	return seed(st);
}

int sb_mc_store_reset(sb_mc_store *st)
{
	clear(st);
	return seed(st);
}

void sb_mc_store_release(sb_mc_store *st)
{
	clear(st);
	pthread_mutex_destroy(&st->lock);
}
