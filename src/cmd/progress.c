/* The live progress of a sync on a terminal (stderr): one line per org and
 * entity (records, pages, requests a second, ETA) and one line saying what
 * the requests are doing, above all when they wait on the rate limit or a
 * retry, and why ("waiting 12 s: HTTP 503 from Classy, retry 3 of 8").
 * Redrawn in place about twice a second; cleared at the end so the summary
 * on stdout stands alone, and before every log line (util/log.h's display
 * hook) so the two never garble each other. With NO_COLOR (no escapes) it
 * is one line rewritten over a carriage return. It must never write to
 * stdout, and only draws when the caller saw a terminal. */
#include "cmd/cmd.h"

#include "sync/sync.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 24 /* org and entity lines drawn; the rest are summed up */

#define PLAIN_WIDTH 159 /* the one line drawn without escapes */

struct cs_cmd_progress {
	int ansi;  /* escapes allowed: several lines redrawn in place */
	int drawn; /* lines on screen from the last frame */
	int shown; /* something is on screen (the plain line) */
	char lines[MAX_LINES][160];
	int nlines, more_running;
	long long records, pages; /* the plain line's sums */
};

/* Erases the frame; called under the log's lock. */
static void erase(void *arg)
{
	cs_cmd_progress *pg = arg;
	if (!pg->shown)
		return;
	for (int i = 0; pg->ansi && i < pg->drawn; i++)
		fputs("\033[1A\033[2K", stderr);
	cs_cmd_erase_line(stderr, pg->ansi, PLAIN_WIDTH);
	fflush(stderr);
	pg->drawn = pg->shown = 0;
}

cs_cmd_progress *cs_cmd_progress_new(int ansi)
{
	cs_cmd_progress *pg = calloc(1, sizeof(cs_cmd_progress));
	if (pg) {
		pg->ansi = ansi;
		cs_log_set_display(erase, pg);
	}
	return pg;
}

void cs_cmd_progress_free(cs_cmd_progress *pg)
{
	if (!pg)
		return;
	cs_log_set_display(NULL, NULL);
	cs_cmd_progress_clear(pg);
	free(pg);
}

void cs_cmd_progress_clear(cs_cmd_progress *pg)
{
	cs_log_lock();
	erase(pg);
	cs_log_unlock();
}

static void entity_line(const cs_sync_progress *p, char *out, size_t n)
{
	double secs = p->elapsed_ms / 1000.0;
	double rate = secs > 0 ? p->records / secs : 0;
	double reqs = secs > 0 ? p->requests / secs : 0;
	char total[32] = "", eta[32] = "?";
	if (p->total >= 0)
		snprintf(total, sizeof(total), "/%ld", p->total);
	if (p->done)
		snprintf(eta, sizeof(eta), "done");
	else if (p->total > 0 && rate > 0 && p->records <= p->total)
		snprintf(eta, sizeof(eta), "ETA %.0fs", (p->total - p->records) / rate);
	else
		snprintf(eta, sizeof(eta), "ETA ?");
	snprintf(out, n, "%-16s org %lld: %lld%s records, %lld pages, %.1f req/s, %.0f rec/s, %s",
		 p->entity->name, p->org_id, p->records, total, p->pages, reqs, rate, eta);
}

/* What every request is doing, the waits first: they are what the user
 * wonders about when the numbers stop moving. */
static void net_line(const cs_sync_progress *p, char *out, size_t n)
{
	const cs_http_loop_info *in = p->net;
	const cs_http_budget_info *b = p->budget;
	size_t k = 0;
	out[0] = '\0';
	if (!in)
		return;
	k += (size_t)snprintf(out + k, n - k, "requests: %d/%d in flight", in->in_flight,
			      in->max_in_flight);
	if (in->queued && k < n)
		k += (size_t)snprintf(out + k, n - k, ", %d queued", in->queued);
	if (in->retrying && k < n) {
		char w[256];
		cs_http_wait_text(&(cs_http_wait){.why = in->retry_why, .status = in->retry_status,
						  .retry = in->retry_n, .max_retries = in->retry_max,
						  .wait_ms = in->retry_ms},
				  "Classy", w, sizeof(w));
		k += (size_t)snprintf(out + k, n - k, "; %s", w);
		if (in->retrying > 1 && k < n)
			k += (size_t)snprintf(out + k, n - k, " (%d requests waiting)", in->retrying);
	}
	if (in->held && k < n)
		k += (size_t)snprintf(out + k, n - k,
				      "; waiting %.0f s on the rate limit (the API said the "
				      "allowance is spent)",
				      in->hold_ms / 1000.0);
	else if (in->paced && b && b->pace_per_min && k < n)
		k += (size_t)snprintf(out + k, n - k, "; paced to the rate limit (%ld/min)",
				      b->pace_per_min);
	if (in->throttled && k < n)
		snprintf(out + k, n - k, "; %ld throttled so far", in->throttled);
}

/* One frame: every line redrawn in place, or (no escapes) one line of
 * sums and the requests over a carriage return. Under the log's lock. */
static void draw(cs_cmd_progress *pg, const char *net)
{
	erase(pg);
	if (!pg->ansi) {
		char line[PLAIN_WIDTH + 1];
		snprintf(line, sizeof(line), "%lld records, %lld pages; %s", pg->records, pg->pages,
			 net);
		fprintf(stderr, "%s", line);
	} else {
		for (int i = 0; i < pg->nlines; i++)
			fprintf(stderr, "%s\033[K\n", pg->lines[i]);
		fprintf(stderr, "%s\033[K", net);
		pg->drawn = pg->nlines;
	}
	pg->shown = 1;
	fflush(stderr);
}

void cs_cmd_progress_cb(const cs_sync_progress *p, void *arg)
{
	cs_cmd_progress *pg = arg;
	if (p->index == 0) {
		pg->nlines = 0;
		pg->more_running = 0;
		pg->records = pg->pages = 0;
	}
	pg->records += p->records;
	pg->pages += p->pages;
	if (pg->nlines < MAX_LINES - 1)
		entity_line(p, pg->lines[pg->nlines++], sizeof(pg->lines[0]));
	else if (!p->done)
		pg->more_running++;
	if (p->index != p->count - 1)
		return;
	if (pg->more_running)
		snprintf(pg->lines[pg->nlines++], sizeof(pg->lines[0]),
			 "... and %d more organization(s) and entities running", pg->more_running);
	char net[256];
	net_line(p, net, sizeof(net));
	cs_log_lock();
	draw(pg, net);
	cs_log_unlock();
}
