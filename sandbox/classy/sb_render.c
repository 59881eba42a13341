/* Field values and JSON rendering. This is the hot path of every list
 * request (a 100-record transaction page is ~260 KB), so values are derived
 * with a few hash rounds and written with hand-rolled formatting into a
 * stack buffer that flushes into the response in large blocks.
 *
 * Must never: allocate per field or per record, or draw from a stateful
 * generator: a value depends on (seed, record, field, version) only, so
 * every render of a record is the same. */
#include "classy/sb_model.h"

#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

/* ---- writer ---- */

void sb_w_init(sb_w *w, cs_buf *out)
{
	w->out = out;
	w->len = 0;
	w->err = 0;
}

int sb_w_flush(sb_w *w)
{
	if (w->len && cs_buf_append(w->out, w->buf, w->len))
		w->err = -1;
	w->len = 0;
	return w->err;
}

void sb_w_put(sb_w *w, const char *s, size_t n)
{
	if (w->len + n > sizeof(w->buf)) {
		sb_w_flush(w);
		if (n > sizeof(w->buf)) {
			if (cs_buf_append(w->out, s, n))
				w->err = -1;
			return;
		}
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline void put_c(sb_w *w, char c)
{
	if (w->len == sizeof(w->buf))
		sb_w_flush(w);
	w->buf[w->len++] = c;
}

static void put_strn(sb_w *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	put_c(w, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sb_w_put(w, s + run, i - run);
		char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
		if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
		}
		sb_w_put(w, esc, c < 0x20 ? 6 : 2);
		run = i + 1;
	}
	sb_w_put(w, s + run, n - run);
	put_c(w, '"');
}

void sb_w_str(sb_w *w, const char *s)
{
	put_strn(w, s, strlen(s));
}

static size_t fmt_u64(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static void put_i64(sb_w *w, int64_t v)
{
	char b[24];
	size_t n = 0;
	if (v < 0)
		b[n++] = '-';
	n += fmt_u64(b + n, v < 0 ? (uint64_t)-v : (uint64_t)v);
	sb_w_put(w, b, n);
}

/* Cents as a decimal with exactly two places: 0.10, 25.00, 1234.56. */
static size_t fmt_cents(char *b, int64_t c)
{
	size_t n = 0;
	if (c < 0) {
		b[n++] = '-';
		c = -c;
	}
	n += fmt_u64(b + n, (uint64_t)c / 100);
	b[n++] = '.';
	b[n++] = (char)('0' + c % 100 / 10);
	b[n++] = (char)('0' + c % 10);
	return n;
}

static void put_time(sb_w *w, int64_t secs, int form, int date_only)
{
	char t[CS_TIME_BUFSZ + 2];
	t[0] = '"';
	if (form == 1)
		cs_time_format_filter(secs * 1000, t + 1);
	else
		cs_time_format(secs * 1000, form == 2, t + 1);
	size_t n = date_only ? 11 : strlen(t);
	t[n++] = '"';
	sb_w_put(w, t, n);
}

/* ---- values ---- */

#define SALT_FIRST 0xf125700ULL
#define SALT_LAST 0x1a5700ULL
#define SALT_MAIL 0xe3a100ULL
#define SALT_PHONE 0x9404e00ULL
#define SALT_STREET 0x57ee700ULL

static const char *const mail_domains[] = {"example.com", "example.org", "mail.example.net",
					    "inbox.example"};

static const char *slug(const char *name)
{
	return name + strlen(name) + 1;
}

static const char *pick(const sb_pool *p, uint64_t h)
{
	return p->s[h % p->n];
}

static size_t cat(char *o, size_t at, const char *s)
{
	size_t n = strlen(s);
	memcpy(o + at, s, n);
	return at + n;
}

/* kh is the hash of the record's key (see key_hash); generators derive
 * their own hashes from it with one more round. */
static size_t gen_text(uint64_t kh, int gen, const sb_field *f, uint64_t k, uint64_t h,
		       char *o)
{
	static const char hx[] = "0123456789abcdef";
	size_t n = 0;
	const char *first = pick(&sb_first_names, sb_mix(kh ^ SALT_FIRST));
	const char *last = pick(&sb_last_names, sb_mix(kh ^ SALT_LAST));
	switch (gen) {
	case SB_G_FULLNAME:
		n = cat(o, cat(o, cat(o, 0, first), " "), last);
		break;
	case SB_G_EMAIL:
		n = cat(o, cat(o, cat(o, 0, slug(first)), "."), slug(last));
		n += fmt_u64(o + n, k % 1000);
		o[n++] = '@';
		n = cat(o, n, mail_domains[sb_mix(kh ^ SALT_MAIL) % 4]);
		break;
	case SB_G_PHONE: {
		uint64_t p = sb_mix(kh ^ SALT_PHONE);
		n = fmt_u64(o, 201 + p % 780);
		n = cat(o, n, "-555-");
		for (int i = 0; i < 4; i++, p /= 10)
			o[n++] = (char)('0' + (p >> 20) % 10);
		break;
	}
	case SB_G_STREET: {
		uint64_t s = sb_mix(kh ^ SALT_STREET);
		n = fmt_u64(o, 1 + s % 9999);
		o[n++] = ' ';
		n = cat(o, n, pick(&sb_streets, s >> 20));
		break;
	}
	case SB_G_DIGITS:
		for (int i = 0; i < f->a && i < 19; i++, h /= 10)
			o[n++] = (char)('0' + h % 10);
		break;
	case SB_G_HEX:
	case SB_G_UUID:
		for (int i = 0; i < (gen == SB_G_UUID ? 32 : f->a) && i < 64; i++) {
			if (i % 16 == 0)
				h = sb_mix(h + (uint64_t)i);
			if (gen == SB_G_UUID && (i == 8 || i == 12 || i == 16 || i == 20))
				o[n++] = '-';
			o[n++] = hx[(h >> (4 * (i % 16))) & 15];
		}
		break;
	}
	o[n] = '\0';
	return n;
}

static void set_str(sb_val *v, const char *s, size_t n)
{
	v->kind = SB_T_STR;
	v->s = s;
	v->n = n;
}

static void value_text(uint64_t kh, const sb_field *f, const sb_rec *r, uint64_t k,
		       uint64_t h, sb_val *v, char *scratch)
{
	switch (f->gen) {
	case SB_G_POOL:
	case SB_G_RAW:
		v->s = pick(f->p, h);
		v->n = strlen(v->s);
		break;
	case SB_G_FIRST:
	case SB_G_LAST:
		v->s = pick(f->gen == SB_G_FIRST ? &sb_first_names : &sb_last_names,
			    sb_mix(kh ^ (f->gen == SB_G_FIRST ? SALT_FIRST : SALT_LAST)));
		v->n = strlen(v->s);
		break;
	case SB_G_CAMPNAME:
		if (f->b) {
			v->n = (size_t)snprintf(scratch, 128, "Event #%06llX",
						(unsigned long long)(h & 0xffffff));
			v->s = scratch;
		} else {
			v->s = pick(&sb_campaign_names, (uint64_t)r->id);
			v->n = strlen(v->s);
		}
		break;
	case SB_G_URL:
		v->n = (size_t)snprintf(scratch, 128, "%s%lld", f->p->s[0], (long long)r->id);
		v->s = scratch;
		break;
	default:
		v->n = gen_text(kh, f->gen, f, k, h, scratch);
		v->s = scratch;
	}
	v->kind = f->gen == SB_G_RAW ? SB_T_OBJ : SB_T_STR;
}

static int64_t range(uint64_t h, int64_t a, int64_t b)
{
	return b > a ? a + (int64_t)(h % (uint64_t)(b - a + 1)) : a;
}

static void value_ref(int64_t id, sb_val *v)
{
	v->kind = id ? SB_T_INT : SB_V_NULL;
	v->i = id;
}

void sb_field_value(uint64_t seed, int64_t org, const sb_entity *e, int fi, const sb_rec *r,
		    sb_val *v, char *scratch)
{
	const sb_field *f = &e->fields[fi];
	uint64_t k = (uint64_t)((f->flags & SB_FF_SUP) ? r->supporter_id : r->id);
	if (f->flags & SB_FF_VOL)
		k ^= (uint64_t)r->version << 40;
	/* One hash of the key per field, then one round per derived value:
	 * this function runs ~100 times per rendered transaction. */
	uint64_t kh = sb_mix(seed ^ sb_mix(k));
	if (f->nullpct && sb_mix(kh ^ (0x20000u + (unsigned)fi)) % 100 < f->nullpct) {
		v->kind = SB_V_NULL;
		return;
	}
	uint64_t h = sb_mix(kh ^ (f->grp ? (uint64_t)f->grp << 32 : 0x10000u + (unsigned)fi));
	v->kind = f->type;
	switch (f->gen) {
	case SB_G_ID: v->i = r->id; break;
	case SB_G_ORG: v->i = org; break;
	case SB_G_SUPPORTER: value_ref(r->supporter_id, v); break;
	case SB_G_CAMPAIGN: value_ref(r->campaign_id, v); break;
	case SB_G_PLAN: value_ref(r->plan_id, v); break;
	case SB_G_CREATED: v->i = r->created; break;
	case SB_G_UPDATED: v->i = r->updated; break;
	case SB_G_TOFF: v->i = r->created + range(h, f->a, f->b); break;
	case SB_G_DOFF: v->i = (r->updated / 86400 + range(h, f->a, f->b)) * 86400; break;
	case SB_G_STATUS_AT:
		v->kind = r->status == f->a ? SB_T_TIME : SB_V_NULL;
		v->i = r->updated;
		break;
	case SB_G_STATUS:
	case SB_G_FREQ: {
		const sb_pool *p = f->gen == SB_G_STATUS ? e->statuses : e->freqs;
		unsigned i = f->gen == SB_G_STATUS ? r->status : r->freq;
		set_str(v, p->s[i % p->n], strlen(p->s[i % p->n]));
		break;
	}
	case SB_G_AMOUNT: {
		/* wide: /__sandbox/set-amount may put an absurd amount here */
		int64_t c = (int64_t)((__int128)r->amount * f->a / 10000) + f->b;
		v->i = c < 0 ? 0 : c;
		break;
	}
	case SB_G_INT:
	case SB_G_CENTS: v->i = range(h, f->a, f->b); break;
	case SB_G_BOOL: v->i = (int64_t)(h % 100) < f->a; break;
	default: value_text(kh, f, r, k, h, v, scratch);
	}
}

static void put_val(sb_w *w, const sb_val *v, int form)
{
	char b[32];
	switch (v->kind) {
	case SB_V_NULL: sb_w_put(w, "null", 4); break;
	case SB_T_INT: put_i64(w, v->i); break;
	case SB_T_NUM: sb_w_put(w, b, fmt_cents(b, v->i)); break;
	case SB_T_NUMSTR:
		b[0] = '"';
		size_t n = 1 + fmt_cents(b + 1, v->i);
		b[n++] = '"';
		sb_w_put(w, b, n);
		break;
	case SB_T_BOOL: v->i ? sb_w_put(w, "true", 4) : sb_w_put(w, "false", 5); break;
	case SB_T_STR: put_strn(w, v->s, v->n); break;
	case SB_T_TIME: put_time(w, v->i, form, 0); break;
	case SB_T_DATE: put_time(w, v->i, 0, 1); break;
	case SB_T_OBJ: sb_w_put(w, v->s, v->n); break;
	}
}

void sb_render_rec(uint64_t seed, int64_t org, const sb_entity *e, const sb_rec *r,
		   const uint64_t *mask, sb_w *w)
{
	char scratch[256];
	int first = 1;
	put_c(w, '{');
	for (size_t f = 0; f < e->nfields; f++) {
		if (mask && !(mask[f / 64] >> (f % 64) & 1))
			continue;
		if (!first)
			put_c(w, ',');
		first = 0;
		sb_w_put(w, e->keys[f], e->keylen[f]);
		sb_val v;
		sb_field_value(seed, org, e, (int)f, r, &v, scratch);
		put_val(w, &v, r->form);
	}
	put_c(w, '}');
}

/* ---- organizations ---- */

static const char *const org_names[] = {"Rescue All Animals", "Clean Water Collective",
					"Fondation Étoile", "Hope Harbor 🌊",
					"Green Roots Alliance", "Kinderhilfe München"};

void sb_render_org(const sb_org *o, uint64_t seed, cs_buf *out)
{
	char created[CS_TIME_BUFSZ], updated[CS_TIME_BUFSZ];
	cs_time_format(o->created * 1000, 0, created);
	cs_time_format(o->updated * 1000, 0, updated);
	size_t i = (size_t)(o->id - 1001) % (sizeof(org_names) / sizeof(org_names[0]));
	uint64_t h = sb_hash(seed, (uint64_t)o->id, 0x0e9);
	cs_buf_printf(out, "{\"id\":%lld,\"name\":", (long long)o->id);
	cs_buf_json_str(out, org_names[i]);
	cs_buf_printf(out,
		      ",\"status\":\"active\",\"type\":\"npo\",\"plan_type\":\"Enterprise\","
		      "\"address\":\"%llu Harbor Dr\",\"city\":\"San Diego\",\"state\":\"CA\","
		      "\"postal_code\":\"92101\",\"country\":\"US\",\"currency\":\"USD\","
		      "\"currency_code\":\"USD\",\"customer_tier\":2,\"timezone_identifier\":"
		      "\"America/Los_Angeles\",\"url\":\"https://org%lld.example.org\","
		      "\"mission\":\"Make the world kinder, one gift at a time\","
		      "\"description\":\"A sandbox organization\",\"fixed_fot_percent\":\"5.00\","
		      "\"flex_rate_percent\":5,\"has_employer_match\":false,"
		      "\"is_gift_aid_available\":false,\"opt_in_wording\":null,\"facebook\":null,"
		      "\"twitter\":\"@org%lld\",\"logo_id\":\"%llu\",\"subscription_plan\":4,"
		      "\"created_at\":\"%s\",\"updated_at\":\"%s\"}",
		      (unsigned long long)(100 + h % 900), (long long)o->id, (long long)o->id,
		      (unsigned long long)(h >> 20) % 1000, created, updated);
}
