/* The backup taken before the schema of an SQLite database changes
 * (CS_CTRL_BACKUP): VACUUM INTO a new file next to the database, which is a
 * consistent copy even while other processes write. It must never overwrite
 * a file, never leave a partial backup behind, and never change the
 * database: a failure here stops the migration before it starts. */
#include "store/sqlite/sqlite_int.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Creates the backup file empty (VACUUM INTO accepts an empty file), so it
 * is the owner's only (0600, whatever the umask) before a byte is in it,
 * and so an existing file is never taken over. Two backups in one second
 * get "-2", "-3"... */
static int create_target(const char *db, cs_store_backup *b, cs_err *err)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 1; i < 100; i++) {
		int n = i == 1 ? snprintf(b->path, sizeof(b->path), "%s.bak-v%d-%s", db, b->version,
					  stamp)
			       : snprintf(b->path, sizeof(b->path), "%s.bak-v%d-%s-%d", db,
					  b->version, stamp, i);
		if (n < 0 || (size_t)n >= sizeof(b->path))
			return cs_err_set(err, CS_EUSAGE,
					  "cannot back up database '%s': the backup's file name would "
					  "be too long; move the database to a shorter path",
					  db);
		int fd = open(b->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return cs_err_set(err, CS_EIO,
					  "cannot back up database '%s': cannot create '%s': %s; "
					  "nothing was changed: make the directory writable and run "
					  "again",
					  db, b->path, strerror(errno));
		int bad = fchmod(fd, 0600);
		close(fd);
		if (bad) {
			unlink(b->path);
			return cs_err_set(err, CS_EIO, "cannot back up database '%s': chmod '%s': %s",
					  db, b->path, strerror(errno));
		}
		return 0;
	}
	return cs_err_set(err, CS_EIO,
			  "cannot back up database '%s': 99 backups named '%s-*' exist already; "
			  "remove old ones",
			  db, b->path);
}

/* VACUUM INTO leaves the new file to the page cache; a backup that a crash
 * can lose is none. Some file systems report a full disk only here. */
static int sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

static long long db_megabytes(const char *db)
{
	struct stat st;
	return stat(db, &st) == 0 ? (long long)st.st_size / (1024 * 1024) + 1 : 1;
}

static int fail_full(const char *db, const cs_store_backup *b, cs_err *err)
{
	return cs_err_set(err, CS_EIO,
			  "cannot back up database '%s' to '%s': the disk is full; nothing was "
			  "changed and no backup was left: free about %lld MB on that file system "
			  "and run again",
			  db, b->path, db_megabytes(db));
}

int cs_sqlite_backup(cs_sql *c, cs_store_backup *b, cs_err *err)
{
	cs_sqlite *s = (cs_sqlite *)c;
	const char *db = c->name;
	b->path[0] = '\0';
	if (!*db || !strcmp(db, ":memory:") || !strncmp(db, "file:", 5))
		return cs_err_set(err, CS_ENOTFOUND,
				  "database '%s' is not a plain file, so no backup is written", db);
	int rc = create_target(db, b, err);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st = NULL;
	rc = sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, b->path, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	char why[256];
	snprintf(why, sizeof(why), "%s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE && sync_file(b->path) == 0)
		return 0;
	int e = rc == SQLITE_DONE ? errno : 0;
	unlink(b->path);
	if ((rc & 0xff) == SQLITE_FULL || e == ENOSPC || e == EDQUOT)
		return fail_full(db, b, err);
	return cs_err_set(err, CS_EIO,
			  "cannot back up database '%s' to '%s': %s; nothing was changed and no "
			  "backup was left: fix that and run again",
			  db, b->path, e ? strerror(e) : why);
}
