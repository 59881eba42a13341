/* classy-sync report --html FILE [--org ID]: the giving report the daemon
 * serves at /report (web/report.h), written as one self-contained HTML file
 * to attach to an email or print to PDF: no selector (its links would lead
 * nowhere), nothing from elsewhere. FILE "-" is stdout. The file appears
 * whole or not at all: it is written beside FILE and renamed over it
 * (a FILE that is not a regular file, /dev/stdout or a pipe, is written
 * into as it is: renaming over it would replace the device or the pipe).
 * Exit 0 written, 1 the store could not be read or FILE not written (an
 * unknown --org too, as with sync), 2 a usage error. */
#include "cmd/cmd.h"

#include "util/buf.h"
#include "util/timeutil.h"
#include "web/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT_MAX_BYTES (64 << 20)

static int write_all(FILE *f, const cs_buf *b)
{
	return fwrite(cs_buf_str(b), 1, b->len, f) == b->len && fflush(f) == 0 ? 0 : -1;
}

/* Writes b into the file at path: 0, or the errno of what failed. */
static int write_to(const char *path, const cs_buf *b)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return errno;
	int e = write_all(f, b) ? errno : 0;
	if (fclose(f) != 0 && !e)
		e = errno;
	return e;
}

/* FILE.tmp-PID, then rename: a reader never sees half a report. A FILE
 * that is not a regular file is written into as it is. */
static int write_file(const char *path, const cs_buf *b, cs_err *err)
{
	if (!strcmp(path, "-"))
		return write_all(stdout, b) ? cs_err_set(err, CS_EIO, "cannot write the report to "
								  "stdout: %s", strerror(errno))
					    : 0;
	struct stat st;
	int e = 0;
	char tmp[4200];
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		e = write_to(path, b);
	} else {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >=
		    sizeof(tmp))
			return cs_err_set(err, CS_EUSAGE, "cannot write '%s': the path is too long",
					  path);
		e = write_to(tmp, b);
		if (!e && rename(tmp, path) != 0)
			e = errno;
		if (e)
			unlink(tmp);
	}
	return e ? cs_err_set(err, CS_EIO, "cannot write '%s': %s", path, strerror(e)) : 0;
}

static int cmd_report(cs_cmd_ctx *ctx, const cs_cmd *self, const cs_cmd_args *args)
{
	const char *path = cs_cmd_arg_str(self, args, "html");
	if (!path || !*path)
		return cs_cmd_usage_error(ctx->prog, "--html FILE is required: where to write the "
						     "report ('-' for stdout)");
	long long org = cs_cmd_arg_set(self, args, "org") ? cs_cmd_arg_num(self, args, "org") : 0;
	if (cs_cmd_arg_set(self, args, "org") && org == 0)
		return cs_cmd_usage_error(ctx->prog, "--org needs an organization id (a positive "
						     "number); leave it out for every organization");
	cs_err err = {0};
	cs_buf b = CS_BUF_INIT;
	cs_buf_init(&b, REPORT_MAX_BYTES);
	cs_web_report_source src = {ctx->store, cs_time_now_ms(), org, CS_WEB_REPORT_STANDALONE,
				    NULL};
	int rc = cs_web_report_page(&src, &b, &err);
	if (rc == 0)
		rc = write_file(path, &b, &err);
	cs_buf_release(&b);
	if (rc)
		return cs_cmd_fail(&err);
	if (strcmp(path, "-") != 0 && cs_cmd_verbosity() >= 0)
		fprintf(stderr, "wrote the giving report of %s to %s\n",
			org ? "one organization" : "every organization", path);
	return 0;
}

static const cs_cmd_opt report_opts[] = {
	{"html", CS_CMD_OPT_STRING, "FILE",
	 "write the report as one self-contained HTML file ('-': stdout)"},
	{"org", CS_CMD_OPT_INT, "ID", "this organization only (default: every one together)"},
	{NULL, 0, NULL, NULL},
};

const cs_cmd cs_cmd_report = {
	.name = "report",
	.fn = cmd_report,
	.flags = CS_CMD_STORE | CS_CMD_MIGRATED,
	.summary = "write the giving report (the daemon's /report page) as an HTML file",
	.opts = report_opts,
	.description = "Gifts and amount per month over the last 24 months, recurring revenue,\n"
		       "first-time and repeat donors, donors by value tier and by engagement, and\n"
		       "the campaigns that raised most against their goals, as charts with their\n"
		       "numbers in tables. Counts and sums only: no donor's name or email.",
};
