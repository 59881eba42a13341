/* The default place of the SQLite database when DB_PATH is unset: the
 * state directory (systemd's StateDirectory=, the XDG base directory spec),
 * and making it. config.c chooses between this and a DB_PATH that is set;
 * this file must never create a directory for a DB_PATH that was set. */
#include "util/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The state directory of the XDG base directory spec, for the default
 * DB_PATH: systemd's StateDirectory= (the first of a list), else
 * $XDG_STATE_HOME (only when absolute, as the spec says), else
 * ~/.local/state. Empty when none can be found. */
void cs_config_default_db_path(char *out, size_t n)
{
	const char *sd = getenv("STATE_DIRECTORY"), *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int len = -1;
	if (sd && sd[0] == '/')
		len = snprintf(out, n, "%.*s/classy.db", (int)strcspn(sd, ":"), sd);
	else if (xdg && xdg[0] == '/')
		len = snprintf(out, n, "%s/classy-sync/classy.db", xdg);
	else if (home && home[0] == '/')
		len = snprintf(out, n, "%s/.local/state/classy-sync/classy.db", home);
	if (len < 0 || (size_t)len >= n)
		out[0] = '\0';
}

int cs_config_make_db_dir(const cs_config *cfg, cs_err *err)
{
	char dir[sizeof(cfg->db_path)];
	if (!cfg->db_path_default)
		return 0;
	snprintf(dir, sizeof(dir), "%s", cfg->db_path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	/* mkdir -p: each directory made here is 0700, whatever the umask;
	 * existing ones are left as they are */
	for (char *p = dir + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == 0) {
			if (chmod(dir, 0700))
				return cs_err_set(err, CS_EIO, "cannot chmod directory '%s': %s", dir,
						  strerror(errno));
		} else if (errno != EEXIST) {
			return cs_err_set(err, CS_EIO,
					  "cannot create directory '%s' for the database (DB_PATH is "
					  "not set, so it defaults to '%s'): %s; set DB_PATH to a "
					  "writable path",
					  dir, cfg->db_path, strerror(errno));
		}
		*p = c;
		if (!c)
			break;
	}
	return 0;
}
