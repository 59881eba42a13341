/* classy-sandbox: the command line, startup and shutdown. It parses the
 * flags (one sb_opt table, which also writes --help), builds the two halves,
 * mounts them on the server (the Mailchimp half first, so the Classy half
 * answers everything else), prints the one "listening" line on stdout and
 * waits for SIGTERM or SIGINT.
 *
 * Must never: serve a request or hold a half's state; it only wires the
 * parts together. Nothing but that line (and --help) goes to stdout:
 * tests read it. */
#include "classy/sb_classy.h"
#include "core/sb_args.h"
#include "core/sb_server.h"
#include "mailchimp/sb_mc.h"

#include "util/log.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct opts {
	const char *bind, *client_id, *client_secret, *mc_api_key, *mc_list;
	long mc_latency_ms, mc_max_connections;
	double mc_fail_rate, mc_throttle_rate;
	long port, seed, orgs, supporters, transactions, campaigns, plans, ties, orphans;
	long rate_limit, latency_ms, token_ttl, mutate_every, mutate_ties, now, verbose, help;
	long ignore_filters, ignore_page, clock_skew, id_base, bad_id_every;
	double fail_rate, drop_rate, truncate_rate, throttle_rate;
} opts;

/* A flag: how it parses (sb_args.c) and how --help shows it. */
typedef struct opt_def {
	sb_opt o;
	const char *meta, *help;
} opt_def;

#define O(n, m, t, f, lo, hi, h) {{n, SB_OPT_##t, offsetof(opts, f), lo, hi}, m, h}
static const opt_def opt_defs[] = {
	O("bind", "ADDR", STR, bind, 0, 0, "address to listen on (default 127.0.0.1)"),
	O("port", "N", LONG, port, 0, 65535, "port; 0 picks a free one (default 0)"),
	O("seed", "N", LONG, seed, 0, 2147483647, "seed of all generated data and faults (default 1)"),
	O("orgs", "N", LONG, orgs, 1, 1000, "organizations, ids 1001, 1002, ... (default 2)"),
	O("supporters", "N", LONG, supporters, 0, 50000000, "supporters per org (default 300)"),
	O("transactions", "N", LONG, transactions, 0, 50000000, "transactions per org (default 1000)"),
	O("campaigns", "N", LONG, campaigns, 0, 1000000, "campaigns per org (default 10)"),
	O("plans", "N", LONG, plans, 0, 50000000, "recurring donation plans per org (default 60)"),
	O("ties", "N", LONG, ties, 0, 50000000,
	  "supporters and transactions of the first org sharing one updated_at second (default 150)"),
	O("orphans", "N", LONG, orphans, 0, 50000000,
	  "transactions per org whose supporter does not exist (default 5)"),
	O("client-id", "ID", STR, client_id, 0, 0, "the API application's client id (default sandbox-client)"),
	O("client-secret", "S", STR, client_secret, 0, 0, "its secret (default sandbox-secret)"),
	O("rate-limit", "N/min", PERMIN, rate_limit, 0, 100000000,
	  "requests per fixed one-minute window per application; 0 = unlimited, and then no "
	  "X-RateLimit headers (default 1800)"),
	O("latency-ms", "N", LONG, latency_ms, 0, 600000, "delay before every API answer (default 0)"),
	O("fail-rate", "F", RATE, fail_rate, 0, 0, "fraction of API requests answered 500 (JSON) or 503 (HTML)"),
	O("drop-rate", "F", RATE, drop_rate, 0, 0, "fraction of API requests whose connection closes unanswered"),
	O("truncate-rate", "F", RATE, truncate_rate, 0, 0,
	  "fraction of 200 answers cut off mid-JSON, then the connection closes (half declare the full "
	  "Content-Length, half a short one)"),
	O("token-ttl", "S", LONG, token_ttl, 1, 100000000, "token lifetime in seconds (default 3600)"),
	O("throttle-rate", "F", RATE, throttle_rate, 0, 0,
	  "fraction of API requests answered 429 Too Many Attempts with Retry-After: 1"),
	O("mutate-ties", NULL, FLAG, mutate_ties, 0, 0,
	  "--mutate-every updates members of the big tie group instead of early records"),
	O("mutate-every", "K", LONG, mutate_every, 0, 100000000,
	  "after every K list requests of an org+entity, update 3 early-sorting records and create 2 "
	  "(default 0 = never)"),
	O("clock-skew", "S", LONG, clock_skew, 0, 315360000,
	  "mutations stamp updated_at S seconds in the past: a late commit, or a source clock "
	  "running behind (default 0)"),
	O("ignore-filters", NULL, FLAG, ignore_filters, 0, 0,
	  "answer list queries as if they had no 'filter' (a broken API or proxy)"),
	O("ignore-page", NULL, FLAG, ignore_page, 0, 0,
	  "answer every list query with page 1, whatever 'page' asks (a broken API or proxy)"),
	O("id-base", "N", LONG, id_base, 5000000, 4611686018427387904L,
	  "first id of every entity (default: 5000000 supporters, 30000000 transactions, 227000 "
	  "campaigns, 850000 plans); 9007199254740990 gives ids past 2^53"),
	O("bad-id-every", "K", LONG, bad_id_every, 0, 100000000,
	  "list pages serve each record whose id is a multiple of K with its id negated (an "
	  "invalid id; default 0 = never)"),
	O("now", "UNIX", LONG, now, 1, 253402300799,
	  "generate as if started at this unix time, for byte-identical dumps across runs "
	  "(default: the real time)"),
	O("mc-api-key", "KEY", STR, mc_api_key, 0, 0,
	  "Mailchimp: the API key clients must send as the Basic auth password (default "
	  "sandbox-key-us1)"),
	O("mc-list", "ID", STR, mc_list, 0, 0,
	  "Mailchimp: the audience id; other list ids are 404 (default sandbox-list)"),
	O("mc-latency-ms", "N", LONG, mc_latency_ms, 0, 600000,
	  "Mailchimp: delay before every /3.0 answer, counted as in flight (default 0)"),
	O("mc-max-connections", "N", LONG, mc_max_connections, 1, 100000,
	  "Mailchimp: requests in flight at once; the next is answered 429 (default 10)"),
	O("mc-fail-rate", "F", RATE, mc_fail_rate, 0, 0,
	  "Mailchimp: fraction of /3.0 requests answered 500 problem+json"),
	O("mc-throttle-rate", "F", RATE, mc_throttle_rate, 0, 0,
	  "Mailchimp: fraction of /3.0 requests answered 429 problem+json (no Retry-After)"),
	O("verbose", NULL, FLAG, verbose, 0, 0, "log every request to stderr"),
	O("help", NULL, FLAG, help, 0, 0, "show this help"),
};
#define NOPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

static const char usage_head[] =
	"usage: classy-sandbox [options]\n"
	"\n"
	"A local emulation of the Classy (GoFundMe Pro) API v2 with deterministic data, and of\n"
	"the Mailchimp Marketing API v3 under /3.0 on the same port.\n"
	"On start it prints one line to stdout, 'classy-sandbox listening on http://ADDR:PORT',\n"
	"then logs to stderr. SIGTERM or SIGINT stops it.\n"
	"\n"
	"Options:\n";

static const char usage_tail[] =
	"\n"
	"API (point clients at CLASSY_API_URL=http://ADDR:PORT/2.0 and\n"
	"CLASSY_TOKEN_URL=http://ADDR:PORT/oauth2/auth):\n"
	"  POST /oauth2/auth                     form body grant_type=client_credentials&client_id=..&client_secret=..\n"
	"  GET  /2.0/organizations/{id}\n"
	"  GET  /2.0/organizations/{id}/supporters|transactions|campaigns|recurring-donation-plans\n"
	"       query: page, per_page (1..100), sort=f[:asc|:desc],..., fields=f,..., with=...,\n"
	"       filter={field}{op}{value} with op one of <= >= <> != = < > ; datetimes as\n"
	"       YYYY-MM-DDTHH:MM:SS+0000, YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD; 'null' works with = and !=\n"
	"\n"
	"Admin (no auth, no rate limit, no faults):\n"
	"  GET  /__sandbox/dump?org=ID&entity=E   every record, as the list endpoint renders it\n"
	"  GET  /__sandbox/stats                  request counters; per_second: [[unix second,\n"
	"                                         API requests arriving then], ...] of the last hour\n"
	"  POST /__sandbox/reset-stats           zero them, and start a new rate window\n"
	"  POST /__sandbox/mutate?org=ID&entity=E&update=N&create=N\n"
	"  POST /__sandbox/set-amount?org=ID&entity=E&id=N&cents=C   one record's amount, as an update\n"
	"  GET|POST /__sandbox/knobs?fail_rate=F&drop_rate=F&truncate_rate=F&throttle_rate=F\n"
	"                            &rate_limit=N&latency_ms=N&token_ttl=S&mutate_every=K\n"
	"                            &mutate_ties=0|1&token_echo=0|1&token_inject=0|1\n"
	"                            &ignore_filters=0|1&ignore_page=0|1&clock_skew=S&bad_id_every=K\n"
	"                            (any subset; token_echo: every token request is refused\n"
	"                            with its form body echoed in the message; token_inject:\n"
	"                            tokens carry CR LF and a header line)\n"
	"  POST /__sandbox/expire-tokens          every issued token stops working\n"
	"  POST /__sandbox/set-credentials?client_secret=S\n"
	"  POST /__sandbox/webhook                a webhook receiver: stores the JSON body, 200\n"
	"  POST /__sandbox/webhook/fail?n=N       the next N webhook posts answer 500\n"
	"  GET  /__sandbox/webhook                {\"posts\":[the stored bodies]}\n"
	"  POST /__sandbox/webhook/reset          forget the stored posts\n"
	"\n"
	"Mailchimp (point clients at MAILCHIMP_API_URL=http://ADDR:PORT/3.0; HTTP Basic, any user,\n"
	"the --mc-api-key as password; errors are application/problem+json):\n"
	"  GET  /3.0/ping\n"
	"  GET  /3.0/lists/{id}                  POST /3.0/lists/{id} (batch subscribe, <= 500)\n"
	"  GET|POST /3.0/lists/{id}/merge-fields\n"
	"  GET  /3.0/lists/{id}/members?count=N&offset=M&status=S\n"
	"  GET|PUT|PATCH /3.0/lists/{id}/members/{hash}   POST /3.0/lists/{id}/members\n"
	"  POST /3.0/lists/{id}/members/{hash}/tags\n"
	"  POST /3.0/batches   GET /3.0/batches/{id}   GET /__mc/batch-results/{id}.tar.gz (no auth)\n"
	"  DELETE .../members/{hash} and POST .../actions/delete-permanent: refused 405, counted\n"
	"\n"
	"Mailchimp admin (no auth, no limits, no faults):\n"
	"  GET  /__sandbox/mc/stats               counters: requests, writes, deletes,\n"
	"                                         status_on_new, status_on_existing(_refused),\n"
	"                                         max_in_flight, by_route, ...\n"
	"  POST /__sandbox/mc/reset-stats\n"
	"  GET  /__sandbox/mc/members             every member (status, merge_fields, tags) and\n"
	"                                         the forgotten set\n"
	"  POST /__sandbox/mc/seed                {\"members\":[{\"email_address\",\"status\",\n"
	"                                         \"merge_fields\",\"tags\"}],\"forgotten\":[..],\n"
	"                                         \"merge_fields\":[{\"tag\",\"name\",\"type\"}]}\n"
	"  POST /__sandbox/mc/reset               the initial audience again\n"
	"  GET|POST /__sandbox/mc/knobs?latency_ms=N&max_connections=N&fail_rate=F\n"
	"                               &throttle_rate=F   (any subset)\n";

static void usage(FILE *f)
{
	fputs(usage_head, f);
	for (size_t i = 0; i < NOPTS; i++) {
		char left[48];
		snprintf(left, sizeof(left), "--%s%s%s", opt_defs[i].o.name, opt_defs[i].meta ? " " : "",
			 opt_defs[i].meta ? opt_defs[i].meta : "");
		fprintf(f, "  %-22s %s\n", left, opt_defs[i].help);
	}
	fputs(usage_tail, f);
}

static int parse_args(int argc, char **argv, opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		if (!strcmp(a, "-h"))
			a = "--help";
		if (strncmp(a, "--", 2))
			return fprintf(stderr, "classy-sandbox: unexpected argument '%s': see --help\n", a), -1;
		a += 2;
		eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		const sb_opt *d = NULL;
		for (size_t k = 0; k < NOPTS && !d; k++)
			if (strlen(opt_defs[k].o.name) == n && !strncmp(opt_defs[k].o.name, a, n))
				d = &opt_defs[k].o;
		if (!d)
			return fprintf(stderr, "classy-sandbox: unknown option '--%.*s': see --help\n", (int)n, a), -1;
		if (d->type == SB_OPT_FLAG) { /* takes no value; "=..." is ignored */
			sb_opt_set(d, o, NULL);
			continue;
		}
		const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!v || sb_opt_set(d, o, v))
			return fprintf(stderr, "classy-sandbox: invalid value '%s' for --%s: see --help\n",
				       v ? v : "", d->name), -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	opts o = {.bind = "127.0.0.1", .client_id = "sandbox-client",
		  .client_secret = "sandbox-secret", .seed = 1, .orgs = 2, .supporters = 300,
		  .transactions = 1000, .campaigns = 10, .plans = 60, .ties = 150, .orphans = 5,
		  .rate_limit = 1800, .token_ttl = 3600, .mc_api_key = "sandbox-key-us1",
		  .mc_list = "sandbox-list", .mc_max_connections = 10};
	if (parse_args(argc, argv, &o))
		return 2;
	if (o.help) {
		usage(stdout);
		return 0;
	}
	if (!*o.mc_list || strlen(o.mc_list) > 63 || strchr(o.mc_list, '/') ||
	    !*o.mc_api_key || strlen(o.mc_api_key) > 255) {
		fprintf(stderr, "classy-sandbox: --mc-list needs 1 to 63 bytes without '/', and "
				"--mc-api-key 1 to 255 bytes\n");
		return 2;
	}
	cs_log_setup(o.verbose ? CS_LOG_DEBUG : CS_LOG_INFO, CS_LOG_TEXT);

	/* Signals are taken by sigwait below; the server's threads inherit the mask. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	sb_classy_opts co = {
		{(uint64_t)o.seed, (int)o.orgs,
		 {[SB_SUPPORTERS] = o.supporters, [SB_TRANSACTIONS] = o.transactions,
		  [SB_CAMPAIGNS] = o.campaigns, [SB_PLANS] = o.plans},
		 o.ties, o.orphans, o.now ? o.now : (int64_t)time(NULL), o.id_base},
		{o.fail_rate, o.drop_rate, o.truncate_rate, o.throttle_rate, o.rate_limit,
		 o.latency_ms, o.token_ttl, o.mutate_every, o.mutate_ties, 0, 0, o.ignore_filters,
		 o.ignore_page, o.clock_skew, o.bad_id_every},
		o.client_id, o.client_secret};
	int rc = 1, port = 0;
	char msg[256];
	sb_server *srv = NULL;
	/* After the signal mask: the batch worker inherits it. */
	sb_mc_opts mo = {o.mc_api_key, o.mc_list, (uint64_t)o.seed,
			 {.latency_ms = o.mc_latency_ms, .max_connections = o.mc_max_connections,
			  .fail_rate = o.mc_fail_rate, .throttle_rate = o.mc_throttle_rate}};
	sb_mc *mc = sb_mc_new(&mo);
	sb_classy *cl = sb_classy_new(&co, msg, sizeof(msg));
	if (!cl) {
		cs_error("%s", msg);
		goto out;
	}
	if (!mc) {
		cs_error("cannot start the Mailchimp half: out of memory");
		goto out;
	}
	/* The Mailchimp half claims its paths first; the Classy half answers
	 * everything else, unknown paths included. */
	const sb_mount mounts[] = {{sb_mc_handle, mc}, {sb_classy_handle, cl}};
	sb_server_opts so = {o.bind, (int)o.port, mounts, sizeof(mounts) / sizeof(mounts[0])};
	srv = sb_server_start(&so, &port, msg, sizeof(msg));
	if (!srv) {
		cs_error("%s", msg);
		goto out;
	}
	int v6 = strchr(o.bind, ':') != NULL;
	printf("classy-sandbox listening on http://%s%s%s:%d\n", v6 ? "[" : "", o.bind,
	       v6 ? "]" : "", port);
	fflush(stdout);
	cs_info("serving %ld orgs (seed %ld); stop with SIGTERM", o.orgs, o.seed);
	int sig = 0;
	sigwait(&stop, &sig);
	cs_info("received signal %d, shutting down", sig);
	rc = 0;
out:
	sb_server_stop(srv);
	sb_mc_free(mc); /* after the server: no handler runs any more */
	sb_classy_free(cl);
	return rc;
}
